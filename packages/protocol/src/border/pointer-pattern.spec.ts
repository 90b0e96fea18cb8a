import fc from 'fast-check';
import type { JsonValue } from '../prins/messages/bodies';
import { escapeToken, parsePointer, resolvePointer } from '../prins/reformat/json-pointer';
import { findPointerMatches, parsePointerPattern, pointerFitsPattern } from './pointer-pattern';

const profile: JsonValue = {
  nfInstances: [
    { fqdn: 'udm1.example', nfServices: [{ fqdn: 'a.example', ipEndPoints: [{ ipv4Address: '10.0.0.1' }, { ipv4Address: '10.0.0.2' }] }] },
    { fqdn: 'udm2.example', nfServiceList: { 'sid-1': { fqdn: 'b.example' } } },
  ],
  'a/b': { '~x': 1 },
};

describe('JSON Pointer patterns with wildcards', () => {
  it.each([
    ['/nfInstances/*/fqdn', ['/nfInstances/0/fqdn', '/nfInstances/1/fqdn']],
    ['/nfInstances/*/nfServices/*/ipEndPoints/*/ipv4Address', ['/nfInstances/0/nfServices/0/ipEndPoints/0/ipv4Address', '/nfInstances/0/nfServices/0/ipEndPoints/1/ipv4Address']],
    ['/nfInstances/*/nfServiceList/*/fqdn', ['/nfInstances/1/nfServiceList/sid-1/fqdn']],
    ['/nfInstances/1/fqdn', ['/nfInstances/1/fqdn']],
    ['/nfInstances/2/fqdn', []],
    ['/nfInstances/01/fqdn', []],
    ['/a~1b/~0x', ['/a~1b/~0x']],
    ['/missing/*', []],
    ['', ['']],
  ])('%s names %j', (pattern, pointers) => {
    const parsed = parsePointerPattern(pattern)!;
    expect(findPointerMatches(profile, parsed).map((m) => m.pointer)).toEqual(pointers);
  });

  it('refuses what is not a pointer', () => {
    expect(parsePointerPattern('nfInstances/*')).toBeNull();
    expect(parsePointerPattern('/a~2')).toBeNull();
  });

  it('gives each match its container and key, so a rule can rewrite it in place', () => {
    const doc = structuredClone(profile) as any;
    for (const match of findPointerMatches(doc, parsePointerPattern('/nfInstances/*/fqdn')!)) (match.parent as any)[match.key] = 'hidden';
    expect(doc.nfInstances.map((i: any) => i.fqdn)).toEqual(['hidden', 'hidden']);
  });

  // Every concrete pointer of a document, for the property below.
  function allPointers(value: JsonValue, prefix = ''): string[] {
    const here = [prefix];
    if (Array.isArray(value)) return here.concat(...value.map((child, index) => allPointers(child, `${prefix}/${index}`)));
    if (value !== null && typeof value === 'object') return here.concat(...Object.entries(value).map(([key, child]) => allPointers(child, `${prefix}/${escapeToken(key)}`)));
    return here;
  }

  it('finds exactly the places its documentation says: same depth, every token equal or *', () => {
    const key = fc.constantFrom('a', 'b', 'c', '*x', 'a/b', '~', '0', '1');
    const json = fc.letrec<{ node: JsonValue }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.integer(), fc.string({ maxLength: 3 }), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(json, fc.nat(), fc.array(fc.boolean(), { maxLength: 6 }), (doc, pick, wild) => {
        const pointers = allPointers(doc);
        const base = parsePointer(pointers[pick % pointers.length]!)!;
        const pattern = base.map((token, i) => (wild[i] ? '/*' : `/${escapeToken(token)}`)).join('');
        const parsed = parsePointerPattern(pattern)!;
        const found = findPointerMatches(doc, parsed).map((m) => m.pointer);
        const expected = pointers.filter((pointer) => pointerFitsPattern(pointer, parsed));
        expect([...found].sort()).toEqual([...expected].sort());
        for (const match of findPointerMatches(doc, parsed)) expect(resolvePointer(doc, parsePointer(match.pointer)!)).toBe(match.value);
      }),
      { numRuns: 300 },
    );
  });
});
