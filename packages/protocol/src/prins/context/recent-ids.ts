import { IdSlots } from './id-slots';

/**
 * The last `capacity` IDs added, first in first out, with `has` and `add` in constant time: a ring
 * of {@link IdSlots} (hex IDs as two words in typed arrays that grow with use, others as strings).
 *
 * (Evicting from an insertion-ordered Set with `set.values().next()` walks every entry deleted since
 * its last rehash: about 20 us per message once 65,536 IDs were held. The ring knows the oldest.)
 */
export class RecentIds {
  private readonly slots: IdSlots;
  /** Ring slots used so far (up to capacity), and the slot of the oldest ID once it is full. */
  private used = 0;
  private oldest = 0;

  constructor(readonly capacity: number) {
    this.slots = new IdSlots(capacity);
  }

  get size(): number {
    return this.used;
  }

  /** Bytes of the typed arrays as allocated now (they grow with the IDs held). */
  get allocatedBytes(): number {
    return this.slots.allocatedBytes;
  }

  has(id: string): boolean {
    return this.slots.slotOf(id) >= 0;
  }

  /** Adds an ID not held yet (one held already stays where it is); the oldest goes past the capacity. */
  add(id: string): void {
    if (this.slots.slotOf(id) >= 0) return;
    let slot: number;
    if (this.used < this.capacity) {
      slot = this.used++;
    } else {
      slot = this.oldest;
      this.oldest = (this.oldest + 1) % this.capacity;
      this.slots.clear(slot);
    }
    this.slots.put(slot, id);
  }
}
