import { randomBytes } from 'node:crypto';
import { newN32fContextId, N32F_DIRECTIONS } from '@sepp/protocol';
import { RedisCluster, RedisServer } from '@sepp/infra';
import { Redis } from 'ioredis';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { MemoryStateStore } from './memory-store';
import { RedisStateStore } from './redis-store';
import { STATE_LIMITS } from './limits';
import { StateStoreUnavailable, StoredContextUnreadable, type ContextEvent, type N32StateStore } from './state-store';
import { storedContext, until } from '../testing/state-store.spec-support';

/**
 * The contract of the state store port, held against both adapters: the in-memory one, and Redis
 * (a real redis-server started here on a free loopback port), also as a Redis Cluster (three
 * masters with a replica each, the store given one seed node). "Replicas" are two store instances
 * on the same Redis (in memory there is only one process, so both names are the same instance).
 */

const KEK = randomBytes(32);

const context = storedContext;

function nextEvent(store: N32StateStore, kind: ContextEvent['kind'], id: string): Promise<ContextEvent> {
  return new Promise((resolve) => {
    const listener = (event: ContextEvent): void => {
      if (event.kind !== kind || event.localContextId !== id) return;
      store.off('context', listener);
      resolve(event);
    };
    store.on('context', listener);
  });
}

interface Adapter {
  name: string;
  /** Two replicas on the same store. */
  replicas(): Promise<[N32StateStore, N32StateStore]>;
}

let redis: RedisServer;
let cluster: RedisCluster;
let prefixCount = 0;
const opened: N32StateStore[] = [];

async function redisStore(prefix: string, replicaId: string, keys: Buffer[] = [KEK]): Promise<RedisStateStore> {
  const store = new RedisStateStore({ url: redis.url, keyPrefix: prefix, keyWrapKeys: keys, replicaId, commandTimeoutMs: 1_000 });
  opened.push(store);
  expect(await store.waitUntilUp(5_000)).toBe(true);
  return store;
}

const adapters: Adapter[] = [
  {
    name: 'memory',
    replicas: async () => {
      const store = new MemoryStateStore('only');
      opened.push(store);
      return [store, store];
    },
  },
  {
    name: 'redis',
    replicas: async () => {
      const prefix = `test${++prefixCount}:`;
      return [await redisStore(prefix, 'replica-a'), await redisStore(prefix, 'replica-b')];
    },
  },
  {
    name: 'redis cluster',
    replicas: async () => {
      const prefix = `test${++prefixCount}:`;
      const replica = async (replicaId: string, seed: number): Promise<RedisStateStore> => {
        const store = new RedisStateStore({ cluster: { nodes: [cluster.seeds[seed]!] }, password: CLUSTER_PASSWORD, keyPrefix: prefix, keyWrapKeys: [KEK], replicaId, commandTimeoutMs: 1_000 });
        opened.push(store);
        expect(await store.waitUntilUp(5_000)).toBe(true);
        return store;
      };
      return [await replica('replica-a', 0), await replica('replica-b', 1)];
    },
  },
];

const CLUSTER_PASSWORD = 'cluster-secret';

beforeAll(async () => {
  [redis, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start({ password: CLUSTER_PASSWORD })]);
}, 60_000);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

afterAll(async () => {
  await Promise.all([redis?.dispose(), cluster?.dispose()]);
}, 30_000);

