import { FakeResponder, type FakeAnswer, type FakeScript } from './support/fake-responder';
import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, PLMN_A, PLMN_B, writeYaml, type SeppYaml } from './support/configs';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess, type PeerView } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

/** Open5GS's default lab FQDN for its second SEPP, and the PLMN it serves in its sample configs. */
const OPEN5GS_FQDN = 'sepp2.localdomain';
const OPEN5GS_PLMN = { mcc: '001', mnc: '01' };
/** Exact bodies an Open5GS SEPP answers (src/sepp/n32c-build.c, n32c-handler.c). */
const OPEN5GS_TLS_ANSWER =
  '{"sender":"sepp2.localdomain","selectedSecCapability":"TLS","3GppSbiTargetApiRootSupported":true,"plmnIdList":[{"mcc":"001","mnc":"01"}],"supportedFeatures":""}';
const OPEN5GS_REJECT_ANSWER =
  '{"type":"/n32c-handshake/v1","title":"Unknown SupportedSecCapability","status":400,"detail":"sepp1.localdomain","instance":"/exchange-capability"}';

/** A SecNegotiateRspData from the fake (PLMN A) selecting `selected`. */
const answerSelecting = (selected: string, sender = FQDN_A): FakeAnswer => ({
  body: { sender, selectedSecCapability: selected, plmnIdList: [PLMN_A], supportedFeatures: '0' },
});

