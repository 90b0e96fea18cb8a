import type { DataToIntegrityProtectBlockData } from '../messages/bodies';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { reformatRequest } from '../reformat/reformat';
import { checkModificationPolicy, encryptedPointers, type ModificationPolicyInput } from './policy';
import { AUSF_PATH, IPX_A, IPX_B, POLICY, protectedRequest, SUCI, TOKEN } from './spec-fixtures';
import type { PatchItem } from './types';

const fixture = protectedRequest();
const AAD = fixture.aad;
// headers: 0 content-type, 1 authorization {encBlockIndex:0}, 2 x-ipx-route
// payload: 0 /supiOrSuci {encBlockIndex:1}, 1 /servingNetworkName (clear), 2 /resynchronizationInfo {encBlockIndex:2}

function check(operations: PatchItem[], overrides: Partial<ModificationPolicyInput> = {}): ReturnType<typeof checkModificationPolicy> {
  return checkModificationPolicy(operations, { aad: AAD, policy: POLICY, identity: IPX_A, confidentialValues: fixture.dataToEncrypt, ...overrides });
}

function refusal(run: () => unknown): PrinsError {
  try {
    run();
  } catch (error) {
    if (error instanceof PrinsError) return error;
    throw error;
  }
  throw new Error('expected a PrinsError');
}

function expectRefused(operations: PatchItem[], overrides: Partial<ModificationPolicyInput> = {}, identity = IPX_A): PrinsError {
  const error = refusal(() => check(operations, { identity, ...overrides }));
  expect(error.type).toBe(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED);
  expect(error.failedModifications).toEqual([{ ipxId: identity, n32fErrorType: N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED }]);
  return error;
}

describe('checkModificationPolicy: what the policy allows', () => {
  it('allows modifiable IEs and reports what changed, never the values', () => {
    const changes = check([
      { op: 'test', path: '/metaData/authorizedIpxId', value: IPX_A },
      { op: 'replace', path: '/headers/2/value', value: 'hop-1' },
      { op: 'add', path: '/headers/-', value: { header: 'x-ipx-route', value: 'hop-1b' } },
      { op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: { note: 'via ipx-a' } } },
      { op: 'add', path: '/payload/3/value/more', value: 1 },
      { op: 'replace', path: '/payload/1/value', value: '5G:mnc002.mcc001.3gppnetwork.org' },
    ]);
    expect(changes.map(({ op, path, ie }) => `${op} ${path} ${ie}`)).toEqual([
      'test /metaData/authorizedIpxId read',
      'replace /headers/2/value header x-ipx-route',
      'add /headers/- header x-ipx-route',
      'add /payload/- body /extra',
      'add /payload/3/value/more body /extra/more',
      'replace /payload/1/value body /servingNetworkName',
    ]);
    expect(JSON.stringify(changes)).not.toContain('hop-1');
  });

  it('isModifiableByIpx names the RI: IPX_A may change servingNetworkName, IPX_B may not', () => {
    const operation: PatchItem = { op: 'replace', path: '/payload/1/value', value: 'x' };
    expect(check([operation])).toHaveLength(1);
    expect(expectRefused([operation], {}, IPX_B).detail).toContain('not modifiable by');
  });

  it.each<[string, PatchItem]>([
    ['a header the policy does not name', { op: 'replace', path: '/headers/0/value', value: 'text/plain' }],
    ['metaData', { op: 'replace', path: '/metaData/authorizedIpxId', value: IPX_B }],
    ['the authority', { op: 'replace', path: '/requestLine/authority', value: 'evil.example.org' }],
    ['the method', { op: 'replace', path: '/requestLine/method', value: 'DELETE' }],
    ['a whole list', { op: 'replace', path: '/headers', value: [] }],
    ['a body IE the policy does not name', { op: 'add', path: '/payload/-', value: { iePath: '/other', ieValueLocation: 'BODY', value: 1 } }],
    ['an IE of an encrypted type, even marked isModifiable', { op: 'add', path: '/payload/-', value: { iePath: '/resynchronizationInfo', ieValueLocation: 'BODY', value: {} } }],
    ['ieValueLocation', { op: 'replace', path: '/payload/1/ieValueLocation', value: 'MULTIPART_BINARY' }],
    ['a header entry renamed to a protected name', { op: 'replace', path: '/headers/2/header', value: 'content-type' }],
    ['a new header entry with extra members', { op: 'add', path: '/headers/-', value: { header: 'x-ipx-route', value: 'v', x: 1 } }],
    ['removing a header it may not touch', { op: 'remove', path: '/headers/0' }],
  ])('refuses %s', (_name, operation) => {
    expectRefused([operation]);
  });

  it('refuses everything in a response without the request it answers; allows rspIe with it', () => {
    const response: DataToIntegrityProtectBlockData = { metaData: AAD.metaData!, statusLine: '200', payload: [{ iePath: '/authType', ieValueLocation: 'BODY', value: '5G_AKA' }] };
    const operation: PatchItem = { op: 'replace', path: '/payload/0/value', value: 'EAP_AKA_PRIME' };
    expectRefused([operation], { aad: response });
    expect(check([operation], { aad: response, request: { method: 'POST', path: AUSF_PATH } })).toEqual([{ identity: IPX_A, op: 'replace', path: '/payload/0/value', ie: 'body /authType' }]);
    // reqIe rules do not apply to the response.
    expectRefused([{ op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: 1 } }], { aad: response, request: { method: 'POST', path: AUSF_PATH } });
  });

  it('query: only modifiable parameters may change', () => {
    const aad = reformatRequest(
      { method: 'GET', scheme: 'https', authority: 'nrf.example.org', path: '/nnrf-disc/v1/nf-instances', query: 'target-nf-type=AUSF&requester-features=1', headers: [] },
      { n32fContextId: '0123456789abcdef', messageId: '1', authorizedIpxId: IPX_A },
      POLICY,
    ).aad;
    expect(check([{ op: 'replace', path: '/requestLine/queryFragment', value: 'target-nf-type=AUSF&requester-features=3f' }], { aad })[0]!.ie).toBe('query');
    expect(check([{ op: 'replace', path: '/requestLine/queryFragment', value: 'target-nf-type=AUSF' }], { aad })).toHaveLength(1);
    expectRefused([{ op: 'replace', path: '/requestLine/queryFragment', value: 'target-nf-type=UDM&requester-features=1' }], { aad });
    expectRefused([{ op: 'remove', path: '/requestLine/queryFragment' }], { aad });
  });

  it('path: only modifiable path variables may change', () => {
    const aad = reformatRequest(
      { method: 'POST', scheme: 'https', authority: 'smf.example.org', path: '/nsmf-pdusession/v1/sm-contexts/ctx-1/retrieve', headers: [] },
      { n32fContextId: '0123456789abcdef', messageId: '1', authorizedIpxId: IPX_A },
      POLICY,
    ).aad;
    expect(check([{ op: 'replace', path: '/requestLine/path', value: '/nsmf-pdusession/v1/sm-contexts/ctx-2/retrieve' }], { aad })[0]!.ie).toBe('path');
    expectRefused([{ op: 'replace', path: '/requestLine/path', value: '/nsmf-pdusession/v1/sm-contexts/ctx-1/release' }], { aad });
    expectRefused([{ op: 'replace', path: '/requestLine/path', value: '/nsmf-pdusession/v2/sm-contexts/ctx-1/retrieve' }], { aad });
  });
});