describe.each(adapters)('state store contract: $name', (adapter) => {
  it('stores a context that any replica loads with the same keys and RIs, as the peer current one', async () => {
    const [a, b] = await adapter.replicas();
    const saved = context();
    await a.saveContext(saved);
    const loaded = await b.loadContext(saved.localContextId.toUpperCase());
    expect(loaded).not.toBeNull();
    for (const direction of N32F_DIRECTIONS) {
      expect(loaded!.keys[direction].key.equals(saved.keys[direction].key)).toBe(true);
      expect(loaded!.keys[direction].salt.equals(saved.keys[direction].salt)).toBe(true);
    }
    expect(loaded).toMatchObject({ peer: saved.peer, role: 'responder', enc: 'A128GCM', remoteContextId: saved.remoteContextId, createdAt: saved.createdAt, intermediaries: saved.intermediaries });
    expect(await b.currentContext(saved.peer)).toBe(saved.localContextId);
    expect((await b.listContexts()).map((c) => c.localContextId)).toContain(saved.localContextId);
    expect(await b.loadContext(newN32fContextId())).toBeNull();
  });

  it('keeps the newest context current whatever the order the replicas save in', async () => {
    const [a, b] = await adapter.replicas();
    const newer = context({ createdAt: 2_000 });
    const older = context({ createdAt: 1_000 });
    await a.saveContext(newer);
    await b.saveContext(older);
    expect(await a.currentContext(newer.peer)).toBe(newer.localContextId);
  });

  it('updates the RIs of a stored context', async () => {
    const [a, b] = await adapter.replicas();
    const saved = context({ intermediaries: null });
    await a.saveContext(saved);
    const ris = { authorizedIpxId: null, keysByIdentity: {}, seppKeys: ['pem'], policy: { apiIeMappingList: [] } };
    await a.updateIntermediaries(saved.localContextId, ris);
    expect((await b.loadContext(saved.localContextId))!.intermediaries).toEqual(ris);
  });

  it('hands out SEQ blocks that never overlap, across replicas, concurrently, starting at 2^32 - maxMessages and never below the floor', async () => {
    const [a, b] = await adapter.replicas();
    const saved = context({ maxMessages: 1_000_000 });
    await a.saveContext(saved);
    const blocks = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).reserveSequences(saved.localContextId, 'request', 100, 0)));
    const ranges = blocks.map((block) => (block === 'unknown-context' ? fail('unknown') : block)).sort((x, y) => x.start - y.start);
    expect(ranges[0]!.start).toBe(2 ** 32 - 1_000_000);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBeGreaterThanOrEqual(ranges[i - 1]!.end);
    const last = ranges[ranges.length - 1]!.end;
    const above = await a.reserveSequences(saved.localContextId, 'request', 10, last + 5_000);
    expect(above).toEqual({ start: last + 5_000, end: last + 5_010 });
    // The answer counter is separate.
    expect(await b.reserveSequences(saved.localContextId, 'response', 10, 0)).toEqual({ start: 2 ** 32 - 1_000_000, end: 2 ** 32 - 1_000_000 + 10 });
    expect(await b.reserveSequences(newN32fContextId(), 'request', 10, 0)).toBe('unknown-context');
  });

  it('accepts a received message once on any replica: a SEQ or messageId seen by one is refused by the other', async () => {
    const [a, b] = await adapter.replicas();
    const saved = context();
    await a.saveContext(saved);
    const id = saved.localContextId;
    expect(await a.acceptReceived(id, 'request', 5, 'm5')).toBe('fresh');
    expect(await b.acceptReceived(id, 'request', 5, 'm5')).toBe('replayed');
    expect(await b.acceptReceived(id, 'request', 6, 'm5')).toBe('duplicate-message-id');
    // Interleaved blocks of three senders, far apart: all fresh once.
    for (let i = 0; i < 50; i++) {
      for (const base of [1_024, 5_000, 40_000]) expect(await (i % 2 ? a : b).acceptReceived(id, 'request', base + i, `id-${base + i}`)).toBe('fresh');
    }
    expect(await a.acceptReceived(id, 'request', 40_010, 'other')).toBe('replayed');
    // Each kind has its own window.
    expect(await a.acceptReceived(id, 'response', 5, 'm5')).toBe('fresh');
    expect(await a.acceptReceived(newN32fContextId(), 'request', 1, 'x')).toBe('unknown-context');
  });

  it('bounds the replay window: beyond its chunks the lowest goes and older SEQs are too old', async () => {
    const [a, b] = await adapter.replicas();
    const saved = context();
    await a.saveContext(saved);
    const { replayChunkSize: size, replayMaxChunks: chunks } = STATE_LIMITS;
    for (let chunk = 0; chunk <= chunks; chunk++) expect(await a.acceptReceived(saved.localContextId, 'request', chunk * size + 1, `c${chunk}`)).toBe('fresh');
    expect(await b.acceptReceived(saved.localContextId, 'request', 2, 'low')).toBe('too-old');
    expect(await b.acceptReceived(saved.localContextId, 'request', size + 2, 'kept')).toBe('fresh');
  });

  it('retires a context for every replica: at once, or after a grace during which it still works', async () => {
    const [a, b] = await adapter.replicas();
    const now = context();
    await a.saveContext(now);
    const seen = nextEvent(b, 'retired', now.localContextId);
    await a.retireContext(now.peer, now.localContextId, 0);
    expect((await seen).replica).toBe(a.replicaId);
    expect(await b.loadContext(now.localContextId)).toBeNull();
    expect(await b.acceptReceived(now.localContextId, 'request', 1, 'x')).toBe('unknown-context');
    expect(await b.reserveSequences(now.localContextId, 'request', 1, 0)).toBe('unknown-context');
    expect(await b.currentContext(now.peer)).toBeNull();
    expect((await b.listContexts()).map((c) => c.localContextId)).not.toContain(now.localContextId);

    const later = context();
    await a.saveContext(later);
    await a.retireContext(later.peer, later.localContextId, 300);
    expect(await b.acceptReceived(later.localContextId, 'request', 1, 'x')).toBe('fresh');
    await until('the retired context to go', async () => (await b.loadContext(later.localContextId)) === null);
    expect(await b.acceptReceived(later.localContextId, 'request', 2, 'y')).toBe('unknown-context');
  });

  it('retiring again never postpones a retirement under way (a peer re-keying often still sees its old contexts go)', async () => {
    const [a, b] = await adapter.replicas();
    const old = context();
    await a.saveContext(old);
    const first = nextEvent(a, 'retired', old.localContextId);
    await a.retireContext(old.peer, old.localContextId, 300);
    await first;
    // Retired again, with a grace that would keep it for a minute if it postponed the first.
    const announced = nextEvent(a, 'retired', old.localContextId);
    await b.retireContext(old.peer, old.localContextId, 60_000);
    await until('the retired context to go', async () => (await a.loadContext(old.localContextId)) === null);
    expect(await b.acceptReceived(old.localContextId, 'request', 1, 'x')).toBe('unknown-context');
    // Nothing was announced for the call that changed nothing.
    await expect(Promise.race([announced.then(() => 'announced'), new Promise((resolve) => setTimeout(() => resolve('quiet'), 200))])).resolves.toBe('quiet');
  });

  it('announces a new context to the other replicas', async () => {
    const [a, b] = await adapter.replicas();
    const saved = context();
    const seen = nextEvent(b, 'established', saved.localContextId);
    await a.saveContext(saved);
    expect(await seen).toMatchObject({ kind: 'established', peer: saved.peer, createdAt: saved.createdAt, replica: a.replicaId });
  });

  it('keeps opaque telescopic labels for every replica', async () => {
    const [a, b] = await adapter.replicas();
    await a.putLabel('m-0abcdefghijklmnopqrstuvwxyz', 'a-very-long-name.example.org');
    expect(await b.getLabel('m-0abcdefghijklmnopqrstuvwxyz')).toBe('a-very-long-name.example.org');
    expect(await b.getLabel('m-0unknown')).toBeNull();
  });

  it('lists every replica view that has not expired', async () => {
    const [a, b] = await adapter.replicas();
    const view = (replica: string): { replica: string; role: string; updatedAt: string; peers: unknown[]; contexts: unknown[] } => ({ replica, role: 'responder', updatedAt: new Date().toISOString(), peers: [{ fqdn: 'x', state: 'idle' }], contexts: [] });
    await a.publishReplica(view('r1'), 60_000);
    await b.publishReplica(view('r2'), 60_000);
    expect((await a.listReplicas()).map((v) => v.replica)).toEqual(expect.arrayContaining(['r1', 'r2']));
    await b.removeReplica('r2');
    expect((await a.listReplicas()).map((v) => v.replica)).not.toContain('r2');
  });
});

