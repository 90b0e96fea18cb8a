import { N32Error } from '../../errors';
import { base64urlDecode, base64urlEncode } from '../crypto/base64url';
import { decryptFlattenedJwe } from '../crypto/jwe';
import type { N32fReformattedReqMsgData, N32fReformattedRspMsgData } from '../messages/bodies';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { headerValue } from '../reformat/http-message';
import { rebuildRequest } from '../reformat/rebuild';
import { reformatRequest } from '../reformat/reformat';
import { modifyAsIntermediary, type IntermediaryRule } from './intermediary';
import { processModifications } from './process';
import { AUSF_PATH, IPX_A, IPX_B, KEY_A, KEY_B, POLICY, protectedRequest } from './spec-fixtures';
import { verifyModificationsBlock } from './verify';

const payloadOf = (jws: { payload: string }): unknown => JSON.parse(base64urlDecode(jws.payload).toString('utf8'));
const keys = new Map([
  [IPX_A, [KEY_A.publicKey]],
  [IPX_B, [KEY_B.publicKey]],
]);

const routeRule: IntermediaryRule = {
  name: 'route',
  apiPath: '/nausf-auth/v1/ue-authentications',
  method: 'POST',
  direction: 'request',
  operations: [
    { op: 'test', path: '/headers/2/header', value: 'x-ipx-route' },
    { op: 'replace', path: '/headers/2/value', value: 'via-ipx-a' },
  ],
};

