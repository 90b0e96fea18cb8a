import { validateBody } from '../../validation/validate-body';
import {
  ApiIeMapping,
  N32fContextInfo,
  N32fErrorInfo,
  ProtectionPolicy,
  SecParamExchReqData,
  SecParamExchRspData,
  CallbackName,
} from './n32c-params';
import {
  DataToIntegrityProtectAndCipherBlock,
  DataToIntegrityProtectBlock,
  FlatJweJson,
  HttpHeader,
  IndexToEncryptedValue,
  N32fReformattedReqMsg,
  N32fReformattedRspMsg,
  ProblemDetailsMsgForwarding,
} from './n32f-forward';
import type { DataToIntegrityProtectBlockData, N32fErrorInfoData, SecParamExchReqBody } from './bodies';

const policy = {
  apiIeMappingList: [
    {
      apiSignature: '/nudm-sdm/v2/{supi}/am-data',
      apiMethod: 'GET',
      IeList: [{ ieLoc: 'URI_PATH', ieType: 'UEID', reqIe: 'supi' }],
    },
    {
      apiSignature: { callbackType: 'nudm-sdm-notify' },
      apiMethod: 'POST',
      IeList: [
        { ieLoc: 'BODY', ieType: 'LOCATION', reqIe: '/location', isModifiable: false, isModifiableByIpx: { 'ipx.example.org': false } },
        { ieLoc: 'HEADER', ieType: 'AUTHORIZATION_TOKEN', reqIe: 'authorization', ancestorIe: '/x' },
      ],
    },
  ],
  dataTypeEncPolicy: ['UEID', 'AUTHENTICATION_MATERIAL', 'SOME_FUTURE_TYPE'],
};

// Built from the plain-data interface: the type checker proves the interface matches the wire.
const exchReq: SecParamExchReqBody = {
  n32fContextId: '0123456789abcdef',
  jweCipherSuiteList: ['A128GCM', 'A256GCM'],
  jwsCipherSuiteList: ['ES256'],
  protectionPolicyInfo: policy,
  secProfiles: ['profile-1'],
  ipxProviderSecInfoList: [{ ipxProviderId: 'ipx.example.org', rawPublicKeyList: ['MFkw...'], certificateList: ['MIIB...'] }],
  sender: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org',
};

const aad: DataToIntegrityProtectBlockData = {
  metaData: { n32fContextId: 'ABCDEF0123456789', messageId: '00000000000000a1', authorizedIpxId: 'NULL' },
  requestLine: {
    method: 'GET',
    scheme: 'https',
    authority: 'udm.5gc.mnc001.mcc001.3gppnetwork.org',
    path: '/nudm-sdm/v2/{"encBlockIndex":1}/am-data',
    protocolVersion: 'HTTP/2',
    queryFragment: 'plmn-id=%7B%7D',
    pathQueryProtectInd: ['URI_PATH'],
  },
  headers: [
    { header: 'authorization', value: { encBlockIndex: 0 } },
    { header: 'accept', value: 'application/json' },
  ],
  payload: [
    { iePath: '/supi', ieValueLocation: 'BODY', value: { encBlockIndex: 2 } },
    { iePath: '/count', ieValueLocation: 'BODY', value: 3 },
    { iePath: '/flag', ieValueLocation: 'BODY', value: null },
    { iePath: '/name', ieValueLocation: 'BODY', value: 'x' },
    { iePath: '/list', ieValueLocation: 'BODY', value: [1, { a: 'b' }] },
  ],
};

