/**
 * Open enumerations of TS 29.573 (Release 19) used by the PRINS messages. Every one of them is an
 * `anyOf` with a plain `string` in the YAML: an unknown value is legal JSON, is carried as it is,
 * and only the code that acts on the value decides what to do with it (DECISIONS.md §1).
 */
import type { N32fErrorType } from '../n32f-error';

/** TS 29.573 IeType: the kind of data an IE carries, the unit of the data-type encryption policy. */
export const IeType = {
  UEID: 'UEID',
  LOCATION: 'LOCATION',
  KEY_MATERIAL: 'KEY_MATERIAL',
  AUTHENTICATION_MATERIAL: 'AUTHENTICATION_MATERIAL',
  AUTHORIZATION_TOKEN: 'AUTHORIZATION_TOKEN',
  /** Rel-19. */
  RECURSIVE_NON_LEAF: 'RECURSIVE_NON_LEAF',
  OTHER: 'OTHER',
  NONSENSITIVE: 'NONSENSITIVE',
} as const;
export type KnownIeType = (typeof IeType)[keyof typeof IeType];
export type IeTypeValue = KnownIeType | (string & {});

/** TS 29.573 IeLocation: where an IE sits in the HTTP message. */
export const IeLocation = {
  URI_PARAM: 'URI_PARAM',
  HEADER: 'HEADER',
  BODY: 'BODY',
  MULTIPART_BINARY: 'MULTIPART_BINARY',
  /** Rel-19. */
  URI_PATH: 'URI_PATH',
} as const;
export type KnownIeLocation = (typeof IeLocation)[keyof typeof IeLocation];
export type IeLocationValue = KnownIeLocation | (string & {});

/** TS 29.573 HttpMethod. */
export const HttpMethod = {
  GET: 'GET',
  PUT: 'PUT',
  POST: 'POST',
  DELETE: 'DELETE',
  PATCH: 'PATCH',
  HEAD: 'HEAD',
  OPTIONS: 'OPTIONS',
  CONNECT: 'CONNECT',
  TRACE: 'TRACE',
} as const;
export type KnownHttpMethod = (typeof HttpMethod)[keyof typeof HttpMethod];
export type HttpMethodValue = KnownHttpMethod | (string & {});
export const HTTP_METHODS: readonly KnownHttpMethod[] = Object.values(HttpMethod);

/** TS 29.573 N32ReleaseIndication (Rel-19, in RiErrorInformation). */
export const N32ReleaseIndication = {
  RELEASE_REESTABLISHMENT_ALLOWED: 'RELEASE_REESTABLISHMENT_ALLOWED',
  RELEASE_REESTABLISHMENT_NOT_ALLOWED: 'RELEASE_REESTABLISHMENT_NOT_ALLOWED',
  REESTABLISH: 'REESTABLISH',
} as const;
export type KnownN32ReleaseIndication = (typeof N32ReleaseIndication)[keyof typeof N32ReleaseIndication];
export type N32ReleaseIndicationValue = KnownN32ReleaseIndication | (string & {});

/**
 * The six Rel-19 N32fErrorType values an RI raises. `N32fErrorType` in `../n32f-error` lists the
 * values a SEPP produces; these complete the Rel-19 enumeration for reading peers' reports.
 */
export const RiN32fErrorType = {
  NETWORK_MAINTENANCE: 'NETWORK_MAINTENANCE',
  INSUFFICIENT_RESOURCES: 'INSUFFICIENT_RESOURCES',
  NO_CONNECTION_DUE_TO_CONTRACT: 'NO_CONNECTION_DUE_TO_CONTRACT',
  IDLE_N32F_CONNECTION: 'IDLE_N32F_CONNECTION',
  SWITCHING_TO_ANOTHER_RI: 'SWITCHING_TO_ANOTHER_RI',
  NO_CONNECTION_DUE_TO_CONNECTIVITY: 'NO_CONNECTION_DUE_TO_CONNECTIVITY',
} as const;
export type RiN32fErrorTypeValue = (typeof RiN32fErrorType)[keyof typeof RiN32fErrorType];
/** What can appear on the wire as an N32fErrorType. */
export type N32fErrorTypeValue = N32fErrorType | RiN32fErrorTypeValue | (string & {});

/** TS 29.573 FailureReason of an N32fErrorDetail, as read from the wire (open enumeration). */
export type FailureReasonValue = 'INVALID_JSON_POINTER' | 'INVALID_INDEX_TO_ENCRYPTED_BLOCK' | 'INVALID_HTTP_HEADER' | (string & {});
