import fc from 'fast-check';

/**
 * messageIds for property tests of what remembers them: hex IDs from a pool of `hexPool` + 1 (so
 * they repeat, and collide in small indexes), a few of them in upper case (another ID each), and
 * IDs in no hex form.
 */
export function anyMessageId(hexPool: number): fc.Arbitrary<string> {
  const hex = (n: number): string => (n * 0x9e3779b1).toString(16).padStart(16, '0').slice(-16);
  return fc.oneof(
    fc.integer({ min: 0, max: hexPool }).map(hex),
    fc.integer({ min: 0, max: 10 }).map((n) => hex(n).toUpperCase()),
    fc.integer({ min: 0, max: 10 }).map((n) => `m${n}`),
  );
}
