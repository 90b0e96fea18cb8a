import { N32fCryptoError } from './errors';
import { IV_SALT_LENGTH } from './key-schedule';

/**
 * Deterministic 96-bit GCM nonces (NIST SP 800-38D §8.2.1; TS 33.501 13.2.4.4.1; N32-DIGEST §5.5):
 *
 *   nonce = IV salt (8 octets) || SEQ (32-bit unsigned, big-endian [D])
 *
 * SEQ starts at 0 and goes up by one for EVERY encryption under that salt; there is one counter per
 * salt, i.e. per direction. A (key, nonce) pair used twice leaks the GCM authentication key and the
 * XOR of the plaintexts, so the counter never wraps: after SEQ 2^32-1 the context is used up and
 * must be re-keyed with a new N32-f context ID.
 */
export const NONCE_LENGTH = 12;
export const MAX_SEQ = 0xffffffff;
const SEQ_SPACE = MAX_SEQ + 1;

export interface NonceSequenceOptions {
  /**
   * First SEQ to hand out (default 0). For tests near exhaustion, and for resuming a counter that was
   * persisted; never set it lower than a SEQ already used with this key.
   */
  readonly start?: number;
}

export interface Nonce {
  readonly iv: Buffer;
  readonly seq: number;
}

function assertSalt(salt: Uint8Array): void {
  if (salt.byteLength !== IV_SALT_LENGTH) throw new RangeError(`IV salt must be ${IV_SALT_LENGTH} octets`);
}

function isSeq(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_SEQ;
}

/** salt || big-endian SEQ. Throws RangeError on a bad salt or SEQ (caller bugs). */
export function buildNonce(salt: Uint8Array, seq: number): Buffer {
  assertSalt(salt);
  if (!isSeq(seq)) throw new RangeError(`SEQ must be an integer in 0..${MAX_SEQ}`);
  const iv = Buffer.alloc(NONCE_LENGTH);
  iv.set(salt, 0);
  iv.writeUInt32BE(seq, IV_SALT_LENGTH);
  return iv;
}

/**
 * The SEQ carried by a received IV, or null when the IV is not 12 octets or does not start with the
 * expected salt (a message for another direction or key).
 */
export function seqOf(iv: Uint8Array, expectedSalt: Uint8Array): number | null {
  assertSalt(expectedSalt);
  if (iv.byteLength !== NONCE_LENGTH) return null;
  const bytes = Buffer.from(iv.buffer, iv.byteOffset, iv.byteLength);
  if (!bytes.subarray(0, IV_SALT_LENGTH).equals(expectedSalt)) return null;
  return bytes.readUInt32BE(IV_SALT_LENGTH);
}

/**
 * The sending counter of one direction. `next()` is synchronous, so two concurrent sends on the
 * event loop can never observe the same SEQ; keep exactly one instance per (context, direction).
 */
export class NonceSequence {
  private readonly saltBytes: Buffer;
  private nextSeq: number;

  constructor(salt: Uint8Array, options: NonceSequenceOptions = {}) {
    assertSalt(salt);
    // Copy, so a caller mutating its buffer cannot change the nonces we produce.
    this.saltBytes = Buffer.from(salt);
    const start = options.start ?? 0;
    if (!isSeq(start)) throw new RangeError(`start must be an integer in 0..${MAX_SEQ}`);
    this.nextSeq = start;
  }

  get salt(): Buffer {
    return Buffer.from(this.saltBytes);
  }

  /** Nonces still available, counting the next one. */
  get remaining(): number {
    return SEQ_SPACE - this.nextSeq;
  }

  get exhausted(): boolean {
    return this.nextSeq >= SEQ_SPACE;
  }

  /** The next nonce; throws N32fCryptoError('nonce-exhausted' -> ENCRYPTION_KEY_EXPIRED) instead of wrapping. */
  next(): Nonce {
    if (this.exhausted) {
      throw new N32fCryptoError('nonce-exhausted', 'SEQ space of this IV salt is used up; re-key with a new N32-f context ID');
    }
    const seq = this.nextSeq;
    const iv = buildNonce(this.saltBytes, seq);
    // Advance only after the nonce exists, so a failure cannot skip or repeat a value.
    this.nextSeq = seq + 1;
    return { iv, seq };
  }
}
