/**
 * TS 29.573 (Release 19) JOSEProtectedMessageForwarding data types: the `n32f-process` bodies, the
 * JOSE containers, and the two JSON documents a PRINS message protects (the JWE AAD
 * DataToIntegrityProtectBlock and the JWE plaintext DataToIntegrityProtectAndCipherBlock). Field
 * names exactly as in TS29573_JOSEProtectedMessageForwarding.yaml 1.4.0 (`encrypted_key`,
 * `encBlockIndex`).
 *
 * Validation checks the shape only. The receiver rebuilds the NF message from the *parsed JSON*
 * (`reformat/rebuildRequest`), not from the validated instance: class-transformer drops object keys
 * named `__proto__` / `constructor` and validateBody empties values nested deeper than its bound,
 * which is right for a schema check but would alter an NF's JSON body.
 */
import { Conditional, FqdnValue, Mandatory, Nested, NestedList, StringList, StringValue, UintegerValue } from '../../models/field-decorators';
import { ProblemDetails } from '../../models/common-data';
import { N32F_CONTEXT_ID_PATTERN } from '../../models/patterns';
import { AnyJsonList, IntegerValue, JsonObjectValue, MandatoryAnyJson, MandatoryNullableString, MaxChars, MaxItems, StringOrObject } from './decorators';
import type { HttpMethodValue, IeLocationValue } from './enums';
import { RiErrorInformation } from './n32c-params';
// The decorator alone: the package's index loads its schema generator (and lodash) too.
import { JSONSchema } from 'class-validator-jsonschema/build/decorators';
import { oneOf, openEnum } from '../../openapi/schema-hints';

/** RFC 7516 flattened JWE JSON serialization (TS 29.573 FlatJweJson). Only `ciphertext` is required. */
export class FlatJweJson {
  @Conditional() @StringValue() protected?: string;
  @Conditional() @JsonObjectValue() unprotected?: Record<string, unknown>;
  @Conditional() @JsonObjectValue() header?: Record<string, unknown>;
  /** Snake case on purpose (RFC 7516 member name). Empty or absent with `alg: dir`. */
  @Conditional() @StringValue() encrypted_key?: string;
  @Conditional() @StringValue() aad?: string;
  @Conditional() @StringValue() iv?: string;
  @Mandatory() @StringValue() ciphertext!: string;
  @Conditional() @StringValue() tag?: string;
}

/** RFC 7515 flattened JWS JSON serialization (TS 29.573 FlatJwsJson): one RI's modifications. */
export class FlatJwsJson {
  @Mandatory() @StringValue() payload!: string;
  @Conditional() @StringValue() protected?: string;
  @Conditional() @JsonObjectValue() header?: Record<string, unknown>;
  @Mandatory() @StringValue() signature!: string;
}

/** TS 29.573 N32fReformattedReqMsg: body of POST /n32f-forward/v1/n32f-process. */
export class N32fReformattedReqMsg {
  @Mandatory() @Nested(() => FlatJweJson) reformattedData!: FlatJweJson;
  @Conditional() @NestedList(() => FlatJwsJson) modificationsBlock?: FlatJwsJson[];
}

/** TS 29.573 N32fReformattedRspMsg: the 200 answer to POST n32f-process. */
export class N32fReformattedRspMsg {
  @Mandatory() @Nested(() => FlatJweJson) reformattedData!: FlatJweJson;
  @Conditional() @NestedList(() => FlatJwsJson) modificationsBlock?: FlatJwsJson[];
}

/** TS 29.573 IndexToEncryptedValue: the placeholder left where an encrypted value was. */
export class IndexToEncryptedValue {
  @Mandatory() @UintegerValue() encBlockIndex!: number;
}

/** The longest messageId a receiver accepts (MetaData): far above any generator's (ours: 16 hex digits, a UUID: 36). */
export const MESSAGE_ID_MAX_LENGTH = 256;

