import { N32fCryptoError } from './errors';
import { buildNonce, MAX_SEQ, type Nonce } from './nonce';
import { IV_SALT_LENGTH } from './key-schedule';

const SEQ_SPACE = MAX_SEQ + 1;

/** Where an N32-f context takes the nonces of one direction it sends on. */
export interface NonceSource {
  /** The next nonce; throws instead of ever repeating one. */
  next(): Nonce;
  /** SEQs left before the direction is used up (counting what other senders may still take). */
  readonly remaining: number;
}

/** No reserved SEQ is in hand right now: reserve a block, then try again. */
export class NonceBlockPending extends Error {
  override readonly name = 'NonceBlockPending';
}

/**
 * The sending counter of one direction when several processes send on the same context (replicas
 * of one SEPP): each process only uses SEQs of blocks reserved for it (atomically, by the shared
 * store), so no two processes ever use the same (key, nonce). Blocks are used in the order they
 * were added; a block is never used twice. `next()` is synchronous; when no SEQ is in hand it
 * throws NonceBlockPending (the caller reserves a block and retries), and once the SEQ space is
 * used up, N32fCryptoError('nonce-exhausted').
 */
export class BlockNonceSequence implements NonceSource {
  private readonly saltBytes: Buffer;
  private readonly blocks: { next: number; end: number }[] = [];
  /** End of the highest block reserved so far (what the shared counter was at least at). */
  private reservedUpTo: number;
  private spent = false;

  constructor(salt: Uint8Array, start = 0) {
    if (salt.byteLength !== IV_SALT_LENGTH) throw new RangeError(`IV salt must be ${IV_SALT_LENGTH} octets`);
    this.saltBytes = Buffer.from(salt);
    this.reservedUpTo = start;
  }

  /** Adds the block [start, end) (end exclusive, clamped to the SEQ space). */
  addBlock(start: number, end: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) throw new RangeError(`bad SEQ block [${start}, ${end})`);
    this.reservedUpTo = Math.max(this.reservedUpTo, end);
    if (start >= SEQ_SPACE) {
      this.spent = true;
      return;
    }
    this.blocks.push({ next: start, end: Math.min(end, SEQ_SPACE) });
  }

  /** The shared counter is past the SEQ space: nothing more will ever be reserved. */
  markSpent(): void {
    this.spent = true;
  }

  /** SEQs in hand (reserved for us, not used yet). */
  get available(): number {
    return this.blocks.reduce((sum, block) => sum + (block.end - block.next), 0);
  }

  /** Blocks in hand, the current one included. */
  get blockCount(): number {
    return this.blocks.length;
  }

  /** The highest SEQ end reserved for us so far (a floor for later reservations). */
  get highestReserved(): number {
    return this.reservedUpTo;
  }

  get remaining(): number {
    return this.available + (this.spent ? 0 : Math.max(0, SEQ_SPACE - this.reservedUpTo));
  }

  /** Drops the SEQs left in the current block (an old block: the receiver's window moved on). */
  dropCurrent(): void {
    this.blocks.shift();
  }

  next(): Nonce {
    const block = this.blocks[0];
    if (!block) {
      if (this.spent || this.reservedUpTo >= SEQ_SPACE) throw new N32fCryptoError('nonce-exhausted', 'SEQ space of this IV salt is used up; re-key with a new N32-f context ID');
      throw new NonceBlockPending('no reserved SEQ block in hand');
    }
    const seq = block.next;
    const iv = buildNonce(this.saltBytes, seq);
    block.next = seq + 1;
    if (block.next >= block.end) this.blocks.shift();
    return { iv, seq };
  }
}
