import { N32fCryptoError } from './errors';
import { MAX_SEQ } from './nonce';
import type { ReplayVerdict } from './replay-window';

/** Default SEQs per chunk: one bitmap of 1024 bits (128 bytes). */
export const REPLAY_CHUNK_SIZE = 1024;
/** Default chunks kept per (context, direction): 64, i.e. 8 KiB of bitmaps. */
export const REPLAY_MAX_CHUNKS = 64;

/**
 * Receiver-side replay protection for one (N32-f context, direction) that tolerates senders which
 * use SEQs out of order by a lot: a sending SEPP that runs as several replicas reserves blocks of
 * SEQs per replica, so SEQs from far-apart blocks arrive interleaved (N32-DIGEST §5.6 leaves the
 * receiver's check to us).
 *
 * The SEQ space is cut into chunks of `chunkSize`; the window keeps a bitmap for at most `maxChunks`
 * chunks and a `floor` below which every SEQ is refused:
 *   - SEQ below the floor                      -> too-old (cannot tell whether it was seen)
 *   - SEQ in a kept chunk, its bit set         -> replayed
 *   - anything else                            -> fresh (accepted once)
 * Accepting a SEQ of a chunk not kept yet adds that chunk; with more than `maxChunks` the LOWEST
 * chunk goes and the floor rises to its end. Since only the lowest chunk is ever dropped, a chunk
 * at or above the floor that is not kept never had a SEQ accepted: the check is exact above the
 * floor, and memory is bounded (`maxChunks * chunkSize / 8` bytes).
 *
 * `check` has no side effect (it may run before decryption); `accept` must run only after the JWE
 * authenticated. The shared store's script (packages/server state) implements the same rules.
 */
export class ChunkedReplayWindow {
  private readonly chunks = new Map<number, Uint32Array>();
  private floorSeq = 0;

  constructor(
    readonly chunkSize: number = REPLAY_CHUNK_SIZE,
    readonly maxChunks: number = REPLAY_MAX_CHUNKS,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 32 || chunkSize % 32 !== 0) throw new RangeError('chunk size must be a positive multiple of 32');
    if (!Number.isInteger(maxChunks) || maxChunks < 1) throw new RangeError('maxChunks must be a positive integer');
  }

  /** Every SEQ below this is refused as too old. */
  get floor(): number {
    return this.floorSeq;
  }

  check(seq: number): ReplayVerdict {
    assertSeq(seq);
    if (seq < this.floorSeq) return 'too-old';
    const bitmap = this.chunks.get(Math.floor(seq / this.chunkSize));
    if (!bitmap) return 'fresh';
    const offset = seq % this.chunkSize;
    return (bitmap[offset >>> 5]! & (1 << (offset & 31))) !== 0 ? 'replayed' : 'fresh';
  }

  /** Records an authenticated SEQ; throws N32fCryptoError ('replayed' / 'too-old') when it is not fresh. */
  accept(seq: number): void {
    const verdict = this.check(seq);
    if (verdict !== 'fresh') throw new N32fCryptoError(verdict, `SEQ ${seq} is ${verdict === 'replayed' ? 'a replay' : 'below the replay window'}`);
    const index = Math.floor(seq / this.chunkSize);
    let bitmap = this.chunks.get(index);
    if (!bitmap) {
      bitmap = new Uint32Array(this.chunkSize / 32);
      this.chunks.set(index, bitmap);
      if (this.chunks.size > this.maxChunks) {
        const lowest = Math.min(...this.chunks.keys());
        this.chunks.delete(lowest);
        this.floorSeq = Math.max(this.floorSeq, (lowest + 1) * this.chunkSize);
        if (lowest === index) return;
      }
    }
    const offset = seq % this.chunkSize;
    bitmap[offset >>> 5]! |= 1 << (offset & 31);
  }
}

function assertSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`SEQ must be an integer in 0..${MAX_SEQ}`);
}
