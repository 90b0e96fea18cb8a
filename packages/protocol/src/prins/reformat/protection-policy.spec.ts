import { validateBody } from '../../validation/validate-body';
import type { ProtectionPolicyData } from '../messages/bodies';
import { ProtectionPolicy } from '../messages/n32c-params';
import {
  DEFAULT_API_IE_MAPPINGS,
  DEFAULT_DATA_TYPE_ENC_POLICY,
  MANDATORY_ENCRYPTED_IE_TYPES,
  dataTypeEncryptionPolicy,
  defaultProtectionPolicy,
  encryptedIes,
  encryptsIeType,
  matchApiSignature,
  policyMismatches,
  protectionPolicy,
  toProtectionPolicyData,
} from './protection-policy';

describe('data-type encryption policy', () => {
  it('mandatory set is 33.501 5.9.3.3 "shall": AV, key material, location, authorization token', () => {
    expect([...MANDATORY_ENCRYPTED_IE_TYPES].sort()).toEqual(['AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN', 'KEY_MATERIAL', 'LOCATION']);
  });

  it('default adds UEID (SUPI is a 5.9.3.3 "should")', () => {
    expect(DEFAULT_DATA_TYPE_ENC_POLICY).toEqual(['UEID', 'LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN']);
    expect(defaultProtectionPolicy().dataTypeEncPolicy).toEqual(DEFAULT_DATA_TYPE_ENC_POLICY);
  });

  it('configuration only extends the mandatory set (13.2.3.6), unknown types carried, canonical order', () => {
    expect(dataTypeEncryptionPolicy([])).toEqual(['LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN']);
    expect(dataTypeEncryptionPolicy(['ZZZ', 'OTHER', 'UEID', 'LOCATION'])).toEqual(['UEID', 'LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN', 'OTHER', 'ZZZ']);
  });

  it('the mandatory types are encrypted even by a policy object that omits them', () => {
    expect(encryptsIeType({ dataTypeEncPolicy: [] }, 'KEY_MATERIAL')).toBe(true);
    expect(encryptsIeType({ dataTypeEncPolicy: [] }, 'UEID')).toBe(false);
    expect(encryptsIeType({ dataTypeEncPolicy: ['UEID'] }, 'UEID')).toBe(true);
    expect(encryptsIeType(defaultProtectionPolicy(), 'NONSENSITIVE')).toBe(false);
  });
});

describe('API signatures', () => {
  it.each([
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-001010000000001/am-data', { supi: 'imsi-001010000000001' }],
    ['{apiRoot}/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-1/am-data', { supi: 'imsi-1' }],
    ['https://udm.example.org/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-1/am-data', { supi: 'imsi-1' }],
    ['/nudm-sdm/v2/{supi}/sdm-subscriptions/{subscriptionId}', '/nudm-sdm/v2/imsi-1/sdm-subscriptions/s1', { supi: 'imsi-1', subscriptionId: 's1' }],
    ['/**', '/anything/at/all', {}],
    ['/nudm-sdm/**', '/nudm-sdm', {}],
  ])('%s matches %s', (signature, path, variables) => {
    expect(Object.fromEntries(matchApiSignature(signature, path) ?? [['no', 'match']])).toEqual(variables);
  });

  it.each([
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-1/am-data/extra'],
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2/imsi-1'],
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v2//am-data'],
    ['/nudm-sdm/v2/{supi}/am-data', '/nudm-sdm/v1/imsi-1/am-data'],
    ['nudm-sdm/v2', '/nudm-sdm/v2'],
  ])('%s does not match %s', (signature, path) => {
    expect(matchApiSignature(signature, path)).toBeNull();
  });

  it('every matching mapping contributes, only encrypted types, method compared in upper case', () => {
    const ies = encryptedIes(defaultProtectionPolicy(), 'get', '/nudm-sdm/v2/imsi-1/am-data');
    expect(ies.map(({ ie }) => `${ie.ieLoc} ${ie.reqIe}`).sort()).toEqual(['HEADER authorization', 'URI_PATH supi']);
    expect(encryptedIes(protectionPolicy({ dataTypeEncPolicy: [] }), 'GET', '/nudm-sdm/v2/imsi-1/am-data').map(({ ie }) => ie.ieType)).toEqual(['AUTHORIZATION_TOKEN']);
  });

  it('callback signatures never match a path', () => {
    const policy = protectionPolicy({ apiIeMappingList: [{ apiSignature: { callbackType: 'x' }, apiMethod: 'POST', IeList: [{ ieLoc: 'HEADER', ieType: 'UEID', reqIe: 'a' }] }] });
    expect(encryptedIes(policy, 'POST', '/x')).toEqual([]);
  });
});

