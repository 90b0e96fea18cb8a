import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, PLMN_B, responderYaml, writeYaml } from './support/configs';
import { H2Client } from './support/h2-client';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const EXCHANGE_CAPABILITY = '/n32c-handshake/v1/exchange-capability';

/** Resolves when the client's session is closed; rejects after `timeoutMs`. */
function closedWithin(client: H2Client, timeoutMs = 5_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    client.closed.finally(() => clearTimeout(timer)),
    new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs))),
  ]);
}

describe('selection policy between the two built apps', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  const started: SeppProcess[] = [];
  const clients: H2Client[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    // Initiators first, so a release (if any) still finds its responder.
    for (const sepp of started.splice(0).reverse()) await sepp.stop();
  });

  async function start(role: 'responder' | 'initiator', name: string, config: unknown): Promise<SeppProcess> {
    const sepp = await SeppProcess.ready(role, writeYaml(pki.dir, name, config));
    started.push(sepp);
    return sepp;
  }

  async function clientB(port: number): Promise<H2Client> {
    const client = await H2Client.open(port, FQDN_A, pki.clientTls(certB));
    clients.push(client);
    return client;
  }

  it('selects PRINS when the responder policy says modifying intermediaries', async () => {
    const responder = await start(
      'responder',
      'prins-responder',
      responderYaml(certA, pki, { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying' }] }),
    );
    const initiator = await start(
      'initiator',
      'prins-initiator',
      initiatorYaml(certB, pki, responder.port('n32'), { capabilities: ['TLS', 'PRINS'], intermediaries: 'modifying' }),
    );

    const atInitiator = await initiator.waitForPeerState(FQDN_A, 'prins-established');
    const atResponder = await responder.waitForPeerState(FQDN_B, 'prins-established');
    expect(atInitiator.mechanism).toBe('PRINS');
    expect(atResponder.mechanism).toBe('PRINS');
    expect(atResponder.negotiation).toMatchObject({ selectionReason: 'PRINS_REQUIRED_BY_INTERMEDIARIES' });
    expect(atInitiator.negotiation?.['handshakeId']).toBe(atResponder.negotiation?.['handshakeId']);
    // TLS came first in the offer: the policy, not the initiator's order, decided.
    const negotiation = await responder.waitForLog('security capability negotiation', (l) => l.msg === 'security capability negotiation');
    expect(negotiation).toMatchObject({ offered: ['TLS', 'PRINS'], policy: 'modifying', selected: 'PRINS' });
  });

  it('with no common mechanism: NONE, the initiator fails and backs off, the responder closes the connection', async () => {
    const responder = await start('responder', 'none-responder', responderYaml(certA, pki, { capabilities: ['TLS'] }));
    const initiator = await start('initiator', 'none-initiator', initiatorYaml(certB, pki, responder.port('n32'), { capabilities: ['PRINS'] }));

    const failed = await initiator.waitForPeer(FQDN_A, 'failed with NO_COMMON_MECHANISM', (p) => p.state === 'failed' && p.lastError?.reason === 'NO_COMMON_MECHANISM');
    expect(failed.mechanism).toBeNull();
    await responder.waitForLog('closing the N32 connection', (l) => l.msg === 'closing the N32 connection' && l['peer'] === FQDN_B);

    // Back-off: attempts grow, and a later retry waits longer than the first one (100 ms +-20%,
    // then 200, 400 ... capped at 1000 ms).
    const retries = (): { retryInMs: number; failures: number }[] =>
      initiator.lines.filter((l) => l.msg === 'will retry' && l['peer'] === FQDN_A).map((l) => ({ retryInMs: l['retryInMs'] as number, failures: l['failures'] as number }));
    await waitFor('three retries scheduled', () => retries().length >= 3);
    const [first, , third] = retries();
    expect(third!.failures).toBeGreaterThan(first!.failures);
    expect(third!.retryInMs).toBeGreaterThan(first!.retryInMs);
    const later = await initiator.waitForPeer(FQDN_A, 'attempts >= 3', (p) => p.attempts >= 3);
    expect(later.attempts).toBeGreaterThan(failed.attempts);
    expect(initiator.lines.some((l) => l.msg === 'peer state' && l['to'] === 'tls-established')).toBe(false);

    // The same offer from a raw client holding the initiator's certificate: 200 NONE, then
    // GOAWAY(NO_ERROR) and the connection closes.
    const client = await clientB(responder.port('n32'));
    const answer = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['PRINS'], plmnIdList: [PLMN_B] });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ sender: FQDN_A, selectedSecCapability: 'NONE' });
    await closedWithin(client);
    expect(client.goaway).toEqual({ code: 0, lastStreamId: expect.any(Number) });

    const atResponder = await responder.peer(FQDN_B);
    expect(atResponder).toMatchObject({ state: 'failed', mechanism: null, lastError: { reason: 'NO_COMMON_MECHANISM' } });
  });

  it('a request offering only ["NONE"] after TLS was agreed releases the peer and closes the connection', async () => {
    const responder = await start('responder', 'release-responder', responderYaml(certA, pki));
    const client = await clientB(responder.port('n32'));

    const agreed = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['TLS', 'PRINS'], plmnIdList: [PLMN_B] });
    expect(agreed.status).toBe(200);
    expect(agreed.json).toMatchObject({ selectedSecCapability: 'TLS' });
    expect(await responder.peer(FQDN_B)).toMatchObject({ state: 'tls-established', mechanism: 'TLS' });
    expect(client.goaway).toBeNull();

    const released = await client.postJson(EXCHANGE_CAPABILITY, { sender: FQDN_B, supportedSecCapabilityList: ['NONE'] });
    expect(released.status).toBe(200);
    expect(released.json).toMatchObject({ sender: FQDN_A, selectedSecCapability: 'NONE' });
    await closedWithin(client);
    expect(client.goaway).toEqual({ code: 0, lastStreamId: 3 });

    const peer = await responder.waitForPeerState(FQDN_B, 'terminated');
    expect(peer.mechanism).toBeNull();
    await responder.waitForLog('closing (released)', (l) => l.msg === 'closing the N32 connection' && l['peer'] === FQDN_B && l['reason'] === 'peer released N32');
  });
});
