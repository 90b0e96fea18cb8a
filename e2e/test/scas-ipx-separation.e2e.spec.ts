import { seppFqdn, type PlmnId } from '@sepp/infra';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B } from './support/configs';
import { H2Client } from './support/h2-client';
import {
  amDataRequest,
  createIpxCerts,
  expectDelivered,
  expectRefused,
  IPX_FQDN,
  ipxInitiatorPeer,
  IpxPath,
  leafOnly,
  startIpxInitiator,
  type IpxCerts,
} from './support/ipx';
import { NfClient, TappedProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { contextsOf } from './support/prins';
import { expectProblem } from './support/problem';
import type { SeppProcess } from './support/sepp-process';
import { appendJws, es256Jws, jwsPayloadOf, replaceJws, TamperingRelay, type N32fMessage } from './support/tampering-relay';

jest.setTimeout(60_000);

const EXCHANGE_CAPABILITY = '/n32c-handshake/v1/exchange-capability';
const INTEGRITY = 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED';
/** Two more roaming partners of the responder, each with an IPX of its own (its own N32-f context). */
const PLMN_C: PlmnId = { mcc: '003', mnc: '03' };
const PLMN_D: PlmnId = { mcc: '004', mnc: '04' };
/** A partner whose IPX entry carries its own SEPP key (refused in exchange-params). */
const PLMN_E: PlmnId = { mcc: '005', mnc: '05' };
/** A SEPP nobody configured (for acceptUnknownPeers). */
const PLMN_U: PlmnId = { mcc: '009', mnc: '09' };
const [FQDN_C, FQDN_D, FQDN_E, FQDN_U] = [PLMN_C, PLMN_D, PLMN_E, PLMN_U].map(seppFqdn) as [string, string, string, string];
/** Partner D's IPX: another RI name. Partner C's IPX uses the same name as B's (IPX_FQDN), with another key. */
const IPX_D_FQDN = 'ipx-d.roaming.example.org';

/**
 * TS 33.517 4.2.2.2 and 4.2.2.3 through the REAL processes: responder (PLMN 001/01), the IPX app,
 * initiator B (PLMN 002/02) as in prins-ipx.e2e.spec.ts, with a TamperingRelay of the test between
 * the IPX app and the responder. Two more initiators (C, D) have N32-f contexts with IPX keys of
 * their own; the relay also plays their IPX (it signs their messages with their IPX keys), so each
 * of those keys is shown to work on its own context before it is refused on B's.
 */
describe('IPX key material at the real responder (SCAS 33.517 4.2.2.2, 4.2.2.3)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let ipxCerts: IpxCerts;
  /** Another signing key under B's IPX name (partner C's IPX), and partner D's IPX key. */
  let signingC: CertFiles;
  let signingD: CertFiles;
  let producer: TappedProducer;
  let relay: TamperingRelay | undefined;
  let path: IpxPath;
  let initiatorC: SeppProcess | undefined;
  let initiatorD: SeppProcess | undefined;
  let nfC: NfClient | undefined;
  let nfD: NfClient | undefined;
  const clients: H2Client[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    const [certC, certD, ipx, keyC, keyD, relayRi] = await Promise.all([
      pki.sepp(PLMN_C),
      pki.sepp(PLMN_D),
      createIpxCerts(pki),
      pki.leaf('ipx-c-signing', [IPX_FQDN]),
      pki.leaf('ipx-d-signing', [IPX_D_FQDN]),
      // The relay's RI identity toward the responder and toward initiators C and D (it is their IPX).
      pki.leaf('relay-ri', [IPX_FQDN, IPX_D_FQDN]),
    ]);
    [ipxCerts, signingC, signingD] = [ipx, keyC, keyD];
    producer = await TappedProducer.start('udm1');
    const [n32C, n32D] = await Promise.all([freePort(), freePort()]);
    path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'ipx-sep',
      ipxCerts,
      extraResponderPeers: [ipxInitiatorPeer(PLMN_C, n32C), ipxInitiatorPeer(PLMN_D, n32D), ipxInitiatorPeer(PLMN_E)],
      between: async (responder) => {
        relay = await TamperingRelay.start({
          serverCert: certA,
          sniCerts: { [IPX_FQDN]: relayRi, [IPX_D_FQDN]: relayRi },
          clientCert: relayRi,
          ca: pki.ca.certPem,
          forward: { port: responder.port('n32'), servername: FQDN_A },
        });
        return relay;
      },
    });
    // The relay is the IPX of C (IPX_FQDN, key C) and of D (IPX_D_FQDN, key D), both directions.
    const signAsIpxOf = (message: N32fMessage, names: readonly string[], tag: string): N32fMessage => {
      if (names.includes(FQDN_C)) return appendJws(message, es256Jws(IPX_FQDN, signingC.keyPem, tag));
      if (names.includes(FQDN_D)) return appendJws(message, es256Jws(IPX_D_FQDN, signingD.keyPem, tag));
      return message;
    };
    relay!.requestHooks.push((message, hop) => signAsIpxOf(message, hop.from, hop.tag));
    relay!.answerHooks.push((message, hop) => signAsIpxOf(message, hop.exchange.from, hop.tag));

    const responderPort = path.responder.port('n32');
    const relayAddress = `127.0.0.1:${relay!.port}`;
    // Both started before anything can fail, so that afterAll stops whichever came up.
    const started = await Promise.allSettled([
      startIpxInitiator(pki, { name: 'ipx-sep-c', plmn: PLMN_C, cert: certC, responderPort, n32Port: n32C, ipx: { fqdn: IPX_FQDN, address: relayAddress, signingKeys: [leafOnly(pki, signingC, 'ipx-c-signing-leaf.crt')] } }),
      startIpxInitiator(pki, { name: 'ipx-sep-d', plmn: PLMN_D, cert: certD, responderPort, n32Port: n32D, ipx: { fqdn: IPX_D_FQDN, address: relayAddress, signingKeys: [leafOnly(pki, signingD, 'ipx-d-signing-leaf.crt')] } }),
    ]);
    [initiatorC, initiatorD] = started.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    if (!initiatorC || !initiatorD) throw new Error('initiators C and D did not start');
    await Promise.all([
      initiatorC.waitForPeerState(FQDN_A, 'prins-established'),
      initiatorD.waitForPeerState(FQDN_A, 'prins-established'),
      path.responder.waitForPeerState(FQDN_C, 'prins-established'),
      path.responder.waitForPeerState(FQDN_D, 'prins-established'),
    ]);
    [nfC, nfD] = await Promise.all([NfClient.connect(initiatorC.port('sbi')), NfClient.connect(initiatorD.port('sbi'))]);
  });

  afterEach(() => {
    relay?.clearOnce();
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    nfC?.close();
    nfD?.close();
    await Promise.all([initiatorC?.stop(), initiatorD?.stop()]);
    await path?.stop();
    await relay?.close();
    await producer?.close();
  });

  async function openN32c(cert: CertFiles): Promise<H2Client> {
    const client = await H2Client.open(path.responder.port('n32'), FQDN_A, pki.clientTls(cert));
    clients.push(client);
    return client;
  }

  /**
   * The responder's view of its peers and contexts (to show a refusal changed nothing). The
   * unconfigured SEPP of the acceptUnknownPeers control is left out: its release may still be
   * settling (connection close) while the refusals are checked.
   */
  async function responderState(): Promise<unknown> {
    return { peers: (await path.responder.peers()).filter((peer) => peer.fqdn !== FQDN_U), contexts: await contextsOf(path.responder) };
  }

  /** exchange-capability over a connection presenting `cert`: refused as an IPX, 403, nothing changes. */
  async function expectIpxRefusedOnN32c(cert: CertFiles, sender: string): Promise<void> {
    const before = await responderState();
    const from = path.responder.lines.length;
    const client = await openN32c(cert);
    const answer = await client.postJson(EXCHANGE_CAPABILITY, { sender, supportedSecCapabilityList: ['PRINS', 'TLS'], plmnIdList: [PLMN_B] });
    const body = expectProblem(answer, 403);
    expect(body.detail).toMatch(/roaming intermediary \(IPX\) cannot negotiate N32-c/);
    await path.responder.waitForLog(`IPX refusal for sender ${sender}`, (l) => l.msg === 'refused: an intermediary (IPX) cannot negotiate N32-c' && l['peer'] === sender, 5_000, from);
    expect(await responderState()).toEqual(before);
    expect(await path.responder.peer(sender.toLowerCase())).toEqual(sender === FQDN_B ? expect.objectContaining({ state: 'prins-established' }) : undefined);
  }

  describe('TC_CRYPT_MATERIAL_SEPP_IPX_SEPARATION', () => {
    it('every context names its RI: B and C the IPX (each with its own key), D its own IPX; the three keys are live on their own contexts', async () => {
      const contexts = await contextsOf(path.responder);
      const byPeer = Object.fromEntries(contexts.map((c) => [c.peer, (c as unknown as { intermediaries: unknown }).intermediaries]));
      expect(byPeer).toEqual({
        [FQDN_B]: { authorizedIpxId: IPX_FQDN, verified: [IPX_FQDN] },
        [FQDN_C]: { authorizedIpxId: IPX_FQDN, verified: [IPX_FQDN] },
        [FQDN_D]: { authorizedIpxId: IPX_D_FQDN, verified: [IPX_D_FQDN] },
      });
      // Key B (the IPX app's), key C and key D each verify on their own context: requests reach the producer.
      await expectDelivered(path, relay!, producer);
      for (const [nf, name, ipx] of [
        [nfC!, 'C', IPX_FQDN],
        [nfD!, 'D', IPX_D_FQDN],
      ] as const) {
        const seen = producer.seen.length;
        const exchanges = relay!.exchanges.length;
        const answer = await nf.request(amDataRequest(producer));
        expect({ name, status: answer.status }).toEqual({ name, status: 200 });
        expect(producer.seen.length).toBe(seen + 1);
        const exchange = relay!.exchanges[exchanges]!;
        await exchange.done;
        expect(exchange.forwarded!.modificationsBlock!.map((jws) => jwsPayloadOf(jws).identity)).toEqual([ipx]);
      }
    });

    it('an IPX certificate cannot open N32-c: exchange-capability with sender = the IPX or = a real peer is refused (403), no peer or context changes', async () => {
      await expectIpxRefusedOnN32c(ipxCerts.tls, IPX_FQDN);
      await expectIpxRefusedOnN32c(ipxCerts.tls, FQDN_B);
      // The N32-f path through the IPX is untouched.
      await expectDelivered(path, relay!, producer);
    });

    it('also with acceptUnknownPeers: true, where an unknown SEPP is accepted: IPX certificates (known from live contexts only) stay refused', async () => {
      expect(await path.reloadResponder((yaml) => (yaml.n32.acceptUnknownPeers = true))).toContain('peers');
      try {
        // Control: an unconfigured SEPP (valid certificate for its own FQDN) may negotiate now.
        const unknownCert = await pki.sepp(PLMN_U);
        const unknown = await openN32c(unknownCert);
        const accepted = await unknown.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_U, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_U] });
        expect(accepted.status).toBe(200);
        expect(await path.responder.peer(FQDN_U)).toMatchObject({ mechanism: 'TLS' });
        expect((await unknown.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_U, supportedSecCapabilityList: ['NONE'] })).status).toBe(200);
        unknown.close();

        // The IPX app's certificate, whatever it claims; the relay's RI certificate claiming D's IPX.
        await expectIpxRefusedOnN32c(ipxCerts.tls, IPX_FQDN);
        await expectIpxRefusedOnN32c(ipxCerts.tls, FQDN_B);
        const ipxD = await pki.leaf('ipx-d-tls', [IPX_D_FQDN]);
        await expectIpxRefusedOnN32c(ipxD, IPX_D_FQDN);
      } finally {
        await path.reloadResponder((yaml) => (yaml.n32.acceptUnknownPeers = false));
      }
    });

    it.each([
      ['the peer SEPP (the initiator TLS key)', (): CertFiles => certB],
      ['the receiving SEPP itself (the responder TLS key)', (): CertFiles => certA],
    ])('a modification JWS naming the IPX but signed with the key of %s is refused (INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED), nothing reaches the NF, the initiator logs the report', async (_, sepp) => {
      relay!.onceRequest((message, hop) => replaceJws(message, -1, es256Jws(IPX_FQDN, sepp().keyPem, hop.tag, null)));
      const { exchange } = await expectRefused(path, relay!, producer, { type: INTEGRITY, ipxIds: [IPX_FQDN] });
      // What was refused is exactly a well-formed ES256 JWS of the IPX, null patch, this message's tag.
      const [jws] = exchange.forwarded!.modificationsBlock!;
      expect(jwsPayloadOf(jws!)).toEqual({ identity: IPX_FQDN, operations: null, tag: exchange.forwarded!.reformattedData.tag });
      await expectDelivered(path, relay!, producer);
    });

    it('an IPX entry carrying a SEPP key is refused in exchange-params (400): that key never becomes an RI key of a context', async () => {
      const certE = await pki.sepp(PLMN_E);
      const initiatorE = await startIpxInitiator(pki, {
        name: 'ipx-sep-e',
        plmn: PLMN_E,
        cert: certE,
        responderPort: path.responder.port('n32'),
        ipx: { fqdn: 'ipx-e.roaming.example.org', signingKeys: [leafOnly(pki, certE, 'sepp-005-05-leaf.crt')] },
      });
      try {
        const failed = await initiatorE.waitForPeer(FQDN_A, 'failing the parameter exchange', (peer) => /key of a SEPP/.test(peer.lastError?.detail ?? ''));
        expect(failed.state).not.toBe('prins-established');
        expect(failed).toMatchObject({ state: 'failed', lastError: { reason: 'PARAMETER_EXCHANGE_FAILED', detail: expect.stringContaining('exchange-params: HTTP 400') } });
        // The key is never taken as an RI key, and the context the responder set up at step 2 of
        // that exchange is terminated with it: none is left for E (none could live without its RIs).
        await path.responder.waitForLog('the context of the refused exchange terminated', (l) => l.msg === 'N32-f context terminated' && l['peer'] === FQDN_E && String(l['reason']).includes('RI security information'), 5_000);
        await initiatorE.stop(); // no retry may be half-way through an exchange while we look
        expect((await contextsOf(path.responder)).filter((c) => c.peer === FQDN_E)).toEqual([]);
        expect(path.responder.lines.some((l) => l.msg === 'RI security information received' && l['peer'] === FQDN_E)).toBe(false);
      } finally {
        await initiatorE.stop();
      }
    });
  });

  describe('TC_CONNECTION_SPECIFIC_SCOPE_CRYPT_MATERIAL', () => {
    it.each([
      ["context C's key, under the IPX name both contexts share", (): [string, CertFiles] => [IPX_FQDN, signingC]],
      ["context D's key, under B's IPX name", (): [string, CertFiles] => [IPX_FQDN, signingD]],
      ["context D's key, under D's own IPX name", (): [string, CertFiles] => [IPX_D_FQDN, signingD]],
    ])('a JWS on context B signed with %s is refused (INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED); the context survives', async (_, pick) => {
      const [identity, key] = pick();
      relay!.onceRequest((message, hop) => replaceJws(message, -1, es256Jws(identity, key.keyPem, hop.tag, null)));
      await expectRefused(path, relay!, producer, { type: INTEGRITY, ipxIds: [IPX_FQDN] });
      await expectDelivered(path, relay!, producer);
    });

    it("a key the responder knew only from B's previous context (terminated when the IPX rotated its key) is refused on the new context", async () => {
      const oldKey = ipxCerts.signing;
      const oldContext = (await contextsOf(path.responder)).find((c) => c.peer === FQDN_B)!;
      await path.rotateIpxSigningKey(await pki.leaf('ipx-signing-2', [IPX_FQDN]), 'rotated');
      const newContext = (await contextsOf(path.responder)).filter((c) => c.peer === FQDN_B).at(-1)!;
      expect(newContext.localContextId).not.toBe(oldContext.localContextId);

      // The IPX app now signs with the new key: accepted.
      await expectDelivered(path, relay!, producer);
      // The old key, the same IPX name, the same peer: refused.
      relay!.onceRequest((message, hop) => replaceJws(message, -1, es256Jws(IPX_FQDN, oldKey.keyPem, hop.tag, null)));
      const { exchange } = await expectRefused(path, relay!, producer, { type: INTEGRITY, ipxIds: [IPX_FQDN] });
      expect(exchange.aad!.metaData.n32fContextId).toBe(newContext.localContextId);
      await expectDelivered(path, relay!, producer);
    });
  });
});
