import type { N32ErrorCode } from '@sepp/protocol';

/** The one table from protocol error codes to HTTP status (DECISIONS.md §8). */
export const N32_ERROR_STATUS: Readonly<Record<N32ErrorCode, number>> = {
  INVALID_MSG_FORMAT: 400,
  MANDATORY_IE_MISSING: 400,
  MANDATORY_IE_INCORRECT: 400,
  OPTIONAL_IE_INCORRECT: 400,
  IDENTITY_MISMATCH: 403,
  UNKNOWN_PEER: 403,
  TARGET_PLMN_NOT_SERVED: 403,
  USAGE_PURPOSE_REJECTED: 403,
  NF_TARGET_MISSING: 400,
  NF_TARGET_INVALID: 400,
  UNKNOWN_TELESCOPIC_LABEL: 404,
  NO_PEER_FOR_PLMN: 404,
  N32_NOT_ESTABLISHED: 503,
  N32_NEGOTIATION_TIMEOUT: 504,
  N32F_MECHANISM_UNAVAILABLE: 502,
  N32_CONNECTION_LOST: 502,
  TIMED_OUT_REQUEST: 504,
  N32F_PROTECTION_FAILED: 502,
  NF_MESSAGE_NOT_PROTECTABLE: 400,
  N32F_NOT_AGREED: 403,
  N32F_CERTIFICATE_MISMATCH: 403,
  TARGET_NOT_ALLOWED: 403,
  PEER_CONCURRENCY_EXCEEDED: 429,
  BODY_TOO_LARGE: 413,
  OVERLOADED: 503,
  TARGET_NF_NOT_REACHABLE: 504,
  STATE_STORE_UNAVAILABLE: 503,
};

/** Title per status, for ProblemDetails.title. */
export const STATUS_TITLE: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
