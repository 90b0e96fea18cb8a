/**
 * TS 29.573 (Release 19) N32_Handshake data types of the PRINS procedures: parameter exchange
 * (`POST /exchange-params`), N32-f context termination (`POST /n32f-terminate`) and error reporting
 * (`POST /n32f-error`). Field names exactly as in TS29573_N32_Handshake.yaml 1.4.0, including the
 * legacy `IeList`. Read with `validateBody(Class, json)`: unknown attributes are dropped, unknown
 * enumeration strings are carried.
 */
import {
  BooleanValue,
  Conditional,
  FqdnValue,
  Mandatory,
  Nested,
  NestedList,
  StringList,
  StringValue,
} from '../../models/field-decorators';
import { InvalidParam } from '../../models/common-data';
import { N32F_CONTEXT_ID_PATTERN } from '../../models/patterns';
import { BooleanMap, MaxItems, StringOrObject } from './decorators';
import type {
  FailureReasonValue,
  HttpMethodValue,
  IeLocationValue,
  IeTypeValue,
  N32fErrorTypeValue,
  N32ReleaseIndicationValue,
} from './enums';
// The decorator alone: the package's index loads its schema generator (and lodash) too.
import { JSONSchema } from 'class-validator-jsonschema/build/decorators';
import { oneOf, openEnum } from '../../openapi/schema-hints';

const CONTEXT_ID = [N32F_CONTEXT_ID_PATTERN, '16 hexadecimal digits'] as const;

/** TS 29.573 CallbackName: the `oneOf` alternative of ApiSignature for a callback. */
export class CallbackName {
  @Mandatory() @StringValue() callbackType!: string;
}

/** TS 29.573 IeInfo: protection and modification policy of one IE. */
export class IeInfo {
  @Mandatory() @StringValue() @JSONSchema(openEnum('IeLocation')) ieLoc!: IeLocationValue;
  @Mandatory() @StringValue() @JSONSchema(openEnum('IeType')) ieType!: IeTypeValue;
  @Conditional() @StringValue() reqIe?: string;
  @Conditional() @StringValue() rspIe?: string;
  @Conditional() @BooleanValue() isModifiable?: boolean;
  /** Map from RI identity to "may modify" (minProperties 1). */
  @Conditional() @BooleanMap() isModifiableByIpx?: Record<string, boolean>;
  /** Rel-19. */
  @Conditional() @StringValue() ancestorIe?: string;
}

/** TS 29.573 ApiIeMapping: 33.501's "NF API data-type placement mapping" for one API operation. */
export class ApiIeMapping {
  /** ApiSignature `oneOf`: a Uri (string) or a CallbackName object. */
  @Mandatory() @StringOrObject(() => CallbackName, 'a CallbackName object {callbackType}') @JSONSchema(oneOf('ApiSignature')) apiSignature!: string | CallbackName;
  @Mandatory() @StringValue() @JSONSchema(openEnum('HttpMethod')) apiMethod!: HttpMethodValue;
  /** Capital I on purpose: a legacy name kept by TS 29.573 for backward compatibility. */
  @Mandatory() @NestedList(() => IeInfo) IeList!: IeInfo[];
}

/** TS 29.573 ProtectionPolicy. */
export class ProtectionPolicy {
  @Mandatory() @NestedList(() => ApiIeMapping) apiIeMappingList!: ApiIeMapping[];
  @Conditional() @StringList() @JSONSchema(openEnum('IeType')) dataTypeEncPolicy?: IeTypeValue[];
}

/** TS 29.573 IpxProviderSecInfo: an RI's keys or certificates, to verify its JWS modifications. */
export class IpxProviderSecInfo {
  @Mandatory() @FqdnValue() ipxProviderId!: string;
  @Conditional() @StringList() rawPublicKeyList?: string[];
  @Conditional() @StringList() certificateList?: string[];
}

