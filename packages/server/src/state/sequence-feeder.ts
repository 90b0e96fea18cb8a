import { BlockNonceSequence, N32fCryptoError, type Nonce, type NonceSource } from '@sepp/protocol';
import type { MessageKind, N32StateStore } from './state-store';

/**
 * A block is used for at most this long while the store is reachable: the receiver's replay window
 * (ChunkedReplayWindow: 64 chunks of 1024 SEQs) refuses SEQs that fall more than ~64,000 below what
 * the other replicas send, so a replica that sends little must not keep an old block for ever.
 */
export const BLOCK_MAX_AGE_MS = 5_000;

/** The context's counter is gone from the store (terminated, retired, or the store lost it). */
export class ContextGoneError extends Error {
  override readonly name = 'ContextGoneError';
}

/**
 * Feeds one send direction of one context with SEQ blocks reserved in the state store (README
 * "Running a cluster": no store round trip per message). It keeps the block in use and, once
 * half of it is spent, reserves the next one ahead; `ready()` resolves when a SEQ is in hand.
 */
export class SequenceFeeder implements NonceSource {
  readonly sequence: BlockNonceSequence;
  private pending: Promise<void> | null = null;
  private readonly reservedAt: number[] = [];
  private gone = false;

  constructor(
    private readonly store: N32StateStore,
    private readonly contextId: string,
    private readonly kind: MessageKind,
    private readonly blockSize: number,
    salt: Buffer,
    start: number,
    private readonly onReserveError: (error: Error) => void,
  ) {
    this.sequence = new BlockNonceSequence(salt, start);
  }

  get remaining(): number {
    return this.sequence.remaining;
  }

  next(): Nonce {
    this.topUp();
    const before = this.sequence.blockCount;
    const nonce = this.sequence.next();
    if (this.sequence.blockCount < before) this.reservedAt.shift();
    return nonce;
  }

  /** Resolves once a SEQ is in hand; rejects when the store cannot reserve one or the context is gone. */
  async ready(): Promise<void> {
    while (this.sequence.available === 0) {
      if (this.gone) throw new ContextGoneError(`N32-f context ${this.contextId} is no longer in the state store`);
      if (this.sequence.remaining === 0) throw new N32fCryptoError('nonce-exhausted', 'SEQ space of this context is used up');
      await (this.pending ?? this.reserve());
    }
  }

  /** Reserves ahead when the block in use is half spent or too old. */
  private topUp(): void {
    if (this.pending || this.gone) return;
    const available = this.sequence.available;
    const old = this.reservedAt.length > 0 && Date.now() - this.reservedAt[0]! > BLOCK_MAX_AGE_MS && this.store.health().up;
    if ((available < this.blockSize / 2 && this.sequence.blockCount < 2) || (old && this.sequence.blockCount < 2)) {
      void this.reserve().catch(() => undefined);
    }
  }

  private reserve(): Promise<void> {
    this.pending ??= (async () => {
      try {
        const block = await this.store.reserveSequences(this.contextId, this.kind, this.blockSize, this.sequence.highestReserved);
        if (block === 'unknown-context') {
          this.gone = true;
          return;
        }
        // A fresher block replaces one older than the bound (its SEQs would be too old for the receiver).
        while (this.reservedAt.length > 0 && Date.now() - this.reservedAt[0]! > BLOCK_MAX_AGE_MS && this.sequence.blockCount > 0) {
          this.sequence.dropCurrent();
          this.reservedAt.shift();
        }
        this.sequence.addBlock(block.start, block.end);
        if (block.start < 2 ** 32) this.reservedAt.push(Date.now());
      } catch (error) {
        this.onReserveError(error as Error);
        throw error;
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }
}
