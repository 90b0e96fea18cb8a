import { N32fErrorType, PrinsError } from '../n32f-error';

/**
 * Why a PRINS crypto operation refused a message (or refused to produce one). The reason is for logs
 * and tests; what goes on the wire is the N32fErrorType it maps to, fixed here in one table so the
 * JWE decoder, the replay window and the nonce counter cannot drift apart.
 *
 * The split (N32-DIGEST §5.4 "Receiver", §5.6, §5.8 step 1, §5.9; our choice where they are silent):
 * - DECIPHERING_FAILED: the JWE cannot even be deciphered under the negotiated parameters, i.e. it is
 *   structurally wrong before any key is used: a member missing or not strict base64url, a protected
 *   header that is not a JSON object, `alg` other than `dir`, `enc` other than the negotiated one,
 *   `zip`/`crit`, a non-empty `encrypted_key` or unprotected header, an IV that is not 12 bytes or a
 *   tag that is not 16 bytes. Nothing was authenticated yet; the sender is misconfigured or broken.
 * - INTEGRITY_CHECK_FAILED: the message is well formed but is not an authentic, fresh message for
 *   this direction: the AES-GCM tag does not verify (tampered protected/aad/iv/ciphertext/tag, or a
 *   wrong key: GCM cannot tell those apart), the IV salt belongs to another direction (a reflected or
 *   cross-direction message), or the SEQ was already seen / fell out of the window (the digest §5.6:
 *   "there is no dedicated replay value").
 * - ENCRYPTION_KEY_EXPIRED: our own sending counter is used up; the context must be re-keyed with a
 *   new N32-f context ID (§5.5 "never let SEQ wrap").
 */
export const N32fCryptoFailure = {
  MALFORMED_JWE: 'malformed-jwe',
  UNSUPPORTED_HEADER: 'unsupported-header',
  BAD_IV: 'bad-iv',
  BAD_TAG: 'bad-tag',
  SALT_MISMATCH: 'salt-mismatch',
  AUTHENTICATION_FAILED: 'authentication-failed',
  REPLAYED: 'replayed',
  TOO_OLD: 'too-old',
  NONCE_EXHAUSTED: 'nonce-exhausted',
} as const;
export type N32fCryptoFailure = (typeof N32fCryptoFailure)[keyof typeof N32fCryptoFailure];

export const N32F_CRYPTO_FAILURE_TYPE: Readonly<Record<N32fCryptoFailure, N32fErrorType>> = {
  'malformed-jwe': N32fErrorType.DECIPHERING_FAILED,
  'unsupported-header': N32fErrorType.DECIPHERING_FAILED,
  'bad-iv': N32fErrorType.DECIPHERING_FAILED,
  'bad-tag': N32fErrorType.DECIPHERING_FAILED,
  'salt-mismatch': N32fErrorType.INTEGRITY_CHECK_FAILED,
  'authentication-failed': N32fErrorType.INTEGRITY_CHECK_FAILED,
  replayed: N32fErrorType.INTEGRITY_CHECK_FAILED,
  'too-old': N32fErrorType.INTEGRITY_CHECK_FAILED,
  'nonce-exhausted': N32fErrorType.ENCRYPTION_KEY_EXPIRED,
};

/** A PrinsError whose `type` is derived from a finer `reason` (see N32F_CRYPTO_FAILURE_TYPE). */
export class N32fCryptoError extends PrinsError {
  constructor(
    readonly reason: N32fCryptoFailure,
    detail: string,
  ) {
    super(N32F_CRYPTO_FAILURE_TYPE[reason], detail);
  }
}
