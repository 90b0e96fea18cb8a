import { createHmac } from 'node:crypto';
import { N32F_CONTEXT_ID_PATTERN } from '../../models/patterns';

/**
 * N32-KDF (TS 33.501 13.2.4.4.1; N32-DIGEST §5.5, DECISIONS §6):
 *
 *   N32-KDF(label, L) = HKDF-Expand(PRK = master key, info = "N32" || N32-f-Context-ID || label, L)
 *
 * Expand ONLY: the TLS-exported master key is already uniformly random, and the spec feeds it to
 * Expand directly. Node's `hkdf`/`hkdfSync` always run Extract first (even with an empty salt) and
 * so produce a different key (N32-DIGEST Appendix A shows both); they must not be used here.
 */

/** TLS exporter label (IANA-registered) for the N32 master key; context = empty, length = 64. */
export const TLS_EXPORTER_LABEL = 'EXPORTER_3GPP_N32_MASTER';
/** Octets exported from the first N32-c TLS session. */
export const MASTER_KEY_LENGTH = 64;

const SHA256_LENGTH = 32;
/** RFC 5869 §2.3: L <= 255 * HashLen. */
const HKDF_MAX_OUTPUT = 255 * SHA256_LENGTH;

/** The eight N32-KDF labels (33.501 13.2.4.4.1), exactly as they go into `info`. */
export const N32KdfLabel = {
  PARALLEL_REQUEST_KEY: 'parallel_request_key',
  PARALLEL_RESPONSE_KEY: 'parallel_response_key',
  REVERSE_REQUEST_KEY: 'reverse_request_key',
  REVERSE_RESPONSE_KEY: 'reverse_response_key',
  PARALLEL_REQUEST_IV_SALT: 'parallel_request_iv_salt',
  PARALLEL_RESPONSE_IV_SALT: 'parallel_response_iv_salt',
  REVERSE_REQUEST_IV_SALT: 'reverse_request_iv_salt',
  REVERSE_RESPONSE_IV_SALT: 'reverse_response_iv_salt',
} as const;
export type N32KdfLabel = (typeof N32KdfLabel)[keyof typeof N32KdfLabel];

/**
 * HKDF-Expand with HMAC-SHA-256 (RFC 5869 §2.3):
 *   T(0) = empty; T(i) = HMAC(PRK, T(i-1) || info || i); OKM = first L octets of T(1) || T(2) || ...
 * Throws RangeError for a PRK shorter than HashLen (RFC 5869 requires at least HashLen octets) or an
 * L outside 1..255*HashLen; both are caller bugs, not protocol input.
 */
export function hkdfExpandSha256(prk: Uint8Array, info: Uint8Array | string, length: number): Buffer {
  if (prk.byteLength < SHA256_LENGTH) throw new RangeError(`HKDF-Expand PRK must be at least ${SHA256_LENGTH} octets`);
  if (!Number.isInteger(length) || length < 1 || length > HKDF_MAX_OUTPUT) {
    throw new RangeError(`HKDF-Expand length must be an integer in 1..${HKDF_MAX_OUTPUT}`);
  }
  const infoBytes = typeof info === 'string' ? Buffer.from(info, 'utf8') : info;
  const blocks: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(0);
  for (let i = 1; i <= Math.ceil(length / SHA256_LENGTH); i++) {
    previous = createHmac('sha256', prk).update(previous).update(infoBytes).update(Uint8Array.of(i)).digest();
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/**
 * One N32-KDF run. `contextId` is the 16-hex-character N32-f context ID used as its ASCII bytes,
 * exactly as transmitted (no hex decoding, no case folding: both SEPPs use the same string).
 * Per DECISIONS §6 callers pass the INITIATING SEPP's n32fContextId for all eight derivations.
 */
export function n32Kdf(master: Uint8Array, contextId: string, label: N32KdfLabel, length: number): Buffer {
  if (master.byteLength !== MASTER_KEY_LENGTH) throw new RangeError(`N32 master key must be ${MASTER_KEY_LENGTH} octets`);
  if (!N32F_CONTEXT_ID_PATTERN.test(contextId)) throw new TypeError('N32-f context ID must be 16 hex characters');
  return hkdfExpandSha256(master, Buffer.from(`N32${contextId}${label}`, 'ascii'), length);
}
