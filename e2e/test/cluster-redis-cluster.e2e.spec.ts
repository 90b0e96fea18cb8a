import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisCluster, type RedisServer } from '@sepp/infra';
import { FQDN_B, writeYaml } from './support/configs';
import { n32fResponderYaml, type TappedProducer } from './support/n32f';
import { deliveredOn, negotiateOn, refused, sealOn, sendTo, type Negotiated, type Rig } from './support/prins-rig';
import { startResponderReplicas, type ResponderReplicas } from './support/responder-replicas';
import { SeppProcess } from './support/sepp-process';
import { freePort } from './support/ports';
import { GiveUp, waitFor } from './support/wait-for';

jest.setTimeout(120_000);

/**
 * Two responder replicas sharing their N32 state in a Redis Cluster (real processes on loopback:
 * three masters, one replica each, a password on every node read from a file). Each SEPP is given
 * one node only, a replica: the masters, and which slots each serves, it finds through that node.
 * The master serving the PRINS context's slot is killed: until its replica is promoted the context
 * goes on from the SEPPs' caches, then the replay state is found on the promoted replica and new
 * contexts are stored again.
 */

const DATA_PASSWORD = 'cluster-secret';
const KEY_PREFIX = 'e2e:';
/** The SEPP replicas' ids; the store names its connections to Redis `sepp-<replicaId>`. */
const REPLICA_IDS = ['s1', 's2'] as const;

/** The store's key of a context's hash: `<keyPrefix>{ctx:<localContextId>}` (its replay state shares the slot). */
const contextKey = (localContextId: string): string => `${KEY_PREFIX}{ctx:${localContextId.toLowerCase()}}`;

