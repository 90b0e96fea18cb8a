import fc from 'fast-check';
import { matchPathTemplate, parsePathTemplate, PathRouter, pathSegments, segmentsMatch, type PathTemplate } from './path-template';

const template = (text: string): PathTemplate => {
  const parsed = parsePathTemplate(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

describe('resource path templates', () => {
  it.each([
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-001010000000001/am-data', { supi: 'imsi-001010000000001' }],
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-001010000000001/am-data/x', null],
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2//am-data', null],
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-1/AM-DATA', null],
    ['/nudm-sdm/v2/{supi}/**', '/nudm-sdm/v2/imsi-1', { supi: 'imsi-1' }],
    ['/nudm-sdm/v2/{supi}/**', '/nudm-sdm/v2/imsi-1/sdm-subscriptions/7', { supi: 'imsi-1' }],
    ['/nudm-sdm/v2/{supi}/**', '/nudm-sdm/v2/imsi-1/a//b', null],
    ['/**', '/any/thing', {}],
    ['/oauth2/token', '/oauth2/token', {}],
    ['/oauth2/token', '/oauth2/token/', null],
  ])('%s on %s', (text, path, expected) => {
    expect(matchPathTemplate(template(text), path)).toEqual(expected);
  });

  it.each([
    ['nudm-sdm/v2', 'must start with /'],
    ['/a/**/b', '** may only be the last segment'],
    ['/a/{b', 'must be a literal or a whole {name}'],
    ['/a/x{b}', 'must be a literal or a whole {name}'],
    ['/a//b', 'must not hold empty segments'],
    ['/a/*', 'single *'],
    ['/a?x=1', 'query'],
  ])('refuses %s', (text, problem) => {
    expect(parsePathTemplate(text)).toEqual(expect.stringContaining(problem));
  });

  const segment = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
  const spec = fc.array(fc.oneof(fc.record({ literal: segment }), fc.record({ param: fc.stringMatching(/^[a-z]{1,5}$/) })), { minLength: 1, maxLength: 6 });

  it('matches every path built from it, capturing each {name}, and nothing with a segment changed, added or dropped', () => {
    fc.assert(
      fc.property(spec, fc.array(segment, { minLength: 6, maxLength: 6 }), fc.boolean(), fc.nat(), (parts, values, rest, which) => {
        const names = new Set<string>();
        const unique = parts.filter((part) => !('param' in part) || (!names.has(part.param) && names.add(part.param)));
        const text = `/${unique.map((part) => ('literal' in part ? part.literal : `{${part.param}}`)).join('/')}${rest ? '/**' : ''}`;
        const path = unique.map((part, i) => ('literal' in part ? part.literal : values[i]!));
        const parsed = template(text);
        const captured = matchPathTemplate(parsed, `/${path.join('/')}`);
        // The non-capturing check the hot path uses says the same as the capturing one.
        for (const candidate of [path, [...path, 'extra'], path.slice(0, -1), [...path.slice(0, -1), '']]) {
          const parts = pathSegments(`/${candidate.join('/')}`)!;
          expect(segmentsMatch(parsed, parts)).toBe(matchPathTemplate(parsed, `/${candidate.join('/')}`) !== null);
        }
        expect(captured).toEqual(Object.fromEntries(unique.flatMap((part, i) => ('param' in part ? [[part.param, values[i]]] : []))));
        expect(matchPathTemplate(parsed, `/${[...path, 'extra'].join('/')}`) !== null).toBe(rest);
        if (path.length > 1) expect(matchPathTemplate(parsed, `/${path.slice(0, -1).join('/')}`)).toBeNull();
        const index = which % unique.length;
        const changed = [...path];
        if ('literal' in unique[index]!) {
          changed[index] = `${changed[index]}x`;
          expect(matchPathTemplate(parsed, `/${changed.join('/')}`)).toBeNull();
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a router of many templates finds exactly the templates that match a path, literal segments before {name}', () => {
    const word = fc.constantFrom('a', 'b', 'c');
    const templateText = fc
      .array(fc.oneof(word, fc.constant('{p}')), { minLength: 1, maxLength: 4 })
      .chain((segments) => fc.boolean().map((rest) => `/${segments.join('/')}${rest ? '/**' : ''}`));
    fc.assert(
      fc.property(fc.uniqueArray(templateText, { minLength: 1, maxLength: 12 }), fc.array(fc.constantFrom('a', 'b', 'c', 'x', ''), { minLength: 1, maxLength: 6 }), (texts, parts) => {
        const templates = texts.map(template);
        const router = new PathRouter<PathTemplate>();
        for (const t of templates) router.add(t, t);
        const expected = templates.filter((t) => segmentsMatch(t, parts)).map((t) => t.text).sort();
        expect(router.match(parts).map((t) => t.text).sort()).toEqual(expected);
        const first = router.first(parts);
        expect(first?.text).toBe(router.match(parts)[0]?.text);
        // Nothing comes before it by the router's rule: at the first place where it and another
        // match differ in kind, it has the literal (a count of literals is not the rule:
        // /a/{p}/{p}/** comes before /{p}/b/c/** for a/b/c/a).
        if (first) for (const other of router.match(parts)) expect(literalFirst(first, other)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});

/** Whether `first` may come before `other`: where they first differ in kind, `first` has the literal. */
function literalFirst(first: PathTemplate, other: PathTemplate): boolean {
  const places = Math.min(first.segments.length, other.segments.length);
  for (let i = 0; i < places; i++) {
    const firstLiteral = 'literal' in first.segments[i]!;
    if (firstLiteral !== 'literal' in other.segments[i]!) return firstLiteral;
  }
  return true;
}