describe('checkModificationPolicy: encrypted IEs (33.517 4.2.2.8 TC_NO_ENCRYPTED_IE_MISPLACEMENT)', () => {
  it('finds the placeholders of the AAD', () => {
    expect(encryptedPointers(AAD).map((tokens) => `/${tokens.join('/')}`).sort()).toEqual(['/headers/1/value', '/payload/0/value', '/payload/2/value']);
  });

  it.each<[string, PatchItem]>([
    ['replacing an encrypted header value', { op: 'replace', path: '/headers/1/value', value: 'Bearer x' }],
    ['renaming the header of an encrypted value (next to it)', { op: 'replace', path: '/headers/1/header', value: 'x-ipx-route' }],
    ['removing the entry holding it (its container)', { op: 'remove', path: '/headers/1' }],
    ['copying the placeholder into a clear IE', { op: 'copy', from: '/headers/1/value', path: '/headers/2/value' }],
    ['copying it into a new body IE', { op: 'copy', from: '/payload/0/value', path: '/payload/3' }],
    ['moving it into a clear IE', { op: 'move', from: '/payload/0/value', path: '/payload/1/value' }],
    ['copying its whole entry', { op: 'copy', from: '/payload/2', path: '/payload/-' }],
    ['changing the iePath of an encrypted body IE', { op: 'replace', path: '/payload/0/iePath', value: '/extra' }],
    ['writing an {encBlockIndex} object into a modifiable IE', { op: 'replace', path: '/payload/1/value', value: { encBlockIndex: 0 } }],
    ['writing one nested in a new body IE', { op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: { a: [{ encBlockIndex: 1 }] } } }],
    ['writing one as a new header value', { op: 'add', path: '/headers/-', value: { header: 'x-ipx-route', value: { encBlockIndex: 0 } } }],
    ['a pointer naming an encBlockIndex member', { op: 'add', path: '/payload/1/encBlockIndex', value: 1 }],
    ['a request-line placeholder string', { op: 'replace', path: '/payload/1/value', value: 'encBlockIndex/0' }],
    ['testing an encrypted IE', { op: 'test', path: '/headers/1/value', value: { encBlockIndex: 0 } }],
  ])('refuses %s', (_name, operation) => {
    expectRefused([operation]);
  });

  it('follows a placeholder that an earlier insert shifted (no stale pointers)', () => {
    // After the insert, authorization (encrypted) is /headers/2; renaming it must be refused even
    // though /headers/2 was the modifiable x-ipx-route in the original AAD.
    const error = expectRefused([
      { op: 'add', path: '/headers/0', value: { header: 'x-ipx-route', value: 'first' } },
      { op: 'replace', path: '/headers/2/header', value: 'x-ipx-route' },
    ]);
    expect(error.detail).toContain('operations[1]');
  });

  it('refuses turning a lookalike into a placeholder (removing the member next to encBlockIndex)', () => {
    const aad: DataToIntegrityProtectBlockData = { ...AAD, payload: [...AAD.payload!, { iePath: '/extra', ieValueLocation: 'BODY', value: { encBlockIndex: 2, y: 1 } }] };
    expectRefused([{ op: 'remove', path: '/payload/3/value/y' }], { aad });
  });

  it('protects extra encrypted pointers given by the caller, and the lists holding them', () => {
    expectRefused([{ op: 'replace', path: '/payload/1/value', value: 'x' }], { encryptedPointers: ['/payload/1/value'] });
    expectRefused([{ op: 'add', path: '/payload/0', value: { iePath: '/extra', ieValueLocation: 'BODY', value: 1 } }], { encryptedPointers: ['/payload/1/value'] });
    expect(() => check([], { encryptedPointers: ['/nowhere'] })).toThrow(TypeError);
  });

  it('refuses writing a decrypted confidential value into clear', () => {
    expectRefused([{ op: 'replace', path: '/headers/2/value', value: SUCI }]);
    expectRefused([{ op: 'replace', path: '/headers/2/value', value: `x ${TOKEN} y` }]);
    expectRefused([{ op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: { copy: fixture.dataToEncrypt[2]! } } }]);
    expectRefused([{ op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: { [SUCI]: true } } }]);
    // The same values pass when the caller gives no confidential values (the check is theirs).
    expect(check([{ op: 'replace', path: '/headers/2/value', value: SUCI }], { confidentialValues: [] })).toHaveLength(1);
  });

  it('counts the identifier inside an encrypted path as confidential', () => {
    const supi = 'imsi-001010000000001';
    expectRefused([{ op: 'replace', path: '/headers/2/value', value: supi }], { confidentialValues: [`/nudm-sdm/v2/${supi}/am-data`] });
    expect(check([{ op: 'replace', path: '/headers/2/value', value: 'nudm-sdm am-data' }], { confidentialValues: [`/nudm-sdm/v2/${supi}/am-data`] })).toHaveLength(1);
  });

  it('an encrypted path segment freezes the request line (the path holds a placeholder; its members are next to it)', () => {
    const aad = reformatRequest(
      { method: 'GET', scheme: 'https', authority: 'udm.example.org', path: '/nudm-sdm/v2/imsi-001010000000001/am-data', query: 'x=1', headers: [] },
      { n32fContextId: '0123456789abcdef', messageId: '1', authorizedIpxId: IPX_A },
      POLICY,
    ).aad;
    expect(aad.requestLine).toMatchObject({ path: '/nudm-sdm/v2/{"encBlockIndex":0}/am-data', pathQueryProtectInd: ['URI_PATH'] });
    const request = { method: 'GET', path: '/nudm-sdm/v2/imsi-001010000000001/am-data' };
    expectRefused([{ op: 'replace', path: '/requestLine/queryFragment', value: 'x=2' }], { aad, request });
    expectRefused([{ op: 'replace', path: '/requestLine/path', value: '/nudm-sdm/v2/{"encBlockIndex":0}/nssai' }], { aad, request });
    expectRefused([{ op: 'remove', path: '/requestLine/pathQueryProtectInd' }], { aad, request });
    // A placeholder written anywhere else (as a query value, percent-encoded too) is refused.
    expectRefused([{ op: 'replace', path: '/headers/0/value', value: '{"encBlockIndex":0}' }], { request });
    expectRefused([{ op: 'replace', path: '/headers/0/value', value: 'x=%7B%22encBlockIndex%22%3A0%7D' }], { request });
  });

  it('reports a pointer that cannot be applied as MESSAGE_RECONSTRUCTION_FAILED / INVALID_JSON_POINTER', () => {
    const error = refusal(() => check([{ op: 'replace', path: '/headers/7/value', value: 'x' }]));
    expect(error.type).toBe(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED);
    expect(error.errorDetails).toEqual([{ attribute: '/headers/7/value', msgReconstructFailReason: 'INVALID_JSON_POINTER' }]);
  });

  it('never changes the AAD it checks', () => {
    const before = JSON.stringify(AAD);
    check([{ op: 'replace', path: '/headers/2/value', value: 'hop-1' }]);
    expect(JSON.stringify(AAD)).toBe(before);
  });
});
