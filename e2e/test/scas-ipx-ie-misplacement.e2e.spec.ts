import { createPkiAB, FQDN_A } from './support/configs';
import { createIpxCerts, expectDelivered, expectRefused, IPX_FQDN, IpxPath, SUPI, type IpxRule } from './support/ipx';
import { expectProblemAnswer, TappedProducer, TARGET_HEADER, type NfRequest } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { jwsPayloadOf, TamperingRelay, type AadView } from './support/tampering-relay';

jest.setTimeout(60_000);

const INSTRUCTIONS = 'MODIFICATIONS_INSTRUCTIONS_FAILED';
const PRIORITY = '3gpp-sbi-message-priority';
const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYxIn0.c2lnbmF0dXJl';
/** Where the NF's headers land in the AAD (asserted for every case): the token (encrypted), content-type, the priority (clear, modifiable by RIs). */
const AUTH = '/headers/0/value';
const PRIO = '/headers/2/value';

/**
 * One misplacement per API: the IPX app's `unchecked: true` rules (33.517 4.2.2.8 test rig: signed
 * as they are, although they touch encrypted IEs) are matched by path and method, so each request
 * below draws exactly one of them. The target of every write is the priority header, which the
 * default policy lets RIs modify: the refusal can only come from the encrypted IE or the
 * confidential value, not from the modification policy.
 */