describe('a responder pair on Redis Cluster: the master of a context fails over, PRINS goes on', () => {
  let cluster: RedisCluster;
  let seed: RedisServer;
  let set: ResponderReplicas;
  let producer: TappedProducer;
  let replicas: SeppProcess[];
  let rig: Rig;
  let first: Negotiated;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, password: DATA_PASSWORD, nodeTimeoutMs: 1_000 });
    // The one node each SEPP is given: a replica, so every master is found by discovery.
    const masters = await cluster.masters();
    seed = cluster.nodes.find((node) => !masters.includes(node))!;
    set = await startResponderReplicas({
      names: REPLICA_IDS,
      filePrefix: 'redis-cluster',
      state: (pki) => {
        writeFileSync(join(pki.dir, 'redis.pass'), `${DATA_PASSWORD}\n`);
        return { redis: { cluster: { nodes: [`127.0.0.1:${seed.port}`] }, passwordFile: 'redis.pass', keyPrefix: KEY_PREFIX } };
      },
    });
    ({ producer, replicas, rig } = set);
  });

  afterAll(async () => {
    await set?.close();
    await cluster?.dispose();
  });

  it('each replica names its seed node at start-up; a context set up on one is stored on a master found by discovery and served by both', async () => {
    for (const started of replicas) {
      const line = await started.waitForLog('the store line', (l) => l.msg === 'shared N32 state store configured');
      expect(line['url']).toBe(`cluster:127.0.0.1:${seed.port}`);
      expect(line['keyPrefix']).toBe(KEY_PREFIX);
      expect(JSON.stringify(started.lines)).not.toContain(DATA_PASSWORD);
    }
    first = await negotiateOn(rig.clients[0]!);
    for (let index = 0; index < 2; index++) {
      const message = sealOn(rig, first.context);
      deliveredOn(await sendTo(rig, index, message.wire), message.messageId, first.context);
    }
    // The context's hash is on a master neither SEPP was given, and both talk to it.
    const master = await cluster.masterOf(contextKey(first.responderId));
    expect(master.port).not.toBe(seed.port);
    expect((await cluster.cli(['HGET', contextKey(first.responderId), 'peer'], master.port)).trim()).toBe(FQDN_B);
    const connections = await cluster.cli(['CLIENT', 'LIST'], master.port);
    for (const name of REPLICA_IDS) expect(connections).toContain(`name=sepp-${name} `);
  });

  it("the context's master killed: the context goes on from the caches, its replica is promoted; replays stay refused, new contexts are stored", async () => {
    const key = contextKey(first.responderId);
    const master = await cluster.masterOf(key);
    // Accepted by replica 1 only, before the failover (and replicated), replayed to replica 2 after it.
    const captured = sealOn(rig, first.context);
    deliveredOn(await sendTo(rig, 0, captured.wire), captured.messageId, first.context);
    await master.replicated();

    const logged = replicas.map((started) => started.lines.length);
    const killedAt = Date.now();
    await master.kill();
    // A fresh message to replica 1, then the same one to replica 2, until replica 2 refuses it: both
    // checked it in the store again. Meanwhile every fresh message is delivered (from the replicas'
    // caches); a copy that replica 2 delivers too passed a replay check of one replica only.
    let probes = 0;
    let localOnly = 0;
    const sharedAgainAt = await waitFor(
      'a replay refused by the shared check again',
      async () => {
        probes++;
        const probe = sealOn(rig, first.context);
        const seen = producer.seen.length;
        const fresh = await sendTo(rig, 0, probe.wire);
        const replayed = await sendTo(rig, 1, probe.wire);
        try {
          deliveredOn(fresh, probe.messageId, first.context);
          if (probes === 1) {
            // One master down is not the store down: the other masters answer, both replicas stay ready.
            for (const started of replicas) expect((await started.admin<{ status: string }>('/readyz')).body.status).toBe('ready');
          }
          if (replayed.status === 200) {
            // Our context opens one answer per request: the producer shows that the copy went through.
            expect(producer.seen.length).toBe(seen + 2);
            localOnly++;
            return undefined;
          }
          refused(replayed, 'INTEGRITY_CHECK_FAILED');
          return Date.now();
        } catch (error) {
          // Any other answer (an error, a refusal for another cause) ends the wait at once.
          throw new GiveUp(`probe ${probes}: ${(error as Error).message}`);
        }
      },
      30_000,
    );
    // A copy delivered twice passed the check of one replica only, and that replica said so.
    const fellBack = (started: SeppProcess, index: number): boolean => started.lines.slice(logged[index]).some((l) => l.msg === 'replay check of this replica only: the state store is unreachable');
    if (localOnly > 0) await waitFor('a replica saying its replay check was its own only', () => replicas.some(fellBack));

    const promoted = await waitFor('the replica of the killed master promoted', async () => {
      const now = await cluster.masterOf(key);
      return now.port !== master.port ? now : undefined;
    }, 30_000);
    await cluster.waitHealthy();
    const healthyAt = Date.now();
    console.log(
      `master of the context SIGKILLed: the first replay refused by the shared check again ${sharedAgainAt - killedAt} ms later ` +
        `(${probes} probes, ${localOnly} delivered twice on local checks only); cluster healthy again ${healthyAt - killedAt} ms later`,
    );

    // What an operator sees: the store up all along, and the replay checks it did not answer.
    const metrics = await Promise.all(replicas.map(async (started) => (await fetch(`http://127.0.0.1:${started.port('admin')}/metrics`)).text()));
    for (const text of metrics) expect(text).toMatch(/^sepp_state_store_up\{store="redis",app="sepp-responder"\} 1$/m);
    const failedChecks = metrics.map((text) => Number(/^sepp_state_store_failures_total\{operation="receive",app="sepp-responder"\} (\d+)$/m.exec(text)?.[1] ?? 0));
    expect(failedChecks.reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
    // The status page's document counts them too, the store up.
    const documents = await Promise.all(replicas.map(async (started) => (await started.admin<{ store: { up: boolean; failures: number } }>('/admin/status')).body.store));
    expect(documents.every((store) => store.up)).toBe(true);
    documents.forEach((store, index) => expect(store.failures).toBeGreaterThanOrEqual(failedChecks[index]!));

    // The replay state survived on the promoted replica: replica 2 never saw this message, the store refuses it.
    refused(await sendTo(rig, 1, captured.wire), 'INTEGRITY_CHECK_FAILED');
    await replicas[1]!.waitForLog('the store refusing the replay', (l) => l.msg === 'PRINS message refused' && l['messageId'] === captured.messageId && /seen by a replica of this SEPP/.test(String(l['detail'])));
    // A new context needs the store (it is stored before it is answered), then serves on the other replica.
    const second = await negotiateOn(rig.clients[1]!);
    const onSecond = sealOn(rig, second.context);
    deliveredOn(await sendTo(rig, 0, onSecond.wire), onSecond.messageId, second.context);
    const view = await replicas[0]!.admin<{ stored: { localContextId: string }[] }>('/admin/contexts');
    expect(view.body.stored.map((c) => c.localContextId)).toEqual(expect.arrayContaining([first.responderId, second.responderId]));
    const secondKey = contextKey(second.responderId);
    expect((await cluster.cli(['HGET', secondKey, 'peer'], (await cluster.masterOf(secondKey)).port)).trim()).toBe(FQDN_B);
    expect((await cluster.cli(['HGET', key, 'peer'], promoted.port)).trim()).toBe(FQDN_B);
    for (const started of replicas) await started.dependenciesUp();
  });

  it('a replica whose cluster does not answer starts after waiting for it, says so, and /readyz names the store', async () => {
    const { pki, certA } = set;
    const yaml = n32fResponderYaml(certA, pki, producer.port, {});
    // A port nothing listens on: the seed node never answers.
    yaml['state'] = { redis: { cluster: { nodes: [`127.0.0.1:${await freePort()}`] }, keyPrefix: KEY_PREFIX }, keyWrapKeyFile: 'kek.bin', replicaId: 's3' };
    const lonely = await SeppProcess.ready('responder', writeYaml(pki.dir, 'redis-cluster-unreachable', yaml));
    try {
      const warned = lonely.lines.findIndex((l) => l.msg === 'state store not reachable at start-up: starting without it');
      expect(warned).toBeGreaterThanOrEqual(0);
      expect(lonely.lines[warned]).toMatchObject({ level: 'warn', waitedMs: 5_000 });
      // It waited before its listeners came up.
      expect(warned).toBeLessThan(lonely.lines.findIndex((l) => l.msg === 'ready'));
      const ready = await lonely.admin<{ status: string; dependencies: { state: { status: string } } }>('/readyz');
      expect([ready.status, ready.body.status, ready.body.dependencies.state.status]).toEqual([200, 'degraded', 'down']);
    } finally {
      await lonely.stop();
    }
  });
});
