import fc from 'fast-check';
import { anyMessageId } from './message-ids.spec-support';
import { IdSlots } from './id-slots';

describe('IdSlots', () => {
  it('finds each ID in its slot, hex or not, and forgets a cleared one', () => {
    const slots = new IdSlots(4);
    slots.put(2, 'abcdef0123456789');
    slots.put(0, 'm1');
    expect([slots.slotOf('abcdef0123456789'), slots.slotOf('m1'), slots.slotOf('ABCDEF0123456789'), slots.slotOf('m2')]).toEqual([2, 0, -1, -1]);
    slots.clear(2);
    slots.clear(2);
    expect(slots.slotOf('abcdef0123456789')).toBe(-1);
    slots.put(2, 'ABCDEF0123456789');
    expect(slots.slotOf('ABCDEF0123456789')).toBe(2);
  });

  it('refuses a slot outside its capacity and a slot in use', () => {
    const slots = new IdSlots(2);
    slots.put(0, '0000000000000001');
    expect(() => slots.put(2, '0000000000000002')).toThrow(RangeError);
    expect(() => slots.put(-1, '0000000000000002')).toThrow(RangeError);
    expect(() => slots.put(0, '0000000000000002')).toThrow(RangeError);
    expect(() => new IdSlots(0)).toThrow(RangeError);
  });

  it('allocates with the highest slot used, not with its capacity', () => {
    const slots = new IdSlots(65_536);
    expect(slots.allocatedBytes).toBe(0);
    for (let n = 0; n < 10; n++) slots.put(n, n.toString(16).padStart(16, '0'));
    // 16 slots: 2 words and a kind each (9 B), an index of 32 entries (128 B).
    expect(slots.allocatedBytes).toBe(16 * 9 + 32 * 4);
    for (let n = 10; n < 65_536; n++) slots.put(n, n.toString(16).padStart(16, '0'));
    expect(slots.allocatedBytes).toBe(65_536 * 9 + 131_072 * 4);
    expect([slots.slotOf('0000000000000000'), slots.slotOf('000000000000ffff')]).toEqual([0, 65_535]);
  });

  // Hex IDs from a small pool (they repeat, and collide in small indexes), the same in upper case,
  // IDs in no hex form; slots anywhere below a capacity of up to 200, so the arrays grow mid-way.
  const anyId = anyMessageId(60);

  it('agrees with a map of slots on every step of generated puts and clears', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(), anyId), { maxLength: 400 }),
        (capacity, steps) => {
          const slots = new IdSlots(capacity);
          const model = new Map<string, number>();
          const bySlot = new Map<number, string>();
          const seen = new Set<string>();
          for (const [clear, at, id] of steps) {
            const slot = at % capacity;
            seen.add(id);
            if (clear) {
              slots.clear(slot);
              const gone = bySlot.get(slot);
              if (gone !== undefined) model.delete(gone);
              bySlot.delete(slot);
            } else if (!bySlot.has(slot) && !model.has(id)) {
              slots.put(slot, id);
              model.set(id, slot);
              bySlot.set(slot, id);
            }
            for (const known of seen) if (slots.slotOf(known) !== (model.get(known) ?? -1)) return false;
          }
          return true;
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
