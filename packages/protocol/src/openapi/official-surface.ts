/**
 * The official surface of the N32 APIs we serve, written by hand from the 3GPP Release 19 OpenAPI
 * files (names only, not a copy of them):
 *   - TS29573_N32_Handshake.yaml 1.4.0                  (TS 29.573 V19.5.0)
 *   - TS29573_JOSEProtectedMessageForwarding.yaml 1.4.0 (TS 29.573 V19.5.0)
 *   - TS29573_SeppTelescopicFqdnMapping.yaml 1.3.1      (TS 29.573 V19.6.0)
 *   - TS29571_CommonData.yaml 1.6.1                     (TS 29.571 V19.6.0), only the schemas we use
 * For each operation: path, method, operation ID, bodies and response codes. For each schema we
 * implement: its attribute names exactly as spelled in the YAML, its `required` list, and the
 * attributes whose schema is a structured component (`refs`, the item type for arrays). Simple
 * CommonData types (Fqdn, Uinteger, Uri, SupportedFeatures, DurationSec, Mcc, Mnc, Nid) are not
 * listed as refs: the generated document writes them inline.
 *
 * `openapi.spec.ts` compares the document `buildN32OpenApi` generates against this list.
 * `OFFICIAL_NOT_SERVED` lists, with the reason, what we knowingly leave out; the spec checks that
 * list is exact, so a difference can neither appear nor disappear unnoticed.
 */

export type OfficialApi = 'n32c-handshake' | 'n32f-forward' | 'telescopic';

export interface OfficialOperation {
  readonly method: 'GET' | 'POST' | 'OPTIONS';
  readonly path: string;
  readonly operationId: string;
  /** Schema of the `application/json` request body. */
  readonly requestBody?: string;
  readonly success: { readonly status: string; readonly schema?: string };
  /** Every response code, the success one and `default` included. */
  readonly responses: readonly string[];
  /** Error responses whose problem+json body is not the CommonData ProblemDetails. */
  readonly problemSchemas?: Readonly<Record<string, string>>;
  readonly queryParameters?: readonly string[];
  readonly headerParameters?: readonly string[];
}

const N32C_ERRORS = ['400', '401', '403', '404', '411', '413', '415', '429', '500', '502', '503', 'default'];

export const OFFICIAL_OPERATIONS: Readonly<Record<OfficialApi, readonly OfficialOperation[]>> = {
  // servers: {apiRoot}/n32c-handshake/v1
  'n32c-handshake': [
    {
      method: 'POST',
      path: '/n32c-handshake/v1/exchange-capability',
      operationId: 'PostExchangeCapability',
      requestBody: 'SecNegotiateReqData',
      success: { status: '200', schema: 'SecNegotiateRspData' },
      responses: ['200', '307', '409', ...N32C_ERRORS],
      problemSchemas: { '307': 'ExtRedirectResponse' },
    },
    {
      method: 'POST',
      path: '/n32c-handshake/v1/exchange-params',
      operationId: 'PostExchangeParams',
      requestBody: 'SecParamExchReqData',
      success: { status: '200', schema: 'SecParamExchRspData' },
      responses: ['200', '409', ...N32C_ERRORS],
    },
    {
      method: 'POST',
      path: '/n32c-handshake/v1/n32f-terminate',
      operationId: 'PostN32fTerminate',
      requestBody: 'N32fContextInfo',
      success: { status: '200', schema: 'N32fContextInfo' },
      responses: ['200', ...N32C_ERRORS],
    },
    {
      method: 'POST',
      path: '/n32c-handshake/v1/n32f-error',
      operationId: 'PostN32fError',
      requestBody: 'N32fErrorInfo',
      success: { status: '204' },
      responses: ['204', ...N32C_ERRORS],
    },
  ],
  // servers: {apiRoot}/n32f-forward/v1
  'n32f-forward': [
    {
      method: 'POST',
      path: '/n32f-forward/v1/n32f-process',
      operationId: 'PostN32fProcess',
      requestBody: 'N32fReformattedReqMsg',
      success: { status: '200', schema: 'N32fReformattedRspMsg' },
      responses: ['200', ...N32C_ERRORS],
      problemSchemas: { '403': 'ProblemDetailsMsgForwarding' },
      headerParameters: ['Content-Encoding', 'Accept-Encoding', '3gpp-Sbi-Message-Priority'],
    },
    {
      method: 'OPTIONS',
      path: '/n32f-forward/v1/n32f-process',
      operationId: 'N32fProcessOptions',
      success: { status: '204' },
      responses: ['204', '400', '401', '403', '404', '405', '429', '500', '501', '502', '503', 'default'],
    },
  ],
  // servers: {apiRoot}/nsepp-telescopic/v1
  telescopic: [
    {
      method: 'GET',
      path: '/nsepp-telescopic/v1/mapping',
      operationId: 'GetTelescopicMapping',
      success: { status: '200', schema: 'TelescopicMapping' },
      responses: ['200', '400', '401', '403', '404', '406', '429', '500', '502', '503', 'default'],
      queryParameters: ['foreign-fqdn', 'telescopic-label'],
    },
  ],
};

