import { N32fCryptoError } from './errors';
import { MAX_SEQ } from './nonce';

/**
 * Receiver-side replay protection for one (N32-f context, direction key) (N32-DIGEST §5.6 [D]).
 *
 * The spec says the context holds counters but not how the receiver checks them. HTTP/2 streams may
 * be processed out of order, so a strict "SEQ must increase" rule would drop legitimate messages.
 * Instead (like IPsec ESP, RFC 4303 §3.4.3) we keep the highest SEQ accepted and a bitmap of the
 * `size` SEQs ending at it:
 *   - SEQ above the highest                           -> fresh
 *   - SEQ within the window, its bit not set          -> fresh (reordered; accepted once)
 *   - SEQ within the window, its bit set              -> replayed
 *   - SEQ at or below highest - size                  -> too-old (cannot tell whether it was seen)
 *
 * `check` is cheap and side-effect free, so it can run before decryption; `accept` records the SEQ
 * and must run only AFTER the JWE authenticated, otherwise a forged message could burn SEQs of
 * legitimate ones.
 */
export const REPLAY_WINDOW_SIZE = 1024;

export type ReplayVerdict = 'fresh' | 'replayed' | 'too-old';

export class ReplayWindow {
  /** Bit i%size of the ring marks SEQ i as accepted, for SEQs in (highest - size, highest]. */
  private readonly bitmap: Uint32Array;
  /** -1 until the first SEQ is accepted. */
  private highest = -1;

  constructor(readonly size: number = REPLAY_WINDOW_SIZE) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) throw new RangeError('replay window size must be a positive multiple of 32');
    this.bitmap = new Uint32Array(size / 32);
  }

  /** The highest SEQ accepted so far, or null before the first one. */
  get highestSeen(): number | null {
    return this.highest < 0 ? null : this.highest;
  }

  check(seq: number): ReplayVerdict {
    assertSeq(seq);
    if (seq > this.highest) return 'fresh';
    if (this.highest - seq >= this.size) return 'too-old';
    return this.isMarked(seq) ? 'replayed' : 'fresh';
  }

  /**
   * Records an authenticated SEQ. Throws N32fCryptoError ('replayed' / 'too-old', both
   * INTEGRITY_CHECK_FAILED) when it is not fresh, so a caller that skipped `check` still cannot
   * accept a message twice.
   */
  accept(seq: number): void {
    const verdict = this.check(seq);
    if (verdict !== 'fresh') throw new N32fCryptoError(verdict, `SEQ ${seq} is ${verdict === 'replayed' ? 'a replay' : 'outside the replay window'}`);
    if (seq > this.highest) this.slideTo(seq);
    this.bitmap[this.word(seq)]! |= this.bit(seq);
  }

  /** Moves the window top to `seq`, clearing the slots of SEQs that enter it. */
  private slideTo(seq: number): void {
    if (seq - this.highest >= this.size) {
      this.bitmap.fill(0);
    } else {
      for (let s = this.highest + 1; s <= seq; s++) this.bitmap[this.word(s)]! &= ~this.bit(s);
    }
    this.highest = seq;
  }

  private isMarked(seq: number): boolean {
    return (this.bitmap[this.word(seq)]! & this.bit(seq)) !== 0;
  }

  private word(seq: number): number {
    return (seq % this.size) >>> 5;
  }

  private bit(seq: number): number {
    return 1 << (seq & 31);
  }
}

function assertSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`SEQ must be an integer in 0..${MAX_SEQ}`);
}
