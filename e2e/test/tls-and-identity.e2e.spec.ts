import type { ConnectionOptions } from 'node:tls';
import { seppFqdn } from '@sepp/infra';
import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, PLMN_B, responderYaml, writeYaml } from './support/configs';
import { H2Client, tlsHandshake } from './support/h2-client';
import type { CertFiles, TestPki } from './support/pki';
import { expectForbidden } from './support/problem';
import { SeppProcess, type PeerView } from './support/sepp-process';

jest.setTimeout(60_000);

const EXCHANGE_CAPABILITY = '/n32c-handshake/v1/exchange-capability';
/** A third PLMN: same interconnect CA, not a peer of anyone here. */
const PLMN_C = { mcc: '003', mnc: '03' };
const FQDN_C = seppFqdn(PLMN_C);

describe('mutual TLS and identity binding at the built responder', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;
  let pristine: PeerView;
  const clients: H2Client[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderYaml(certA, pki)));
    pristine = (await responder.peer(FQDN_B))!;
    expect(pristine).toMatchObject({ state: 'idle', attempts: 0, mechanism: null, lastError: null });
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  afterAll(async () => {
    await responder?.stop();
  });

  async function open(cert: CertFiles): Promise<H2Client> {
    const client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(cert));
    clients.push(client);
    return client;
  }

  /** The peer's view is exactly what it was before anything was sent. */
  async function expectNoStateChange(): Promise<void> {
    expect(await responder.peer(FQDN_B)).toEqual(pristine);
  }

  describe('identity binding (sender and PLMNs proven by the client certificate)', () => {
    it('refuses a sender that is not a SAN of the client certificate (valid CA): 403, no state change', async () => {
      const notB = await pki.leaf('sepp-003-03-as-b', [FQDN_C]);
      const client = await open(notB);
      const answer = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_B] });
      expect(expectForbidden(answer, '/sender').detail).toContain(FQDN_B);
      await expectNoStateChange();
      await responder.waitForLog('refusal logged', (l) => l['peer'] === FQDN_B && /^refused: /.test(l.msg) && l['mismatch'] === 'SENDER_NOT_IN_CERTIFICATE');
    });

    it('refuses a configured peer claiming a PLMN its certificate does not carry: 403, no state change', async () => {
      const client = await open(certB);
      const answer = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_B, PLMN_C] });
      expect(expectForbidden(answer, '/plmnIdList/1').detail).toContain('003-03');
      await expectNoStateChange();

      // Control: the same connection and certificate without the false claim are accepted.
      const accepted = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_B] });
      expect(accepted.status).toBe(200);
      expect(await responder.peer(FQDN_B)).toMatchObject({ state: 'tls-established', mechanism: 'TLS' });
      // Put the peer back (release), so later tests start from a known state.
      const released = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['NONE'] });
      expect(released.status).toBe(200);
      await responder.waitForPeerState(FQDN_B, 'terminated');
    });
  });

  describe('TLS handshake policy', () => {
    let before: PeerView;
    let negotiationsBefore: number;
    const negotiations = (): number => responder.lines.filter((l) => l.msg === 'security capability negotiation').length;

    beforeAll(async () => {
      before = (await responder.peer(FQDN_B))!;
      negotiationsBefore = negotiations();
    });

    /** Tries a handshake; expects the server to refuse it and to log the refusal as a security event. */
    async function expectRefused(tls: ConnectionOptions): Promise<{ clientError: string | undefined; reason: string }> {
      const from = responder.lines.length;
      const result = await tlsHandshake(responder.port('n32'), FQDN_A, tls);
      expect(result.ok).toBe(false);
      // Security event: who tried (address and port) and why it failed.
      const logged = await responder.waitForLog('TLS handshake failed', (l) => l.msg === 'TLS handshake failed', 5_000, from);
      expect(logged).toMatchObject({ level: 'warn', listener: 'n32', remoteAddress: '127.0.0.1', remotePort: expect.any(Number), reason: expect.any(String) });
      expect(logged['reason']).not.toBe('ECONNRESET');
      return { clientError: result.error, reason: logged['reason'] as string };
    }

    it('control: a valid client certificate completes the handshake and gets the server SETTINGS', async () => {
      const from = responder.lines.length;
      const result = await tlsHandshake(responder.port('n32'), FQDN_A, pki.clientTls(certB));
      expect(result).toEqual({ ok: true, authorized: true });
      expect(responder.lines.slice(from).some((l) => l.msg === 'TLS handshake failed')).toBe(false);
    });

    it('refuses a client without a certificate', async () => {
      const { reason } = await expectRefused({ ca: pki.ca.certPem });
      expect(reason).toMatch(/CERTIFICATE/);
    });

    it('refuses a client certificate from an untrusted CA', async () => {
      const rogue = await pki.rogue('rogue-b', [FQDN_B]);
      const { reason } = await expectRefused(pki.clientTls(rogue));
      expect(reason).toMatch(/CERT|ISSUER|SIGNATURE/);
    });

    it('refuses an expired client certificate', async () => {
      const expired = await pki.expired('expired-b', [FQDN_B]);
      const { reason } = await expectRefused(pki.clientTls(expired));
      expect(reason).toBe('CERT_HAS_EXPIRED');
    });

    it('refuses TLS 1.1', async () => {
      const { clientError, reason } = await expectRefused({ ...pki.clientTls(certB), minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      expect(clientError).toMatch(/PROTOCOL_VERSION/);
      expect(reason).toMatch(/UNSUPPORTED_PROTOCOL|VERSION/);
    });

    it('refuses a client that offers no ALPN but http/1.1', async () => {
      const { clientError, reason } = await expectRefused({ ...pki.clientTls(certB), ALPNProtocols: ['http/1.1'] });
      expect(clientError).toMatch(/NO_APPLICATION_PROTOCOL/);
      expect(reason).toMatch(/APPLICATION_PROTOCOL|ALPN/);
    });

    it('none of the refused handshakes reached the negotiation or changed the peer', async () => {
      expect(await responder.peer(FQDN_B)).toEqual(before);
      expect(negotiations()).toBe(negotiationsBefore);
    });
  });

  it('the initiator refuses a responder whose certificate does not cover the dialled FQDN', async () => {
    // A responder for another FQDN (PLMN C) under the same CA, dialled as FQDN_A.
    const certC = await pki.sepp(PLMN_C);
    const wrong = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-c', {
      ...responderYaml(certC, pki),
      sepp: { fqdn: FQDN_C, plmns: [PLMN_C], capabilities: ['TLS', 'PRINS'] },
    }));
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-to-c', initiatorYaml(certB, pki, wrong.port('n32'))));
    try {
      const failed = await initiator.waitForPeer(FQDN_A, 'failed with CONNECTION_FAILED', (p) => p.state === 'failed' && p.lastError?.reason === 'CONNECTION_FAILED');
      expect(failed.lastError?.detail).toMatch(/altname|hostname/i);
      expect(failed.lastError?.detail).toContain(FQDN_A);
      // It keeps retrying and keeps failing the same way, never reaching a negotiation.
      const again = await initiator.waitForPeer(FQDN_A, 'attempts >= 3', (p) => p.attempts >= 3);
      expect(again.state === 'failed' || again.state === 'negotiating').toBe(true);
      expect(initiator.lines.some((l) => l.msg === 'N32 connection up')).toBe(false);
      expect(initiator.lines.some((l) => l.msg === 'sending exchange-capability')).toBe(false);
      expect(initiator.lines.some((l) => l.msg === 'peer state' && (l['to'] === 'tls-established' || l['to'] === 'prins-selected'))).toBe(false);
      expect(wrong.lines.some((l) => l.msg === 'security capability negotiation')).toBe(false);
    } finally {
      await initiator.stop();
      await wrong.stop();
    }
  });
});