export interface OfficialSchema {
  readonly file: 'N32_Handshake' | 'JOSEProtectedMessageForwarding' | 'SeppTelescopicFqdnMapping' | 'CommonData';
  readonly properties: readonly string[];
  readonly required: readonly string[];
  /** Attribute -> the structured component (enumeration, oneOf, object) it refers to. */
  readonly refs?: Readonly<Record<string, string>>;
  /** An `allOf` of these schemas instead of own properties. */
  readonly allOf?: readonly string[];
}

export const OFFICIAL_SCHEMAS: Readonly<Record<string, OfficialSchema>> = {
  // TS29573_N32_Handshake.yaml 1.4.0
  SecNegotiateReqData: {
    file: 'N32_Handshake',
    properties: [
      'sender',
      'n32HandshakeId',
      'supportedSecCapabilityList',
      '3GppSbiTargetApiRootSupported',
      'plmnIdList',
      'snpnIdList',
      'targetPlmnId',
      'targetSnpnId',
      'intendedUsagePurpose',
      'supportedFeatures',
      'senderN32fFqdn',
      'senderN32fPortList',
      'n32KeepaliveTimer',
    ],
    required: ['sender', 'supportedSecCapabilityList'],
    refs: {
      supportedSecCapabilityList: 'SecurityCapability',
      plmnIdList: 'PlmnId',
      snpnIdList: 'PlmnIdNid',
      targetPlmnId: 'PlmnId',
      targetSnpnId: 'PlmnIdNid',
      intendedUsagePurpose: 'IntendedN32Purpose',
    },
  },
  SecNegotiateRspData: {
    file: 'N32_Handshake',
    properties: [
      'sender',
      'selectedSecCapability',
      'n32HandshakeId',
      '3GppSbiTargetApiRootSupported',
      'plmnIdList',
      'snpnIdList',
      'allowedUsagePurpose',
      'rejectedUsagePurpose',
      'supportedFeatures',
      'senderN32fFqdn',
      'senderN32fPort',
      'n32KeepaliveTimer',
    ],
    required: ['sender', 'selectedSecCapability'],
    refs: {
      selectedSecCapability: 'SecurityCapability',
      plmnIdList: 'PlmnId',
      snpnIdList: 'PlmnIdNid',
      allowedUsagePurpose: 'IntendedN32Purpose',
      rejectedUsagePurpose: 'IntendedN32Purpose',
    },
  },
  IntendedN32Purpose: {
    file: 'N32_Handshake',
    properties: ['usagePurpose', 'additionalInfo', 'cause'],
    required: ['usagePurpose'],
    refs: { usagePurpose: 'N32Purpose' },
  },
  SecParamExchReqData: {
    file: 'N32_Handshake',
    properties: ['n32fContextId', 'jweCipherSuiteList', 'jwsCipherSuiteList', 'protectionPolicyInfo', 'secProfiles', 'ipxProviderSecInfoList', 'sender'],
    required: ['n32fContextId'],
    refs: { protectionPolicyInfo: 'ProtectionPolicy', ipxProviderSecInfoList: 'IpxProviderSecInfo' },
  },
  SecParamExchRspData: {
    file: 'N32_Handshake',
    properties: ['n32fContextId', 'selectedJweCipherSuite', 'selectedJwsCipherSuite', 'selProtectionPolicyInfo', 'selSecProfiles', 'ipxProviderSecInfoList', 'sender'],
    required: ['n32fContextId'],
    refs: { selProtectionPolicyInfo: 'ProtectionPolicy', ipxProviderSecInfoList: 'IpxProviderSecInfo' },
  },
  ProtectionPolicy: {
    file: 'N32_Handshake',
    properties: ['apiIeMappingList', 'dataTypeEncPolicy'],
    required: ['apiIeMappingList'],
    refs: { apiIeMappingList: 'ApiIeMapping', dataTypeEncPolicy: 'IeType' },
  },
  ApiIeMapping: {
    file: 'N32_Handshake',
    properties: ['apiSignature', 'apiMethod', 'IeList'],
    required: ['apiSignature', 'apiMethod', 'IeList'],
    refs: { apiSignature: 'ApiSignature', apiMethod: 'HttpMethod', IeList: 'IeInfo' },
  },
  IeInfo: {
    file: 'N32_Handshake',
    properties: ['ieLoc', 'ieType', 'reqIe', 'rspIe', 'isModifiable', 'isModifiableByIpx', 'ancestorIe'],
    required: ['ieLoc', 'ieType'],
    refs: { ieLoc: 'IeLocation', ieType: 'IeType' },
  },
  CallbackName: { file: 'N32_Handshake', properties: ['callbackType'], required: ['callbackType'] },
  IpxProviderSecInfo: {
    file: 'N32_Handshake',
    properties: ['ipxProviderId', 'rawPublicKeyList', 'certificateList'],
    required: ['ipxProviderId'],
  },
  N32fContextInfo: { file: 'N32_Handshake', properties: ['n32fContextId'], required: ['n32fContextId'] },
  N32fErrorInfo: {
    file: 'N32_Handshake',
    properties: ['n32fMessageId', 'n32fErrorType', 'n32fContextId', 'failedModificationList', 'errorDetailsList', 'policyMismatchList', 'riErrorInformation'],
    required: ['n32fMessageId', 'n32fErrorType'],
    refs: {
      n32fErrorType: 'N32fErrorType',
      failedModificationList: 'FailedModificationInfo',
      errorDetailsList: 'N32fErrorDetail',
      policyMismatchList: 'InvalidParam',
      riErrorInformation: 'RiErrorInformation',
    },
  },
  FailedModificationInfo: {
    file: 'N32_Handshake',
    properties: ['ipxId', 'n32fErrorType'],
    required: ['ipxId', 'n32fErrorType'],
    refs: { n32fErrorType: 'N32fErrorType' },
  },
  N32fErrorDetail: {
    file: 'N32_Handshake',
    properties: ['attribute', 'msgReconstructFailReason'],
    required: ['attribute', 'msgReconstructFailReason'],
    refs: { msgReconstructFailReason: 'FailureReason' },
  },
  RiErrorInformation: {
    file: 'N32_Handshake',
    properties: ['n32fConnectionRelInd', 'n32fContextRelInd', 'alternativeRi'],
    required: [],
    refs: { n32fConnectionRelInd: 'N32ReleaseIndication', n32fContextRelInd: 'N32ReleaseIndication' },
  },

  // TS29573_JOSEProtectedMessageForwarding.yaml 1.4.0
  FlatJweJson: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['protected', 'unprotected', 'header', 'encrypted_key', 'aad', 'iv', 'ciphertext', 'tag'],
    required: ['ciphertext'],
  },
  FlatJwsJson: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['payload', 'protected', 'header', 'signature'],
    required: ['payload', 'signature'],
  },
  N32fReformattedReqMsg: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['reformattedData', 'modificationsBlock'],
    required: ['reformattedData'],
    refs: { reformattedData: 'FlatJweJson', modificationsBlock: 'FlatJwsJson' },
  },
  N32fReformattedRspMsg: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['reformattedData', 'modificationsBlock'],
    required: ['reformattedData'],
    refs: { reformattedData: 'FlatJweJson', modificationsBlock: 'FlatJwsJson' },
  },
  DataToIntegrityProtectAndCipherBlock: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['dataToEncrypt'],
    required: ['dataToEncrypt'],
  },
  DataToIntegrityProtectBlock: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['metaData', 'requestLine', 'statusLine', 'headers', 'payload'],
    required: [],
    refs: { metaData: 'MetaData', requestLine: 'RequestLine', headers: 'HttpHeader', payload: 'HttpPayload' },
  },
  RequestLine: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['method', 'scheme', 'authority', 'path', 'protocolVersion', 'queryFragment', 'pathQueryProtectInd'],
    required: ['method', 'scheme', 'authority', 'path', 'protocolVersion'],
    refs: { method: 'HttpMethod', scheme: 'UriScheme', pathQueryProtectInd: 'IeLocation' },
  },
  HttpHeader: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['header', 'value'],
    required: ['header', 'value'],
    refs: { value: 'EncodedHttpHeaderValue' },
  },
  HttpPayload: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['iePath', 'ieValueLocation', 'value'],
    required: ['iePath', 'ieValueLocation', 'value'],
    refs: { ieValueLocation: 'IeLocation' },
  },
  MetaData: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['n32fContextId', 'messageId', 'authorizedIpxId', 'riFqdn'],
    required: ['n32fContextId', 'messageId', 'authorizedIpxId'],
  },
  IndexToEncryptedValue: { file: 'JOSEProtectedMessageForwarding', properties: ['encBlockIndex'], required: ['encBlockIndex'] },
  ProblemDetailsMsgForwarding: {
    file: 'JOSEProtectedMessageForwarding',
    properties: [],
    required: [],
    allOf: ['ProblemDetails', 'AdditionInfoMsgForwarding'],
  },
  AdditionInfoMsgForwarding: {
    file: 'JOSEProtectedMessageForwarding',
    properties: ['suggestedStatusCode', 'suggestedProblemDetails', 'riErrorInformation'],
    required: [],
    refs: { suggestedProblemDetails: 'ProblemDetails', riErrorInformation: 'RiErrorInformation' },
  },

  // TS29573_SeppTelescopicFqdnMapping.yaml 1.3.1
  TelescopicMapping: {
    file: 'SeppTelescopicFqdnMapping',
    properties: ['telescopicLabel', 'seppDomain', 'foreignFqdn'],
    required: [],
  },

  // TS29571_CommonData.yaml 1.6.1
  PlmnId: { file: 'CommonData', properties: ['mcc', 'mnc'], required: ['mcc', 'mnc'] },
  PlmnIdNid: { file: 'CommonData', properties: ['mcc', 'mnc', 'nid'], required: ['mcc', 'mnc'] },
  InvalidParam: { file: 'CommonData', properties: ['param', 'reason'], required: ['param'] },
  ProblemDetails: {
    file: 'CommonData',
    properties: [
      'type',
      'title',
      'status',
      'detail',
      'instance',
      'cause',
      'invalidParams',
      'supportedFeatures',
      'accessTokenError',
      'accessTokenRequest',
      'nrfId',
      'supportedApiVersions',
      'noProfileMatchInfo',
    ],
    required: [],
    refs: { invalidParams: 'InvalidParam' },
  },
};