describe('built-in mapping', () => {
  it('is a valid Rel-19 ProtectionPolicy on the wire', () => {
    const wire = toProtectionPolicyData(defaultProtectionPolicy());
    const result = validateBody(ProtectionPolicy, JSON.parse(JSON.stringify(wire)));
    expect(result.ok).toBe(true);
  });

  it('covers the demo APIs', () => {
    const find = (method: string, signature: string) => DEFAULT_API_IE_MAPPINGS.find((m) => m.apiMethod === method && m.apiSignature === signature);
    expect(find('GET', '/nudm-sdm/v2/{supi}/am-data')?.IeList).toEqual([{ ieLoc: 'URI_PATH', ieType: 'UEID', reqIe: 'supi' }]);
    expect(find('POST', '/nausf-auth/v1/ue-authentications')?.IeList).toEqual(
      expect.arrayContaining([
        { ieLoc: 'BODY', ieType: 'UEID', reqIe: '/supiOrSuci' },
        { ieLoc: 'BODY', ieType: 'AUTHENTICATION_MATERIAL', rspIe: '/5gAuthData' },
      ]),
    );
    expect(find('PUT', '/nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access')?.IeList).toEqual(
      expect.arrayContaining([
        { ieLoc: 'BODY', ieType: 'UEID', reqIe: '/supi' },
        { ieLoc: 'URI_PATH', ieType: 'UEID', reqIe: 'ueId' },
      ]),
    );
    for (const method of ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE']) {
      expect(find(method, '/**')?.IeList).toEqual([
        { ieLoc: 'HEADER', ieType: 'AUTHORIZATION_TOKEN', reqIe: 'authorization' },
        { ieLoc: 'HEADER', ieType: 'NONSENSITIVE', reqIe: '3gpp-sbi-message-priority', rspIe: '3gpp-sbi-message-priority', isModifiable: true },
      ]);
    }
  });

  it('hands out copies', () => {
    const policy = defaultProtectionPolicy();
    policy.apiIeMappingList[0]!.IeList.push({ ieLoc: 'BODY', ieType: 'UEID' });
    expect(defaultProtectionPolicy().apiIeMappingList[0]!.IeList).toHaveLength(2);
  });
});

describe('policyMismatches (POLICY_MISMATCH)', () => {
  const ours = defaultProtectionPolicy();
  const same = (): ProtectionPolicyData => JSON.parse(JSON.stringify(toProtectionPolicyData(ours)));

  it('equal policies: none, whatever the order of lists and the case of header names', () => {
    const theirs = same();
    theirs.apiIeMappingList.reverse();
    theirs.dataTypeEncPolicy!.reverse();
    theirs.apiIeMappingList.find((m) => m.apiMethod === 'GET' && m.apiSignature === '/**')!.IeList[0]!.reqIe = 'Authorization';
    expect(policyMismatches(ours, theirs)).toEqual([]);
  });

  it('a missing and an extra data type', () => {
    const theirs = same();
    theirs.dataTypeEncPolicy = ['LOCATION', 'OTHER'];
    expect(policyMismatches(ours, theirs, '/protectionPolicyInfo')).toEqual([
      { param: '/protectionPolicyInfo/dataTypeEncPolicy', reason: 'lacks UEID, which our data-type encryption policy encrypts' },
      { param: '/protectionPolicyInfo/dataTypeEncPolicy/1', reason: 'OTHER is not in our data-type encryption policy' },
    ]);
  });

  it('an absent dataTypeEncPolicy means the mandatory types only', () => {
    const theirs = same();
    delete theirs.dataTypeEncPolicy;
    expect(policyMismatches(ours, theirs).map((p) => p.reason)).toEqual(['lacks UEID, which our data-type encryption policy encrypts']);
    expect(policyMismatches(protectionPolicy({ dataTypeEncPolicy: [] }), theirs)).toEqual([]);
  });

  it('a missing mapping, an extra mapping, a changed IE', () => {
    const theirs = same();
    const amData = theirs.apiIeMappingList.findIndex((m) => m.apiSignature === '/nudm-sdm/v2/{supi}/am-data');
    theirs.apiIeMappingList.splice(amData, 1);
    theirs.apiIeMappingList.push({ apiSignature: { callbackType: 'x' }, apiMethod: 'POST', IeList: [{ ieLoc: 'BODY', ieType: 'UEID', reqIe: '/supi' }] });
    const ausf = theirs.apiIeMappingList.findIndex((m) => m.apiSignature === '/nausf-auth/v1/ue-authentications');
    theirs.apiIeMappingList[ausf]!.IeList[0]!.isModifiable = true;
    const found = policyMismatches(ours, theirs);
    const last = theirs.apiIeMappingList.length - 1;
    expect(found).toEqual(
      expect.arrayContaining([
        { param: '/apiIeMappingList', reason: 'no mapping for GET /nudm-sdm/v2/{supi}/am-data' },
        { param: `/apiIeMappingList/${last}`, reason: 'POST callback x is not in our mapping' },
        { param: `/apiIeMappingList/${ausf}/IeList`, reason: 'POST /nausf-auth/v1/ue-authentications: lacks UEID in BODY (request /supiOrSuci)' },
        { param: `/apiIeMappingList/${ausf}/IeList/0`, reason: 'POST /nausf-auth/v1/ue-authentications: UEID in BODY (request /supiOrSuci) is not in our mapping' },
      ]),
    );
    expect(found).toHaveLength(4);
  });
});
