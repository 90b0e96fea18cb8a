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

  // N32-f, NF-facing side (cSEPP)
  /** The NF request names no target (no `3gpp-Sbi-Target-apiRoot`, no telescopic FQDN). */
  NF_TARGET_MISSING: 'NF_TARGET_MISSING',
  /** The target is not an apiRoot, not an FQDN of a PLMN, or in our own PLMN. */
  NF_TARGET_INVALID: 'NF_TARGET_INVALID',
  /** A telescopic label we never handed out. */
  UNKNOWN_TELESCOPIC_LABEL: 'UNKNOWN_TELESCOPIC_LABEL',
  /** No configured peer SEPP serves the target PLMN. */
  NO_PEER_FOR_PLMN: 'NO_PEER_FOR_PLMN',
  /** The peer has no agreed mechanism and the (re)negotiation failed. */
  N32_NOT_ESTABLISHED: 'N32_NOT_ESTABLISHED',
  /** The (re)negotiation did not finish within the bound. */
  N32_NEGOTIATION_TIMEOUT: 'N32_NEGOTIATION_TIMEOUT',
  /** The agreed mechanism cannot carry this request (PRINS forwarding, or no target-apiRoot support). */
  N32F_MECHANISM_UNAVAILABLE: 'N32F_MECHANISM_UNAVAILABLE',
  /** The N32 connection went away before the peer answered. */
  N32_CONNECTION_LOST: 'N32_CONNECTION_LOST',
  /** No answer within the request's time budget. */
  TIMED_OUT_REQUEST: 'TIMED_OUT_REQUEST',
  /** PRINS: the peer refused our protected request, or its protected answer failed verification. */
  N32F_PROTECTION_FAILED: 'N32F_PROTECTION_FAILED',
  /** PRINS: the NF message cannot be sent protected (it would expose an encrypted IE, or is not encodable). */
  NF_MESSAGE_NOT_PROTECTABLE: 'NF_MESSAGE_NOT_PROTECTABLE',

  // N32-f, N32-facing side (pSEPP)
  /** An N32-f request from a connection or peer without an agreed TLS mechanism. */
  N32F_NOT_AGREED: 'N32F_NOT_AGREED',
  /** The N32-f connection's certificate carries PLMN IDs the N32-c certificate lacks. */
  N32F_CERTIFICATE_MISMATCH: 'N32F_CERTIFICATE_MISMATCH',
  /** The target apiRoot is not one of our local NFs (`sbi.allowedTargets`). */
  TARGET_NOT_ALLOWED: 'TARGET_NOT_ALLOWED',
  /** The peer has too many requests in flight. */
  PEER_CONCURRENCY_EXCEEDED: 'PEER_CONCURRENCY_EXCEEDED',
  /** The body is larger than the N32-f limit. */
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',

  // Any listener
  /** The listener has as many requests in flight as it takes (`limits.maxRequestsInFlight`): overload. */
  OVERLOADED: 'OVERLOADED',
  /** The local target NF could not be reached. */
  TARGET_NF_NOT_REACHABLE: 'TARGET_NF_NOT_REACHABLE',

  // Cluster
  /** What was asked needs the shared N32 state store (a new PRINS context), and it is unreachable. */
  STATE_STORE_UNAVAILABLE: 'STATE_STORE_UNAVAILABLE',
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
  NF_TARGET_MISSING: 'MANDATORY_IE_MISSING',
  NF_TARGET_INVALID: 'MANDATORY_IE_INCORRECT',
  UNKNOWN_TELESCOPIC_LABEL: 'UNKNOWN_TELESCOPIC_LABEL',
  NO_PEER_FOR_PLMN: 'UNKNOWN_TARGET_PLMN',
  N32_NOT_ESTABLISHED: 'N32_NOT_ESTABLISHED',
  N32_NEGOTIATION_TIMEOUT: 'N32_NOT_ESTABLISHED',
  N32F_MECHANISM_UNAVAILABLE: 'N32F_MECHANISM_UNAVAILABLE',
  N32_CONNECTION_LOST: 'N32_CONNECTION_LOST',
  TIMED_OUT_REQUEST: 'TIMED_OUT_REQUEST',
  N32F_PROTECTION_FAILED: 'N32F_PROTECTION_FAILED',
  NF_MESSAGE_NOT_PROTECTABLE: 'MANDATORY_IE_INCORRECT',
  N32F_NOT_AGREED: 'UNSPECIFIED',
  N32F_CERTIFICATE_MISMATCH: 'UNSPECIFIED',
  TARGET_NOT_ALLOWED: 'UNSPECIFIED',
  PEER_CONCURRENCY_EXCEEDED: 'NF_CONGESTION_RISK',
  BODY_TOO_LARGE: 'INVALID_MSG_FORMAT',
  OVERLOADED: 'NF_CONGESTION',
  TARGET_NF_NOT_REACHABLE: 'TARGET_NF_NOT_REACHABLE',
  STATE_STORE_UNAVAILABLE: 'SYSTEM_FAILURE',
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
