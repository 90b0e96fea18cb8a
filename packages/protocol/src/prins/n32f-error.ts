/** TS 29.573 N32fErrorType (open enumeration; these are the values we produce and act on). */
export const N32fErrorType = {
  INTEGRITY_CHECK_FAILED: 'INTEGRITY_CHECK_FAILED',
  INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED: 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED',
  MODIFICATIONS_INSTRUCTIONS_FAILED: 'MODIFICATIONS_INSTRUCTIONS_FAILED',
  DECIPHERING_FAILED: 'DECIPHERING_FAILED',
  MESSAGE_RECONSTRUCTION_FAILED: 'MESSAGE_RECONSTRUCTION_FAILED',
  CONTEXT_NOT_FOUND: 'CONTEXT_NOT_FOUND',
  INTEGRITY_KEY_EXPIRED: 'INTEGRITY_KEY_EXPIRED',
  ENCRYPTION_KEY_EXPIRED: 'ENCRYPTION_KEY_EXPIRED',
  POLICY_MISMATCH: 'POLICY_MISMATCH',
} as const;
export type N32fErrorType = (typeof N32fErrorType)[keyof typeof N32fErrorType];

/** TS 29.573 FailureReason of an N32fErrorDetail. */
export const MsgReconstructFailReason = {
  INVALID_JSON_POINTER: 'INVALID_JSON_POINTER',
  INVALID_INDEX_TO_ENCRYPTED_BLOCK: 'INVALID_INDEX_TO_ENCRYPTED_BLOCK',
  INVALID_HTTP_HEADER: 'INVALID_HTTP_HEADER',
} as const;
export type MsgReconstructFailReason = (typeof MsgReconstructFailReason)[keyof typeof MsgReconstructFailReason];

export interface N32fErrorDetailData {
  readonly attribute: string;
  readonly msgReconstructFailReason: MsgReconstructFailReason;
}

export interface FailedModificationData {
  readonly ipxId: string;
  readonly n32fErrorType: N32fErrorType;
}

/**
 * Why a protected N32-f message (or a PRINS parameter) was refused. Carries the N32fErrorType the
 * receiver reports in `n32f-error` (TS 29.573 N32fErrorInfo) and in the 403
 * ProblemDetailsMsgForwarding `cause`. Framework-free: no HTTP status here.
 */
export class PrinsError extends Error {
  override readonly name = 'PrinsError';
  constructor(
    readonly type: N32fErrorType,
    readonly detail: string,
    readonly errorDetails: readonly N32fErrorDetailData[] = [],
    readonly failedModifications: readonly FailedModificationData[] = [],
  ) {
    super(`${type}: ${detail}`);
  }
}
