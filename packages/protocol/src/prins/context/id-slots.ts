/**
 * Message IDs held in numbered slots, found by ID in constant time: what a receiver remembers to
 * refuse a repeated messageId ({@link RecentIds} in a context, the memory state store's IDs by SEQ).
 *
 * An ID in the form our sender and most others use, 16 lower-case hex digits (64 bits), is held as
 * two 32-bit words in typed arrays (outside the V8 heap, never traced by a collection) with an
 * open-addressing index beside them; any other ID as it is, in maps. IDs are compared exactly:
 * `ABCDEF0123456789` and `abcdef0123456789` are different IDs.
 *
 * The arrays grow with the highest slot used, doubling from 16 slots up to `capacity`, so that
 * memory follows what a context has received: a context with a few messages costs a few
 * kilobytes, a full one of 65,536 IDs about 1.1 MiB (as strings in a Set it was about 4.5 MiB of
 * heap).
 */
export class IdSlots {
  /** The two words of the hex ID in each slot (meaningful where `kind` is HEX). */
  private hi = new Uint32Array(0);
  private lo = new Uint32Array(0);
  /** EMPTY, HEX or OTHER, per slot. */
  private kind = new Uint8Array(0);
  /** Open addressing, linear probing: slot + 1, 0 for empty. At least twice the slots, a power of two. */
  private index = new Int32Array(0);
  private mask = -1;
  /** IDs not in hex form: by slot, and the slot of each. */
  private readonly otherBySlot = new Map<number, string>();
  private readonly slotOfOther = new Map<string, number>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 2 ** 28) throw new RangeError('the capacity must be an integer in 1..2^28');
  }

  /** Bytes of the typed arrays as allocated now (the IDs in no hex form are on the heap besides). */
  get allocatedBytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.kind.byteLength + this.index.byteLength;
  }

  /** The slot holding `id`, or -1. */
  slotOf(id: string): number {
    const words = hexWords(id);
    if (!words) return this.slotOfOther.get(id) ?? -1;
    const at = this.find(words.hi, words.lo);
    return at < 0 ? -1 : this.index[at]! - 1;
  }

  /** Puts an ID into an empty slot (in 0..capacity-1). The caller checked that no slot holds it yet. */
  put(slot: number, id: string): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) throw new RangeError(`slot ${slot} is outside 0..${this.capacity - 1}`);
    if (slot < this.kind.length && this.kind[slot] !== EMPTY) throw new RangeError(`slot ${slot} is not empty`);
    if (slot >= this.kind.length) this.grow(slot);
    const words = hexWords(id);
    if (!words) {
      this.kind[slot] = OTHER;
      this.otherBySlot.set(slot, id);
      this.slotOfOther.set(id, slot);
      return;
    }
    this.kind[slot] = HEX;
    this.hi[slot] = words.hi;
    this.lo[slot] = words.lo;
    this.insert(slot);
  }

  /** Empties a slot (an empty one stays empty). */
  clear(slot: number): void {
    const kind = slot >= 0 && slot < this.kind.length ? this.kind[slot] : EMPTY;
    if (kind === EMPTY) return;
    this.kind[slot] = EMPTY;
    if (kind === OTHER) {
      this.slotOfOther.delete(this.otherBySlot.get(slot)!);
      this.otherBySlot.delete(slot);
      return;
    }
    const { index, mask } = this;
    let hole = home(this.hi[slot]!, this.lo[slot]!, mask);
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    // Backward-shift deletion: move up every later entry of the run that may fill the hole.
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const entry = index[next]! - 1;
      const want = home(this.hi[entry]!, this.lo[entry]!, mask);
      // The entry stays when its home lies cyclically in (hole, next].
      const stays = hole <= next ? want > hole && want <= next : want > hole || want <= next;
      if (stays) continue;
      index[hole] = index[next]!;
      hole = next;
    }
    index[hole] = 0;
  }

  /** The index position of the hex ID (hi, lo), or -1. */
  private find(hi: number, lo: number): number {
    const { index, mask } = this;
    if (index.length === 0) return -1;
    for (let at = home(hi, lo, mask); ; at = (at + 1) & mask) {
      const entry = index[at]!;
      if (entry === 0) return -1;
      if (this.hi[entry - 1] === hi && this.lo[entry - 1] === lo) return at;
    }
  }

  private insert(slot: number): void {
    let at = home(this.hi[slot]!, this.lo[slot]!, this.mask);
    while (this.index[at] !== 0) at = (at + 1) & this.mask;
    this.index[at] = slot + 1;
  }

  /** Room for `slot`: the arrays doubled (from 16) until it fits, at most `capacity`; the index rebuilt. */
  private grow(slot: number): void {
    let slots = Math.max(this.kind.length, Math.min(INITIAL_SLOTS, this.capacity));
    while (slots <= slot) slots = Math.min(slots * 2, this.capacity);
    const kind = new Uint8Array(slots);
    kind.set(this.kind);
    const hi = new Uint32Array(slots);
    hi.set(this.hi);
    const lo = new Uint32Array(slots);
    lo.set(this.lo);
    [this.kind, this.hi, this.lo] = [kind, hi, lo];
    let size = 2;
    while (size < slots * 2) size *= 2;
    this.index = new Int32Array(size);
    this.mask = size - 1;
    for (let held = 0; held < slots; held++) if (kind[held] === HEX) this.insert(held);
  }
}

const EMPTY = 0;
const HEX = 1;
const OTHER = 2;
const INITIAL_SLOTS = 16;

/** The words of 16 lower-case hex digits (one object reused: read them before the next call), or null. */
function hexWords(id: string): { hi: number; lo: number } | null {
  if (id.length !== 16) return null;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 16; i++) {
    const c = id.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return null;
    if (i < 8) hi = hi * 16 + digit;
    else lo = lo * 16 + digit;
  }
  WORDS.hi = hi;
  WORDS.lo = lo;
  return WORDS;
}

const WORDS = { hi: 0, lo: 0 };

/** A mix of both words (IDs need not be random: a peer may count). */
function home(hi: number, lo: number, mask: number): number {
  let h = Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b) ^ lo;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) & mask;
}
