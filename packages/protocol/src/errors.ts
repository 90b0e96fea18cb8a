import type { InvalidParam } from './models/common-data';

/**
 * Stable error codes of the protocol layer. They carry no HTTP status: the server maps each code
 * to a status in one table. The TS 29.500 `cause` to put on the wire travels with the error.
 */
export const N32ErrorCode = {
  /** The body is not a JSON object, or not JSON at all. */
  INVALID_MSG_FORMAT: 'INVALID_MSG_FORMAT',
  /** A mandatory attribute is absent. */
  MANDATORY_IE_MISSING: 'MANDATORY_IE_MISSING',
  /** A mandatory attribute has a value the schema does not allow. */
  MANDATORY_IE_INCORRECT: 'MANDATORY_IE_INCORRECT',
  /** An optional attribute has a value the schema does not allow. */
  OPTIONAL_IE_INCORRECT: 'OPTIONAL_IE_INCORRECT',
  /** The peer's certificate does not prove the identity it claims (`sender`, PLMN IDs). */
  IDENTITY_MISMATCH: 'IDENTITY_MISMATCH',
  /** The sender is not a configured roaming partner and unknown peers are refused. */
  UNKNOWN_PEER: 'UNKNOWN_PEER',
  /** The request targets a PLMN this SEPP does not serve. */
  TARGET_PLMN_NOT_SERVED: 'TARGET_PLMN_NOT_SERVED',
  /** Every intended N32 purpose was rejected by local policy. */
  USAGE_PURPOSE_REJECTED: 'USAGE_PURPOSE_REJECTED',
} as const;
export type N32ErrorCode = (typeof N32ErrorCode)[keyof typeof N32ErrorCode];

/** The TS 29.500 application error cause that goes with each code (DECISIONS.md §8). */
export const N32_ERROR_CAUSE: Readonly<Record<N32ErrorCode, string>> = {
  INVALID_MSG_FORMAT: 'INVALID_MSG_FORMAT',
  MANDATORY_IE_MISSING: 'MANDATORY_IE_MISSING',
  MANDATORY_IE_INCORRECT: 'MANDATORY_IE_INCORRECT',
  OPTIONAL_IE_INCORRECT: 'OPTIONAL_IE_INCORRECT',
  IDENTITY_MISMATCH: 'UNSPECIFIED',
  UNKNOWN_PEER: 'UNSPECIFIED',
  TARGET_PLMN_NOT_SERVED: 'UNSPECIFIED',
  USAGE_PURPOSE_REJECTED: 'UNSPECIFIED',
};

export class N32Error extends Error {
  override readonly name = 'N32Error';
  override readonly cause: string;

  constructor(
    readonly code: N32ErrorCode,
    readonly detail: string,
    readonly invalidParams: readonly InvalidParam[] = [],
  ) {
    super(detail);
    this.cause = N32_ERROR_CAUSE[code];
  }
}
