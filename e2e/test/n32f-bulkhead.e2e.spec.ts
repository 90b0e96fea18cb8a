import { seppFqdn, type PlmnId } from '@sepp/infra';
import { N32C_PATHS } from '@sepp/protocol';
import { createPkiAB, FQDN_A, PLMN_A, writeYaml, type SeppYaml } from './support/configs';
import { FakeResponder } from './support/fake-responder';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER, type NfAnswer } from './support/n32f';
import type { TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

/** A second roaming partner whose SEPP (played by the test) answers N32-f only when the test lets it. */
const PLMN_C: PlmnId = { mcc: '003', mnc: '03' };
const FQDN_C = seppFqdn(PLMN_C);
const UDM_C = 'udm1.5gc.mnc003.mcc003.3gppnetwork.org';
/** The initiator's NF-facing bound, and its bound per peer (a bulkhead) in the first part. */
const MAX_IN_FLIGHT = 8;
const PER_PEER = 4;

interface StatusPeer {
  fqdn: string;
  traffic: { outbound: { inFlight: number | null } };
}

/**
 * `n32f.maxConcurrentPerPeer` at the initiator as a bulkhead: a roaming partner that stops
 * answering holds at most that many of the NF-facing listener's requests in flight, the NFs get
 * 429 NF_CONGESTION_RISK at once for what is over it, and the traffic toward the other partner
 * goes on. The control shows why: with the per-peer bound as high as the listener's, the slow
 * partner takes the whole listener and the other partner's traffic is refused 503 NF_CONGESTION.
 * Real initiator and responder (PLMN A, producer udm1) as processes; PLMN C's SEPP is the test's.
 */
describe('a slow roaming partner and a fast one behind one initiator (n32f.maxConcurrentPerPeer as a bulkhead)', () => {
  let pki: TestPki;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let slowPeer: FakeResponder;
  let initiator: SeppProcess;
  let initiatorYaml: SeppYaml;
  let initiatorFile: string;
  let nf: NfClient;
  /** Releases every N32-f request the slow partner holds. */
  let release: () => void = () => undefined;
  let held: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    const created = await createPkiAB();
    pki = created.pki;
    producer = await TappedProducer.start('udm1');
    slowPeer = await FakeResponder.start(await pki.sepp(PLMN_C), pki.ca.certPem, async (request) => {
      if (request.headers[':path'] === N32C_PATHS.exchangeCapability) {
        return { body: { sender: FQDN_C, selectedSecCapability: 'TLS', plmnIdList: [PLMN_C], supportedFeatures: '0', '3GppSbiTargetApiRootSupported': true } };
      }
      await held;
      return { body: { servedBy: 'slow-partner' } };
    });
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', n32fResponderYaml(created.certA, pki, producer.port)));
    initiatorYaml = n32fInitiatorYaml(created.certB, pki, responder.port('n32'));
    initiatorYaml.n32.peers = [
      { fqdn: FQDN_A, plmns: [PLMN_A], address: `127.0.0.1:${responder.port('n32')}`, intermediaries: 'none' },
      { fqdn: FQDN_C, plmns: [PLMN_C], address: `127.0.0.1:${slowPeer.port}`, intermediaries: 'none' },
    ];
    initiatorYaml.limits = { maxRequestsInFlight: MAX_IN_FLIGHT, priorityReserve: 1 };
    initiatorYaml['n32f'] = { ...(initiatorYaml['n32f'] as Record<string, unknown> | undefined), maxConcurrentPerPeer: PER_PEER };
    initiatorFile = writeYaml(pki.dir, 'initiator', initiatorYaml);
    initiator = await SeppProcess.ready('initiator', initiatorFile);
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    await initiator.waitForPeerState(FQDN_C, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
  });

  afterAll(async () => {
    release();
    nf?.close();
    await initiator?.stop();
    await responder?.stop();
    await slowPeer?.close();
    await producer?.close();
  });

  /** From now on the slow partner holds every N32-f request until `release()`. */
  function hold(): void {
    held = new Promise((resolve) => (release = resolve));
  }

  const toSlow = (n: string, priority?: string): Promise<NfAnswer> =>
    nf.request({
      path: `/nudm-sdm/v2/imsi-003030000000001/am-data?slow=${n}`,
      headers: { [TARGET_HEADER]: `http://${UDM_C}:${producer.port}`, ...(priority !== undefined ? { '3gpp-sbi-message-priority': priority } : {}) },
      timeoutMs: 20_000,
    });
  const toFast = (n: string): Promise<NfAnswer> => nf.request({ path: `/nudm-sdm/v2/imsi-001010000000001/am-data?fast=${n}`, headers: { [TARGET_HEADER]: producer.apiRoot }, timeoutMs: 10_000 });
  const slowAtPeer = (): number => slowPeer.requests.filter((r) => r.headers[':path'] !== N32C_PATHS.exchangeCapability).length;
  const outboundInFlight = async (fqdn: string): Promise<number | null> => {
    const status = await initiator.admin<{ peers: StatusPeer[] }>('/admin/status');
    return status.body.peers.find((peer) => peer.fqdn === fqdn)?.traffic.outbound.inFlight ?? null;
  };

  it(`the slow partner holds ${PER_PEER} requests in flight at most; the NFs get 429 for more at once, and the fast partner is served throughout`, async () => {
    hold();
    const before = slowAtPeer();
    const slow = Array.from({ length: PER_PEER }, (_, i) => toSlow(String(i)));
    await waitFor('the slow partner holding its requests', () => slowAtPeer() === before + PER_PEER, 10_000);
    expect(await outboundInFlight(FQDN_C)).toBe(PER_PEER);

    const over = await toSlow('over');
    expect(over.status).toBe(429);
    expect(over.headers['retry-after']).toBe('1');
    expect(over.json).toMatchObject({ cause: 'NF_CONGESTION_RISK', detail: `${PER_PEER} NF requests in flight toward ${FQDN_C} (limit ${PER_PEER})` });
    expect(slowAtPeer()).toBe(before + PER_PEER);
    // A priority request may go limits.priorityReserve (1) beyond the bound, as past the listener's.
    const urgent = toSlow('urgent', '2');
    await waitFor('the priority request at the slow partner', () => slowAtPeer() === before + PER_PEER + 1, 10_000);
    const pastReserve = await toSlow('past-reserve', '2');
    expect(pastReserve.status).toBe(429);
    expect(pastReserve.json).toMatchObject({ detail: `${PER_PEER + 1} NF requests in flight toward ${FQDN_C} (limit ${PER_PEER + 1})` });

    // The other partner: served, several at once, while the slow one holds its share.
    const fast = await Promise.all(Array.from({ length: MAX_IN_FLIGHT - PER_PEER - 1 }, (_, i) => toFast(String(i))));
    expect(fast.map((answer) => answer.status)).toEqual(fast.map(() => 200));
    expect(await outboundInFlight(FQDN_A)).toBe(0);

    release();
    expect((await Promise.all([...slow, urgent])).map((answer) => answer.status)).toEqual([...slow, urgent].map(() => 200));
    expect(await outboundInFlight(FQDN_C)).toBe(0);
  });

  it(`control: with the per-peer bound at the listener's (${MAX_IN_FLIGHT}), the slow partner takes the whole listener and the fast partner's traffic is refused 503 NF_CONGESTION`, async () => {
    initiatorYaml['n32f'] = { ...(initiatorYaml['n32f'] as Record<string, unknown>), maxConcurrentPerPeer: MAX_IN_FLIGHT };
    writeYaml(pki.dir, 'initiator', initiatorYaml);
    expect((await initiator.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
    hold();
    const before = slowAtPeer();
    const slow = Array.from({ length: MAX_IN_FLIGHT }, (_, i) => toSlow(`all-${i}`));
    await waitFor('the slow partner holding the whole listener', () => slowAtPeer() === before + MAX_IN_FLIGHT, 10_000);
    const fast = await toFast('starved');
    expect(fast.status).toBe(503);
    expect(fast.json).toMatchObject({ cause: 'NF_CONGESTION', detail: `${MAX_IN_FLIGHT} requests in flight on the sbi listener (limits.maxRequestsInFlight ${MAX_IN_FLIGHT})` });
    release();
    expect((await Promise.all(slow)).map((answer) => answer.status)).toEqual(slow.map(() => 200));
    expect((await toFast('after')).status).toBe(200);
  });
});
