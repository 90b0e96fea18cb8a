import { seppFqdn, type PlmnId } from '@sepp/infra';
import { N32C_PATHS } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_A, writeYaml } from './support/configs';
import { FakeResponder } from './support/fake-responder';
import { connections, expectProblemAnswer, n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER, UDM1_FQDN, type NfAnswer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

/** A third PLMN with its own peer SEPP (played by the test) and producer FQDN. */
const PLMN_C: PlmnId = { mcc: '003', mnc: '03' };
const FQDN_C = seppFqdn(PLMN_C);
const UDM_C = 'udm1.5gc.mnc003.mcc003.3gppnetwork.org';

/**
 * TS 33.517 4.2.2.9 TC_CORRECT_INTER_PLMN_ROUTING (TS 29.500 6.1.4.3, TS 33.501 13.1.1): with both
 * a telescopic FQDN and `3gpp-Sbi-Target-apiRoot`, the SEPP routes by the telescopic FQDN of the
 * request URI. SUT = the initiator (SEPP-A), with two roaming partners: the real responder
 * (PLMN 001/01, producer udm1 behind it) and a third PLMN's SEPP played by the test (records what
 * reaches it). The NF takes the telescopic FQDN from the SUT's mapping API.
 * (2) URI = the telescopic FQDN of udm1, header = a producer in the third PLMN: the request reaches
 *     the peer of udm1 (and udm1), nothing goes toward the third PLMN.
 * (3) header = udm1 (the remote producer), telescopic label altered: the peer of udm1 does not
 *     receive it (unknown label 404; a label naming the third PLMN goes there, not to udm1's peer;
 *     a label naming no PLMN 400).
 * The telescopic addressing itself is in n32f-forwarding.e2e.spec.ts ("telescopic FQDNs").
 */
describe('TC_CORRECT_INTER_PLMN_ROUTING', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let thirdPlmn: FakeResponder;
  let initiator: SeppProcess;
  let nf: NfClient;
  let label: string;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    producer = await TappedProducer.start('udm1');
    thirdPlmn = await FakeResponder.start(await pki.sepp(PLMN_C), pki.ca.certPem, (request) =>
      request.headers[':path'] === N32C_PATHS.exchangeCapability
        ? { body: { sender: FQDN_C, selectedSecCapability: 'TLS', plmnIdList: [PLMN_C], supportedFeatures: '0', '3GppSbiTargetApiRootSupported': true } }
        : { body: { servedBy: 'third-plmn' } },
    );
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', n32fResponderYaml(certA, pki, producer.port)));
    const yaml = n32fInitiatorYaml(certB, pki, responder.port('n32'));
    yaml.n32.peers = [
      { fqdn: FQDN_A, plmns: [PLMN_A], address: `127.0.0.1:${responder.port('n32')}`, intermediaries: 'none' },
      { fqdn: FQDN_C, plmns: [PLMN_C], address: `127.0.0.1:${thirdPlmn.port}`, intermediaries: 'none' },
    ];
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', yaml));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    await initiator.waitForPeerState(FQDN_C, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
    const mapping = await nf.request({ path: `/nsepp-telescopic/v1/mapping?foreign-fqdn=${UDM1_FQDN}` });
    label = (mapping.json as { telescopicLabel: string }).telescopicLabel;
    expect(label).toBe('udm1--5gc--mnc001--mcc001--3gppnetwork--org');
  });

  afterAll(async () => {
    nf?.close();
    await initiator?.stop();
    await responder?.stop();
    await thirdPlmn?.close();
    await producer?.close();
  });

  /** N32-f requests that reached the responder (its connection view) and the third PLMN's SEPP. */
  async function reached(): Promise<{ peerA: number; peerC: number; producer: number }> {
    const peerA = (await connections(responder)).reduce((sum, c) => sum + c.n32fRequests, 0);
    const peerC = thirdPlmn.requests.filter((r) => r.headers[':path'] !== N32C_PATHS.exchangeCapability).length;
    return { peerA, peerC, producer: producer.seen.length };
  }

  const send = (authority: string, target: string, path: string): Promise<NfAnswer> =>
    nf.request({ path, headers: { ':authority': authority, [TARGET_HEADER]: target } });

  /** The initiator's log line of a refusal (from line `from` on), naming the request's path. */
  const refusalLogged = (from: number, status: number, cause: string, path: string) =>
    initiator.waitForLog(`NF request refused ${status} ${cause}`, (l) => l.msg === 'NF request refused' && l['status'] === status && l['cause'] === cause && l['path'] === path, 5_000, from);

  it('(2) telescopic FQDN of udm1 + a target header in the third PLMN: routed by the telescopic FQDN, to udm1 through its peer; nothing toward the third PLMN', async () => {
    const before = await reached();
    const path = '/nudm-sdm/v2/imsi-001010000000001/am-data?case=2';
    const answer = await send(`${label}.${FQDN_B}:${producer.port}`, `http://${UDM_C}:${producer.port}`, path);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ servedBy: 'udm1', query: { case: '2' } });
    const after = await reached();
    expect(after).toEqual({ peerA: before.peerA + 1, peerC: before.peerC, producer: before.producer + 1 });
    // The producer got the request for itself: the header of the third PLMN did not travel.
    expect(producer.seen[before.producer]!.headers[':authority']).toBe(`${UDM1_FQDN}:${producer.port}`);
    expect(JSON.stringify(producer.seen[before.producer]!.headers)).not.toContain(UDM_C);
  });

  it('control: the same target header without a telescopic FQDN does go to the third PLMN', async () => {
    const before = await reached();
    const answer = await send(`127.0.0.1:${initiator.port('sbi')}`, `http://${UDM_C}:${producer.port}`, '/nudm-sdm/v2/imsi-003030000000001/am-data');
    expect(answer.json).toEqual({ servedBy: 'third-plmn' });
    expect(await reached()).toEqual({ ...before, peerC: before.peerC + 1 });
  });

  describe('(3) target header = udm1, telescopic label altered: the peer of udm1 does not receive it', () => {
    const udm1 = (): string => `http://${UDM1_FQDN}:${producer.port}`;

    it('a label nobody handed out (opaque form): 404 UNKNOWN_TELESCOPIC_LABEL', async () => {
      const before = await reached();
      const from = initiator.lines.length;
      const path = '/nudm-sdm/v2/imsi-001010000000001/am-data?case=3a';
      expectProblemAnswer(await send(`m-0aaaaaaaaaaaaaaaaaaaaaaaaaa.${FQDN_B}:${producer.port}`, udm1(), path), 404, 'UNKNOWN_TELESCOPIC_LABEL');
      expect(await reached()).toEqual(before);
      expect(await refusalLogged(from, 404, 'UNKNOWN_TELESCOPIC_LABEL', path)).toMatchObject({ level: 'info', remoteAddress: '127.0.0.1', detail: expect.stringContaining('m-0aaaaaaaaaaaaaaaaaaaaaaaaaa') });
    });

    it('a label altered to name a host of the third PLMN: routed there, not to the peer of udm1', async () => {
      const before = await reached();
      const answer = await send(`udm1--5gc--mnc003--mcc003--3gppnetwork--org.${FQDN_B}:${producer.port}`, udm1(), '/nudm-sdm/v2/imsi-001010000000001/am-data?case=3b');
      expect(answer.json).toEqual({ servedBy: 'third-plmn' });
      const after = await reached();
      expect(after).toEqual({ ...before, peerC: before.peerC + 1 });
      // What the third PLMN's SEPP received names its own producer, not udm1.
      const last = thirdPlmn.requests[thirdPlmn.requests.length - 1]!;
      expect(last.headers[TARGET_HEADER]).toBe(`http://${UDM_C}:${producer.port}`);
    });

    it('a label altered to name no PLMN: 400, nowhere', async () => {
      const before = await reached();
      const from = initiator.lines.length;
      const path = '/nudm-sdm/v2/imsi-001010000000001/am-data?case=3c';
      expectProblemAnswer(await send(`udm1--example--org.${FQDN_B}:${producer.port}`, udm1(), path), 400, 'MANDATORY_IE_INCORRECT');
      expect(await reached()).toEqual(before);
      expect(await refusalLogged(from, 400, 'MANDATORY_IE_INCORRECT', path)).toMatchObject({ level: 'info', remoteAddress: '127.0.0.1' });
    });
  });
});
