import fc from 'fast-check';
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

  it('agrees with the insertion-ordered Set on every step of generated traffic', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 400 }), (capacity, traffic) => {
        const ids = new RecentIds(capacity);
        const model = new SetModel(capacity);
        for (const n of traffic) {
          ids.add(`m${n}`);
          model.add(`m${n}`);
          if (ids.size !== model.ids.size) return false;
        }
        for (let n = 0; n <= 50; n++) if (ids.has(`m${n}`) !== model.ids.has(`m${n}`)) return false;
        return true;
      }),
      { numRuns: 2_000 },
    );
  });
});
