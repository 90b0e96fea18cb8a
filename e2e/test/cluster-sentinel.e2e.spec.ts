import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisSentinel, RedisServer } from '@sepp/infra';
import { Redis } from 'ioredis';
import { deliveredOn, negotiateOn, refused, sealOn, sendTo, type Negotiated, type Rig } from './support/prins-rig';
import { startResponderReplicas, type ResponderReplicas } from './support/responder-replicas';
import type { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(90_000);

/**
 * Two responder replicas sharing their N32 state in a Redis run by Redis Sentinel (real processes
 * on loopback: a master, a replica, three Sentinels with quorum 2; passwords on the data nodes and
 * on the Sentinels, both read from files). The master is killed: the Sentinels promote the replica,
 * both SEPP replicas follow them by themselves, and the PRINS context, its replay state and new
 * contexts go on through the new master.
 */

const MASTER_NAME = 'sepp-state';
const DATA_PASSWORD = 'data-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';

describe('a responder pair on Redis Sentinel: the master fails over, PRINS goes on', () => {
  let master: RedisServer;
  let replica: RedisServer;
  const sentinels: RedisSentinel[] = [];
  let set: ResponderReplicas;
  let replicas: SeppProcess[];
  let rig: Rig;
  let first: Negotiated;

  beforeAll(async () => {
    master = await RedisServer.start({ password: DATA_PASSWORD });
    replica = await RedisServer.start({ password: DATA_PASSWORD, replicaOf: master.port });
    for (let i = 0; i < 3; i++) {
      sentinels.push(await RedisSentinel.startSentinel({ masterName: MASTER_NAME, masterPort: master.port, quorum: 2, masterPassword: DATA_PASSWORD, password: SENTINEL_PASSWORD, downAfterMs: 1_000 }));
    }
    // A failover needs a quorum of Sentinels that know each other and the replica.
    await Promise.all(sentinels.map((sentinel) => sentinel.discovered(2, 1)));
    set = await startResponderReplicas({
      names: ['s1', 's2'],
      filePrefix: 'sentinel',
      state: (pki) => {
        writeFileSync(join(pki.dir, 'redis.pass'), `${DATA_PASSWORD}\n`);
        writeFileSync(join(pki.dir, 'sentinel.pass'), `${SENTINEL_PASSWORD}\n`);
        return {
          redis: {
            passwordFile: 'redis.pass',
            sentinel: { masterName: MASTER_NAME, addresses: sentinels.map((s) => `127.0.0.1:${s.port}`), passwordFile: 'sentinel.pass' },
          },
        };
      },
    });
    ({ replicas, rig } = set);
  });

  afterAll(async () => {
    await set?.close();
    for (const server of [...sentinels, replica, master]) await server?.dispose();
  });

  it('each replica names the Sentinels it asks at start-up; a context set up on one is served by both', async () => {
    const addresses = sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
    for (const started of replicas) {
      const line = await started.waitForLog('the store line', (l) => l.msg === 'shared N32 state store configured');
      expect(line['url']).toBe(`sentinel:${MASTER_NAME}@${addresses}/0`);
      expect(JSON.stringify(started.lines)).not.toContain(SENTINEL_PASSWORD);
      expect(JSON.stringify(started.lines)).not.toContain(DATA_PASSWORD);
    }
    first = await negotiateOn(rig.clients[0]!);
    for (let index = 0; index < 2; index++) {
      const message = sealOn(rig, first.context);
      deliveredOn(await sendTo(rig, index, message.wire), message.messageId, first.context);
    }
  });

  it('the master killed: both replicas follow the Sentinels to the promoted replica; replays stay refused, new contexts are stored', async () => {
    // Accepted by replica 1 only, before the failover (and replicated), replayed to replica 2 after it.
    const captured = sealOn(rig, first.context);
    deliveredOn(await sendTo(rig, 0, captured.wire), captured.messageId, first.context);
    const onMaster = new Redis({ host: '127.0.0.1', port: master.port, password: DATA_PASSWORD });
    try {
      // One replica connected (a WAIT on this new connection, which wrote nothing, says no more)...
      expect(await onMaster.call('WAIT', '1', '5000')).toBe(1);
    } finally {
      onMaster.disconnect();
    }
    // ...and it has everything the master had written (its replication offset).
    await master.replicated();

    const logged = replicas[0]!.lines.length;
    const killedAt = Date.now();
    await master.kill();
    await waitFor('replica 2 sees the store down', async () => (await replicas[1]!.admin<{ status: string }>('/readyz')).body.status === 'degraded', 15_000);
    // The established context goes on from the replicas' caches meanwhile.
    const during = sealOn(rig, first.context);
    deliveredOn(await sendTo(rig, 1, during.wire), during.messageId, first.context);
    try {
      for (const started of replicas) await started.dependenciesUp(30_000);
    } catch (error) {
      // Why not: what the Sentinels did (+sdown, +odown, +tilt, +switch-master ...) and what the SEPPs logged of the store.
      const sentinelLines = sentinels.map((s) => `sentinel ${s.port}:\n${s.log.slice(-15).join('\n')}`).join('\n');
      const storeLines = replicas.map((r) => r.lines.filter((l) => /state store/.test(String(l.msg))).map((l) => JSON.stringify(l)).join('\n')).join('\n');
      throw new Error(`${(error as Error).message}\n${sentinelLines}\n${storeLines}`);
    }
    console.log(`master SIGKILLed: both SEPP replicas ready again (store up on the promoted replica) ${Date.now() - killedAt} ms later`);
    await replicas[0]!.waitForLog('the store reachable again', (l) => l.msg === 'state store reachable', 5_000, logged);

    refused(await sendTo(rig, 1, captured.wire), 'INTEGRITY_CHECK_FAILED');
    // A new context needs the store (it is stored before it is answered), then serves on the other replica.
    const second = await negotiateOn(rig.clients[1]!);
    const onSecond = sealOn(rig, second.context);
    deliveredOn(await sendTo(rig, 0, onSecond.wire), onSecond.messageId, second.context);
    const view = await replicas[0]!.admin<{ stored: { localContextId: string }[] }>('/admin/contexts');
    expect(view.body.stored.map((c) => c.localContextId)).toContain(second.responderId);
  });
});