describe('modifyAsIntermediary (the IPX side)', () => {
  it('appends exactly one JWS with operations null when no rule matches, and leaves reformattedData alone', () => {
    const fixture = protectedRequest();
    const sent = JSON.stringify(fixture.body.reformattedData);
    const rules: IntermediaryRule[] = [
      { ...routeRule, direction: 'response' },
      { ...routeRule, method: 'PUT' },
      { ...routeRule, apiPath: '/nudm-sdm/v2/{supi}/am-data' },
    ];
    const outcome = modifyAsIntermediary({ message: fixture.body, rules, identity: IPX_A, privateKey: KEY_A.privateKey });
    expect(outcome.message.modificationsBlock).toHaveLength(1);
    expect(payloadOf(outcome.jws)).toEqual({ identity: IPX_A, operations: null, tag: fixture.tag });
    expect(outcome.message.reformattedData).toBe(fixture.body.reformattedData);
    expect(JSON.stringify(outcome.message.reformattedData)).toBe(sent);
    expect(fixture.body.modificationsBlock).toBeUndefined();
    expect(outcome).toMatchObject({ applied: [], skipped: [], direction: 'request', api: { method: 'POST', path: AUSF_PATH } });
    expect(verifyModificationsBlock({ block: outcome.message.modificationsBlock, jweTag: fixture.tag, authorizedIpxId: IPX_A, keysByIdentity: keys })).toEqual([
      { identity: IPX_A, operations: [] },
    ]);
  });

  it('signs the operations of matching rules (template, RegExp, /**) in rule order', () => {
    const fixture = protectedRequest();
    const rules: IntermediaryRule[] = [
      routeRule,
      { name: 'any', apiPath: '/**', direction: 'request', operations: [{ op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: 1 } }] },
      { name: 'regexp', apiPath: /^\/nausf-auth\//, direction: 'request', operations: [{ op: 'test', path: '/requestLine/method', value: 'POST' }] },
    ];
    const outcome = modifyAsIntermediary({ message: fixture.body, rules, identity: IPX_A, privateKey: KEY_A.privateKey });
    expect(outcome.applied).toEqual(['route', 'any', 'regexp']);
    expect(outcome.operations).toEqual([...routeRule.operations, ...rules[1]!.operations, ...rules[2]!.operations]);
    expect((payloadOf(outcome.jws) as { operations: unknown }).operations).toEqual(outcome.operations);
  });

  it('skips a rule whose test fails or that would touch an encrypted IE; signs an unchecked one as it is', () => {
    const fixture = protectedRequest();
    const rules: IntermediaryRule[] = [
      { name: 'conditional', apiPath: '/**', direction: 'request', operations: [{ op: 'test', path: '/headers/2/value', value: 'other' }, { op: 'remove', path: '/headers/2' }] },
      { name: 'misplacing', apiPath: '/**', direction: 'request', operations: [{ op: 'copy', from: '/headers/1/value', path: '/headers/2/value' }] },
      { name: 'rig', apiPath: '/**', direction: 'request', unchecked: true, operations: [{ op: 'copy', from: '/payload/0/value', path: '/payload/1/value' }] },
    ];
    const outcome = modifyAsIntermediary({ message: fixture.body, rules, identity: IPX_A, privateKey: KEY_A.privateKey });
    expect(outcome.applied).toEqual(['rig']);
    expect(outcome.skipped.map((skip) => skip.rule)).toEqual(['conditional', 'misplacing']);
    expect(outcome.skipped[1]!.reason).toContain('encrypted IE');
    expect(outcome.operations).toEqual(rules[2]!.operations);
  });

  it('answers: rules by the request it answers; the response JWS copies the response tag', () => {
    const fixture = protectedRequest();
    const aad = { metaData: fixture.aad.metaData, statusLine: '200' };
    const response: N32fReformattedRspMsgData = { reformattedData: { ...fixture.body.reformattedData, aad: base64urlEncode(JSON.stringify(aad)), tag: 'AAAAAAAAAAAAAAAAAAAAAA' } };
    const rule: IntermediaryRule = { apiPath: AUSF_PATH, method: 'POST', direction: 'response', operations: [{ op: 'test', path: '/statusLine', value: '200' }] };
    const outcome = modifyAsIntermediary({ message: response, rules: [rule], identity: IPX_A, privateKey: KEY_A.privateKey, request: { method: 'POST', path: AUSF_PATH } });
    expect(outcome.direction).toBe('response');
    expect(outcome.applied).toEqual(['rules[0]']);
    expect(payloadOf(outcome.jws)).toMatchObject({ tag: 'AAAAAAAAAAAAAAAAAAAAAA' });
    // Without the request, only rules for every API can match.
    expect(modifyAsIntermediary({ message: response, rules: [rule], identity: IPX_A, privateKey: KEY_A.privateKey }).applied).toEqual([]);
  });

  it('an encrypted path segment: the API stays readable, so a template matches (the segment is a placeholder), and /** too', () => {
    const result = reformatRequest(
      { method: 'GET', scheme: 'https', authority: 'udm.example.org', path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: [] },
      { n32fContextId: '0123456789abcdef', messageId: '1', authorizedIpxId: IPX_A },
      POLICY,
    );
    const message: N32fReformattedReqMsgData = { reformattedData: { protected: 'e30', aad: base64urlEncode(JSON.stringify(result.aad)), iv: 'AAAAAAAAAAAAAAAA', ciphertext: 'AA', tag: 'AAAAAAAAAAAAAAAAAAAAAA' } };
    const rules: IntermediaryRule[] = [
      { name: 'sdm', apiPath: '/nudm-sdm/v2/{supi}/am-data', direction: 'request', operations: [] },
      { name: 'every', apiPath: '/**', method: 'GET', direction: 'request', operations: [] },
    ];
    const outcome = modifyAsIntermediary({ message, rules, identity: IPX_A, privateKey: KEY_A.privateKey });
    expect(outcome.api).toEqual({ method: 'GET', path: '/nudm-sdm/v2/{"encBlockIndex":0}/am-data' });
    expect(outcome.applied).toEqual(['sdm', 'every']);
  });

  it('a second RI writes against the first RI result', () => {
    const fixture = protectedRequest();
    const first = modifyAsIntermediary({
      message: fixture.body,
      rules: [{ apiPath: '/**', direction: 'request', operations: [{ op: 'add', path: '/headers/0', value: { header: 'x-ipx-route', value: 'a' } }] }],
      identity: IPX_A,
      privateKey: KEY_A.privateKey,
    });
    const second = modifyAsIntermediary({
      message: first.message,
      rules: [{ apiPath: '/**', direction: 'request', operations: [{ op: 'test', path: '/headers/0/value', value: 'a' }, { op: 'replace', path: '/headers/0/value', value: 'b' }] }],
      identity: IPX_B,
      privateKey: KEY_B.privateKey,
    });
    expect(second.applied).toHaveLength(1);
    expect(second.message.modificationsBlock).toHaveLength(2);
    const processed = processModifications({
      block: second.message.modificationsBlock,
      jweTag: fixture.tag,
      authorizedIpxId: IPX_A,
      receiverRiId: IPX_B,
      keysByIdentity: keys,
      aad: fixture.aad,
      policyFor: () => POLICY,
    });
    expect(processed.aad.headers![0]).toEqual({ header: 'x-ipx-route', value: 'b' });
  });

  it('refuses a message without a readable aad or a tag (N32Error INVALID_MSG_FORMAT)', () => {
    const fixture = protectedRequest();
    for (const reformattedData of [{ ...fixture.body.reformattedData, aad: '!!' }, { ...fixture.body.reformattedData, tag: undefined }, { ciphertext: 'AA' }]) {
      expect(() => modifyAsIntermediary({ message: { reformattedData }, rules: [], identity: IPX_A, privateKey: KEY_A.privateKey })).toThrow(N32Error);
    }
  });
});

