import { N32Error, type N32ErrorCode } from '@sepp/protocol';
import type { RefusalCategory } from './refusal-log';

/** The category of each protocol error code, for the refusal list (exhaustive: a new code must pick one). */
const CATEGORY_OF_CODE: Readonly<Record<N32ErrorCode, RefusalCategory>> = {
  INVALID_MSG_FORMAT: 'bad-input',
  MANDATORY_IE_MISSING: 'bad-input',
  MANDATORY_IE_INCORRECT: 'bad-input',
  OPTIONAL_IE_INCORRECT: 'bad-input',
  IDENTITY_MISMATCH: 'certificate',
  UNKNOWN_PEER: 'bad-input',
  TARGET_PLMN_NOT_SERVED: 'bad-input',
  USAGE_PURPOSE_REJECTED: 'bad-input',
  NF_TARGET_MISSING: 'bad-input',
  NF_TARGET_INVALID: 'bad-input',
  UNKNOWN_TELESCOPIC_LABEL: 'bad-input',
  NO_PEER_FOR_PLMN: 'bad-input',
  N32_NOT_ESTABLISHED: 'unavailable',
  N32_NEGOTIATION_TIMEOUT: 'unavailable',
  N32F_MECHANISM_UNAVAILABLE: 'unavailable',
  N32_CONNECTION_LOST: 'unavailable',
  TIMED_OUT_REQUEST: 'unavailable',
  N32F_PROTECTION_FAILED: 'tamper',
  NF_MESSAGE_NOT_PROTECTABLE: 'bad-input',
  N32F_NOT_AGREED: 'bad-input',
  N32F_CERTIFICATE_MISMATCH: 'certificate',
  TARGET_NOT_ALLOWED: 'bad-input',
  PEER_CONCURRENCY_EXCEEDED: 'rate-limit',
  BODY_TOO_LARGE: 'bad-input',
  OVERLOADED: 'unavailable',
  TARGET_NF_NOT_REACHABLE: 'unavailable',
  STATE_STORE_UNAVAILABLE: 'unavailable',
};

export function refusalCategoryOf(code: N32ErrorCode): RefusalCategory {
  return CATEGORY_OF_CODE[code];
}

/** The cause and category of an error we answered with a problem: an N32Error by its code, anything else by the problem's cause. */
export function refusalOfError(error: unknown, problem: { readonly status: number; readonly body: { readonly cause?: string | undefined; readonly detail?: string | undefined } }): {
  category: RefusalCategory;
  cause: string;
  detail: string | undefined;
} {
  if (error instanceof N32Error) return { category: refusalCategoryOf(error.code), cause: error.code, detail: error.detail };
  return { category: problem.status >= 500 ? 'unavailable' : 'bad-input', cause: problem.body.cause ?? `HTTP_${problem.status}`, detail: problem.body.detail };
}
