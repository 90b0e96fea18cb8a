/**
 * Plain-data wire shapes of the PRINS messages, for building bodies without class instances (like
 * `SecNegotiateReqBody`). Names: the schema name plus `Data`, or `Body` for the schemas whose name
 * already ends in `Data`. The error-detail shapes are the ones of `../n32f-error`.
 */
import type { ProblemDetailsData } from '../../models/common-data';
import type { FailedModificationData, N32fErrorDetailData } from '../n32f-error';
import type { HttpMethodValue, IeLocationValue, IeTypeValue, N32fErrorTypeValue, N32ReleaseIndicationValue } from './enums';

/** Any JSON value (RFC 8259). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface CallbackNameData {
  callbackType: string;
}

export interface IeInfoData {
  ieLoc: IeLocationValue;
  ieType: IeTypeValue;
  reqIe?: string;
  rspIe?: string;
  isModifiable?: boolean;
  isModifiableByIpx?: Record<string, boolean>;
  ancestorIe?: string;
}

export interface ApiIeMappingData {
  apiSignature: string | CallbackNameData;
  apiMethod: HttpMethodValue;
  IeList: IeInfoData[];
}

export interface ProtectionPolicyData {
  apiIeMappingList: ApiIeMappingData[];
  dataTypeEncPolicy?: IeTypeValue[];
}

export interface IpxProviderSecInfoData {
  ipxProviderId: string;
  rawPublicKeyList?: string[];
  certificateList?: string[];
}

/** Wire shape of SecParamExchReqData as we send it. */
export interface SecParamExchReqBody {
  n32fContextId: string;
  jweCipherSuiteList?: string[];
  jwsCipherSuiteList?: string[];
  protectionPolicyInfo?: ProtectionPolicyData;
  secProfiles?: string[];
  ipxProviderSecInfoList?: IpxProviderSecInfoData[];
  sender?: string;
}

/** Wire shape of SecParamExchRspData as we send it. */
export interface SecParamExchRspBody {
  n32fContextId: string;
  selectedJweCipherSuite?: string;
  selectedJwsCipherSuite?: string;
  selProtectionPolicyInfo?: ProtectionPolicyData;
  selSecProfiles?: string[];
  ipxProviderSecInfoList?: IpxProviderSecInfoData[];
  sender?: string;
}

export interface N32fContextInfoData {
  n32fContextId: string;
}

export interface RiErrorInformationData {
  n32fConnectionRelInd?: N32ReleaseIndicationValue;
  n32fContextRelInd?: N32ReleaseIndicationValue;
  alternativeRi?: string;
}

export interface N32fErrorInfoData {
  n32fMessageId: string;
  n32fErrorType: N32fErrorTypeValue;
  n32fContextId?: string;
  failedModificationList?: FailedModificationData[];
  errorDetailsList?: N32fErrorDetailData[];
  policyMismatchList?: { param: string; reason?: string }[];
  riErrorInformation?: RiErrorInformationData;
}

export interface FlatJweJsonData {
  protected?: string;
  unprotected?: JsonObject;
  header?: JsonObject;
  encrypted_key?: string;
  aad?: string;
  iv?: string;
  ciphertext: string;
  tag?: string;
}

export interface FlatJwsJsonData {
  payload: string;
  protected?: string;
  header?: JsonObject;
  signature: string;
}

export interface N32fReformattedReqMsgData {
  reformattedData: FlatJweJsonData;
  modificationsBlock?: FlatJwsJsonData[];
}

export interface N32fReformattedRspMsgData {
  reformattedData: FlatJweJsonData;
  modificationsBlock?: FlatJwsJsonData[];
}

/** A type alias, not an interface, so that it is also a JsonValue (implicit index signature). */
export type IndexToEncryptedValueData = {
  encBlockIndex: number;
};

export interface MetaDataData {
  n32fContextId: string;
  messageId: string;
  /** We send `"NULL"`; a received `null` is kept as it came. */
  authorizedIpxId: string | null;
  riFqdn?: string;
}

export interface RequestLineData {
  method: HttpMethodValue;
  scheme: string;
  authority: string;
  path: string;
  protocolVersion: string;
  queryFragment?: string;
  pathQueryProtectInd?: IeLocationValue[];
}

export interface HttpHeaderData {
  header: string;
  value: string | IndexToEncryptedValueData;
}

export interface HttpPayloadData {
  iePath: string;
  ieValueLocation: IeLocationValue;
  value: JsonValue;
}

/** The JWE AAD. */
export interface DataToIntegrityProtectBlockData {
  metaData?: MetaDataData;
  requestLine?: RequestLineData;
  statusLine?: string;
  headers?: HttpHeaderData[];
  payload?: HttpPayloadData[];
}

/** The JWE plaintext. */
export interface DataToIntegrityProtectAndCipherBlockData {
  dataToEncrypt: JsonValue[];
}

export interface ProblemDetailsMsgForwardingData extends ProblemDetailsData {
  suggestedStatusCode?: number;
  suggestedProblemDetails?: ProblemDetailsData;
  riErrorInformation?: RiErrorInformationData;
}
