/**
 * The NF-side HTTP messages a SEPP reformats for PRINS, and the rules their parts must follow.
 * Both directions use the same rules, so whatever `reformat*` accepts, `rebuild*` accepts too.
 */
import { HOP_BY_HOP_HEADERS, SBI_HEADERS } from '../../sbi/headers';

/** One header field: lower-case name, value. Repeated fields are repeated entries, in order. */
export type HeaderField = readonly [name: string, value: string];

export interface HttpRequestMessage {
  readonly method: string;
  readonly scheme: string;
  /** The target authority (from `3gpp-Sbi-Target-apiRoot`, or the original authority). */
  readonly authority: string;
  /** Absolute path, no query. */
  readonly path: string;
  /** Raw query, without the `?`. `""` (a bare `?`) and absent are different. */
  readonly query?: string;
  /**
   * End-to-end headers only: the caller removed pseudo-headers, hop-by-hop headers and
   * `3gpp-sbi-target-apiroot` (N32-DIGEST §5.3); names are lower case.
   */
  readonly headers: readonly HeaderField[];
  readonly body?: Buffer;
  /**
   * The media type of the body. On reformat, when absent, the `content-type` header is used; on
   * rebuild it is the `content-type` header.
   */
  readonly contentType?: string;
}

export interface HttpResponseMessage {
  readonly status: number;
  readonly headers: readonly HeaderField[];
  readonly body?: Buffer;
  readonly contentType?: string;
}

/** The request a response answers: its mapping's `rspIe` rules apply to the response. */
export interface RequestContext {
  readonly method: string;
  /** The request path in clear, no query. */
  readonly path: string;
}

/** RFC 9110 token, lower case only: RFC 9113 8.2.1 makes an upper-case field name malformed. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** RFC 9110 field value characters as Node's HTTP/2 accepts them: no NUL, CR, LF or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Path and query characters we can hand to an HTTP/2 client: no spaces, controls or fragment. */
const PATH = /^\/[\x21-\x22\x24-\x3e\x40-\x7e\x80-\xff]*$/;
const QUERY = /^[\x21-\x22\x24-\x7e\x80-\xff]*$/;
const AUTHORITY = /^[\x21-\x2e\x30-\x3e\x40-\x7e]+$/;
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** Why a header field cannot travel end to end, or null if it can. */
export function headerFieldProblem(name: string, value: unknown): string | null {
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) return 'the name is not a lower-case HTTP token (pseudo-headers are not headers)';
  if (HOP_BY_HOP_HEADERS.has(name)) return 'a connection-specific header cannot be carried';
  if (name === SBI_HEADERS.targetApiRoot) return '3gpp-sbi-target-apiroot must not appear on N32-f in PRINS mode';
  if (typeof value !== 'string') return 'the value is not a string';
  if (!FIELD_VALUE.test(value)) return 'the value has characters HTTP does not allow';
  return null;
}

export const isValidMethod = (method: unknown): method is string => typeof method === 'string' && METHOD.test(method);
export const isValidScheme = (scheme: unknown): scheme is string => typeof scheme === 'string' && SCHEME.test(scheme);
export const isValidAuthority = (authority: unknown): authority is string => typeof authority === 'string' && AUTHORITY.test(authority);
export const isValidPath = (path: unknown): path is string => typeof path === 'string' && PATH.test(path);
export const isValidQuery = (query: unknown): query is string => typeof query === 'string' && QUERY.test(query);
/** A final response status (no 1xx). */
export const isValidStatus = (status: unknown): status is number => typeof status === 'number' && Number.isInteger(status) && status >= 200 && status <= 599;

/** The value of the first header field called `name`. */
export function headerValue(headers: readonly HeaderField[], name: string): string | undefined {
  return headers.find(([field]) => field === name)?.[1];
}

/**
 * Whether a media type is JSON: `application/json` or any `+json` structured syntax suffix
 * (`application/problem+json`, `merge-patch+json`, `json-patch+json`, `3gppHal+json`).
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'));
}