const jwe = { protected: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0', aad: 'e30', iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'abc', tag: 'def', encrypted_key: '' };

function expectOk<T extends object>(cls: new () => T, body: unknown): T {
  const result = validateBody(cls, body);
  if (!result.ok) throw new Error(`unexpected failure: ${result.error.detail}`);
  return result.value;
}

describe('PRINS N32-c models accept good bodies', () => {
  it('SecParamExchReqData with every attribute, unknown IeType strings carried', () => {
    const value = expectOk(SecParamExchReqData, { ...exchReq, vendorExtension: 1 });
    expect(value).not.toHaveProperty('vendorExtension');
    expect(value.protectionPolicyInfo?.dataTypeEncPolicy).toEqual(['UEID', 'AUTHENTICATION_MATERIAL', 'SOME_FUTURE_TYPE']);
    expect(value.protectionPolicyInfo?.apiIeMappingList[0]?.IeList[0]?.ieLoc).toBe('URI_PATH');
  });

  it('SecParamExchReqData with only the context ID (a combined request may omit the rest)', () => {
    expectOk(SecParamExchReqData, { n32fContextId: 'ABCDEF0123456789' });
  });

  it('ApiSignature: a Uri string stays a string, a CallbackName object becomes a CallbackName', () => {
    const value = expectOk(ProtectionPolicy, policy);
    expect(value.apiIeMappingList[0]?.apiSignature).toBe('/nudm-sdm/v2/{supi}/am-data');
    const callback = value.apiIeMappingList[1]?.apiSignature;
    expect(callback).toBeInstanceOf(CallbackName);
    expect(callback).toEqual({ callbackType: 'nudm-sdm-notify' });
    expect(value.apiIeMappingList[1]?.IeList[0]?.isModifiableByIpx).toEqual({ 'ipx.example.org': false });
  });

  it('drops unknown attributes inside a CallbackName', () => {
    const value = expectOk(ApiIeMapping, { apiSignature: { callbackType: 'x', extra: 1 }, apiMethod: 'POST', IeList: [{ ieLoc: 'BODY', ieType: 'OTHER' }] });
    expect(value.apiSignature).toEqual({ callbackType: 'x' });
  });

  it('SecParamExchRspData', () => {
    expectOk(SecParamExchRspData, {
      n32fContextId: 'fedcba9876543210',
      selectedJweCipherSuite: 'A128GCM',
      selectedJwsCipherSuite: 'ES256',
      selProtectionPolicyInfo: policy,
      selSecProfiles: ['profile-1'],
      ipxProviderSecInfoList: [{ ipxProviderId: 'ipx.example.org' }],
      sender: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
    });
  });

  it('N32fContextInfo and N32fErrorInfo (with a Rel-19 error type and every list)', () => {
    expectOk(N32fContextInfo, { n32fContextId: '0123456789abcdef' });
    const report: N32fErrorInfoData = {
      n32fMessageId: '00000000000000a1',
      n32fErrorType: 'SWITCHING_TO_ANOTHER_RI',
      n32fContextId: '0123456789abcdef',
      failedModificationList: [{ ipxId: 'ipx.example.org', n32fErrorType: 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED' }],
      errorDetailsList: [{ attribute: '/payload/0/value', msgReconstructFailReason: 'INVALID_INDEX_TO_ENCRYPTED_BLOCK' }],
      policyMismatchList: [{ param: '/dataTypeEncPolicy', reason: 'missing LOCATION' }],
      riErrorInformation: { n32fConnectionRelInd: 'REESTABLISH', n32fContextRelInd: 'SOMETHING_NEW', alternativeRi: 'ri2.example.org' },
    };
    const value = expectOk(N32fErrorInfo, report);
    expect(value.riErrorInformation?.n32fContextRelInd).toBe('SOMETHING_NEW');
  });
});

describe('PRINS N32-f models accept good bodies', () => {
  it('N32fReformattedReqMsg / RspMsg with `encrypted_key` and a modifications block', () => {
    const value = expectOk(N32fReformattedReqMsg, {
      reformattedData: { ...jwe, header: { kid: '1' }, unprotected: {} },
      modificationsBlock: [{ protected: 'eyJhbGciOiJFUzI1NiJ9', payload: 'e30', signature: 'c2ln' }],
    });
    expect(value.reformattedData).toBeInstanceOf(FlatJweJson);
    expect(value.reformattedData.encrypted_key).toBe('');
    expect(value.reformattedData.header).toEqual({ kid: '1' });
    expectOk(N32fReformattedRspMsg, { reformattedData: { ciphertext: 'x' } });
  });

  it('DataToIntegrityProtectBlock of a request: placeholders, any JSON payload value, null included', () => {
    const value = expectOk(DataToIntegrityProtectBlock, aad);
    expect(value.headers?.[0]?.value).toBeInstanceOf(IndexToEncryptedValue);
    expect(value.headers?.[1]?.value).toBe('application/json');
    expect(value.payload?.map((p) => p.value)).toEqual([{ encBlockIndex: 2 }, 3, null, 'x', [1, { a: 'b' }]]);
  });

  it('DataToIntegrityProtectBlock of a response, and authorizedIpxId null or empty', () => {
    expectOk(DataToIntegrityProtectBlock, { metaData: { ...aad.metaData, authorizedIpxId: null }, statusLine: '200' });
    expectOk(DataToIntegrityProtectBlock, { metaData: { ...aad.metaData, authorizedIpxId: '' }, statusLine: 'HTTP/2 404' });
  });

  it('DataToIntegrityProtectAndCipherBlock with values of any JSON type', () => {
    expectOk(DataToIntegrityProtectAndCipherBlock, { dataToEncrypt: ['Bearer x', '/nudm-sdm/v2/imsi-001010000000001/am-data', { rand: 'x' }, null, 5] });
  });

  it('ProblemDetailsMsgForwarding: ProblemDetails plus the three extensions', () => {
    const value = expectOk(ProblemDetailsMsgForwarding, {
      status: 403,
      cause: 'MESSAGE_RECONSTRUCTION_FAILED',
      detail: 'bad index',
      suggestedStatusCode: 400,
      suggestedProblemDetails: { status: 400, cause: 'INVALID_MSG_FORMAT' },
      riErrorInformation: { alternativeRi: 'ri2.example.org' },
    });
    expect(value.suggestedProblemDetails?.cause).toBe('INVALID_MSG_FORMAT');
    expect(value.cause).toBe('MESSAGE_RECONSTRUCTION_FAILED');
  });
});

type Bad = [name: string, cls: new () => object, body: unknown, code: string, pointer: string];

const mapping = policy.apiIeMappingList[0]!;
const bad: Bad[] = [
  // SecParamExchReqData
  ['exch req: no context ID', SecParamExchReqData, { sender: 'sepp.example.org' }, 'MANDATORY_IE_MISSING', '/n32fContextId'],
  ['exch req: context ID of 15 digits', SecParamExchReqData, { n32fContextId: '0123456789abcde' }, 'MANDATORY_IE_INCORRECT', '/n32fContextId'],
  ['exch req: context ID not hex', SecParamExchReqData, { n32fContextId: '0123456789abcdeg' }, 'MANDATORY_IE_INCORRECT', '/n32fContextId'],
  ['exch req: empty JWE list', SecParamExchReqData, { ...exchReq, jweCipherSuiteList: [] }, 'OPTIONAL_IE_INCORRECT', '/jweCipherSuiteList'],
  ['exch req: JWS list item a number', SecParamExchReqData, { ...exchReq, jwsCipherSuiteList: [1] }, 'OPTIONAL_IE_INCORRECT', '/jwsCipherSuiteList'],
  ['exch req: 257 profiles', SecParamExchReqData, { ...exchReq, secProfiles: Array.from({ length: 257 }, (_, i) => `p${i}`) }, 'OPTIONAL_IE_INCORRECT', '/secProfiles'],
  ['exch req: sender not an FQDN', SecParamExchReqData, { ...exchReq, sender: 'sepp' }, 'OPTIONAL_IE_INCORRECT', '/sender'],
  ['exch req: RI without id', SecParamExchReqData, { ...exchReq, ipxProviderSecInfoList: [{ rawPublicKeyList: ['k'] }] }, 'MANDATORY_IE_MISSING', '/ipxProviderSecInfoList/0/ipxProviderId'],
  ['exch req: RI empty key list', SecParamExchReqData, { ...exchReq, ipxProviderSecInfoList: [{ ipxProviderId: 'ipx.example.org', rawPublicKeyList: [] }] }, 'OPTIONAL_IE_INCORRECT', '/ipxProviderSecInfoList/0/rawPublicKeyList'],
  ['policy: no mapping list', SecParamExchReqData, { ...exchReq, protectionPolicyInfo: { dataTypeEncPolicy: ['UEID'] } }, 'MANDATORY_IE_MISSING', '/protectionPolicyInfo/apiIeMappingList'],
  ['policy: empty mapping list', SecParamExchReqData, { ...exchReq, protectionPolicyInfo: { apiIeMappingList: [] } }, 'MANDATORY_IE_INCORRECT', '/protectionPolicyInfo/apiIeMappingList'],
  ['policy: empty data-type list', SecParamExchReqData, { ...exchReq, protectionPolicyInfo: { ...policy, dataTypeEncPolicy: [] } }, 'OPTIONAL_IE_INCORRECT', '/protectionPolicyInfo/dataTypeEncPolicy'],
  ['mapping: ieList spelled in camel case', ProtectionPolicy, { apiIeMappingList: [{ apiSignature: '/x', apiMethod: 'GET', ieList: mapping.IeList }] }, 'MANDATORY_IE_MISSING', '/apiIeMappingList/0/IeList'],
  ['mapping: no method', ProtectionPolicy, { apiIeMappingList: [{ apiSignature: '/x', IeList: mapping.IeList }] }, 'MANDATORY_IE_MISSING', '/apiIeMappingList/0/apiMethod'],
  ['mapping: signature a number', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, apiSignature: 7 }] }, 'MANDATORY_IE_INCORRECT', '/apiIeMappingList/0/apiSignature'],
  ['mapping: signature an array', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, apiSignature: ['/x'] }] }, 'MANDATORY_IE_INCORRECT', '/apiIeMappingList/0/apiSignature'],
  ['mapping: callback without callbackType', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, apiSignature: { name: 'x' } }] }, 'MANDATORY_IE_INCORRECT', '/apiIeMappingList/0/apiSignature'],
  ['mapping: callbackType a number', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, apiSignature: { callbackType: 1 } }] }, 'MANDATORY_IE_INCORRECT', '/apiIeMappingList/0/apiSignature'],
  ['ie: no ieType', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, IeList: [{ ieLoc: 'BODY' }] }] }, 'MANDATORY_IE_MISSING', '/apiIeMappingList/0/IeList/0/ieType'],
  ['ie: ieLoc a number', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, IeList: [{ ieLoc: 1, ieType: 'UEID' }] }] }, 'MANDATORY_IE_INCORRECT', '/apiIeMappingList/0/IeList/0/ieLoc'],
  ['ie: isModifiable a string', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, IeList: [{ ieLoc: 'BODY', ieType: 'UEID', isModifiable: 'no' }] }] }, 'OPTIONAL_IE_INCORRECT', '/apiIeMappingList/0/IeList/0/isModifiable'],
  ['ie: isModifiableByIpx empty', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, IeList: [{ ieLoc: 'BODY', ieType: 'UEID', isModifiableByIpx: {} }] }] }, 'OPTIONAL_IE_INCORRECT', '/apiIeMappingList/0/IeList/0/isModifiableByIpx'],
  ['ie: isModifiableByIpx value a string', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, IeList: [{ ieLoc: 'BODY', ieType: 'UEID', isModifiableByIpx: { ipx: 'yes' } }] }] }, 'OPTIONAL_IE_INCORRECT', '/apiIeMappingList/0/IeList/0/isModifiableByIpx'],
  ['ie: isModifiableByIpx an array', ProtectionPolicy, { apiIeMappingList: [{ ...mapping, IeList: [{ ieLoc: 'BODY', ieType: 'UEID', isModifiableByIpx: [true] }] }] }, 'OPTIONAL_IE_INCORRECT', '/apiIeMappingList/0/IeList/0/isModifiableByIpx'],
  // SecParamExchRspData, N32fContextInfo
  ['exch rsp: no context ID', SecParamExchRspData, { selectedJweCipherSuite: 'A128GCM' }, 'MANDATORY_IE_MISSING', '/n32fContextId'],
  ['exch rsp: selected suite a list', SecParamExchRspData, { n32fContextId: '0123456789abcdef', selectedJweCipherSuite: ['A128GCM'] }, 'OPTIONAL_IE_INCORRECT', '/selectedJweCipherSuite'],
  ['exch rsp: empty selSecProfiles', SecParamExchRspData, { n32fContextId: '0123456789abcdef', selSecProfiles: [] }, 'OPTIONAL_IE_INCORRECT', '/selSecProfiles'],
  ['context info: context ID null', N32fContextInfo, { n32fContextId: null }, 'MANDATORY_IE_INCORRECT', '/n32fContextId'],
  // N32fErrorInfo
  ['error: no message ID', N32fErrorInfo, { n32fErrorType: 'POLICY_MISMATCH' }, 'MANDATORY_IE_MISSING', '/n32fMessageId'],
  ['error: no error type', N32fErrorInfo, { n32fMessageId: '1' }, 'MANDATORY_IE_MISSING', '/n32fErrorType'],
  ['error: detail without reason', N32fErrorInfo, { n32fMessageId: '1', n32fErrorType: 'MESSAGE_RECONSTRUCTION_FAILED', errorDetailsList: [{ attribute: '/x' }] }, 'MANDATORY_IE_MISSING', '/errorDetailsList/0/msgReconstructFailReason'],
  ['error: failed modification ipxId not an FQDN', N32fErrorInfo, { n32fMessageId: '1', n32fErrorType: 'X', failedModificationList: [{ ipxId: 'ipx', n32fErrorType: 'X' }] }, 'MANDATORY_IE_INCORRECT', '/failedModificationList/0/ipxId'],
  ['error: mismatch without param', N32fErrorInfo, { n32fMessageId: '1', n32fErrorType: 'POLICY_MISMATCH', policyMismatchList: [{ reason: 'x' }] }, 'MANDATORY_IE_MISSING', '/policyMismatchList/0/param'],
  ['error: RI info alternativeRi not an FQDN', N32fErrorInfo, { n32fMessageId: '1', n32fErrorType: 'X', riErrorInformation: { alternativeRi: 'x' } }, 'OPTIONAL_IE_INCORRECT', '/riErrorInformation/alternativeRi'],
  // N32-f containers
  ['req msg: no reformattedData', N32fReformattedReqMsg, { modificationsBlock: [{ payload: 'a', signature: 'b' }] }, 'MANDATORY_IE_MISSING', '/reformattedData'],
  ['req msg: JWE without ciphertext', N32fReformattedReqMsg, { reformattedData: { protected: 'x' } }, 'MANDATORY_IE_MISSING', '/reformattedData/ciphertext'],
  ['req msg: encrypted_key a number', N32fReformattedReqMsg, { reformattedData: { ...jwe, encrypted_key: 0 } }, 'OPTIONAL_IE_INCORRECT', '/reformattedData/encrypted_key'],
  ['req msg: JWE header an array', N32fReformattedReqMsg, { reformattedData: { ...jwe, header: [] } }, 'OPTIONAL_IE_INCORRECT', '/reformattedData/header'],
  ['req msg: empty modifications block', N32fReformattedReqMsg, { reformattedData: jwe, modificationsBlock: [] }, 'OPTIONAL_IE_INCORRECT', '/modificationsBlock'],
  ['rsp msg: JWS without signature', N32fReformattedRspMsg, { reformattedData: jwe, modificationsBlock: [{ payload: 'a' }] }, 'MANDATORY_IE_MISSING', '/modificationsBlock/0/signature'],
  // AAD
  ['aad: metaData without messageId', DataToIntegrityProtectBlock, { ...aad, metaData: { n32fContextId: '0123456789abcdef', authorizedIpxId: 'NULL' } }, 'MANDATORY_IE_MISSING', '/metaData/messageId'],
  ['aad: metaData without authorizedIpxId', DataToIntegrityProtectBlock, { ...aad, metaData: { n32fContextId: '0123456789abcdef', messageId: '1' } }, 'MANDATORY_IE_MISSING', '/metaData/authorizedIpxId'],
  ['aad: authorizedIpxId a number', DataToIntegrityProtectBlock, { ...aad, metaData: { ...aad.metaData, authorizedIpxId: 0 } }, 'MANDATORY_IE_INCORRECT', '/metaData/authorizedIpxId'],
  ['aad: bad context ID', DataToIntegrityProtectBlock, { ...aad, metaData: { ...aad.metaData, n32fContextId: 'xyz' } }, 'MANDATORY_IE_INCORRECT', '/metaData/n32fContextId'],
  ['aad: request line without protocolVersion', DataToIntegrityProtectBlock, { ...aad, requestLine: { method: 'GET', scheme: 'https', authority: 'a', path: '/' } }, 'MANDATORY_IE_MISSING', '/requestLine/protocolVersion'],
  ['aad: three pathQueryProtectInd', DataToIntegrityProtectBlock, { ...aad, requestLine: { ...aad.requestLine, pathQueryProtectInd: ['URI_PATH', 'URI_PARAM', 'BODY'] } }, 'OPTIONAL_IE_INCORRECT', '/requestLine/pathQueryProtectInd'],
  ['aad: statusLine a number', DataToIntegrityProtectBlock, { statusLine: 200 }, 'OPTIONAL_IE_INCORRECT', '/statusLine'],
  ['aad: empty headers', DataToIntegrityProtectBlock, { ...aad, headers: [] }, 'OPTIONAL_IE_INCORRECT', '/headers'],
  ['aad: header without value', DataToIntegrityProtectBlock, { ...aad, headers: [{ header: 'accept' }] }, 'MANDATORY_IE_MISSING', '/headers/0/value'],
  ['aad: header value a number', DataToIntegrityProtectBlock, { ...aad, headers: [{ header: 'accept', value: 1 }] }, 'MANDATORY_IE_INCORRECT', '/headers/0/value'],
  ['aad: header index negative', DataToIntegrityProtectBlock, { ...aad, headers: [{ header: 'accept', value: { encBlockIndex: -1 } }] }, 'MANDATORY_IE_INCORRECT', '/headers/0/value'],
  ['aad: header index a string', DataToIntegrityProtectBlock, { ...aad, headers: [{ header: 'accept', value: { encBlockIndex: '0' } }] }, 'MANDATORY_IE_INCORRECT', '/headers/0/value'],
  ['aad: header index misspelled encBlockIdx', DataToIntegrityProtectBlock, { ...aad, headers: [{ header: 'accept', value: { encBlockIdx: 0 } }] }, 'MANDATORY_IE_INCORRECT', '/headers/0/value'],
  ['aad: payload without value', DataToIntegrityProtectBlock, { ...aad, payload: [{ iePath: '/a', ieValueLocation: 'BODY' }] }, 'MANDATORY_IE_MISSING', '/payload/0/value'],
  ['aad: payload without iePath', DataToIntegrityProtectBlock, { ...aad, payload: [{ ieValueLocation: 'BODY', value: 1 }] }, 'MANDATORY_IE_MISSING', '/payload/0/iePath'],
  ['aad: payload location a number', DataToIntegrityProtectBlock, { ...aad, payload: [{ iePath: '/a', ieValueLocation: 1, value: 1 }] }, 'MANDATORY_IE_INCORRECT', '/payload/0/ieValueLocation'],
  ['plaintext: empty dataToEncrypt', DataToIntegrityProtectAndCipherBlock, { dataToEncrypt: [] }, 'MANDATORY_IE_INCORRECT', '/dataToEncrypt'],
  ['plaintext: dataToEncrypt an object', DataToIntegrityProtectAndCipherBlock, { dataToEncrypt: { 0: 'x' } }, 'MANDATORY_IE_INCORRECT', '/dataToEncrypt'],
  ['plaintext: no dataToEncrypt', DataToIntegrityProtectAndCipherBlock, {}, 'MANDATORY_IE_MISSING', '/dataToEncrypt'],
  ['problem: suggestedStatusCode fractional', ProblemDetailsMsgForwarding, { suggestedStatusCode: 400.5 }, 'OPTIONAL_IE_INCORRECT', '/suggestedStatusCode'],
  ['problem: suggestedProblemDetails status a string', ProblemDetailsMsgForwarding, { suggestedProblemDetails: { status: '400' } }, 'OPTIONAL_IE_INCORRECT', '/suggestedProblemDetails/status'],
  ['problem: inherited cause a number', ProblemDetailsMsgForwarding, { cause: 1 }, 'OPTIONAL_IE_INCORRECT', '/cause'],
];

describe('PRINS models reject bad bodies, naming the failing field by JSON Pointer', () => {
  it.each(bad)('%s', (_name, cls, body, code, pointer) => {
    const result = validateBody(cls, body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.invalidParams.map((p) => p.param)).toContain(pointer);
      expect(result.error.code).toBe(code);
    }
  });

  it('explains a failed oneOf branch in the reason', () => {
    const result = validateBody(HttpHeader, { header: 'accept', value: { encBlockIndex: -1 } });
    expect(!result.ok && result.error.invalidParams[0]?.reason).toMatch(/IndexToEncryptedValue.*encBlockIndex: must be an unsigned integer/);
  });
});