const CASES: { name: string; rule: IpxRule; request: (apiRoot: string) => NfRequest; encrypted: string }[] = [
  {
    name: 'copy of the encrypted authorization header (its {encBlockIndex} placeholder) into the clear priority header',
    rule: { name: 'copy-token', apiPathPattern: '^/nnrf-disc/v1/misplace-copy$', direction: 'request', unchecked: true, operations: [{ op: 'copy', from: AUTH, path: PRIO }] },
    request: (apiRoot) => nfRequest(apiRoot, 'POST', '/nnrf-disc/v1/misplace-copy', {}),
    encrypted: AUTH,
  },
  {
    name: 'move of the encrypted resStar body IE (AUTHENTICATION_MATERIAL) into the clear priority header',
    rule: {
      name: 'move-res-star',
      apiPath: '/nausf-auth/v1/ue-authentications/{authCtxId}/5g-aka-confirmation',
      method: 'PUT',
      direction: 'request',
      unchecked: true,
      operations: [{ op: 'move', from: '/payload/0/value', path: PRIO }],
    },
    request: (apiRoot) => nfRequest(apiRoot, 'PUT', '/nausf-auth/v1/ue-authentications/ctx-1/5g-aka-confirmation', { resStar: '0123456789abcdef0123456789abcdef' }),
    encrypted: '/payload/0/value',
  },
  {
    name: 'add of an {encBlockIndex: 0} reference into the clear priority header',
    rule: { name: 'ref-into-clear', apiPathPattern: '^/nnrf-disc/v1/misplace-ref$', direction: 'request', unchecked: true, operations: [{ op: 'replace', path: PRIO, value: { encBlockIndex: 0 } }] },
    request: (apiRoot) => nfRequest(apiRoot, 'POST', '/nnrf-disc/v1/misplace-ref', {}),
    encrypted: AUTH,
  },
  {
    name: 'the bearer token the NF sent (encrypted) written in clear into the priority header',
    rule: { name: 'token-in-clear', apiPathPattern: '^/nnrf-disc/v1/misplace-token$', direction: 'request', unchecked: true, operations: [{ op: 'replace', path: PRIO, value: TOKEN }] },
    request: (apiRoot) => nfRequest(apiRoot, 'POST', '/nnrf-disc/v1/misplace-token', {}),
    encrypted: AUTH,
  },
  {
    name: 'the SUPI of the body (supiOrSuci, encrypted) written in clear into the priority header',
    rule: { name: 'supi-body-in-clear', apiPath: '/nausf-auth/v1/ue-authentications', method: 'POST', direction: 'request', unchecked: true, operations: [{ op: 'replace', path: PRIO, value: SUPI }] },
    request: (apiRoot) => nfRequest(apiRoot, 'POST', '/nausf-auth/v1/ue-authentications', { supiOrSuci: SUPI, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' }),
    encrypted: '/payload/0/value',
  },
  {
    name: 'the SUPI of the (encrypted) path, inside a longer value, written in clear into the priority header',
    rule: { name: 'supi-path-in-clear', apiPath: '/**', method: 'PATCH', direction: 'request', unchecked: true, operations: [{ op: 'replace', path: PRIO, value: `5;ue=${SUPI}` }] },
    request: (apiRoot) => nfRequest(apiRoot, 'PATCH', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, {}),
    encrypted: '/requestLine/path',
  },
];

function nfRequest(apiRoot: string, method: string, path: string, body: unknown): NfRequest {
  return {
    method,
    path,
    headers: { [TARGET_HEADER]: apiRoot, authorization: TOKEN, 'content-type': 'application/json', [PRIORITY]: '3' },
    body: JSON.stringify(body),
  };
}

/** The value at a pointer of the AAD (enough for the few pointers used here). */
function at(aad: AadView, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((value, token) => (value as Record<string, unknown> | undefined)?.[token], aad);
}

/**
 * TS 33.517 4.2.2.8 through the REAL processes (responder, IPX app, initiator; a transparent
 * TamperingRelay before the responder records what the IPX app signed and what the responder
 * answered).
 */
describe('TC_NO_ENCRYPTED_IE_MISPLACEMENT', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let relay: TamperingRelay | undefined;
  let path: IpxPath;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    const ipx = await createIpxCerts(pki);
    producer = await TappedProducer.start('udm1');
    path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'ipx-misplace',
      ipxCerts: ipx,
      rules: [
        ...CASES.map((c) => c.rule),
        // Control: the same request shape, a permitted write of the same IE (a checked rule).
        { name: 'priority-control', apiPathPattern: '^/nnrf-disc/v1/misplace-control$', direction: 'request', operations: [{ op: 'replace', path: PRIO, value: '5' }] },
      ],
      between: async (responder) => {
        relay = await TamperingRelay.start({ serverCert: certA, clientCert: ipx.tls, ca: pki.ca.certPem, forward: { port: responder.port('n32'), servername: FQDN_A } });
        return relay;
      },
    });
  });

  afterAll(async () => {
    await path?.stop();
    await relay?.close();
    await producer?.close();
  });

  it('control: the same request shape with a permitted write of the priority header reaches the producer, modified', async () => {
    const { exchange } = await expectDelivered(path, relay!, producer, nfRequest(producer.apiRoot, 'POST', '/nnrf-disc/v1/misplace-control', {}));
    expect(exchange.aad!.headers!.map((h) => h.header)).toEqual(['authorization', 'content-type', PRIORITY]);
    expect(at(exchange.aad!, AUTH)).toEqual({ encBlockIndex: expect.any(Number) });
    const seen = producer.seen.at(-1)!;
    expect(seen.headers[PRIORITY]).toBe('5');
    expect(seen.headers['authorization']).toBe(TOKEN);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('an IPX patch with %s is refused (MODIFICATIONS_INSTRUCTIONS_FAILED), nothing reaches the producer', async (_, c) => {
    const { exchange } = await expectRefused(path, relay!, producer, { type: INSTRUCTIONS, ipxIds: [IPX_FQDN] }, c.request(producer.apiRoot));
    // Refused for the encrypted IE (placeholder touched or written, or a confidential value in clear).
    expect((exchange.answer as { detail: string }).detail).toMatch(/encrypted/);
    // Preconditions, from what the responder received: the IE is encrypted, the priority header is
    // where the rule writes, and the IPX app signed exactly the rule's operations.
    const aad = exchange.aad!;
    expect(aad.headers!.map((h) => h.header)).toEqual(['authorization', 'content-type', PRIORITY]);
    if (c.encrypted === '/requestLine/path') expect(aad.requestLine).toMatchObject({ path: expect.stringMatching(/^\/nudm-uecm\/v1\/\{"encBlockIndex":\d+\}\//), pathQueryProtectInd: ['URI_PATH'] });
    else expect(at(aad, c.encrypted)).toEqual({ encBlockIndex: expect.any(Number) });
    const block = exchange.forwarded!.modificationsBlock!;
    expect(block.map((jws) => jwsPayloadOf(jws))).toEqual([{ identity: IPX_FQDN, operations: c.rule.operations, tag: exchange.forwarded!.reformattedData.tag }]);
    // Nothing confidential went out in clear to the NF side in the refusal either.
    expect(JSON.stringify(exchange.answer)).not.toContain(SUPI);
    expect(JSON.stringify(exchange.answer)).not.toContain(TOKEN.slice(7));
    await expectDelivered(path, relay!, producer);
  });

  it('sender side: an NF body that already holds an {encBlockIndex} object is refused by the initiator (4xx), nothing goes out on N32-f', async () => {
    const exchanges = relay!.exchanges.length;
    const seen = producer.seen.length;
    const answer = await path.nf!.request(nfRequest(producer.apiRoot, 'POST', '/nnrf-disc/v1/lookalike', { target: { encBlockIndex: 0 } }));
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expectProblemAnswer(answer, answer.status);
    expect(relay!.exchanges.length).toBe(exchanges);
    expect(producer.seen.length).toBe(seen);
  });
});
