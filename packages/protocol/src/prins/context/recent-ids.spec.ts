import fc from 'fast-check';
import { anyMessageId } from './message-ids.spec-support';
import { RecentIds } from './recent-ids';

/** The Set it replaces in N32fContext: the first in insertion order goes when it is full. */
class SetModel {
  readonly ids = new Set<string>();
  constructor(private readonly capacity: number) {}
  add(id: string): void {
    if (this.ids.has(id)) return;
    if (this.ids.size >= this.capacity) this.ids.delete(this.ids.values().next().value!);
    this.ids.add(id);
  }
}

describe('RecentIds', () => {
  it('keeps the last IDs added, first in first out', () => {
    const ids = new RecentIds(2);
    ids.add('a');
    ids.add('b');
    ids.add('a');
    expect([ids.has('a'), ids.has('b'), ids.size]).toEqual([true, true, 2]);
    ids.add('c');
    expect([ids.has('a'), ids.has('b'), ids.has('c'), ids.size]).toEqual([false, true, true, 2]);
    ids.add('d');
    expect([ids.has('b'), ids.has('c'), ids.has('d')]).toEqual([false, true, true]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentIds(0)).toThrow(RangeError);
    expect(() => new RecentIds(2.5)).toThrow(RangeError);
  });

  it('compares IDs exactly: hex in another case, or with another length, is another ID', () => {
    const ids = new RecentIds(8);
    ids.add('abcdef0123456789');
    expect([ids.has('abcdef0123456789'), ids.has('ABCDEF0123456789'), ids.has('abcdef012345678'), ids.has('0abcdef0123456789')]).toEqual([true, false, false, false]);
    ids.add('ABCDEF0123456789');
    ids.add('not-hex-at-all!!');
    expect([ids.has('ABCDEF0123456789'), ids.has('not-hex-at-all!!'), ids.size]).toEqual([true, true, 3]);
  });

  it('keeps a counting sender apart over many turns of the ring (IDs that differ in one digit)', () => {
    const ids = new RecentIds(1_000);
    const id = (n: number): string => n.toString(16).padStart(16, '0');
    const heldTooSoon: number[] = [];
    for (let n = 0; n < 25_000; n++) {
      if (ids.has(id(n))) heldTooSoon.push(n);
      ids.add(id(n));
    }
    const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
    expect(heldTooSoon).toEqual([]);
    expect(range(24_000, 25_000).filter((n) => !ids.has(id(n)))).toEqual([]);
    expect(range(23_000, 24_000).filter((n) => ids.has(id(n)))).toEqual([]);
    expect(ids.size).toBe(1_000);
  });

  // Hex IDs from a small pool (so they repeat, and collide in small indexes), the same in upper
  // case, and IDs in no hex form; capacities from 1, so that the ring turns many times.
  const anyId = anyMessageId(40);

  it('agrees with the insertion-ordered Set on every step of generated traffic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(anyId, { maxLength: 400 }), (capacity, traffic) => {
        const ids = new RecentIds(capacity);
        const model = new SetModel(capacity);
        const seen = new Set<string>();
        for (const id of traffic) {
          seen.add(id);
          ids.add(id);
          model.add(id);
          if (ids.size !== model.ids.size) return false;
          for (const known of seen) if (ids.has(known) !== model.ids.has(known)) return false;
        }
        return true;
      }),
      { numRuns: 1_000 },
    );
  });
});
