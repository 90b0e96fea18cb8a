import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createLeaf, RedisCluster, type RedisServer } from '@sepp/infra';
import { ClusterStores } from '../testing/redis-cluster.spec-support';
import { storedContext, until } from '../testing/state-store.spec-support';
import { STATE_LIMITS } from './limits';
import type { RedisStateStore } from './redis-store';
import { StateStoreUnavailable, type StoredContext } from './state-store';

/**
 * The Redis adapter on a Redis Cluster (real redis-server processes in cluster mode on loopback:
 * three masters with a replica each, joined by redis-cli). The store contract itself runs on a
 * cluster too (state-store.contract.spec.ts); here what only a cluster does: contexts spread over
 * the masters, each one's keys on one node; a master killed takes its contexts away until its
 * replica is promoted, while the others go on; what was replicated comes back with the promoted
 * node (another run_id: the send counters jump); the cluster's password and TLS.
 */

const PASSWORD = 'cluster-secret';
const stores = new ClusterStores('cluster-spec:', PASSWORD);

let cluster: RedisCluster;

function store(replicaId: string, options: { seeds?: number[]; password?: string | null } = {}): RedisStateStore {
  const { seeds = [0], password } = options;
  return stores.open(cluster, replicaId, { seeds: seeds.map((i) => cluster.seeds[i]!), ...(password !== undefined ? { password } : {}) });
}

const contextKey = (context: StoredContext): string => stores.contextKey(context);

/** A new context whose keys sit on `master` (contexts are drawn until one hashes there). */
async function contextOn(master: RedisServer): Promise<StoredContext> {
  return (await stores.contextWhere(cluster, async (slot) => (await cluster.masterOfSlot(slot)) === master, `to the master on ${master.port}`)).context;
}

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1, password: PASSWORD, nodeTimeoutMs: 1_000 });
}, 60_000);

afterAll(async () => {
  await stores.closeAll();
  await cluster?.dispose();
}, 30_000);

describe('state store: redis cluster', () => {
  it('from one seed node, spreads contexts over every master, each context with all its keys on one node', async () => {
    const a = store('spread', { seeds: [3] });
    expect(await a.waitUntilUp(10_000)).toBe(true);
    const contexts = Array.from({ length: 24 }, () => storedContext({ intermediaries: null }));
    for (const context of contexts) {
      await a.saveContext(context);
      expect(await a.acceptReceived(context.localContextId, 'request', 1, '0000000000000001')).toBe('fresh');
    }
    // Each master's own keys of this spec (KEYS answers for the node asked only).
    const keysByMaster = await Promise.all((await cluster.masters()).map(async (node) => (await cluster.cli(['KEYS', `cluster-spec:{ctx:*`], node.port)).split('\n').filter((key) => key !== '')));
    expect(keysByMaster).toHaveLength(3);
    expect(keysByMaster.every((keys) => keys.length > 0)).toBe(true);
    for (const context of contexts) {
      const holders = keysByMaster.filter((keys) => keys.some((key) => key.includes(context.localContextId)));
      expect(holders).toHaveLength(1);
      // The context hash, its replay window and its messageIds of that kind, together.
      expect(holders[0]!.filter((key) => key.includes(context.localContextId)).sort()).toEqual([contextKey(context), `${contextKey(context)}:ids:request`, `${contextKey(context)}:rx:request`]);
    }
    expect((await a.listContexts()).map((c) => c.localContextId).sort()).toEqual(expect.arrayContaining(contexts.map((c) => c.localContextId)));
  });

  it('without the password it never comes up, and its commands fail at once', async () => {
    const stranger = store('no-password', { password: null });
    expect(await stranger.waitUntilUp(1_500)).toBe(false);
    await expect(stranger.loadContext('0011223344556677')).rejects.toBeInstanceOf(StateStoreUnavailable);
  });

  it('a master killed: its contexts fail until its replica is promoted, the others go on; then they are back with their replay state, the counters jumped', async () => {
    const a = store('failover-a', { seeds: [0, 1] });
    const b = store('failover-b', { seeds: [4] });
    expect(await a.waitUntilUp(10_000)).toBe(true);
    expect(await b.waitUntilUp(10_000)).toBe(true);
    const [victim, survivor] = (await cluster.masters()) as [RedisServer, RedisServer];
    const hit = await contextOn(victim);
    const spared = await contextOn(survivor);
    for (const context of [hit, spared]) await a.saveContext(context);
    const before = await a.reserveSequences(hit.localContextId, 'request', 100, 0);
    expect(await a.acceptReceived(hit.localContextId, 'request', 7, '00000000000000a7')).toBe('fresh');
    // What must survive has reached the replica (replication is asynchronous: the last writes
    // before a crash can be lost, which the counters' jump covers).
    await victim.replicated();

    await victim.kill();
    const killedAt = Date.now();
    // The context on the failed master: no answer (StateStoreUnavailable, the callers fall back
    // on their own caches), from either replica; the context on another master: as before.
    const asked = Date.now();
    await expect(b.acceptReceived(hit.localContextId, 'request', 9, '00000000000000a9')).rejects.toBeInstanceOf(StateStoreUnavailable);
    const failedIn = Date.now() - asked;
    expect(await b.acceptReceived(spared.localContextId, 'request', 3, '0000000000000003')).toBe('fresh');
    expect(await a.acceptReceived(spared.localContextId, 'request', 3, '0000000000000003')).toBe('replayed');
    // The store as a whole stays up (its other masters answer): no replica turns unready for one shard.
    expect([a.health().up, b.health().up]).toEqual([true, true]);

    // The replica promoted (node timeout 1 s): the store finds it by itself.
    const verdict = await until('the promoted replica to answer for the context', () => b.acceptReceived(hit.localContextId, 'request', 7, '00000000000000a7'), 30_000, true);
    console.log(`redis cluster: a command on the killed master's slots failed in ${failedIn} ms; they answered again ${Date.now() - killedAt} ms after the kill`);
    // Until every node knows the promoted master, a command can still be sent where it no longer is.
    await cluster.waitHealthy();
    // The replay state came over: the message accepted before the kill is refused.
    expect(verdict).toBe('replayed');
    expect((await b.loadContext(hit.localContextId))?.peer).toBe(hit.peer);
    expect(await a.acceptReceived(hit.localContextId, 'request', 8, '00000000000000a8')).toBe('fresh');
    // Another run_id: the counter jumps, so no SEQ handed out before is handed out again.
    const after = await a.reserveSequences(hit.localContextId, 'request', 100, 0);
    if (before === 'unknown-context' || after === 'unknown-context') throw new Error('context lost');
    expect(after.start).toBeGreaterThanOrEqual(before.end + STATE_LIMITS.restartGap);
    await cluster.waitHealthy();
  }, 60_000);
});