/** Open enumerations (`anyOf: [{enum}, string]`) and their values. */
export const OFFICIAL_ENUMS: Readonly<Record<string, readonly string[]>> = {
  // TS29573_N32_Handshake.yaml 1.4.0
  SecurityCapability: ['TLS', 'PRINS', 'NONE'],
  HttpMethod: ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE'],
  IeType: ['UEID', 'LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN', 'RECURSIVE_NON_LEAF', 'OTHER', 'NONSENSITIVE'],
  IeLocation: ['URI_PARAM', 'HEADER', 'BODY', 'MULTIPART_BINARY', 'URI_PATH'],
  N32fErrorType: [
    'INTEGRITY_CHECK_FAILED',
    'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED',
    'MODIFICATIONS_INSTRUCTIONS_FAILED',
    'DECIPHERING_FAILED',
    'MESSAGE_RECONSTRUCTION_FAILED',
    'CONTEXT_NOT_FOUND',
    'INTEGRITY_KEY_EXPIRED',
    'ENCRYPTION_KEY_EXPIRED',
    'POLICY_MISMATCH',
    'NETWORK_MAINTENANCE',
    'INSUFFICIENT_RESOURCES',
    'NO_CONNECTION_DUE_TO_CONTRACT',
    'IDLE_N32F_CONNECTION',
    'SWITCHING_TO_ANOTHER_RI',
    'NO_CONNECTION_DUE_TO_CONNECTIVITY',
  ],
  FailureReason: ['INVALID_JSON_POINTER', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', 'INVALID_HTTP_HEADER'],
  N32Purpose: [
    'ROAMING',
    'INTER_PLMN_MOBILITY',
    'SMS_INTERCONNECT',
    'ROAMING_TEST',
    'INTER_PLMN_MOBILITY_TEST',
    'SMS_INTERCONNECT_TEST',
    'SNPN_INTERCONNECT',
    'SNPN_INTERCONNECT_TEST',
    'DISASTER_ROAMING',
    'DISASTER_ROAMING_TEST',
    'DATA_ANALYTICS_EXCHANGE',
    'DATA_ANALYTICS_EXCHANGE_TEST',
  ],
  N32ReleaseIndication: ['RELEASE_REESTABLISHMENT_ALLOWED', 'RELEASE_REESTABLISHMENT_NOT_ALLOWED', 'REESTABLISH'],
  // TS29571_CommonData.yaml 1.6.1
  UriScheme: ['http', 'https'],
};

/** `oneOf` schemas: a string, or the named object. */
export const OFFICIAL_ONE_OFS: Readonly<Record<string, string>> = {
  // N32_Handshake: oneOf [CommonData Uri, CallbackName]
  ApiSignature: 'CallbackName',
  // JOSEProtectedMessageForwarding: oneOf [string, IndexToEncryptedValue]
  EncodedHttpHeaderValue: 'IndexToEncryptedValue',
};

/** What the official files define and our document knowingly does not carry, with the reason. */
export const OFFICIAL_NOT_SERVED = {
  /** Response codes, per `METHOD path`. */
  responses: {
    'POST /n32c-handshake/v1/exchange-capability': {
      '307': 'we never redirect a handshake to another SEPP (ExtRedirectResponse / seppFqdnForDiscovery)',
    },
  } as Readonly<Record<string, Readonly<Record<string, string>>>>,
  /** Header parameters, per `METHOD path`. */
  headerParameters: {
    'POST /n32f-forward/v1/n32f-process': {
      'Content-Encoding': 'bodies are read as identity-encoded JSON; no compressed n32f-process body is decoded',
      'Accept-Encoding': 'answers are never compressed',
    },
  } as Readonly<Record<string, Readonly<Record<string, string>>>>,
  /** Attributes, per schema. */
  properties: {
    ProblemDetails: {
      accessTokenError: 'NRF-specific (TS 29.510 AccessTokenErr): never sent or read by a SEPP',
      accessTokenRequest: 'NRF-specific (TS 29.510 AccessTokenReq): never sent or read by a SEPP',
      supportedApiVersions: 'we serve one version of each API',
      noProfileMatchInfo: 'NRF-specific (TS 29.510 NoProfileMatchInfo): never sent or read by a SEPP',
    },
  } as Readonly<Record<string, Readonly<Record<string, string>>>>,
  /** Schemas with no component in our document. */
  schemas: {
    ExtRedirectResponse: 'only the 307 answer of exchange-capability uses it (see responses)',
    RedirectResponseAddInfo: 'only the 307 answer of exchange-capability uses it (see responses)',
    Modifications: 'the JWS payload of an RI modificationsBlock: we authorize no intermediary (DECISIONS.md §7), so it is never parsed',
    AdditionInfoMsgForwarding: 'folded into ProblemDetailsMsgForwarding (a class extending ProblemDetails), whose attributes are the union of both',
  } as Readonly<Record<string, string>>,
} as const;
