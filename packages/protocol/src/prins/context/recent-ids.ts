/**
 * The last `capacity` IDs added, first in first out: `has` and `add` in constant time. A ring of
 * the IDs beside a Set for the lookup. (Evicting with `set.values().next()` walks over every entry
 * deleted since the Set's last rehash: about 20 us per message once 65,536 IDs were held.) The ring
 * grows as IDs come, so a context that never receives costs nothing.
 */
export class RecentIds {
  private readonly held = new Set<string>();
  private readonly ring: string[] = [];
  private oldest = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('the capacity must be a positive integer');
  }

  get size(): number {
    return this.held.size;
  }

  has(id: string): boolean {
    return this.held.has(id);
  }

  /** Adds an ID not held yet (one held already stays where it is); the oldest goes past the capacity. */
  add(id: string): void {
    if (this.held.has(id)) return;
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
    } else {
      this.held.delete(this.ring[this.oldest]!);
      this.ring[this.oldest] = id;
      this.oldest = (this.oldest + 1) % this.capacity;
    }
    this.held.add(id);
  }
}
