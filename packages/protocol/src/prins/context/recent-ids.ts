/**
 * The last `capacity` IDs added, first in first out, with `has` and `add` in constant time.
 *
 * A receiving context remembers 65,536 messageIds: as strings in a Set that was about 4.5 MiB of
 * V8 heap per context, every string traced by each full collection. An ID in the form our sender
 * and most others use, 16 lower-case hex digits (64 bits), is held as two 32-bit words instead, in
 * a ring with an open-addressing index beside it (typed arrays, about 1 MiB at full capacity,
 * allocated on the first such ID, never traced); any other ID, as it is, in a Set. IDs are compared
 * exactly either way: `ABCDEF0123456789` and `abcdef0123456789` are different IDs.
 *
 * (Evicting from an insertion-ordered Set with `set.values().next()` walks every entry deleted since
 * its last rehash: about 20 us per message once 65,536 IDs were held. The ring knows the oldest.)
 */
export class RecentIds {
  /** Words of the hex ID in each ring slot (valid where `others` has no entry for the slot). */
  private hi: Uint32Array | undefined;
  private lo: Uint32Array | undefined;
  /** Open addressing, linear probing: ring slot + 1, 0 for empty. Twice the capacity, a power of two. */
  private index: Int32Array | undefined;
  private mask = 0;
  /** Ring slots holding an ID not in hex form, and those IDs for the lookup. */
  private readonly others = new Map<number, string>();
  private readonly otherIds = new Set<string>();
  /** Ring slots used so far (up to capacity), and the slot of the oldest ID once it is full. */
  private used = 0;
  private oldest = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 28) throw new RangeError('the capacity must be an integer in 1..2^28');
  }

  get size(): number {
    return this.used;
  }

  has(id: string): boolean {
    return readHex(id) ? this.find(wordHi, wordLo) >= 0 : this.otherIds.has(id);
  }

  /** Adds an ID not held yet (one held already stays where it is); the oldest goes past the capacity. */
  add(id: string): void {
    const hex = readHex(id);
    const hi = wordHi;
    const lo = wordLo;
    if (hex ? this.find(hi, lo) >= 0 : this.otherIds.has(id)) return;
    let slot: number;
    if (this.used < this.capacity) {
      slot = this.used++;
    } else {
      slot = this.oldest;
      this.oldest = (this.oldest + 1) % this.capacity;
      this.evict(slot);
    }
    if (!hex) {
      this.others.set(slot, id);
      this.otherIds.add(id);
      return;
    }
    this.allocate();
    this.hi![slot] = hi;
    this.lo![slot] = lo;
    let at = home(hi, lo, this.mask);
    while (this.index![at] !== 0) at = (at + 1) & this.mask;
    this.index![at] = slot + 1;
  }

  private allocate(): void {
    if (this.index) return;
    let size = 2;
    while (size < this.capacity * 2) size *= 2;
    this.hi = new Uint32Array(this.capacity);
    this.lo = new Uint32Array(this.capacity);
    this.index = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The index position of the hex ID (hi, lo), or -1. */
  private find(hi: number, lo: number): number {
    const index = this.index;
    if (!index) return -1;
    for (let at = home(hi, lo, this.mask); ; at = (at + 1) & this.mask) {
      const entry = index[at]!;
      if (entry === 0) return -1;
      if (this.hi![entry - 1] === hi && this.lo![entry - 1] === lo) return at;
    }
  }

  private evict(slot: number): void {
    const other = this.others.get(slot);
    if (other !== undefined) {
      this.others.delete(slot);
      this.otherIds.delete(other);
      return;
    }
    const index = this.index!;
    const mask = this.mask;
    let hole = home(this.hi![slot]!, this.lo![slot]!, mask);
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward-shift deletion: move up every later entry of the run that may fill the hole.
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const entry = index[next]! - 1;
      const want = home(this.hi![entry]!, this.lo![entry]!, mask);
      // The entry stays when its home lies cyclically in (hole, next].
      const stays = hole <= next ? want > hole && want <= next : want > hole || want <= next;
      if (stays) continue;
      index[hole] = index[next]!;
      hole = next;
    }
    index[hole] = 0;
  }
}

/** The two 32-bit words of the last ID {@link readHex} read (no array per call). */
let wordHi = 0;
let wordLo = 0;

/** True, with the words in wordHi and wordLo, for 16 lower-case hex digits; false for any other string. */
function readHex(id: string): boolean {
  if (id.length !== 16) return false;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 16; i++) {
    const c = id.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return false;
    if (i < 8) hi = hi * 16 + digit;
    else lo = lo * 16 + digit;
  }
  wordHi = hi;
  wordLo = lo;
  return true;
}

/** A mix of both words (IDs need not be random: a peer may count). */
function home(hi: number, lo: number, mask: number): number {
  let h = Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b) ^ lo;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) & mask;
}
