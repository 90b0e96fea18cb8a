import { randomBytes } from 'node:crypto';
import type { N32fReformattedReqMsgData, N32fReformattedRspMsgData } from '../messages/bodies';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { headerValue, type HttpResponseMessage } from '../reformat/http-message';
import { modifyAsIntermediary, type IntermediaryRule } from '../modifications/intermediary';
import { ipxProviderSecInfo } from '../modifications/sec-info';
import { AUSF_PATH, ausfRequest, IPX_A, IPX_B, KEY_A, KEY_B, POLICY, SEPP_KEY } from '../modifications/spec-fixtures';
import { contextIntermediaries, intermediaryIdentities } from './intermediaries';
import { N32fContext, parseReformattedRequest, parseReformattedResponse, readMessageHeader } from './n32f-context';

const master = randomBytes(64);
const PEER_SEPP_KEY = KEY_B.publicKey;

/** The initiator has IPX_A as its RI; the responder has none and learns IPX_A in exchange-params. */
function pairViaIpxA(): { cSepp: N32fContext; pSepp: N32fContext } {
  const atInitiator = contextIntermediaries({ own: { identity: IPX_A, keys: [KEY_A.publicKey] }, seppKeys: [SEPP_KEY.publicKey], peerPolicy: POLICY, ownPolicy: POLICY });
  const atResponder = contextIntermediaries({ received: [ipxProviderSecInfo({ ipxProviderId: IPX_A, publicKeys: [KEY_A.publicKey] })], seppKeys: [SEPP_KEY.publicKey], peerPolicy: POLICY, ownPolicy: POLICY });
  expect(atInitiator.invalid).toEqual([]);
  expect(atResponder.invalid).toEqual([]);
  const common = { master, enc: 'A128GCM' as const, policy: POLICY };
  return {
    cSepp: new N32fContext({ ...common, role: 'initiator', peer: 'p', localContextId: '00000000000000aa', remoteContextId: '00000000000000bb', intermediaries: atInitiator.intermediaries }),
    pSepp: new N32fContext({ ...common, role: 'responder', peer: 'c', localContextId: '00000000000000bb', remoteContextId: '00000000000000aa', intermediaries: atResponder.intermediaries }),
  };
}

const requestRule: IntermediaryRule = { apiPath: AUSF_PATH, method: 'POST', direction: 'request', operations: [{ op: 'replace', path: '/headers/2/value', value: 'via-ipx-a' }] };
const responseRule: IntermediaryRule = { apiPath: AUSF_PATH, method: 'POST', direction: 'response', operations: [{ op: 'add', path: '/headers/-', value: { header: 'x-ipx-route', value: 'back-via-ipx-a' } }] };
const answer: HttpResponseMessage = { status: 201, headers: [['content-type', 'application/json']], body: Buffer.from('{"authType":"5G_AKA"}') };

const wire = <T>(message: T): T => JSON.parse(JSON.stringify(message)) as T;

describe('contextIntermediaries', () => {
  it('our RI: authorized for what we send, its keys only, held to our policy', () => {
    const { intermediaries } = contextIntermediaries({ own: { identity: IPX_A.toUpperCase(), keys: [KEY_A.publicKey] }, seppKeys: [SEPP_KEY.publicKey], peerPolicy: { apiIeMappingList: [] }, ownPolicy: POLICY });
    expect(intermediaries).toMatchObject({ authorizedIpxId: IPX_A, ownRiId: IPX_A, ownPolicy: POLICY, policy: { apiIeMappingList: [] } });
    expect(intermediaryIdentities(intermediaries)).toEqual([IPX_A]);
  });

  it("the peer's RI only: it is the one authorized for our answers too", () => {
    const received = [ipxProviderSecInfo({ ipxProviderId: IPX_B, publicKeys: [KEY_B.publicKey] }), ipxProviderSecInfo({ ipxProviderId: IPX_A, publicKeys: [KEY_A.publicKey] })];
    const { intermediaries } = contextIntermediaries({ received, seppKeys: [], peerPolicy: POLICY, ownPolicy: POLICY });
    expect(intermediaries).toMatchObject({ authorizedIpxId: IPX_B, ownRiId: null });
    expect(intermediaryIdentities(intermediaries).sort()).toEqual([IPX_A, IPX_B]);
  });

  it('no RI on either side: none', () => {
    expect(contextIntermediaries({ seppKeys: [], peerPolicy: POLICY, ownPolicy: POLICY })).toEqual({ intermediaries: undefined, invalid: [] });
  });

  it('TC_CRYPT_MATERIAL_SEPP_IPX_SEPARATION: a received entry carrying a SEPP key is refused; so is one without keys', () => {
    const received = [
      ipxProviderSecInfo({ ipxProviderId: IPX_A, publicKeys: [PEER_SEPP_KEY] }),
      { ipxProviderId: IPX_B },
      { ipxProviderId: 'ipx-c.example.org', rawPublicKeyList: ['not-a-key'] },
    ];
    const { invalid } = contextIntermediaries({ received, seppKeys: [SEPP_KEY.publicKey, PEER_SEPP_KEY], peerPolicy: POLICY, ownPolicy: POLICY });
    expect(invalid).toEqual([
      { param: '/ipxProviderSecInfoList/2/rawPublicKeyList/0', reason: expect.stringContaining('SubjectPublicKeyInfo') },
      { param: '/ipxProviderSecInfoList/0', reason: expect.stringContaining('key of a SEPP') },
      { param: '/ipxProviderSecInfoList/1', reason: expect.stringContaining('no key') },
    ]);
  });
});

