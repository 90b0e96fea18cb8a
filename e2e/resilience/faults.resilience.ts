import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B, writeYaml } from '../test/support/configs';
import { connections, n32fInitiatorYaml, n32fResponderYaml, type TappedProducer, udmApiRoot, withPkiAndProducer } from '../test/support/n32f';
import type { CertFiles, TestPki } from '../test/support/pki';
import { SeppProcess } from '../test/support/sepp-process';
import { sleep, waitFor } from '../test/support/wait-for';
import { account, errorKinds, NfLoad, type Accounting, type NfOutcome } from './support/nf-load';
import { ProcSampler } from './support/proc-stats';
import { runCase, type CaseRow } from './support/results';
import { TcpRelay } from './support/relay';

/**
 * Faults under NF load, through the real processes: the responder SIGKILLed in the middle of an
 * N32-c handshake and in the middle of traffic (then restarted on the same port), a TCP relay on
 * the N32 path that stalls and one that cuts every connection, and certificate rotation (new keys,
 * SIGHUP) on both sides while requests flow. For each: how long until an NF request succeeds again
 * after the fault is lifted (bound RECOVERY_BOUND_MS), and every NF request accounted for: answered
 * by the producer, or failed with a 5xx problem+json of a SEPP; none hung (per-request bound),
 * none duplicated (each unique path reached the producer at most once, every success did).
 */
jest.setTimeout(90_000);

/** Stated bound: an NF request succeeds again within this after the fault is lifted. */
const RECOVERY_BOUND_MS = 5_000;
/** A request without a complete answer by then is a hang. */
const REQUEST_BOUND_MS = 10_000;

/** Load path: the producer takes 20 to 180 ms (requests are always in flight when the fault hits). */
const slowRequest = (i: number, tag: string) => ({ path: `/nudm-sdm/v2/slow/${20 + (i % 5) * 40}?run=${tag}&n=${i}` });

/**
 * A `--require` preload holding every exchange-capability the responder receives (its 'stream'
 * event is delayed 60 s) and saying so on stderr: the test kills the process with the initiator's
 * N32-c handshake in flight, deterministically.
 */
function writeHoldHandshakePreload(dir: string): string {
  const file = join(dir, 'hold-exchange-capability.js');
  writeFileSync(
    file,
    `'use strict';
const http2 = require('node:http2');
const create = http2.createSecureServer;
http2.createSecureServer = function holdingServer(...args) {
  const server = create.apply(this, args);
  // Outermost, once listening: the app's own stream dispatch (its fast path serves
  // exchange-capability) is installed by then, and must not see the stream before the hold.
  server.once('listening', () => {
    const emit = server.emit;
    server.emit = function holdExchangeCapability(event, ...rest) {
      if (event === 'stream' && String(rest[1] && rest[1][':path']).endsWith('/exchange-capability')) {
        process.stderr.write('RESILIENCE: holding exchange-capability\\n');
        setTimeout(() => emit.call(this, event, ...rest), 60000).unref();
        return true;
      }
      return emit.call(this, event, ...rest);
    };
  });
  return server;
};
`,
  );
  return file;
}