describe('state store: redis cluster over TLS (every node asking for client certificates; cluster bus and replication on TLS)', () => {
  let tlsCluster: RedisCluster;
  let dir: string;
  let client: { ca: Buffer[]; cert: Buffer; key: Buffer };
  let otherCa: Buffer;
  let caForHosts: Awaited<ReturnType<typeof createCa>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sepp-redis-cluster-tls-'));
    const ca = await createCa({ commonName: 'Redis test CA' });
    const other = await createCa({ commonName: 'Another CA' });
    // Nodes are named by address in the cluster's slot map: the address is in the SAN.
    const server = await createLeaf({ ca, dnsNames: ['redis.test'], ipAddresses: ['127.0.0.1'] });
    const sepp = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc001.mcc001.3gppnetwork.org'] });
    writeFileSync(join(dir, 'server.crt'), server.chainPem);
    writeFileSync(join(dir, 'server.key'), server.keyPem);
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    client = { ca: [Buffer.from(ca.certPem)], cert: Buffer.from(sepp.chainPem), key: Buffer.from(sepp.keyPem) };
    otherCa = Buffer.from(other.certPem);
    caForHosts = ca;
    tlsCluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0, password: PASSWORD, tls: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') } });
  }, 60_000);

  afterAll(async () => {
    await tlsCluster?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const tlsStore = (replicaId: string, material: { ca: Buffer[]; cert: Buffer; key: Buffer }): RedisStateStore => stores.open(tlsCluster, replicaId, { tls: material });

  it('reaches every master over TLS with our client certificate', async () => {
    const a = tlsStore('tls-a', client);
    expect(await a.waitUntilUp(10_000)).toBe(true);
    const contexts = Array.from({ length: 12 }, () => storedContext({ intermediaries: null }));
    for (const context of contexts) await a.saveContext(context);
    const homes = new Set(await Promise.all(contexts.map(async (context) => (await tlsCluster.masterOf(contextKey(context))).port)));
    expect(homes.size).toBeGreaterThan(1);
    for (const context of contexts) expect((await a.loadContext(context.localContextId))?.peer).toBe(context.peer);
  });

  it('never comes up trusting another CA', async () => {
    expect(await tlsStore('tls-other-ca', { ...client, ca: [otherCa] }).waitUntilUp(1_500)).toBe(false);
  });

  it('with nodes that announce a host name, certificates naming only that host do: the store reaches every master by that name', async () => {
    // `localhost` resolves here without a DNS; the certificate has no IP address at all.
    const named = await createLeaf({ ca: caForHosts, dnsNames: ['localhost'] });
    writeFileSync(join(dir, 'named.crt'), named.chainPem);
    writeFileSync(join(dir, 'named.key'), named.keyPem);
    const files = { cert: join(dir, 'named.crt'), key: join(dir, 'named.key'), ca: join(dir, 'ca.crt') };
    const byName = await RedisCluster.start({ masters: 3, replicasPerMaster: 0, password: PASSWORD, tls: files, announceHostname: 'localhost' });
    try {
      // The cluster says where its slots are by name.
      expect(await byName.nodes[0]!.cli(['CLUSTER', 'SHARDS'])).toContain('localhost');
      const open = (replicaId: string, host: string): RedisStateStore => stores.open(byName, replicaId, { seeds: [{ host, port: byName.nodes[0]!.port }], tls: client });
      const a = open('tls-named', 'localhost');
      expect(await a.waitUntilUp(10_000)).toBe(true);
      const contexts = Array.from({ length: 12 }, () => storedContext({ intermediaries: null }));
      for (const context of contexts) await a.saveContext(context);
      const homes = new Set(await Promise.all(contexts.map(async (context) => (await byName.masterOf(contextKey(context))).port)));
      expect(homes.size).toBeGreaterThan(1);
      for (const context of contexts) expect((await a.loadContext(context.localContextId))?.peer).toBe(context.peer);
      // Seeded by IP address, which the certificates do not name: never up.
      const byIp = open('tls-named-ip-seed', '127.0.0.1');
      expect(await byIp.waitUntilUp(1_500)).toBe(false);
    } finally {
      await byName.dispose();
    }
  }, 60_000);
});
