import fc from 'fast-check';
import { MessageIdsBySeq } from './message-ids';

/** What the memory adapter did before (and what the Redis adapter's sorted set does): scan for the lowest SEQ. */
class ScanningModel {
  readonly ids = new Map<string, number>();
  constructor(private readonly limit: number) {}
  add(id: string, seq: number): void {
    this.ids.set(id, seq);
    if (this.ids.size > this.limit) {
      let lowest: string | undefined;
      let lowestSeq = Infinity;
      for (const [held, at] of this.ids) if (at < lowestSeq) [lowest, lowestSeq] = [held, at];
      this.ids.delete(lowest!);
    }
  }
}

describe('MessageIdsBySeq', () => {
  it('holds what it was given up to its limit, then lets the lowest SEQ go first', () => {
    const ids = new MessageIdsBySeq(3);
    ids.add('a', 10);
    ids.add('b', 5);
    ids.add('c', 20);
    expect([ids.has('a'), ids.has('b'), ids.has('c'), ids.size]).toEqual([true, true, true, 3]);
    ids.add('d', 15);
    expect([ids.has('b'), ids.size]).toEqual([false, 3]);
    ids.add('e', 1);
    // The newcomer has the lowest SEQ: it goes at once, as ZADD then ZREMRANGEBYRANK 0 0 does.
    expect([ids.has('e'), ids.has('a'), ids.has('c'), ids.has('d')]).toEqual([false, true, true, true]);
  });

  it('refuses a messageId it already holds and a limit that is not a positive integer', () => {
    const ids = new MessageIdsBySeq(2);
    ids.add('a', 1);
    expect(() => ids.add('a', 2)).toThrow(RangeError);
    expect(() => new MessageIdsBySeq(0)).toThrow(RangeError);
    expect(() => new MessageIdsBySeq(1.5)).toThrow(RangeError);
  });

  it('agrees with scanning for the lowest SEQ on every step of generated traffic (reordered SEQs, repeated messageIds)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        // Distinct SEQs: the replay window accepts a SEQ once, so no two held messageIds share one.
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 400 })), { maxLength: 300, selector: ([, seq]) => seq }),
        (limit, traffic) => {
          const ids = new MessageIdsBySeq(limit);
          const model = new ScanningModel(limit);
          for (const [name, seq] of traffic) {
            const id = `m${name}`;
            // Callers add only what they do not hold (a held one is a duplicate-message-id).
            if (model.ids.has(id) !== ids.has(id)) return false;
            if (model.ids.has(id)) continue;
            ids.add(id, seq);
            model.add(id, seq);
            if (ids.size !== model.ids.size) return false;
          }
          for (let name = 0; name <= 60; name++) if (ids.has(`m${name}`) !== model.ids.has(`m${name}`)) return false;
          return true;
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('MessageIdsBySeq memory', () => {
  it('allocates with the IDs it holds, and no more once full', () => {
    const ids = new MessageIdsBySeq(16_384);
    const id = (n: number): string => n.toString(16).padStart(16, '0');
    for (let n = 0; n < 10; n++) ids.add(id(n), n);
    expect(ids.allocatedBytes).toBeLessThan(1_024);
    // Full, and one more: an eviction allocates nothing (the newcomer takes the freed slot).
    for (let n = 10; n <= 16_384; n++) ids.add(id(n), n);
    const full = ids.allocatedBytes;
    // 16,384 slots of 9 B, an index of 32,768 x 4 B, a heap of 12 B per entry.
    expect(full).toBeLessThan(512 * 1_024);
    for (let n = 16_385; n < 50_000; n++) ids.add(id(n), n);
    expect([ids.allocatedBytes, ids.size, ids.has(id(33_615)), ids.has(id(33_616))]).toEqual([full, 16_384, false, true]);
  });
});
