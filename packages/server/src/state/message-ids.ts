import { IdSlots } from '@sepp/protocol';

/**
 * The `messageId`s one (context, kind) has accepted, at most `limit`; past it the one with the
 * lowest SEQ goes first, as in the Redis adapter's sorted set (`ZREMRANGEBYRANK`).
 *
 * The IDs sit in {@link IdSlots} (hex IDs as two words in typed arrays, others as strings); a
 * binary min-heap of (SEQ, slot) in typed arrays finds the lowest SEQ: O(log n) per message.
 * Every array grows with the IDs held, so a full (context, kind) of 16,384 IDs takes about
 * 0.45 MiB outside the V8 heap instead of 1.4 MiB of strings and map entries inside it. (Finding
 * the lowest SEQ by scanning a map cost 100 us per message once `limit` IDs were held.)
 */
export class MessageIdsBySeq {
  private readonly slots: IdSlots;
  /** Heap order on `seqs`; `slotAt[i]` is the slot of the ID whose SEQ is `seqs[i]`. */
  private seqs = new Float64Array(0);
  private slotAt = new Int32Array(0);
  /** IDs held; they occupy slots 0..held-1 (an evicted ID's slot takes the newcomer at once). */
  private held = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('the messageId limit must be a positive integer');
    this.slots = new IdSlots(limit);
  }

  get size(): number {
    return this.held;
  }

  /** Bytes of the typed arrays as allocated now (they grow with the IDs held). */
  get allocatedBytes(): number {
    return this.slots.allocatedBytes + this.seqs.byteLength + this.slotAt.byteLength;
  }

  has(messageId: string): boolean {
    return this.slots.slotOf(messageId) >= 0;
  }

  /** Records a messageId not held yet (callers check `has` first); past the limit the lowest SEQ goes. */
  add(messageId: string, seq: number): void {
    if (this.slots.slotOf(messageId) >= 0) throw new RangeError(`messageId ${messageId} is already held`);
    let slot = this.held;
    if (this.held === this.limit) {
      // The newcomer with the lowest SEQ goes at once (ZADD, then ZREMRANGEBYRANK 0 0).
      if (seq < this.seqs[0]!) return;
      slot = this.popLowest();
      this.slots.clear(slot);
    }
    this.slots.put(slot, messageId);
    this.push(seq, slot);
  }

  private push(seq: number, slot: number): void {
    if (this.held === this.seqs.length) {
      this.seqs = grown(this.seqs, this.limit);
      this.slotAt = grown(this.slotAt, this.limit);
    }
    const { seqs, slotAt } = this;
    let i = this.held++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (seqs[parent]! <= seq) break;
      seqs[i] = seqs[parent]!;
      slotAt[i] = slotAt[parent]!;
      i = parent;
    }
    seqs[i] = seq;
    slotAt[i] = slot;
  }

  /** Removes the lowest SEQ from the heap; returns its slot. */
  private popLowest(): number {
    const { seqs, slotAt } = this;
    const lowest = slotAt[0]!;
    const n = --this.held;
    const lastSeq = seqs[n]!;
    const lastSlot = slotAt[n]!;
    if (n === 0) return lowest;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && seqs[child + 1]! < seqs[child]!) child += 1;
      if (seqs[child]! >= lastSeq) break;
      seqs[i] = seqs[child]!;
      slotAt[i] = slotAt[child]!;
      i = child;
    }
    seqs[i] = lastSeq;
    slotAt[i] = lastSlot;
    return lowest;
  }
}

/** A copy of `array` with twice its length (16 at first), at most `max`. */
function grown<T extends Float64Array | Int32Array>(array: T, max: number): T {
  const length = Math.min(Math.max(16, array.length * 2), max);
  const copy = new (array.constructor as new (length: number) => T)(length);
  copy.set(array);
  return copy;
}