describe('the built initiator against a scripted responder', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let fake: FakeResponder | undefined;
  let initiator: SeppProcess | undefined;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  afterEach(async () => {
    await initiator?.stop();
    await fake?.close();
    initiator = undefined;
    fake = undefined;
  });

  async function start(name: string, script: FakeScript, serverCert: CertFiles, config: (port: number) => SeppYaml): Promise<{ fake: FakeResponder; initiator: SeppProcess }> {
    fake = await FakeResponder.start(serverCert, pki.ca.certPem, script);
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, name, config(fake.port)));
    return { fake, initiator };
  }

  /**
   * The checks for an answer the initiator must not act on (DECISIONS.md §3): it records `reason`,
   * closes that connection itself (GOAWAY, then close), sends nothing more on it, and retries on a
   * new connection.
   */
  async function expectRefusedAnswer(name: string, script: FakeScript, reason: string, capabilities: string[] = ['TLS']): Promise<PeerView> {
    const { fake, initiator } = await start(name, script, certA, (port) => initiatorYaml(certB, pki, port, { capabilities }));
    const failed = await initiator.waitForPeer(FQDN_A, `failed with ${reason}`, (p) => p.state === 'failed' && p.lastError?.reason === reason);
    expect(failed.mechanism).toBeNull();

    const [first] = await fake.waitForSessions(1);
    await fake.waitForClosed(first!);
    expect(first!.goaway).toEqual({ code: 0, lastStreamId: expect.any(Number) });

    // The retry comes on a new connection and is answered the same way.
    const sessions = await fake.waitForSessions(2);
    await waitFor('a request on the second connection', () => sessions[1]!.requests.length >= 1);
    expect(sessions[1]).not.toBe(first);
    expect(first!.streams).toBe(1);
    expect(first!.requests).toHaveLength(1);
    await initiator.waitForLog('will retry', (l) => l.msg === 'will retry' && l['peer'] === FQDN_A);
    expect(initiator.lines.some((l) => l.msg === 'peer state' && (l['to'] === 'tls-established' || l['to'] === 'prins-selected'))).toBe(false);
    return failed;
  }

  it('refuses a mechanism it did not offer: NOT_OFFERED, closes that connection, retries on a new one', async () => {
    const failed = await expectRefusedAnswer('not-offered', () => answerSelecting('PRINS'), 'NOT_OFFERED');
    expect(failed.lastError?.detail).toContain('PRINS');
  });

  it('refuses an unknown mechanism ("ALS"): UNKNOWN_MECHANISM, closes that connection, retries on a new one', async () => {
    const failed = await expectRefusedAnswer('unknown-mechanism', () => answerSelecting('ALS'), 'UNKNOWN_MECHANISM');
    expect(failed.lastError?.detail).toContain('ALS');
  });

  it('refuses an answer whose sender is not a SAN of the responder certificate: IDENTITY_MISMATCH', async () => {
    const impostor = 'sepp.5gc.mnc003.mcc003.3gppnetwork.org';
    const failed = await expectRefusedAnswer('identity-mismatch', () => answerSelecting('TLS', impostor), 'IDENTITY_MISMATCH');
    expect(failed.lastError?.detail).toContain(impostor);
  });

  describe('interoperability with Open5GS answers', () => {
    const open5gsPeer = (port: number): SeppYaml['n32']['peers'] => [
      { fqdn: OPEN5GS_FQDN, plmns: [OPEN5GS_PLMN], address: `127.0.0.1:${port}`, intermediaries: 'none' },
    ];

    it('accepts the TLS answer of an Open5GS SEPP (lab FQDN, empty supportedFeatures): tls-established', async () => {
      const cert = await pki.leaf('open5gs-sepp2', [OPEN5GS_FQDN]);
      const { fake, initiator } = await start('open5gs-tls', () => ({ body: OPEN5GS_TLS_ANSWER }), cert, (port) =>
        initiatorYaml(certB, pki, port, { peers: open5gsPeer(port) }),
      );
      const peer = await initiator.waitForPeerState(OPEN5GS_FQDN, 'tls-established');
      expect(peer.mechanism).toBe('TLS');
      expect(peer.negotiation).toMatchObject({ peerPlmns: [OPEN5GS_PLMN], targetApiRootSupported: true });
      expect(fake.requests).toHaveLength(1);
      expect(fake.sessions[0]!.closed).toBe(false);
    });

    it('treats the Open5GS 400 problem as PEER_REJECTED, retries, and keeps running', async () => {
      const cert = await pki.leaf('open5gs-sepp2', [OPEN5GS_FQDN]);
      const reject: FakeScript = () => ({ status: 400, contentType: 'application/problem+json', body: OPEN5GS_REJECT_ANSWER });
      const { fake, initiator } = await start('open5gs-400', reject, cert, (port) => initiatorYaml(certB, pki, port, { peers: open5gsPeer(port) }));
      const failed = await initiator.waitForPeer(OPEN5GS_FQDN, 'failed with PEER_REJECTED', (p) => p.state === 'failed' && p.lastError?.reason === 'PEER_REJECTED');
      expect(failed.lastError?.detail).toContain('400');
      expect(failed.lastError?.detail).toContain('Unknown SupportedSecCapability');

      // A retry follows, on a new stream of a new connection; the process keeps running.
      await fake.waitForRequests(2);
      await fake.waitForSessions(2);
      expect(fake.sessions[0]!.streams).toBe(1);
      const again = await initiator.waitForPeer(OPEN5GS_FQDN, 'retried', (p) => p.attempts >= 2 && p.state === 'failed');
      expect(again.lastError?.reason).toBe('PEER_REJECTED');
      expect(initiator.running).toBe(true);
      expect((await initiator.admin('/healthz')).status).toBe(200);
      expect(initiator.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    });
  });

  it('sends its capabilities in priority order, sender = its FQDN, user-agent SEPP-<fqdn>, JSON, SNI = the peer FQDN', async () => {
    const { fake, initiator } = await start('request-shape', () => answerSelecting('PRINS'), certA, (port) =>
      initiatorYaml(certB, pki, port, { capabilities: ['PRINS', 'TLS'] }),
    );
    // Logged rather than polled: the fake answers exchange-params with nonsense, so prins-selected
    // lasts only until that step fails, often shorter than an admin poll.
    await initiator.waitForLog('prins-selected', (l) => l.msg === 'peer state' && l['peer'] === FQDN_A && l['to'] === 'prins-selected', 10_000);
    const [request] = await fake.waitForRequests(1);
    expect(request!.headers[':method']).toBe('POST');
    expect(request!.headers[':path']).toBe('/n32c-handshake/v1/exchange-capability');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['user-agent']).toBe(`SEPP-${FQDN_B}`);
    expect(String(request!.headers[':authority'])).toMatch(new RegExp(`^${FQDN_A.replace(/\./g, '\\.')}(:\\d+)?$`));
    expect(request!.json).toMatchObject({ sender: FQDN_B, supportedSecCapabilityList: ['PRINS', 'TLS'], plmnIdList: [PLMN_B] });
    expect(request!.session.servername).toBe(FQDN_A);
    expect(request!.session.alpnProtocol).toBe('h2');
    expect(request!.session.clientCertificateSubjectAltName).toContain(`DNS:${FQDN_B}`);
  });
});