describe('faults under NF load: every request accounted for, recovery within the bound', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;

  withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

  const responderConfig = (name: string, port = 0): string => {
    const config = n32fResponderYaml(certA, pki, producer.port);
    config.n32.listen = { host: '127.0.0.1', port };
    config.logging = { level: 'info' };
    return writeYaml(pki.dir, name, config);
  };
  const initiatorConfig = (name: string, dialPort: number): string => {
    const config = n32fInitiatorYaml(certB, pki, dialPort, {
      initiatorN32: { keepaliveMs: 1_000, requestTimeoutMs: 2_000 },
      initiatorN32f: { establishTimeoutMs: 2_000, requestTimeoutMs: 3_000 },
    });
    config.logging = { level: 'info' };
    return writeYaml(pki.dir, name, config);
  };

  /** NF load through the initiator to the producer, 8 streams at a time. */
  const startLoad = (initiator: SeppProcess, tag: string): NfLoad => NfLoad.start({ sbiPort: initiator.port('sbi'), target: udmApiRoot(producer.port), concurrency: 8, paceMs: 10, timeoutMs: REQUEST_BOUND_MS, tag, request: slowRequest });

  /** Stops the load and the sampling, records RSS and fds of every sampled process, and checks the accounting. */
  async function endLoad(row: CaseRow, load: NfLoad, sampler: ProcSampler, tag: string, faultsAt: readonly number[] = []): Promise<void> {
    const outcomes = await load.stop();
    sampler.stop();
    ({ rss: row.rss, fds: row.fds } = sampler.overall());
    settle(row, outcomes, tag, false, faultsAt);
  }

  interface RelayedPair {
    readonly responder: SeppProcess;
    readonly relay: TcpRelay;
    readonly initiator: SeppProcess;
    readonly sampler: ProcSampler;
  }

  /** A responder, a TCP relay in front of its N32 port, an initiator dialling the relay, both SEPPs sampled. */
  async function startRelayedPair(tag: string): Promise<RelayedPair> {
    const responder = await SeppProcess.ready('responder', responderConfig(`${tag}-responder`));
    const relay = await TcpRelay.start(responder.port('n32'));
    const initiator = await SeppProcess.ready('initiator', initiatorConfig(`${tag}-initiator`, relay.port));
    return { responder, relay, initiator, sampler: new ProcSampler({ initiator: initiator.child.pid, responder: responder.child.pid }, 250) };
  }

  async function stopRelayedPair({ responder, relay, initiator, sampler }: RelayedPair): Promise<void> {
    sampler.stop();
    await initiator.stop();
    await relay.close();
    await responder.stop();
  }

  /** Checks and records the accounting of a case. */
  /**
   * `faultsAt`: instants the N32 connection was broken (killed, cut). An answer already under way
   * at such an instant cannot become a problem+json any more: the initiator resets the NF's stream
   * (never ends it as if complete). Those resets, and only those, are accounted as cut answers.
   */
  function settle(row: CaseRow, outcomes: NfOutcome[], tag: string, strict: boolean, faultsAt: readonly number[] = []): Accounting {
    const acc = account(outcomes, producer, tag);
    row.requests += outcomes.length;
    errorKinds(outcomes, row.errors);
    row.notes.push(
      `${acc.sent} NF requests: ${acc.ok} answered by the producer, ${acc.problems} 5xx problem+json, ${acc.failures} other; producer completed ${acc.producerCompleted} (answers lost with the connection: ${acc.lostAnswers}), duplicated ${acc.duplicated.length}`,
    );
    const cutMidAnswer = (o: NfOutcome): boolean =>
      o.kind === 'failure' && /Stream closed with error code NGHTTP2_INTERNAL_ERROR/.test(o.error) && faultsAt.some((at) => o.startedAt <= at && at <= o.endedAt);
    const cut = outcomes.filter(cutMidAnswer);
    if (faultsAt.length > 0) row.notes.push(`answers under way when the connection broke, reset for the NF: ${cut.length}`);
    // At most what was in flight (the load keeps 8 streams open).
    expect(cut.length).toBeLessThanOrEqual(8 * faultsAt.length);
    const failures = outcomes.filter((o) => o.kind === 'failure' && !cutMidAnswer(o));
    for (const f of failures.slice(0, 3)) row.notes.push(`failure: ${JSON.stringify(f).slice(0, 300)}`);
    expect(failures).toEqual([]);
    expect(acc.duplicated).toEqual([]);
    expect(acc.okNotAtProducer).toBe(0);
    if (strict) expect(acc.producerCompleted).toBe(acc.okFromProducer);
    else {
      expect(acc.producerCompleted).toBeGreaterThanOrEqual(acc.okFromProducer);
      expect(acc.producerCompleted - acc.okFromProducer).toBeLessThanOrEqual(acc.lostAnswers);
    }
    return acc;
  }

  for (const when of ['mid-handshake', 'mid-traffic'] as const) {
    it(`responder SIGKILLed ${when}, restarted on the same port`, async () => {
      await runCase('faults', `responder SIGKILL ${when}`, async (row) => {
        const tag = `kill-${when}`;
        const env = when === 'mid-handshake' ? { NODE_OPTIONS: `--require ${writeHoldHandshakePreload(pki.dir)}` } : {};
        const first = await SeppProcess.ready('responder', responderConfig(`${tag}-responder-1`), env);
        const port = first.port('n32');
        const initiator = await SeppProcess.ready('initiator', initiatorConfig(`${tag}-initiator`, port));
        const sampler = new ProcSampler({ initiator: initiator.child.pid }, 250);
        let second: SeppProcess | undefined;
        try {
          const load = startLoad(initiator, tag);
          if (when === 'mid-handshake') {
            await first.waitForLog('the held exchange-capability', () => first.stderrLines.some((l) => l.includes('holding exchange-capability')), 10_000);
            expect((await initiator.peer(FQDN_A))?.state).toBe('negotiating');
            row.notes.push('killed with the initiator in negotiating: exchange-capability received by the responder, not answered');
          } else {
            await initiator.waitForPeerState(FQDN_A, 'tls-established');
            await waitFor('100 answers before the fault', () => load.outcomes.filter((o) => o.kind === 'ok').length >= 100, 15_000, 5);
          }
          const killedAt = performance.now();
          await first.stop('SIGKILL');
          await initiator.waitForPeer(FQDN_A, 'without an agreement', (p) => p.state !== 'tls-established' && p.state !== 'negotiating', 10_000);
          await sleep(500);
          second = await SeppProcess.ready('responder', responderConfig(`${tag}-responder-2`, port));
          const backAt = performance.now();
          const okAt = await load.waitForOkAfter(backAt, 15_000);
          row.recoveryMs = okAt - backAt;
          row.notes.push(`first NF success ${(okAt - backAt).toFixed(0)} ms after the responder was back (${((okAt - killedAt) / 1000).toFixed(2)} s after the kill, restart included)`);
          await sleep(1_000);
          await endLoad(row, load, sampler, tag, [killedAt]);
          expect(row.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
          expect(initiator.running).toBe(true);
          await second.waitForPeerState(FQDN_B, 'tls-established');
        } finally {
          sampler.stop();
          await initiator.stop();
          await second?.stop();
          await first.stop();
        }
      });
    });
  }

  for (const fault of ['stall', 'cut'] as const) {
    it(`TCP relay on the N32 path: ${fault === 'stall' ? 'stalls for 4 s (nothing forwarded either way), then resumes' : 'cuts every connection (RST)'}`, async () => {
      await runCase('faults', fault === 'stall' ? 'relay stalls 4 s' : 'relay cuts the connection', async (row) => {
        const tag = `relay-${fault}`;
        const { responder, relay, initiator, sampler } = await startRelayedPair(tag);
        try {
          await initiator.waitForPeerState(FQDN_A, 'tls-established');
          const load = startLoad(initiator, tag);
          await waitFor('100 answers before the fault', () => load.outcomes.filter((o) => o.kind === 'ok').length >= 100, 15_000, 5);
          let liftedAt: number;
          if (fault === 'stall') {
            relay.stall();
            const stalledAt = performance.now();
            await initiator.waitForPeer(FQDN_A, 'the stalled connection given up', (p) => p.state !== 'tls-established', 10_000);
            row.notes.push(`the initiator gave the stalled connection up after ${((performance.now() - stalledAt) / 1000).toFixed(2)} s (keepalive 1 s)`);
            await sleep(Math.max(0, 4_000 - (performance.now() - stalledAt)));
            relay.resume();
            liftedAt = performance.now();
          } else {
            const cut = relay.cut();
            liftedAt = performance.now();
            row.notes.push(`${cut} connection(s) cut`);
          }
          const okAt = await load.waitForOkAfter(liftedAt, 15_000);
          row.recoveryMs = okAt - liftedAt;
          await sleep(1_000);
          await endLoad(row, load, sampler, tag, fault === 'cut' ? [liftedAt] : []);
          expect(row.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
          expect(initiator.running && responder.running).toBe(true);
          // The responder let go of the dead connections: only the live one remains.
          await waitFor('the responder keeps only live N32 connections', async () => (await connections(responder)).length === 1, 15_000, 200);
        } finally {
          await stopRelayedPair({ responder, relay, initiator, sampler });
        }
      });
    });
  }

  it('certificate rotation under load: new keys on both sides, SIGHUP; traffic unharmed, new connections use the new certificates', async () => {
    await runCase('faults', 'certificate rotation under load (SIGHUP)', async (row) => {
      const tag = 'rotation';
      const { responder, relay, initiator, sampler } = await startRelayedPair(tag);
      try {
        await initiator.waitForPeerState(FQDN_A, 'tls-established');
        const load = startLoad(initiator, tag);
        await waitFor('100 answers before the rotation', () => load.outcomes.filter((o) => o.kind === 'ok').length >= 100, 15_000, 5);

        // New keys and certificates over the same files (an extra SAN marks them), then SIGHUP.
        const rotatedA = await pki.sepp(PLMN_A, 'sepp-001-01', ['rotated-a.example.org']);
        const rotatedB = await pki.sepp(PLMN_B, 'sepp-002-02', ['rotated-b.example.org']);
        expect([rotatedA.cert, rotatedB.cert]).toEqual([certA.cert, certB.cert]);
        const fromR = responder.lines.length;
        const fromI = initiator.lines.length;
        const rotatedAt = performance.now();
        responder.child.kill('SIGHUP');
        initiator.child.kill('SIGHUP');
        const replaced = await responder
          .waitForLog('new TLS material', (l) => l.msg === 'TLS material replaced for new connections', 10_000, fromR)
          .then(() => true)
          .catch(() => false);
        await initiator.waitForLog('reloaded', (l) => l.msg === 'configuration reloaded', 10_000, fromI);
        row.notes.push(`responder: ${replaced ? "'TLS material replaced for new connections' after SIGHUP" : 'NO TLS material replacement logged after SIGHUP'}`);
        expect(replaced).toBe(true);

        // A new connection to the responder gets the new certificate.
        const presented = await new Promise<string>((resolve, reject) => {
          const socket = tlsConnect({ host: '127.0.0.1', port: responder.port('n32'), servername: FQDN_A, ALPNProtocols: ['h2'], ...pki.clientTls(rotatedB) }, () => {
            resolve(socket.getPeerCertificate().fingerprint256);
            socket.destroy();
          });
          socket.once('error', reject);
        });
        expect(presented).toBe(new X509Certificate(rotatedA.certPem).fingerprint256);
        await sleep(1_500);
        // Nothing was lost on the established connection while both sides swapped their material.
        const duringRotation = load.outcomes.filter((o) => o.startedAt >= rotatedAt - 500);
        expect(duringRotation.filter((o) => o.kind !== 'ok')).toEqual([]);
        row.notes.push(`${duringRotation.length} NF requests during the rotation, all answered by the producer`);

        // Then the N32 connection is cut: the initiator comes back with its new certificate.
        relay.cut();
        const cutAt = performance.now();
        const okAt = await load.waitForOkAfter(cutAt, 15_000);
        row.recoveryMs = okAt - cutAt;
        row.notes.push(`after the rotation the N32 connection was cut: first NF success ${row.recoveryMs.toFixed(0)} ms later, on a connection with the new certificates`);
        const views = await connections(responder);
        expect(views.some((v) => v.certificate.includes('rotated-b.example.org'))).toBe(true);
        await sleep(500);
        await endLoad(row, load, sampler, tag, [cutAt]);
        expect(row.recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
      } finally {
        await stopRelayedPair({ responder, relay, initiator, sampler });
      }
    });
  });
});
