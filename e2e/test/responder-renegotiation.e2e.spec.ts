import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { FQDN_A, PLMN_A, writeYaml, type SeppYaml } from './support/configs';
import { TestPki, type CertFiles } from './support/pki';
import { expectProblemAnswer, n32fResponderYaml, TappedProducer, udmApiRoot, type NfAnswer } from './support/n32f';
import { LAB_FQDN, LAB_PLMN, Open5gsLikePeer } from './support/open5gs-like-peer';
import { freePort } from './support/ports';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';
import type { H2Answer } from './support/h2-client';

jest.setTimeout(90_000);

const AM_DATA = '/nudm-sdm/v2/imsi-999700000000001/am-data';

/** An H2 answer in the NfAnswer shape the problem helper reads. */
const asNf = (answer: H2Answer): NfAnswer => ({ ...answer, body: Buffer.from(answer.text), ms: 0, endedAt: 0 });

/** A TCP port that accepts connections and drops them at once (a peer whose N32-c server is broken): it counts them. */
class DroppingPort {
  accepted = 0;
  private constructor(private readonly server: Server) {}

  static start(): Promise<DroppingPort> {
    return new Promise((resolve) => {
      const server = createServer();
      const port = new DroppingPort(server);
      server.on('connection', (socket) => {
        port.accepted += 1;
        socket.on('error', () => undefined);
        socket.destroy();
      });
      server.listen(0, '127.0.0.1', () => resolve(port));
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * TS 33.501 13.5, the receiving SEPP renegotiating itself (README "Interoperability"): Open5GS's SEPP
 * negotiates once and then considers the partner established for as long as it runs. After our
 * responder restarts, it has no agreement while the peer goes on sending N32-f on new connections.
 * The responder now negotiates itself toward the peer's N32-c address (as initiating SEPP, TLS),
 * the request waiting for it; the peer does nothing at all.
 */
describe('responder-initiated renegotiation with an Open5GS-like peer', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let producer: TappedProducer;
  let peer: Open5gsLikePeer;
  const started: SeppProcess[] = [];

  beforeAll(async () => {
    pki = await TestPki.create();
    certA = await pki.sepp(PLMN_A);
    producer = await TappedProducer.start('udm1');
    peer = await Open5gsLikePeer.start(pki, FQDN_A);
  });

  afterAll(async () => {
    for (const sepp of started) await sepp.stop('SIGKILL');
    await peer?.close();
    await producer?.close();
  });

  /** The responder with the Open5GS-like peer configured under its lab FQDN, its N32-c address `peerAddress`. */
  function config(n32Port: number, peerAddress: string, renegotiation: NonNullable<SeppYaml['n32']['renegotiation']> = {}): SeppYaml {
    return n32fResponderYaml(certA, pki, producer.port, {
      responderN32: {
        listen: { host: '127.0.0.1', port: n32Port },
        peers: [{ fqdn: LAB_FQDN, plmns: [LAB_PLMN], address: peerAddress }],
        renegotiation,
        retry: { initialDelayMs: 100, maxDelayMs: 60_000 },
        requestTimeoutMs: 10_000,
      },
    });
  }

  async function start(name: string, yaml: SeppYaml): Promise<SeppProcess> {
    const sepp = await SeppProcess.ready('responder', writeYaml(pki.dir, name, yaml));
    started.push(sepp);
    return sepp;
  }

  it('after kill -9 and a restart of the responder, the peer\'s N32-f on new connections succeeds again within seconds, without the peer negotiating', async () => {
    const n32Port = await freePort();
    // The default wait (2 s) is far more than a loopback renegotiation takes; 5 s: room for a loaded test machine.
    const file = writeYaml(pki.dir, 'responder-restart', config(n32Port, `127.0.0.1:${peer.port}`, { waitMs: 5_000 }));
    let responder = await SeppProcess.ready('responder', file);
    started.push(responder);

    // The peer negotiates once, as Open5GS does at start, and sends N32-f on a new connection.
    const handshake = await peer.negotiate(n32Port);
    expect(handshake.status).toBe(200);
    expect(handshake.json).toMatchObject({ selectedSecCapability: 'TLS' });
    await responder.waitForPeerState(LAB_FQDN, 'tls-established');
    expect((await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA)).status).toBe(200);
    // While it has an agreement the responder never dials the peer.
    expect(peer.handshakes).toHaveLength(0);

    // kill -9: the agreement is gone with the process. Same configuration, same port.
    responder.child.kill('SIGKILL');
    await responder.exited;
    responder = await SeppProcess.ready('responder', file);
    started.push(responder);
    const readyAt = performance.now();
    expect((await responder.peer(LAB_FQDN))?.state).toBe('idle');

    // The peer does nothing but send N32-f, on a new connection each time, until one succeeds.
    const answers: { status: number; ms: number; at: number }[] = [];
    await waitFor(
      'an N32-f request of the peer answered 200 after the restart',
      async () => {
        const answer = await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA);
        answers.push({ status: answer.status, ms: Math.round(answer.ms), at: Math.round(performance.now() - readyAt) });
        return answer.status === 200 ? answer : undefined;
      },
      15_000,
      100,
    );
    const recovered = answers.at(-1)!.at;
    console.log(`after kill -9 and restart: the peer's N32-f answered ${answers.map((a) => `${a.status} (${a.ms} ms)`).join(', ')}; recovered ${recovered} ms after ready`);
    // The very first request waited for the renegotiation and was served: never a 403.
    expect(answers.map((a) => a.status)).toEqual([200]);
    expect(recovered).toBeLessThan(5_000);

    // The responder negotiated itself, once, toward the peer's N32-c server, offering TLS.
    expect(peer.handshakes).toHaveLength(1);
    expect(peer.handshakes[0]!.json).toMatchObject({ sender: FQDN_A, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_A] });
    expect(peer.handshakes[0]!.session.servername).toBe(LAB_FQDN);
    expect(peer.handshakes[0]!.session.clientCertificateSubjectAltName).toContain(FQDN_A);
    const state = await responder.waitForPeerState(LAB_FQDN, 'tls-established');
    expect(state).toMatchObject({ mechanism: 'TLS', negotiation: { peerPlmns: [LAB_PLMN], commonFeatures: '0', targetApiRootSupported: true } });
    const transitions = responder.lines.filter((l) => l.msg === 'peer state' && l['peer'] === LAB_FQDN).map((l) => `${String(l['from'])}->${String(l['to'])}`);
    expect(transitions).toEqual(['idle->renegotiating', 'renegotiating->tls-established']);
    expect(responder.lines.find((l) => l.msg === 'renegotiating: N32-f from the peer without an agreed mechanism')).toMatchObject({ peer: LAB_FQDN, dial: `127.0.0.1:${peer.port}` });

    // Later requests on new connections pass at once, without another negotiation.
    for (let i = 0; i < 3; i++) expect((await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA)).status).toBe(200);
    expect(peer.handshakes).toHaveLength(1);
  });