describe('processModifications: cSEPP -> IPX -> pSEPP end to end', () => {
  it('the receiving SEPP verifies the JWE over the original AAD, then applies the IPX patch and rebuilds', () => {
    const fixture = protectedRequest();
    const outcome = modifyAsIntermediary({
      message: fixture.body,
      rules: [routeRule, { apiPath: '/**', direction: 'request', operations: [{ op: 'add', path: '/payload/-', value: { iePath: '/extra', ieValueLocation: 'BODY', value: { by: 'ipx' } } }] }],
      identity: IPX_A,
      privateKey: KEY_A.privateKey,
    });
    // Over the wire.
    const received = JSON.parse(JSON.stringify(outcome.message)) as N32fReformattedReqMsgData;
    const { plaintext } = decryptFlattenedJwe(received.reformattedData, fixture.key, { enc: 'A128GCM', salt: fixture.iv.subarray(0, 8) });
    const { dataToEncrypt } = JSON.parse(plaintext.toString('utf8')) as { dataToEncrypt: unknown[] };
    const aad = JSON.parse(base64urlDecode(received.reformattedData.aad!).toString('utf8')) as typeof fixture.aad;

    const processed = processModifications({
      block: received.modificationsBlock,
      jweTag: received.reformattedData.tag,
      authorizedIpxId: aad.metaData!.authorizedIpxId,
      keysByIdentity: new Map([[IPX_A, [KEY_A.publicKey]]]),
      aad,
      policyFor: () => POLICY,
      confidentialValues: dataToEncrypt,
    });
    expect(processed.changes.map((change) => `${change.identity} ${change.op} ${change.path} (${change.ie})`)).toEqual([
      `${IPX_A} test /headers/2/header (read)`,
      `${IPX_A} replace /headers/2/value (header x-ipx-route)`,
      `${IPX_A} add /payload/- (body /extra)`,
    ]);
    const request = rebuildRequest(processed.aad, dataToEncrypt);
    expect(headerValue(request.headers, 'x-ipx-route')).toBe('via-ipx-a');
    expect(headerValue(request.headers, 'authorization')).toBe(fixture.dataToEncrypt[0]);
    expect(JSON.parse(request.body!.toString('utf8'))).toMatchObject({ supiOrSuci: fixture.dataToEncrypt[1], extra: { by: 'ipx' } });
  });

  it('a misbehaving IPX (copying an encrypted IE into clear) is refused with MODIFICATIONS_INSTRUCTIONS_FAILED', () => {
    const fixture = protectedRequest();
    const outcome = modifyAsIntermediary({
      message: fixture.body,
      rules: [{ apiPath: '/**', direction: 'request', unchecked: true, operations: [{ op: 'copy', from: '/payload/0/value', path: '/payload/1/value' }] }],
      identity: IPX_A,
      privateKey: KEY_A.privateKey,
    });
    let error: unknown;
    try {
      processModifications({ block: outcome.message.modificationsBlock, jweTag: fixture.tag, authorizedIpxId: IPX_A, keysByIdentity: keys, aad: fixture.aad, policyFor: () => POLICY });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PrinsError);
    expect((error as PrinsError).type).toBe(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED);
    expect((error as PrinsError).failedModifications).toEqual([{ ipxId: IPX_A, n32fErrorType: N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED }]);
  });

  it('returns the AAD itself when no RI changed anything', () => {
    const fixture = protectedRequest();
    const outcome = modifyAsIntermediary({ message: fixture.body, rules: [], identity: IPX_A, privateKey: KEY_A.privateKey });
    const processed = processModifications({ block: outcome.message.modificationsBlock, jweTag: fixture.tag, authorizedIpxId: IPX_A, keysByIdentity: keys, aad: fixture.aad, policyFor: () => POLICY });
    expect(processed.aad).toBe(fixture.aad);
    expect(processed.hops).toEqual([{ identity: IPX_A, operations: [] }]);
  });
});
