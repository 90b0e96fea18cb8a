import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, responderYaml, writeYaml } from './support/configs';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { sleep } from './support/wait-for';

jest.setTimeout(60_000);

describe('N32-c negotiation between the two built apps (TLS selected)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;
  let initiator: SeppProcess;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderYaml(certA, pki)));
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', initiatorYaml(certB, pki, responder.port('n32'))));
  });

  afterAll(async () => {
    await initiator?.stop();
    await responder?.stop();
  });

  it('both sides end in tls-established with TLS and the connection stays open', async () => {
    const atInitiator = await initiator.waitForPeerState(FQDN_A, 'tls-established');
    const atResponder = await responder.waitForPeerState(FQDN_B, 'tls-established');
    expect(atInitiator.mechanism).toBe('TLS');
    expect(atResponder.mechanism).toBe('TLS');
    expect(atResponder.negotiation).toMatchObject({ selectionReason: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES', targetApiRootSupported: true });
    expect(atInitiator.negotiation?.['handshakeId']).toBe(atResponder.negotiation?.['handshakeId']);

    // The connection is kept: after a while both still hold the agreement, on one connection.
    await sleep(1_500);
    expect((await initiator.peer(FQDN_A))?.state).toBe('tls-established');
    expect((await responder.peer(FQDN_B))?.state).toBe('tls-established');
    expect(initiator.lines.filter((l) => l.msg === 'N32 connection up')).toHaveLength(1);
    expect(responder.lines.filter((l) => l.msg === 'closing the N32 connection')).toHaveLength(0);
  });

  it('logs one JSON line per listener and readyz is 200', async () => {
    for (const [sepp, listeners] of [[responder, ['admin', 'n32']], [initiator, ['admin']]] as const) {
      for (const name of listeners) {
        const line = sepp.lines.find((l) => l.msg === 'listening' && l['listener'] === name);
        expect(line).toMatchObject({ address: '127.0.0.1', port: expect.any(Number), protocol: expect.any(String) });
      }
      expect((await sepp.admin('/readyz')).status).toBe(200);
      expect((await sepp.admin('/healthz')).status).toBe(200);
    }
  });

  it('every log line about the peer names it', async () => {
    const about = await initiator.waitForLines('lines about the peer', (l) => ['peer state', 'negotiating', 'sending exchange-capability', 'N32 connection up'].includes(l.msg), 4);
    for (const line of about) expect(line['peer']).toBe(FQDN_A);
  });

  it('the initiator releases the peer with ["NONE"] on shutdown', async () => {
    expect(await initiator.stop('SIGTERM')).toBe(0);
    await responder.waitForPeerState(FQDN_B, 'terminated');
    expect(initiator.lines.some((l) => l.msg === 'released N32 with ["NONE"]' && l['released'] === true)).toBe(true);
  });
});
