import type { PlmnId } from '@sepp/infra';
import { createPkiAB, FQDN_A, writeYaml } from './support/configs';
import { FLAG, FRAME, frame, RawH2Socket, requestBlock } from './support/abuse';
import { n32fInitiatorYaml, n32fResponderYaml, TappedProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

/** A SEPP of a PLMN that is no peer of either side: its N32-f requests are refused at once. */
const PLMN_C: PlmnId = { mcc: '003', mnc: '03' };

/**
 * A peer like an HTTP client with a pooled connection it does not read while idle (Open5GS's SEPP
 * does this): one GET on stream 1, waited for until its answer has ended, then it reads nothing
 * more and never closes its side, so the SEPP's GOAWAY stays unread and its FIN unanswered.
 */
async function requestThenStopReading(peer: RawH2Socket, authority: string, path: string): Promise<void> {
  peer.send(frame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, requestBlock(authority, path)));
  await waitFor(`the answer to GET ${path}`, () => peer.answered.has(1), 10_000);
  peer.stopReading();
}

/**
 * The end of a graceful stop (README "Operating it"): after GOAWAY and the drain, a connection the
 * peer neither uses nor closes is closed by the SEPP after `limits.closeGraceMs`, on every HTTP/2
 * listener (N32, N32-f, NF-facing), so the stop ends promptly with exit 0 instead of running into
 * the shutdown bound (exit 1) as it did while the SEPP waited for the peer's FIN.
 */
describe('graceful stop with peers that keep idle connections open and never read', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let certC: CertFiles;
  let producer: TappedProducer;
  const peers: RawH2Socket[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    certC = await pki.sepp(PLMN_C);
    producer = await TappedProducer.start('udm1');
  });

  afterAll(async () => {
    for (const peer of peers) peer.close();
    await producer?.close();
  });

  /** SIGTERM, then: exit code, ms from the signal to the exit. */
  async function stopTimed(sepp: SeppProcess): Promise<{ code: number | null; ms: number }> {
    const exited = sepp.exitCodeWithin(30_000);
    const started = performance.now();
    sepp.child.kill('SIGTERM');
    const code = await exited;
    return { code, ms: performance.now() - started };
  }

  it('responder: idle connections on the N32 and the N32-f listener are closed by us after the grace; the stop ends in well under the shutdown bound, exit 0', async () => {
    const config = n32fResponderYaml(certA, pki, producer.port, { responderN32f: { listen: { host: '127.0.0.1', port: 0 } } });
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-idle-peers', config));
    try {
      const tls = pki.clientTls(certC);
      const n32 = await RawH2Socket.open(responder.port('n32'), FQDN_A, tls);
      const n32f = await RawH2Socket.open(responder.port('n32f'), FQDN_A, tls);
      peers.push(n32, n32f);
      // An N32-c resource with a method it does not take (405), and an N32-f request of a sender
      // with no agreement (403): complete exchanges, then silence.
      await requestThenStopReading(n32, FQDN_A, '/n32c-handshake/v1/exchange-capability');
      await requestThenStopReading(n32f, FQDN_A, '/nudm-sdm/v2/imsi-001010000000001/am-data');
      const connections = await responder.admin<{ connections: { listener: string }[] }>('/admin/connections');
      expect(connections.body.connections.map((c) => c.listener).sort()).toEqual(['n32', 'n32f']);

      const { code, ms } = await stopTimed(responder);
      expect(code).toBe(0);
      const closed = responder.lines.filter((l) => l.msg === 'closed the connections the peers left open after GOAWAY');
      expect(closed.map((l) => [l['listener'], l['connections'], l['graceMs']]).sort()).toEqual([
        ['n32', 1, 250],
        ['n32f', 1, 250],
      ]);
      const order = ['listeners closed to new connections, draining', 'drained', 'closed the connections the peers left open after GOAWAY', 'stopped'];
      expect([...new Set(responder.lines.map((l) => l.msg).filter((msg) => order.includes(msg)))]).toEqual(order);
      expect(responder.lines.some((l) => l.msg === 'shutdown took too long, exiting')).toBe(false);
      // The bound this used to run into is the drain plus 10 s; the grace is 250 ms.
      expect(ms).toBeLessThan(5_000);
      console.log(`responder SIGTERM with two idle peers that never read: exit 0 after ${Math.round(ms)} ms (limits.closeGraceMs 250)`);
    } finally {
      await responder.stop('SIGKILL');
    }
  });

  it('initiator: an idle h2c connection of a local NF on the NF-facing listener is closed after limits.closeGraceMs; exit 0', async () => {
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-for-idle-nf', n32fResponderYaml(certA, pki, producer.port)));
    const config = n32fInitiatorYaml(certB, pki, responder.port('n32'));
    config.limits = { closeGraceMs: 100 };
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-idle-nf', config));
    try {
      const nf = await RawH2Socket.openH2c(initiator.port('sbi'));
      peers.push(nf);
      // A request the initiator answers itself (no target: 400), then silence.
      await requestThenStopReading(nf, `127.0.0.1:${initiator.port('sbi')}`, '/nudm-sdm/v2/imsi-001010000000001/am-data');
      const { code, ms } = await stopTimed(initiator);
      expect(code).toBe(0);
      expect(initiator.lines.find((l) => l.msg === 'closed the connections the peers left open after GOAWAY')).toMatchObject({ listener: 'sbi', connections: 1, graceMs: 100 });
      expect(initiator.lines.some((l) => l.msg === 'shutdown took too long, exiting')).toBe(false);
      expect(ms).toBeLessThan(5_000);
      console.log(`initiator SIGTERM with an idle NF connection that is never read: exit 0 after ${Math.round(ms)} ms (limits.closeGraceMs 100)`);
    } finally {
      await initiator.stop('SIGKILL');
      await responder.stop();
    }
  });
});