describe('state store: redis only', () => {
  it('never stores key material in clear, and a replica without the key-wrap key cannot open it', async () => {
    const prefix = `clear${++prefixCount}:`;
    const store = await redisStore(prefix, 'a');
    const saved = context();
    await store.saveContext(saved);
    await store.acceptReceived(saved.localContextId, 'request', 1, 'x');
    const raw = new Redis(redis.url);
    try {
      const keys = await raw.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      const dump = (await Promise.all(keys.map((key) => raw.dumpBuffer(key)))).map((value) => (value ?? Buffer.alloc(0)).toString('latin1')).join('');
      for (const direction of N32F_DIRECTIONS) {
        for (const secret of [saved.keys[direction].key, saved.keys[direction].salt]) {
          expect(dump.includes(secret.toString('latin1'))).toBe(false);
          expect(dump.includes(secret.toString('base64'))).toBe(false);
          expect(dump.includes(secret.toString('hex'))).toBe(false);
        }
      }
      // Every key of the context shares its hash tag (one Redis Cluster slot).
      expect(keys.filter((key) => key.includes(saved.localContextId)).every((key) => key.startsWith(`${prefix}{ctx:${saved.localContextId}}`))).toBe(true);
      // An altered secret does not open either, with the right key.
      const other = context();
      await store.saveContext(other);
      const secret = JSON.parse((await raw.hget(`${prefix}{ctx:${other.localContextId}}`, 'secret'))!) as { data: string };
      const data = Buffer.from(secret.data, 'base64');
      data[0] = data[0]! ^ 1;
      secret.data = data.toString('base64');
      await raw.hset(`${prefix}{ctx:${other.localContextId}}`, 'secret', JSON.stringify(secret));
      await expect(store.loadContext(other.localContextId)).rejects.toThrow(StoredContextUnreadable);
    } finally {
      raw.disconnect();
    }
    const stranger = await redisStore(prefix, 'b', [randomBytes(32)]);
    await expect(stranger.loadContext(saved.localContextId)).rejects.toThrow(StoredContextUnreadable);
    await expect(stranger.loadContext(saved.localContextId)).rejects.toThrow(/key-wrap key [0-9a-f]{16}, which this replica does not have/);
  });

  it('rotates the key-wrap key: the old one still opens, and what it opened is wrapped with the new one', async () => {
    const prefix = `rotate${++prefixCount}:`;
    const old = await redisStore(prefix, 'a');
    const saved = context();
    await old.saveContext(saved);
    const NEW = randomBytes(32);
    const rotated = await redisStore(prefix, 'b', [NEW, KEK]);
    expect((await rotated.loadContext(saved.localContextId))!.kekId).toBe((await rotated.listContexts())[0]!.kekId);
    const newOnly = await redisStore(prefix, 'c', [NEW]);
    expect((await newOnly.loadContext(saved.localContextId))!.peer).toBe(saved.peer);
  });

  it('survives a Redis restart: the store comes back by itself, contexts kept, and SEQ blocks jump past anything handed out before', async () => {
    const prefix = `restart${++prefixCount}:`;
    const store = await redisStore(prefix, 'a');
    const saved = context({ maxMessages: 2 ** 31 });
    await store.saveContext(saved);
    const before = await store.reserveSequences(saved.localContextId, 'request', 100, 0);
    const down = new Promise<void>((resolve) => store.once('down', () => resolve()));
    await redis.restart();
    await down;
    expect(store.health().up).toBe(false);
    expect(await store.waitUntilUp(10_000)).toBe(true);
    expect((await store.loadContext(saved.localContextId))!.peer).toBe(saved.peer);
    const after = await store.reserveSequences(saved.localContextId, 'request', 100, 0);
    if (before === 'unknown-context' || after === 'unknown-context') throw new Error('context lost');
    expect(after.start).toBeGreaterThanOrEqual(before.end + STATE_LIMITS.restartGap);
  });

  it('fails at once with StateStoreUnavailable while Redis is unreachable', async () => {
    const store = new RedisStateStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', keyWrapKeys: [KEK], replicaId: 'a', commandTimeoutMs: 500 });
    opened.push(store);
    const started = Date.now();
    await expect(store.loadContext('0011223344556677')).rejects.toBeInstanceOf(StateStoreUnavailable);
    expect(Date.now() - started).toBeLessThan(500);
    expect(store.health()).toMatchObject({ name: 'redis', up: false });
  });

  it('shows in the metrics: sepp_state_store_up, and each command it did not answer by operation', async () => {
    const metrics = new SeppMetrics('responder');
    const down = new RedisStateStore({ url: 'redis://127.0.0.1:1', keyPrefix: 'x:', keyWrapKeys: [KEK], replicaId: 'a', commandTimeoutMs: 500 });
    opened.push(down);
    metrics.followStateStore(down);
    await expect(down.loadContext('0011223344556677')).rejects.toBeInstanceOf(StateStoreUnavailable);
    await expect(down.acceptReceived('0011223344556677', 'request', 1, '0000000000000001')).rejects.toBeInstanceOf(StateStoreUnavailable);
    await expect(down.acceptReceived('0011223344556677', 'request', 2, '0000000000000002')).rejects.toBeInstanceOf(StateStoreUnavailable);
    let text = await metrics.registry.metrics();
    expect(text).toContain('sepp_state_store_up{store="redis",app="sepp-responder"} 0');
    expect(text).toContain('sepp_state_store_failures_total{operation="load",app="sepp-responder"} 1');
    expect(text).toContain('sepp_state_store_failures_total{operation="receive",app="sepp-responder"} 2');

    const up = await redisStore(`metrics${++prefixCount}:`, 'b');
    const other = new SeppMetrics('initiator');
    other.followStateStore(up);
    text = await other.registry.metrics();
    expect(text).toContain('sepp_state_store_up{store="redis",app="sepp-initiator"} 1');
    expect(text).not.toMatch(/^sepp_state_store_failures_total\{/m);
    const memory = new SeppMetrics('initiator');
    memory.followStateStore(new MemoryStateStore('m'));
    expect(await memory.registry.metrics()).toContain('sepp_state_store_up{store="memory",app="sepp-initiator"} 1');
  });
});