describe('N32fContext through one RI (the initiator’s), both directions', () => {
  it('the request carries the RI’s change to the producer; the answer carries it back to the consumer', () => {
    const { cSepp, pSepp } = pairViaIpxA();
    const sent = cSepp.protectRequest(ausfRequest());
    const relayed = modifyAsIntermediary({ message: wire(sent.body), rules: [requestRule], identity: IPX_A, privateKey: KEY_A.privateKey });
    const body = parseReformattedRequest(wire(relayed.message));
    const header = readMessageHeader(body);
    expect(header.authorizedIpxId).toBe(IPX_A);
    const opened = pSepp.openRequest(body, header);
    expect(headerValue(opened.message.headers, 'x-ipx-route')).toBe('via-ipx-a');
    expect(opened.modifications).toEqual([expect.stringMatching(new RegExp(`^${IPX_A}: replace /headers/2/value`))]);

    const back = pSepp.protectResponse(answer, opened.messageId, opened.request);
    const relayedBack = modifyAsIntermediary<N32fReformattedRspMsgData>({ message: wire(back.body), rules: [responseRule], identity: IPX_A, privateKey: KEY_A.privateKey, request: opened.request });
    const rsp = parseReformattedResponse(wire(relayedBack.message));
    const rspHeader = readMessageHeader(rsp);
    expect(rspHeader.authorizedIpxId).toBe(IPX_A);
    const got = cSepp.openResponse(rsp, rspHeader, sent.messageId);
    expect(got.message.status).toBe(201);
    expect(headerValue(got.message.headers, 'x-ipx-route')).toBe('back-via-ipx-a');
    expect(got.modifications).toHaveLength(1);
  });

  it('set later (the separate RI step of exchange-params): takes effect on the next message', () => {
    const { cSepp, pSepp } = pairViaIpxA();
    const ris = pSepp.intermediaries;
    pSepp.setIntermediaries(undefined);
    const sent = cSepp.protectRequest(ausfRequest());
    const relayed = modifyAsIntermediary<N32fReformattedReqMsgData>({ message: wire(sent.body), rules: [requestRule], identity: IPX_A, privateKey: KEY_A.privateKey });
    const body = parseReformattedRequest(wire(relayed.message));
    const refused = (() => {
      try {
        pSepp.openRequest(body, readMessageHeader(body));
        return null;
      } catch (error) {
        return error instanceof PrinsError ? error.type : String(error);
      }
    })();
    expect(refused).toBe(N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED);
    pSepp.setIntermediaries(ris);
    const again = cSepp.protectRequest(ausfRequest());
    const relayedAgain = modifyAsIntermediary<N32fReformattedReqMsgData>({ message: wire(again.body), rules: [requestRule], identity: IPX_A, privateKey: KEY_A.privateKey });
    const bodyAgain = parseReformattedRequest(wire(relayedAgain.message));
    expect(headerValue(pSepp.openRequest(bodyAgain, readMessageHeader(bodyAgain)).message.headers, 'x-ipx-route')).toBe('via-ipx-a');
  });

  it('a JWS by the right RI name but signed with the peer SEPP key is refused', () => {
    const { cSepp, pSepp } = pairViaIpxA();
    const sent = cSepp.protectRequest(ausfRequest());
    const forged = modifyAsIntermediary<N32fReformattedReqMsgData>({ message: wire(sent.body), rules: [requestRule], identity: IPX_A, privateKey: SEPP_KEY.privateKey });
    const body = parseReformattedRequest(wire(forged.message));
    expect(() => pSepp.openRequest(body, readMessageHeader(body))).toThrow(expect.objectContaining({ type: N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED }));
  });
});
