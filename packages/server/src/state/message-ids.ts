/**
 * The `messageId`s one (context, kind) has accepted, at most `limit`; past it the one with the
 * lowest SEQ goes first, as in the Redis adapter's sorted set (`ZREMRANGEBYRANK`). A map for the
 * lookup and a binary min-heap of SEQs for the eviction: O(log n) per message. (Finding the lowest
 * SEQ by scanning the map cost 100 us per message once a context had received `limit` messages.)
 */
export class MessageIdsBySeq {
  private readonly seqOf = new Map<string, number>();
  /** Heap order on `seqs`; `ids[i]` is the messageId of `seqs[i]`. */
  private readonly seqs: number[] = [];
  private readonly ids: string[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('the messageId limit must be a positive integer');
  }

  get size(): number {
    return this.seqOf.size;
  }

  has(messageId: string): boolean {
    return this.seqOf.has(messageId);
  }

  /** Records a messageId not held yet (callers check `has` first); evicts the lowest SEQ past the limit. */
  add(messageId: string, seq: number): void {
    if (this.seqOf.has(messageId)) throw new RangeError(`messageId ${messageId} is already held`);
    this.seqOf.set(messageId, seq);
    this.push(seq, messageId);
    if (this.seqOf.size > this.limit) this.seqOf.delete(this.popLowest());
  }

  private push(seq: number, id: string): void {
    const { seqs, ids } = this;
    let i = seqs.length;
    seqs.push(seq);
    ids.push(id);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (seqs[parent]! <= seq) break;
      seqs[i] = seqs[parent]!;
      ids[i] = ids[parent]!;
      i = parent;
    }
    seqs[i] = seq;
    ids[i] = id;
  }

  private popLowest(): string {
    const { seqs, ids } = this;
    const lowest = ids[0]!;
    const lastSeq = seqs.pop()!;
    const lastId = ids.pop()!;
    const n = seqs.length;
    if (n === 0) return lowest;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && seqs[child + 1]! < seqs[child]!) child += 1;
      if (seqs[child]! >= lastSeq) break;
      seqs[i] = seqs[child]!;
      ids[i] = ids[child]!;
      i = child;
    }
    seqs[i] = lastSeq;
    ids[i] = lastId;
    return lowest;
  }
}
