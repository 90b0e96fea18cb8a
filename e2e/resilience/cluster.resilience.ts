import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServer } from '@sepp/infra';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, writeYaml } from '../test/support/configs';
import { n32fInitiatorYaml, n32fResponderYaml, TappedProducer, udmApiRoot } from '../test/support/n32f';
import type { CertFiles, TestPki } from '../test/support/pki';
import { freePort } from '../test/support/ports';
import { SeppProcess } from '../test/support/sepp-process';
import { sleep, waitFor } from '../test/support/wait-for';
import { account, errorKinds, NfLoad, type NfOutcome } from './support/nf-load';
import { runCase, type CaseRow } from './support/results';

/**
 * The pair as clusters, through the real processes: three responder replicas and two initiator
 * replicas, each side with its own Redis (two operators never share a store), the initiators
 * dialling the responders through `n32.peers[].address` lists. Under a steady NF load (two open-loop
 * consumers, 320 requests/s in all, for the whole case: more than 20 s), in TLS mode and in PRINS
 * mode:
 *   - a rolling restart of every responder replica, one at a time (SIGTERM, then a new process on
 *     the same port): 0 failed NF requests;
 *   - SIGKILL of one responder replica: only the requests in flight on it fail (counted), and the
 *     rate is back to full within 1 s;
 *   - a restart of both Redis servers: 0 failed NF requests on the established contexts.
 */
jest.setTimeout(240_000);

const RATE_PER_INITIATOR = 160;
/** The rate counts as back once a 250 ms window has at least this share of the target rate. */
const FULL_RATE_SHARE = 0.9;
const BACK_TO_FULL_RATE_MS = 1_000;
/** The load runs at least this long (the faults alone can take less on an idle machine): steady load after them. */
const MIN_LOAD_MS = 22_000;
/** Start-up bound of one app (generous: the machine may be shared). */
const READY_MS = 45_000;

