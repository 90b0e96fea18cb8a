import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, PLMN_B, responderYaml, writeYaml, type SeppYaml } from './support/configs';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

const count = (sepp: SeppProcess, msg: string): number => sepp.lines.filter((l) => l.msg === msg).length;

describe('renegotiation', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  describe('after a change of the initiator capabilities (IP-routing intermediaries: the initiator order decides)', () => {
    let responder: SeppProcess;
    let initiator: SeppProcess;
    let initiatorFile: string;
    const initiatorConfig = (capabilities: string[]): SeppYaml =>
      initiatorYaml(certB, pki, responder.port('n32'), { capabilities, intermediaries: 'ip-routing' });

    beforeAll(async () => {
      responder = await SeppProcess.ready(
        'responder',
        writeYaml(pki.dir, 'responder', responderYaml(certA, pki, { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'ip-routing' }] })),
      );
      initiatorFile = writeYaml(pki.dir, 'initiator', initiatorConfig(['TLS', 'PRINS']));
      initiator = await SeppProcess.ready('initiator', initiatorFile);
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
    });

    it('starts with TLS, the first of the initiator list', async () => {
      expect((await initiator.waitForPeerState(FQDN_A, 'tls-established')).mechanism).toBe('TLS');
      const atResponder = await responder.waitForPeerState(FQDN_B, 'tls-established');
      expect(atResponder.negotiation).toMatchObject({ selectionReason: 'INITIATOR_PRIORITY' });
    });

    it('SIGHUP with capabilities [PRINS, TLS] renegotiates to PRINS on both sides', async () => {
      const handshakeBefore = (await responder.peer(FQDN_B))?.negotiation?.['handshakeId'];
      writeYaml(pki.dir, 'initiator', initiatorConfig(['PRINS', 'TLS']));
      const from = initiator.lines.length;
      initiator.child.kill('SIGHUP');
      await initiator.waitForLog('reloaded by SIGHUP', (l) => l.msg === 'configuration reloaded' && l['trigger'] === 'SIGHUP', 10_000, from);

      const atInitiator = await initiator.waitForPeerState(FQDN_A, 'prins-established');
      const atResponder = await responder.waitForPeerState(FQDN_B, 'prins-established');
      expect(atInitiator.mechanism).toBe('PRINS');
      expect(atResponder.mechanism).toBe('PRINS');
      expect(atResponder.negotiation).toMatchObject({ selectionReason: 'INITIATOR_PRIORITY' });
      expect(atResponder.negotiation?.['handshakeId']).not.toBe(handshakeBefore);
      const offer = await responder.waitForLog('the PRINS negotiation', (l) => l.msg === 'security capability negotiation' && l['selected'] === 'PRINS');
      expect(offer).toMatchObject({ offered: ['PRINS', 'TLS'], selected: 'PRINS' });
      await initiator.waitForLog('the renegotiation', (l) => l.msg === 'negotiating' && l['reason'] === 'own capabilities changed', 5_000, from);
    });

    it('POST /admin/reload with capabilities [TLS, PRINS] renegotiates back to TLS', async () => {
      writeYaml(pki.dir, 'initiator', initiatorConfig(['TLS', 'PRINS']));
      const offersBefore = count(responder, 'security capability negotiation');
      const reload = await initiator.admin<{ reloaded: boolean; changed: string[] }>('/admin/reload', { method: 'POST' });
      expect({ status: reload.status, body: reload.body }).toEqual({ status: 200, body: { reloaded: true, changed: ['capabilities'] } });

      expect((await initiator.waitForPeerState(FQDN_A, 'tls-established')).mechanism).toBe('TLS');
      expect((await responder.waitForPeerState(FQDN_B, 'tls-established')).mechanism).toBe('TLS');
      const offer = (await responder.waitForLines('security capability negotiation', (l) => l.msg === 'security capability negotiation', offersBefore + 1)).at(-1);
      expect(offer).toMatchObject({ offered: ['TLS', 'PRINS'], selected: 'TLS' });
      // Renegotiation reuses the N32 connection: one connection for the three negotiations.
      expect(count(initiator, 'N32 connection up')).toBe(1);
      expect(count(responder, 'closing the N32 connection')).toBe(0);
    });

    it('an invalid file on reload is refused with 400 naming the key, and changes nothing', async () => {
      const before = await initiator.peer(FQDN_A);
      const responderBefore = await responder.peer(FQDN_B);
      const invalid = initiatorConfig(['TLS', 'PRINS']);
      invalid.sepp.capabilities = ['TLS', 'ALS'];
      writeYaml(pki.dir, 'initiator', invalid);

      const response = await initiator.admin<{ status: number; detail: string; invalidParams: { param: string; reason: string }[] }>('/admin/reload', { method: 'POST' });
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = response.body;
      expect(problem.status).toBe(400);
      expect(problem.invalidParams.map((p) => p.param)).toContain('sepp.capabilities');
      expect(problem.detail).toContain('sepp.capabilities');
      await initiator.waitForLog('reload refused', (l) => l.msg === 'configuration not reloaded: invalid file');

      // Nothing moved: same state, same agreement, same moment, no new negotiation.
      expect(await initiator.peer(FQDN_A)).toEqual(before);
      expect(await responder.peer(FQDN_B)).toEqual(responderBefore);
      // The running configuration is still the valid one: a renegotiation request still offers TLS first.
      writeYaml(pki.dir, 'initiator', initiatorConfig(['TLS', 'PRINS']));
      const unchanged = await initiator.admin<{ reloaded: boolean; changed: string[] }>('/admin/reload', { method: 'POST' });
      expect({ status: unchanged.status, body: unchanged.body }).toEqual({ status: 200, body: { reloaded: true, changed: [] } });
    });
  });

  describe('after a responder restart on the same port', () => {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      it(`the initiator re-establishes TLS by itself after the responder was stopped with ${signal}`, async () => {
        const first = await SeppProcess.ready('responder', writeYaml(pki.dir, `responder-${signal}-1`, responderYaml(certA, pki)));
        const port = first.port('n32');
        const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, `initiator-${signal}`, initiatorYaml(certB, pki, port)));
        let second: SeppProcess | undefined;
        try {
          await initiator.waitForPeerState(FQDN_A, 'tls-established');
          await first.waitForPeerState(FQDN_B, 'tls-established');

          await first.stop(signal);
          // A stopping responder says GOAWAY first (the initiator moves on at once); a killed one just goes.
          const noticed = signal === 'SIGTERM' ? 'GOAWAY from the peer: opening a new N32 connection' : 'N32 connection lost';
          await initiator.waitForLog(noticed, (l) => l.msg === noticed && l['peer'] === FQDN_A);
          const down = await initiator.waitForPeer(FQDN_A, 'failed with CONNECTION_FAILED', (p) => p.state === 'failed' && p.lastError?.reason === 'CONNECTION_FAILED');
          expect(down.mechanism).toBeNull();

          const config = responderYaml(certA, pki);
          config.n32.listen = { host: '127.0.0.1', port };
          second = await SeppProcess.ready('responder', writeYaml(pki.dir, `responder-${signal}-2`, config));
          expect(second.port('n32')).toBe(port);

          const back = await initiator.waitForPeerState(FQDN_A, 'tls-established', 15_000);
          expect(back.mechanism).toBe('TLS');
          await second.waitForPeerState(FQDN_B, 'tls-established');
          // The same initiator process did it (started once) on a new connection.
          expect(initiator.running).toBe(true);
          expect(count(initiator, 'ready')).toBe(1);
          expect(count(initiator, 'configuration loaded')).toBe(1);
          expect(count(initiator, 'N32 connection up')).toBeGreaterThanOrEqual(2);
        } finally {
          await initiator.stop();
          await second?.stop();
          await first.stop();
        }
      });
    }
  });
});