/** TS 29.573 MetaData. */
export class MetaData {
  /** The receiving SEPP's N32-f context ID. */
  @Mandatory() @StringValue(N32F_CONTEXT_ID_PATTERN, '16 hexadecimal digits') n32fContextId!: string;
  /**
   * Any string in TS 29.573; at most MESSAGE_ID_MAX_LENGTH characters here: a receiver keeps the
   * messageIds of a context to refuse a repeated one, so their size is bounded by this (ours are 16).
   */
  @Mandatory() @StringValue() @MaxChars(MESSAGE_ID_MAX_LENGTH) messageId!: string;
  /** `"NULL"` when no RI may modify; `null` and `""` are read the same way. */
  @MandatoryNullableString() authorizedIpxId!: string | null;
  /** Rel-19. */
  @Conditional() @FqdnValue() riFqdn?: string;
}

/** TS 29.573 RequestLine. */
export class RequestLine {
  @Mandatory() @StringValue() @JSONSchema(openEnum('HttpMethod')) method!: HttpMethodValue;
  /** TS 29.571 UriScheme: `http`, `https` or any other string. */
  @Mandatory() @StringValue() @JSONSchema(openEnum('UriScheme')) scheme!: string;
  @Mandatory() @StringValue() authority!: string;
  @Mandatory() @StringValue() path!: string;
  @Mandatory() @StringValue() protocolVersion!: string;
  @Conditional() @StringValue() queryFragment?: string;
  /** Rel-19, 1..2 IeLocation values. */
  @Conditional() @StringList() @MaxItems(2) @JSONSchema(openEnum('IeLocation')) pathQueryProtectInd?: IeLocationValue[];
}

/** TS 29.573 HttpHeader. `value` is EncodedHttpHeaderValue: a string or an IndexToEncryptedValue. */
export class HttpHeader {
  @Mandatory() @StringValue() header!: string;
  @Mandatory() @StringOrObject(() => IndexToEncryptedValue, 'an IndexToEncryptedValue {encBlockIndex}') @JSONSchema(oneOf('EncodedHttpHeaderValue')) value!: string | IndexToEncryptedValue;
}

/** TS 29.573 HttpPayload. `value` is any JSON value (the schema's `object` is read leniently). */
export class HttpPayload {
  @Mandatory() @StringValue() iePath!: string;
  @Mandatory() @StringValue() @JSONSchema(openEnum('IeLocation')) ieValueLocation!: IeLocationValue;
  @MandatoryAnyJson() value!: unknown;
}

/** TS 29.573 DataToIntegrityProtectBlock: the JWE AAD. Every attribute is optional in the schema. */
export class DataToIntegrityProtectBlock {
  @Conditional() @Nested(() => MetaData) metaData?: MetaData;
  @Conditional() @Nested(() => RequestLine) requestLine?: RequestLine;
  @Conditional() @StringValue() statusLine?: string;
  @Conditional() @NestedList(() => HttpHeader) headers?: HttpHeader[];
  @Conditional() @NestedList(() => HttpPayload) payload?: HttpPayload[];
}

/** TS 29.573 DataToIntegrityProtectAndCipherBlock: the JWE plaintext. */
export class DataToIntegrityProtectAndCipherBlock {
  @Mandatory() @AnyJsonList() dataToEncrypt!: unknown[];
}

/**
 * TS 29.573 ProblemDetailsMsgForwarding: ProblemDetails plus AdditionInfoMsgForwarding, the body
 * of a 403 answer to n32f-process.
 */
export class ProblemDetailsMsgForwarding extends ProblemDetails {
  @Conditional() @IntegerValue() suggestedStatusCode?: number;
  @Conditional() @Nested(() => ProblemDetails) suggestedProblemDetails?: ProblemDetails;
  /** Rel-19. */
  @Conditional() @Nested(() => RiErrorInformation) riErrorInformation?: RiErrorInformation;
}
