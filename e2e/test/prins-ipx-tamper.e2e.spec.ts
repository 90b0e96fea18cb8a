import { createPkiAB, FQDN_A, FQDN_B } from './support/configs';
import { amDataRequest, createIpxCerts, expectDelivered, expectRefused, IPX_FQDN, IpxPath, leafOnly, type IpxCerts, type RefusalExpectation } from './support/ipx';
import { expectProblemAnswer, TappedProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { contextsOf, flipBit } from './support/prins';
import {
  appendJws,
  es256Jws,
  headerIndex,
  jwsPayloadOf,
  replaceJws,
  TamperingRelay,
  type HopView,
  type N32fMessage,
  type Tamper,
} from './support/tampering-relay';

jest.setTimeout(60_000);

const INTEGRITY = 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED';
const INSTRUCTIONS = 'MODIFICATIONS_INSTRUCTIONS_FAILED';
const RECONSTRUCTION = 'MESSAGE_RECONSTRUCTION_FAILED';
/** The responder's own RI (the pRI): the relay plays it, appending its JWS after the IPX's on requests and first on answers. */
const IPX2_FQDN = 'ipx2.roaming.example.org';
/** An RI nobody authorized, with a valid key of its own. */
const IPX3_FQDN = 'ipx3.roaming.example.org';

/**
 * The N32-DIGEST §5.8-5.9 tamper table through the REAL processes, with two RIs on the path:
 *
 *   initiator B -> IPX app (cRI, IPX_FQDN) -> relay (pRI, IPX2_FQDN) -> responder -> producer
 *
 * The responder has its own `ipx` entry for B (IPX2, its key): it authorizes IPX2 for what it sends
 * and expects [IPX, IPX2] on what it receives; the initiator expects [IPX2, IPX] on answers. The
 * relay (a TamperingRelay holding IPX2's TLS certificate and signing key, and the IPX's signing
 * key to forge with) appends IPX2's JWS to every message, and each case rewrites one message.
 */
describe('PRINS with two RIs: the tamper table at the real SEPPs', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let ipx: IpxCerts;
  let ipx2: IpxCerts;
  let ipx3Signing: CertFiles;
  let producer: TappedProducer;
  let relay: TamperingRelay | undefined;
  let path: IpxPath;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    [ipx, ipx2, ipx3Signing] = await Promise.all([createIpxCerts(pki), createIpxCerts(pki, IPX2_FQDN, 'ipx2'), pki.leaf('ipx3-signing', [IPX3_FQDN])]);
    producer = await TappedProducer.start('udm1');
    path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'ipx-tamper',
      ipxCerts: ipx,
      responderIpx: { fqdn: IPX2_FQDN, signingKeys: [leafOnly(pki, ipx2.signing, 'ipx2-signing-leaf.crt')] },
      between: async (responder) => {
        relay = await TamperingRelay.start({ serverCert: certA, clientCert: ipx2.tls, ca: pki.ca.certPem, forward: { port: responder.port('n32'), servername: FQDN_A } });
        return relay;
      },
    });
    // The relay is IPX2: one JWS per message, both directions, no change.
    relay!.requestHooks.push((message, hop) => appendJws(message, es256Jws(IPX2_FQDN, ipx2.signing.keyPem, hop.tag)));
    relay!.answerHooks.push((message, hop) => appendJws(message, es256Jws(IPX2_FQDN, ipx2.signing.keyPem, hop.tag)));
  });

  afterEach(() => relay?.clearOnce());

  afterAll(async () => {
    await path?.stop();
    await relay?.close();
    await producer?.close();
  });

  const identities = (message: N32fMessage | undefined): unknown[] => (message?.modificationsBlock ?? []).map((jws) => jwsPayloadOf(jws).identity);
  /** A JWS of `identity` signed with `key` over this message, with `operations`. */
  const signed = (identity: string, key: CertFiles, hop: HopView, operations: Parameters<typeof es256Jws>[3] = null): ReturnType<typeof es256Jws> => es256Jws(identity, key.keyPem, hop.tag, operations);
  const acceptAt = (hop: HopView): string => `/headers/${headerIndex(hop.aad, 'accept')}/value`;

  it('both SEPPs know both RIs: the initiator authorizes the IPX, the responder its own IPX2; a clean request passes both, in hop order', async () => {
    const [atInitiator, atResponder] = await Promise.all([contextsOf(path.initiator), contextsOf(path.responder)]);
    expect(atInitiator.map((c) => (c as unknown as { intermediaries: unknown }).intermediaries)).toEqual([
      { authorizedIpxId: IPX_FQDN, verified: expect.arrayContaining([IPX_FQDN, IPX2_FQDN]) },
    ]);
    expect(atResponder.map((c) => (c as unknown as { intermediaries: unknown }).intermediaries)).toEqual([
      { authorizedIpxId: IPX2_FQDN, verified: expect.arrayContaining([IPX_FQDN, IPX2_FQDN]) },
    ]);
    const { answer, exchange } = await expectDelivered(path, relay!, producer);
    expect(answer.status).toBe(200);
    expect(identities(exchange.forwarded)).toEqual([IPX_FQDN, IPX2_FQDN]);
    expect(identities(exchange.returned as N32fMessage)).toEqual([IPX2_FQDN]);
  });

  const REQUEST_TAMPERS: [string, Tamper, RefusalExpectation][] = [
    [
      'a patch outside the policy: the IPX replaces the (non-modifiable) accept header',
      (m, hop) => replaceJws(m, 0, signed(IPX_FQDN, ipx.signing, hop, [{ op: 'replace', path: acceptAt(hop), value: 'text/html' }])),
      { type: INSTRUCTIONS, ipxIds: [IPX_FQDN] },
    ],
    [
      "a patch outside the responder's own policy: its own IPX2 replaces the accept header",
      (m, hop) => replaceJws(m, 1, signed(IPX2_FQDN, ipx2.signing, hop, [{ op: 'replace', path: acceptAt(hop), value: 'text/html' }])),
      { type: INSTRUCTIONS, ipxIds: [IPX2_FQDN] },
    ],
    ['a patch whose test operation fails', (m, hop) => replaceJws(m, 0, signed(IPX_FQDN, ipx.signing, hop, [{ op: 'test', path: acceptAt(hop), value: 'text/html' }])), { type: INSTRUCTIONS, ipxIds: [IPX_FQDN] }],
    [
      "the IPX's patch altered after signing (payload rewritten, signature kept)",
      (m, hop) => {
        const original = m.modificationsBlock![0]!;
        const payload = Buffer.from(JSON.stringify({ identity: IPX_FQDN, operations: [{ op: 'add', path: '/headers/-', value: { header: '3gpp-sbi-message-priority', value: '1' } }], tag: hop.tag })).toString('base64url');
        return replaceJws(m, 0, { ...original, payload });
      },
      { type: INTEGRITY, ipxIds: [IPX_FQDN] },
    ],
    ["the IPX's JWS `tag` is not the JWE tag (re-signed by the IPX)", (m, hop) => replaceJws(m, 0, es256Jws(IPX_FQDN, ipx.signing.keyPem, flipBit(hop.tag, 0))), { type: INTEGRITY, ipxIds: [IPX_FQDN] }],
    [
      "the IPX's JWS of the previous message, replayed on this one",
      (m, hop) => replaceJws(m, 0, relay!.exchanges[hop.exchange.index - 1]!.forwarded!.modificationsBlock![0]!),
      { type: INTEGRITY, ipxIds: [IPX_FQDN] },
    ],
    ["the IPX's JWS dropped from the block", (m) => ({ ...m, modificationsBlock: m.modificationsBlock!.slice(1) }), { type: INTEGRITY, ipxIds: [IPX_FQDN] }],
    ["IPX2's JWS dropped from the block", (m) => ({ ...m, modificationsBlock: m.modificationsBlock!.slice(0, 1) }), { type: INTEGRITY, ipxIds: [IPX2_FQDN] }],
    [
      'the whole modificationsBlock dropped',
      (m) => {
        const { modificationsBlock: _dropped, ...rest } = m;
        return rest;
      },
      { type: INTEGRITY, ipxIds: [IPX_FQDN] },
    ],
    ['the two JWS reordered ([IPX2, IPX])', (m) => ({ ...m, modificationsBlock: [...m.modificationsBlock!].reverse() }), { type: INTEGRITY, ipxIds: [IPX_FQDN] }],
    [
      'an intermediary not named in authorizedIpxId (IPX2, a valid key of its own) in place of the IPX',
      (m, hop) => replaceJws(m, 0, signed(IPX2_FQDN, ipx2.signing, hop)),
      { type: INTEGRITY, ipxIds: [IPX_FQDN] },
    ],
    ['an unknown RI (IPX3, a valid key of its own) in place of the IPX', (m, hop) => replaceJws(m, 0, signed(IPX3_FQDN, ipx3Signing, hop)), { type: INTEGRITY, ipxIds: [IPX_FQDN] }],
    ['a third JWS appended by an unknown RI (IPX3)', (m, hop) => appendJws(m, signed(IPX3_FQDN, ipx3Signing, hop)), { type: INTEGRITY, ipxIds: [IPX3_FQDN] }],
    [
      'an invalid JSON Pointer: no such header',
      (m, hop) => replaceJws(m, 0, signed(IPX_FQDN, ipx.signing, hop, [{ op: 'replace', path: '/headers/99/value', value: '5' }])),
      { type: RECONSTRUCTION, ipxIds: [IPX_FQDN], errorDetails: [{ attribute: '/headers/99/value', msgReconstructFailReason: 'INVALID_JSON_POINTER' }] },
    ],
    [
      'an invalid JSON Pointer: not a pointer at all',
      (m, hop) => replaceJws(m, 0, signed(IPX_FQDN, ipx.signing, hop, [{ op: 'remove', path: 'headers/0' }])),
      { type: RECONSTRUCTION, ipxIds: [IPX_FQDN], errorDetails: [{ attribute: 'headers/0', msgReconstructFailReason: 'INVALID_JSON_POINTER' }] },
    ],
  ];

  it.each(REQUEST_TAMPERS)('request: %s -> refused (403, n32f-error), nothing reaches the producer, the context survives', async (_, tamper, expected) => {
    await expectDelivered(path, relay!, producer);
    relay!.onceRequest(tamper);
    await expectRefused(path, relay!, producer, expected);
    await expectDelivered(path, relay!, producer);
  });

  const ANSWER_TAMPERS: [string, Tamper, RefusalExpectation][] = [
    ["IPX2's JWS on the answer carries another `tag`", (m, hop) => replaceJws(m, -1, es256Jws(IPX2_FQDN, ipx2.signing.keyPem, flipBit(hop.tag, 0))), { type: INTEGRITY, ipxIds: [IPX2_FQDN] }],
    ["IPX2's JWS dropped from the answer", (m) => ({ ...m, modificationsBlock: m.modificationsBlock!.slice(0, -1) }), { type: INTEGRITY, ipxIds: [IPX2_FQDN] }],
    [
      'IPX2 patches the answer outside the policy (its content-type)',
      (m, hop) => replaceJws(m, -1, signed(IPX2_FQDN, ipx2.signing, hop, [{ op: 'replace', path: `/headers/${headerIndex(hop.aad, 'content-type')}/value`, value: 'text/html' }])),
      { type: INSTRUCTIONS, ipxIds: [IPX2_FQDN] },
    ],
  ];

  it.each(ANSWER_TAMPERS)('answer: %s -> the initiator refuses it (502 problem+json to the NF), the responder gets the n32f-error', async (_, tamper, expected) => {
    const seen = producer.seen.length;
    const exchanges = relay!.exchanges.length;
    const initiatorFrom = path.initiator.lines.length;
    const responderFrom = path.responder.lines.length;
    relay!.onceAnswer(tamper);
    const answer = await path.nf!.request(amDataRequest(producer));
    const exchange = relay!.exchanges[exchanges]!;
    await exchange.done;
    const messageId = exchange.aad!.metaData.messageId;

    // The request was fine and delivered; the answer the responder protected was intact until the relay.
    expect(exchange.status).toBe(200);
    expect(producer.seen.length).toBe(seen + 1);
    expect(expectProblemAnswer(answer, 502).detail).toContain(expected.type);

    const refused = await path.initiator.waitForLog('PRINS answer refused', (l) => l.msg === 'PRINS answer refused' && l['messageId'] === messageId, 5_000, initiatorFrom);
    expect(refused['n32fErrorType']).toBe(expected.type);
    const report = await path.responder.waitForLog(`n32f-error for ${messageId}`, (l) => l.msg === 'N32-f error reported by the peer' && l['n32fMessageId'] === messageId, 5_000, responderFrom);
    expect(report).toMatchObject({ peer: FQDN_B, n32fErrorType: expected.type });
    expect(report['failedModifications']).toEqual(expected.ipxIds!.map((ipxId) => ({ ipxId, n32fErrorType: expected.type })));

    await expectDelivered(path, relay!, producer);
  });
});