/** TS 29.573 SecParamExchReqData: body of POST /exchange-params. */
export class SecParamExchReqData {
  /** The initiating SEPP's N32-f context ID. */
  @Mandatory() @StringValue(...CONTEXT_ID) n32fContextId!: string;
  @Conditional() @StringList() jweCipherSuiteList?: string[];
  @Conditional() @StringList() jwsCipherSuiteList?: string[];
  @Conditional() @Nested(() => ProtectionPolicy) protectionPolicyInfo?: ProtectionPolicy;
  /** Rel-19, 1..256 items. */
  @Conditional() @StringList() @MaxItems(256) secProfiles?: string[];
  @Conditional() @NestedList(() => IpxProviderSecInfo) ipxProviderSecInfoList?: IpxProviderSecInfo[];
  @Conditional() @FqdnValue() sender?: string;
}

/** TS 29.573 SecParamExchRspData: the 200 answer to POST /exchange-params. */
export class SecParamExchRspData {
  /** The responding SEPP's own N32-f context ID. */
  @Mandatory() @StringValue(...CONTEXT_ID) n32fContextId!: string;
  @Conditional() @StringValue() selectedJweCipherSuite?: string;
  @Conditional() @StringValue() selectedJwsCipherSuite?: string;
  @Conditional() @Nested(() => ProtectionPolicy) selProtectionPolicyInfo?: ProtectionPolicy;
  /** Rel-19, 1..256 items. */
  @Conditional() @StringList() @MaxItems(256) selSecProfiles?: string[];
  @Conditional() @NestedList(() => IpxProviderSecInfo) ipxProviderSecInfoList?: IpxProviderSecInfo[];
  @Conditional() @FqdnValue() sender?: string;
}

/** TS 29.573 N32fContextInfo: request and response body of POST /n32f-terminate. */
export class N32fContextInfo {
  @Mandatory() @StringValue(...CONTEXT_ID) n32fContextId!: string;
}

/** TS 29.573 RiErrorInformation (Rel-19). Every attribute is optional. */
export class RiErrorInformation {
  @Conditional() @StringValue() @JSONSchema(openEnum('N32ReleaseIndication')) n32fConnectionRelInd?: N32ReleaseIndicationValue;
  @Conditional() @StringValue() @JSONSchema(openEnum('N32ReleaseIndication')) n32fContextRelInd?: N32ReleaseIndicationValue;
  @Conditional() @FqdnValue() alternativeRi?: string;
}

/** TS 29.573 FailedModificationInfo: one RI whose modifications block failed. */
export class FailedModificationInfo {
  @Mandatory() @FqdnValue() ipxId!: string;
  @Mandatory() @StringValue() @JSONSchema(openEnum('N32fErrorType')) n32fErrorType!: N32fErrorTypeValue;
}

/** TS 29.573 N32fErrorDetail: why a message could not be reconstructed. */
export class N32fErrorDetail {
  @Mandatory() @StringValue() attribute!: string;
  @Mandatory() @StringValue() @JSONSchema(openEnum('FailureReason')) msgReconstructFailReason!: FailureReasonValue;
}

/** TS 29.573 N32fErrorInfo: body of POST /n32f-error. */
export class N32fErrorInfo {
  @Mandatory() @StringValue() n32fMessageId!: string;
  @Mandatory() @StringValue() @JSONSchema(openEnum('N32fErrorType')) n32fErrorType!: N32fErrorTypeValue;
  @Conditional() @StringValue(...CONTEXT_ID) n32fContextId?: string;
  @Conditional() @NestedList(() => FailedModificationInfo) failedModificationList?: FailedModificationInfo[];
  @Conditional() @NestedList(() => N32fErrorDetail) errorDetailsList?: N32fErrorDetail[];
  @Conditional() @NestedList(() => InvalidParam) policyMismatchList?: InvalidParam[];
  /** Rel-19. */
  @Conditional() @Nested(() => RiErrorInformation) riErrorInformation?: RiErrorInformation;
}