describe('clusters under NF load: rolling restarts lose nothing, a killed replica costs only its in-flight requests', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    producer = await TappedProducer.start('udm1');
    writeFileSync(join(pki.dir, 'kek-responders.bin'), randomBytes(32));
    writeFileSync(join(pki.dir, 'kek-initiators.bin'), randomBytes(32));
  });

  afterAll(async () => {
    await producer?.close();
  });

  for (const mode of ['TLS', 'PRINS'] as const) {
    it(`${mode} mode: 3 responder and 2 initiator replicas, Redis per side`, async () => {
      await runCase('cluster', `${mode}: rolling restart, SIGKILL, Redis restart`, async (row) => {
        const tag = `cluster-${mode}`;
        const responderRedis = await RedisServer.start();
        const initiatorRedis = await RedisServer.start();
        const responderPorts = [await freePort(), await freePort(), await freePort()];
        const initiatorPorts = [await freePort(), await freePort()];
        const responders: (SeppProcess | null)[] = [null, null, null];
        const initiators: SeppProcess[] = [];
        const loads: NfLoad[] = [];
        const responderConfig = (index: number): string => {
          const config = n32fResponderYaml(certA, pki, producer.port, {
            responderN32: {
              peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: mode === 'PRINS' ? 'modifying' : 'none', address: initiatorPorts.map((port) => `127.0.0.1:${port}`) }],
            },
          });
          config.n32.listen = { host: '127.0.0.1', port: responderPorts[index]! };
          config.logging = { level: 'info' };
          config['state'] = { redis: { url: responderRedis.url }, keyWrapKeyFile: 'kek-responders.bin', replicaId: `responder-${index + 1}` };
          return writeYaml(pki.dir, `${tag}-responder-${index + 1}`, config);
        };
        /** Started (on its fixed port) and ready; a start that fails says why with the app's log. */
        const startResponder = async (index: number): Promise<SeppProcess> => {
          const responder = SeppProcess.start('responder', responderConfig(index));
          responders[index] = responder;
          await responder.ready(READY_MS).catch((error: unknown) => {
            throw new Error(`responder-${index + 1}: ${(error as Error).message}\n${responder.dump().slice(-3000)}`);
          });
          return responder;
        };
        try {
          for (let index = 0; index < 3; index++) await startResponder(index);
          for (let index = 0; index < 2; index++) {
            const config = n32fInitiatorYaml(certB, pki, responderPorts[0]!, {
              initiatorN32: { listen: { host: '127.0.0.1', port: initiatorPorts[index]! }, requestTimeoutMs: 2_000 },
              initiatorN32f: { establishTimeoutMs: 3_000, requestTimeoutMs: 5_000 },
            });
            config.n32.peers[0]!.address = responderPorts.map((port) => `127.0.0.1:${port}`);
            config.logging = { level: 'info' };
            config['state'] = { redis: { url: initiatorRedis.url }, keyWrapKeyFile: 'kek-initiators.bin', replicaId: `initiator-${index + 1}` };
            const initiator = SeppProcess.start('initiator', writeYaml(pki.dir, `${tag}-initiator-${index + 1}`, config));
            initiators.push(initiator);
            await initiator.ready(READY_MS);
          }
          const agreed = mode === 'PRINS' ? 'prins-established' : 'tls-established';
          for (const initiator of initiators) await initiator.waitForPeerState(FQDN_A, agreed, 15_000);

          const tags = initiators.map((_, index) => `${tag}-i${index + 1}`);
          initiators.forEach((initiator, index) => {
            loads.push(NfLoad.start({ sbiPort: initiator.port('sbi'), target: udmApiRoot(producer.port), concurrency: 24, ratePerSecond: RATE_PER_INITIATOR, timeoutMs: 10_000, tag: tags[index]! }));
          });
          const all = (): NfOutcome[] => loads.flatMap((load) => load.outcomes);
          const failedBetween = (from: number, to: number): NfOutcome[] => all().filter((o) => o.kind !== 'ok' && o.startedAt >= from && o.startedAt < to);
          await waitFor('400 answers before the faults', () => all().filter((o) => o.kind === 'ok').length >= 400, 20_000, 20);

          // 1. Rolling restart: one replica at a time, SIGTERM, a new process on the same port.
          const rollingFrom = performance.now();
          for (let index = 0; index < 3; index++) {
            const old = responders[index]!;
            expect(await old.stop('SIGTERM', 20_000)).toBe(0);
            await startResponder(index);
            // The restarted replica is back in the set before the next one goes.
            await sleep(500);
          }
          await sleep(1_000);
          const rollingTo = performance.now();
          const rollingFailures = failedBetween(rollingFrom, rollingTo);
          row.notes.push(`rolling restart of 3 responders in ${((rollingTo - rollingFrom) / 1000).toFixed(1)} s: ${rollingFailures.length} failed NF requests of ${all().filter((o) => o.startedAt >= rollingFrom && o.startedAt < rollingTo).length}`);

          // 2. SIGKILL of one replica: what was in flight on it fails; the rate is back within 1 s.
          const victim = 1;
          const killedAt = performance.now();
          await responders[victim]!.stop('SIGKILL');
          await sleep(3_000);
          const killTo = performance.now();
          const killFailures = failedBetween(killedAt - 2_000, killTo);
          const backAt = backToFullRate(all(), killedAt, 2 * RATE_PER_INITIATOR);
          row.recoveryMs = backAt === null ? null : backAt - killedAt;
          row.notes.push(`SIGKILL of responder-${victim + 1}: ${killFailures.length} NF requests failed (in flight on it), full rate again ${row.recoveryMs === null ? 'never' : `${row.recoveryMs.toFixed(0)} ms`} after the kill`);
          await startResponder(victim);
          await sleep(1_000);

          // 3. Both Redis servers restart (their data kept: append-only file), under load.
          const redisFrom = performance.now();
          await Promise.all([responderRedis.restart(), initiatorRedis.restart()]);
          await sleep(2_000);
          const redisTo = performance.now();
          const redisFailures = failedBetween(redisFrom, redisTo);
          row.notes.push(`Redis restart (both sides): ${redisFailures.length} failed NF requests`);

          // 4. Steady load for the rest of the case (at least MIN_LOAD_MS in all): nothing fails.
          const steadyFrom = performance.now();
          const left = MIN_LOAD_MS - (steadyFrom - loads[0]!.startedAt);
          if (left > 0) await sleep(left);
          const steadyFailures = failedBetween(steadyFrom, performance.now());
          row.notes.push(`steady load after the faults for ${(Math.max(0, left) / 1000).toFixed(1)} s: ${steadyFailures.length} failed NF requests`);

          const outcomes = (await Promise.all(loads.map((load) => load.stop()))).flat();
          const seconds = (performance.now() - loads[0]!.startedAt) / 1000;
          const rate = outcomes.length / seconds;
          row.requests = outcomes.length;
          errorKinds(outcomes, row.errors);
          row.notes.push(`${outcomes.length} NF requests in ${seconds.toFixed(1)} s (${rate.toFixed(0)}/s)`);
          for (const failure of outcomes.filter((o) => o.kind !== 'ok').slice(0, 3)) row.notes.push(`failed: ${JSON.stringify(failure).slice(0, 300)}`);
          const checks = loads.map((load, index) => account(load.outcomes, producer, tags[index]!));
          expect(checks.flatMap((check) => check.duplicated)).toEqual([]);
          expect(checks.reduce((sum, check) => sum + check.okNotAtProducer, 0)).toBe(0);

          expect(seconds).toBeGreaterThanOrEqual(20);
          expect(rate).toBeGreaterThanOrEqual(300);
          expect(rollingFailures).toEqual([]);
          expect(redisFailures).toEqual([]);
          expect(steadyFailures).toEqual([]);
          // Only the requests in flight on the killed replica: at most what 2 s of load can have in flight there.
          expect(killFailures.every((o) => o.kind === 'problem' && o.status === 502)).toBe(true);
          expect(killFailures.length).toBeLessThanOrEqual(48);
          expect(row.recoveryMs).not.toBeNull();
          expect(row.recoveryMs!).toBeLessThanOrEqual(BACK_TO_FULL_RATE_MS);
          if (mode === 'PRINS') {
            // One shared context on each side: both initiators send on the same one.
            const contexts = await Promise.all(initiators.map(async (initiator) => (await initiator.admin<{ contexts: { localContextId: string; since: string }[] }>('/admin/contexts')).body.contexts));
            const newest = contexts.map((list) => [...list].sort((a, b) => b.since.localeCompare(a.since))[0]?.localContextId);
            expect(newest[0]).toBeDefined();
            expect(newest[1]).toBe(newest[0]);
          }
        } finally {
          await Promise.all(loads.map((load) => load.stop()));
          await Promise.all(initiators.map((initiator) => initiator.stop()));
          await Promise.all(responders.filter((responder): responder is SeppProcess => responder !== null).map((responder) => responder.stop()));
          await Promise.all([responderRedis.dispose(), initiatorRedis.dispose()]);
        }
      });
    });
  }
});

/** When, after `from`, a 250 ms window of answered requests first reaches the full-rate share (null: never). */
function backToFullRate(outcomes: readonly NfOutcome[], from: number, targetPerSecond: number): number | null {
  const window = 250;
  const needed = (targetPerSecond * window * FULL_RATE_SHARE) / 1000;
  const ends = outcomes.filter((o) => o.kind === 'ok' && o.endedAt >= from).map((o) => o.endedAt).sort((a, b) => a - b);
  for (let i = 0, j = 0; j < ends.length; j++) {
    while (ends[j]! - ends[i]! > window) i++;
    if (j - i + 1 >= needed && ends[i]! - from >= 0) return ends[j]!;
  }
  return null;
}

export type { CaseRow };
