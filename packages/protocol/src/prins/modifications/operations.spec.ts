import fc from 'fast-check';
import type { JsonValue } from '../messages/bodies';
import { cloneJson } from './operations';

/** What cloneJson must return: the JSON round trip. */
const roundTrip = (value: unknown): unknown => {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
};

/**
 * Structural equality as strict as the copy must be: same prototypes, same own keys in the same
 * order, every member an enumerable data property, primitives by Object.is (0 is not -0). Jest's
 * toStrictEqual cannot be used: it compares `.constructor`, which a member named so replaces.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keys = Reflect.ownKeys(a);
  if (keys.join('\u0000') !== Reflect.ownKeys(b).join('\u0000')) return false;
  return keys.every((name) => {
    const x = Object.getOwnPropertyDescriptor(a, name)!;
    const y = Object.getOwnPropertyDescriptor(b, name)!;
    if (Array.isArray(a) && name === 'length') return x.value === y.value;
    return 'value' in x && 'value' in y && x.enumerable === true && y.enumerable === true && sameJson(x.value, y.value);
  });
}

/** Every object and array reachable from `value`. */
function containers(value: unknown, into = new Set<object>()): Set<object> {
  if (typeof value === 'object' && value !== null && !into.has(value)) {
    into.add(value);
    for (const item of Object.values(value)) containers(item, into);
  }
  return into;
}

/** Keys JSON.stringify treats apart, and an AAD's own kinds of members. */
const key = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'toJSON', 'constructor', '0', '10', 'encBlockIndex'));

/** JSON leaves, and what is not JSON but may reach a copy through a configuration or a patch value. */
const leaf = fc.oneof(
  { weight: 6, arbitrary: fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.integer(), fc.double()) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(-0, Number.NaN, Number.POSITIVE_INFINITY, undefined, () => 1, new Date(0), { toJSON: () => ['as', 'json'] }) },
);

const tree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie('node')), { maxLength: 5 }).map((entries) => Object.fromEntries(entries) as unknown),
    fc.array(fc.tuple(key, tie('node')), { maxLength: 3 }).map((entries) => Object.assign(Object.create(null) as object, Object.fromEntries(entries)) as unknown),
  ),
})).node;

describe('cloneJson', () => {
  it('returns what JSON.parse(JSON.stringify(value)) returns, sharing no object with the value', () => {
    fc.assert(
      fc.property(tree, (value) => {
        const copy = cloneJson(value as JsonValue);
        expect(sameJson(copy, roundTrip(value))).toBe(true);
        expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
        const original = containers(value);
        for (const object of containers(copy)) expect(original.has(object)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a member named __proto__ as an own member, never as the prototype', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":[{"__proto__":1}]}') as JsonValue;
    const copy = cloneJson(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')).toEqual({ value: { polluted: true }, writable: true, enumerable: true, configurable: true });
    expect(Object.keys((copy['a'] as object[])[0]!)).toEqual(['__proto__']);
  });

  it('turns -0 into 0 and non-finite numbers into null, as the JSON text does', () => {
    expect(Object.is(cloneJson(-0), 0)).toBe(true);
    expect(cloneJson([Number.NaN, Number.NEGATIVE_INFINITY])).toEqual([null, null]);
  });
});
