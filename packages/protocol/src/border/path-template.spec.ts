import fc from 'fast-check';
import { matchPathTemplate, parsePathTemplate, type PathTemplate } from './path-template';

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
});
