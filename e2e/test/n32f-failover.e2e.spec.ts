import { createHash } from 'node:crypto';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_A, writeYaml } from './support/configs';
import { FakeResponder, type FakeScript } from './support/fake-responder';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER, udmApiRoot } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

/**
 * A state.replicaId that makes the initiator start at the first of two peer addresses (README
 * "Configuration": each replica starts at its own place in the list, spread by its replica ID).
 */
function replicaIdStartingAtFirst(fqdn: string): string {
  for (let i = 0; ; i++) {
    const id = `initiator-${i}`;
    if (createHash('sha256').update(`${id}\n${fqdn}`).digest().readUInt32BE(0) % 2 === 0) return id;
  }
}

/**
 * A replica of the peer that stops while our N32-f request is on its way refuses the stream
 * (REFUSED_STREAM: not processed) and sends GOAWAY; the initiator then negotiates with the peer's
 * next address and sends the request again there (RFC 9113 §8.7), so the NF gets the producer's
 * answer, not a 502.
 */
describe('TLS-mode N32-f: a request the stopping replica of the peer did not process goes to its next address', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let responder: SeppProcess | undefined;
  let initiator: SeppProcess | undefined;
  let fake: FakeResponder | undefined;
  let nf: NfClient | undefined;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    producer = await TappedProducer.start('udm1');
  });

  afterAll(async () => {
    nf?.close();
    await initiator?.stop();
    await responder?.stop();
    await fake?.close();
    await producer?.close();
  });

  it('the NF gets the answer of the producer through the other replica; the refused request never reached the producer twice', async () => {
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-failover', n32fResponderYaml(certA, pki, producer.port)));
    // The first replica agrees TLS, then refuses the first N32-f stream and goes away.
    const script: FakeScript = (request) =>
      String(request.headers[':path']).startsWith('/n32c-handshake/')
        ? { body: { sender: FQDN_A, selectedSecCapability: 'TLS', '3GppSbiTargetApiRootSupported': true, plmnIdList: [PLMN_A], supportedFeatures: '0' } }
        : { refuseAndGoAway: true };
    fake = await FakeResponder.start(certA, pki.ca.certPem, script);
    const config = n32fInitiatorYaml(certB, pki, responder.port('n32'));
    config.n32.peers[0]!.address = [`127.0.0.1:${fake.port}`, `127.0.0.1:${responder.port('n32')}`];
    (config as { state?: unknown }).state = { replicaId: replicaIdStartingAtFirst(FQDN_A) };
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-failover', config));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    expect(fake.requests.map((r) => r.headers[':path'])).toEqual(['/n32c-handshake/v1/exchange-capability']);

    nf = await NfClient.connect(initiator.port('sbi'));
    const seenBefore = producer.seen.length;
    const answer = await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
    // Refused by the first replica, served once through the second.
    expect(fake.requests.map((r) => r.headers[':path'])).toEqual(['/n32c-handshake/v1/exchange-capability', '/nudm-sdm/v2/imsi-001010000000001/am-data']);
    expect(producer.seen.slice(seenBefore)).toHaveLength(1);
    expect(initiator.lines.some((l) => l.msg === 'GOAWAY from the peer: opening a new N32 connection')).toBe(true);
    expect((await responder.waitForPeerState(FQDN_B, 'tls-established')).mechanism).toBe('TLS');
  });
});