  it('requests wait for the renegotiation in progress: beyond n32.renegotiation.waitMs 503 problem+json, once agreed they pass', async () => {
    const n32Port = await freePort();
    const responder = await start('responder-wait', config(n32Port, `127.0.0.1:${peer.port}`, { waitMs: 800 }));
    // The peer's N32-c server holds its answer until the test lets it go.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const before = peer.handshakes.length;
    peer.onExchangeCapability = async () => {
      await held;
      return peer.tlsAnswer();
    };
    try {
      const first = await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA);
      const problem = expectProblemAnswer(asNf(first), 503, 'N32_NOT_ESTABLISHED');
      expect(problem.detail).toBe(`no agreed N32 mechanism with ${LAB_FQDN} within 800 ms (renegotiation in progress)`);
      expect(peer.handshakes.length).toBe(before + 1);
      expect((await responder.peer(LAB_FQDN))?.state).toBe('renegotiating');

      // A second request arrives while the answer is still held: it waits, and passes once agreed.
      const from = responder.lines.length;
      const second = peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA);
      await responder.waitForLog('the request waiting', (l) => l.msg === 'N32-f request waits for the renegotiation' && l['peer'] === LAB_FQDN, 5_000, from);
      release();
      expect((await second).status).toBe(200);
      await responder.waitForPeerState(LAB_FQDN, 'tls-established');
      // One negotiation for both requests.
      expect(peer.handshakes.length).toBe(before + 1);
    } finally {
      release();
      peer.onExchangeCapability = () => peer.tlsAnswer();
    }
  });

  it('a peer that released N32 itself (["NONE"]) and then sends N32-f is not renegotiated with: 403, no dial', async () => {
    const n32Port = await freePort();
    const responder = await start('responder-released', config(n32Port, `127.0.0.1:${peer.port}`));
    const before = peer.handshakes.length;
    expect((await peer.negotiate(n32Port)).status).toBe(200);
    await responder.waitForPeerState(LAB_FQDN, 'tls-established');
    const release = await peer.release(n32Port);
    expect(release.status).toBe(200);
    expect(release.json).toMatchObject({ selectedSecCapability: 'NONE' });
    await responder.waitForPeerState(LAB_FQDN, 'terminated');
    const problem = expectProblemAnswer(asNf(await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA)), 403, 'UNSPECIFIED');
    expect(problem.detail).toMatch(/agreed/);
    expect(peer.handshakes.length).toBe(before);
    expect(responder.lines.some((l) => l.msg === 'renegotiating: N32-f from the peer without an agreed mechanism')).toBe(false);
    expect((await responder.peer(LAB_FQDN))?.state).toBe('terminated');
  });

  it('a peer that answers the renegotiation with NONE agreed to nothing: its N32-f gets 403 (not a 503 to retry), also while the rate limit holds the next attempt back', async () => {
    const n32Port = await freePort();
    const responder = await start('responder-none', config(n32Port, `127.0.0.1:${peer.port}`, { minIntervalMs: 10_000 }));
    const before = peer.handshakes.length;
    peer.onExchangeCapability = () => ({ status: 200, body: { sender: LAB_FQDN, selectedSecCapability: 'NONE' } });
    try {
      const first = expectProblemAnswer(asNf(await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA)), 403, 'UNSPECIFIED');
      expect(first.detail).toMatch(new RegExp(`^no agreed N32 mechanism with ${LAB_FQDN.replace(/\./g, '\\.')}: the renegotiation ended with NO_COMMON_MECHANISM \\(`));
      // Within the rate limit's interval: refused at once, the same way, without dialling again.
      const second = await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA);
      expect(second.headers['retry-after']).toBeUndefined();
      expect(expectProblemAnswer(asNf(second), 403, 'UNSPECIFIED').detail).toBe(first.detail);
      expect(peer.handshakes.length).toBe(before + 1);
      const refusals = await responder.waitForLog('both refusals', (l) => l.msg === 'N32-f request refused' && l['code'] === 'N32F_NOT_AGREED' && l['status'] === 403, 5_000);
      expect(refusals).toBeDefined();
      expect((await responder.peer(LAB_FQDN))?.state).toBe('failed');
    } finally {
      peer.onExchangeCapability = () => peer.tlsAnswer();
    }
  });

  it('a peer that negotiates PRINS itself while its TLS-mode N32-f waits for our renegotiation: that request gets 403, not a 503 to retry', async () => {
    const n32Port = await freePort();
    const responder = await start('responder-prins-meanwhile', config(n32Port, `127.0.0.1:${peer.port}`, { waitMs: 10_000 }));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    peer.onExchangeCapability = async () => {
      await held;
      return peer.tlsAnswer();
    };
    try {
      const from = responder.lines.length;
      const waiting = peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA);
      await responder.waitForLog('the request waiting', (l) => l.msg === 'N32-f request waits for the renegotiation' && l['peer'] === LAB_FQDN, 10_000, from);
      expect((await peer.negotiate(n32Port, ['PRINS'])).json).toMatchObject({ selectedSecCapability: 'PRINS' });
      const problem = expectProblemAnswer(asNf(await waiting), 403, 'UNSPECIFIED');
      expect(problem.detail).toBe(`no agreed TLS mechanism with ${LAB_FQDN}: the peer negotiated meanwhile (state prins-selected)`);
    } finally {
      release();
      peer.onExchangeCapability = () => peer.tlsAnswer();
    }
  });

  it('rate limit: a peer that keeps sending N32-f while every dial fails gets 503 with retry-after; the responder dials a bounded number of times', async () => {
    const broken = await DroppingPort.start();
    try {
      const n32Port = await freePort();
      const minIntervalMs = 500;
      const responder = await start('responder-rate', config(n32Port, `127.0.0.1:${broken.port}`, { minIntervalMs, waitMs: 2_000 }));
      const startedAt = performance.now();
      const statuses: number[] = [];
      let deferred = 0;
      // 40 requests, each on a new connection, one after the other.
      for (let i = 0; i < 40; i++) {
        const answer = await peer.sendN32f(n32Port, udmApiRoot(producer.port), AM_DATA);
        statuses.push(answer.status);
        const problem = expectProblemAnswer(asNf(answer), 503, 'N32_NOT_ESTABLISHED');
        if (answer.headers['retry-after'] !== undefined) {
          deferred += 1;
          expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
          expect(problem.detail).toMatch(/the next renegotiation may start in \d+ s$/);
        } else {
          expect(problem.detail).toMatch(/the renegotiation failed \(CONNECTION_FAILED: /);
        }
      }
      const elapsedMs = performance.now() - startedAt;
      const attempts = responder.lines.filter((l) => l.msg === 'renegotiating: N32-f from the peer without an agreed mechanism').length;
      console.log(`40 N32-f requests in ${Math.round(elapsedMs)} ms while the peer's N32-c port drops every connection: ${attempts} dial attempts (${broken.accepted} TCP connections), ${deferred} answered 503 at once with retry-after`);
      expect(statuses.every((status) => status === 503)).toBe(true);
      expect(attempts).toBeGreaterThanOrEqual(1);
      // At most one attempt per minIntervalMs (and fewer: the interval doubles after each failure).
      expect(attempts).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / minIntervalMs));
      expect(attempts).toBeLessThan(10);
      expect(deferred).toBe(40 - attempts);
      expect(broken.accepted).toBe(attempts);
      const failures = responder.lines.filter((l) => l.msg === 'renegotiation failed');
      expect(failures.map((l) => l['nextAttemptInMs'])).toEqual(failures.map((_, i) => minIntervalMs * 2 ** i));
      expect((await responder.peer(LAB_FQDN))?.state).toBe('failed');
    } finally {
      await broken.close();
    }
  });
});
