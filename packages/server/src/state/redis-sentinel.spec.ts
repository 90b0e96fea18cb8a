import { randomBytes } from 'node:crypto';
import { RedisSentinel, RedisServer } from '@sepp/infra';
import { deriveN32fKeys, newN32fContextId } from '@sepp/protocol';
import type { StoredContext } from './state-store';
import { Redis } from 'ioredis';
import { STATE_LIMITS } from './limits';
import { RedisStateStore } from './redis-store';

/**
 * The Redis adapter behind Redis Sentinel (real processes on loopback): a master, a replica and
 * three Sentinels (quorum 2). The master is killed; the Sentinels promote the replica and the store
 * follows them to it by itself, with what was replicated: contexts, the replay state, and send
 * counters that jump past anything handed out before (the new master has another run_id).
 */

const MASTER_NAME = 'sepp-state';
const DATA_PASSWORD = 'data-secret';
const SENTINEL_PASSWORD = 'sentinel-secret';
const KEK = randomBytes(32);

let master: RedisServer;
let replica: RedisServer;
const sentinels: RedisSentinel[] = [];
const opened: RedisStateStore[] = [];

function store(replicaId: string, sentinelPassword: string | null = SENTINEL_PASSWORD): RedisStateStore {
  const created = new RedisStateStore({
    sentinel: { masterName: MASTER_NAME, addresses: sentinels.map((s) => s.address), ...(sentinelPassword !== null ? { password: sentinelPassword } : {}) },
    password: DATA_PASSWORD,
    keyPrefix: 'sentinel-spec:',
    keyWrapKeys: [KEK],
    replicaId,
    commandTimeoutMs: 1_000,
  });
  opened.push(created);
  return created;
}

function context(maxMessages = 2 ** 32): StoredContext {
  const localContextId = newN32fContextId();
  return {
    localContextId,
    remoteContextId: newN32fContextId(),
    peer: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
    role: 'responder',
    enc: 'A128GCM',
    createdAt: Date.now(),
    kekId: null,
    maxMessages,
    keys: deriveN32fKeys(randomBytes(64), localContextId, 'A128GCM'),
    intermediaries: null,
  };
}

async function masterPortNamedBySentinels(): Promise<number> {
  const client = new Redis({ host: '127.0.0.1', port: sentinels[0]!.port, password: SENTINEL_PASSWORD, lazyConnect: true });
  try {
    await client.connect();
    const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as [string, string];
    return Number(port);
  } finally {
    client.disconnect();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  master = await RedisServer.start({ password: DATA_PASSWORD });
  replica = await RedisServer.start({ password: DATA_PASSWORD, replicaOf: master.port });
  for (let i = 0; i < 3; i++) {
    sentinels.push(await RedisSentinel.startSentinel({ masterName: MASTER_NAME, masterPort: master.port, quorum: 2, masterPassword: DATA_PASSWORD, password: SENTINEL_PASSWORD, downAfterMs: 1_000 }));
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
  for (const server of [...sentinels, replica, master]) await server?.dispose();
});

describe('state store: redis behind Sentinel', () => {
  it('connects to the master the Sentinels name: written there, read by another replica', async () => {
    const a = store('a');
    expect(await a.waitUntilUp(10_000)).toBe(true);
    expect(a.health()).toMatchObject({ name: 'redis', up: true });
    const saved = context();
    await a.saveContext(saved);
    // Written on the master (a replica refuses writes), seen by a store that reads through the same Sentinels.
    const direct = new Redis({ host: '127.0.0.1', port: master.port, password: DATA_PASSWORD });
    try {
      expect((await direct.keys('sentinel-spec:*')).length).toBeGreaterThan(0);
    } finally {
      direct.disconnect();
    }
    const b = store('b');
    expect(await b.waitUntilUp(10_000)).toBe(true);
    expect((await b.loadContext(saved.localContextId))?.peer).toBe(saved.peer);
  });

  it('without the Sentinels password it never comes up', async () => {
    const refused = store('no-auth', null);
    expect(await refused.waitUntilUp(1_500)).toBe(false);
    expect(refused.health().up).toBe(false);
  });

  it('follows a failover: the master killed, the replica promoted, contexts, replay state and SEQ safety kept', async () => {
    const a = store('failover');
    expect(await a.waitUntilUp(10_000)).toBe(true);
    const saved = context(2 ** 31);
    await a.saveContext(saved);
    const before = await a.reserveSequences(saved.localContextId, 'request', 100, 0);
    expect(await a.acceptReceived(saved.localContextId, 'request', 7, '00000000000000a7')).toBe('fresh');
    // Wait for the replica to hold all of it (replication is asynchronous: writes of the last
    // moment before a crash can be lost, which the counters' jump covers, see below).
    const onMaster = new Redis({ host: '127.0.0.1', port: master.port, password: DATA_PASSWORD });
    try {
      expect(await onMaster.call('WAIT', '1', '5000')).toBe(1);
    } finally {
      onMaster.disconnect();
    }
    expect(await masterPortNamedBySentinels()).toBe(master.port);

    const down = new Promise<void>((resolve) => a.once('down', () => resolve()));
    await master.kill();
    await down;
    await until('the Sentinels to promote the replica', async () => (await masterPortNamedBySentinels()) === replica.port, 30_000);
    expect(await a.waitUntilUp(15_000)).toBe(true);

    expect((await a.loadContext(saved.localContextId))?.peer).toBe(saved.peer);
    // The replay state came over: the same message is refused on the new master.
    expect(await until('a write on the new master', () => a.acceptReceived(saved.localContextId, 'request', 7, '00000000000000a7'), 10_000)).toBe('replayed');
    expect(await a.acceptReceived(saved.localContextId, 'request', 8, '00000000000000a8')).toBe('fresh');
    // Another run_id: the counter jumps, so no SEQ handed out before is handed out again.
    const after = await a.reserveSequences(saved.localContextId, 'request', 100, 0);
    if (before === 'unknown-context' || after === 'unknown-context') throw new Error('context lost');
    expect(after.start).toBeGreaterThanOrEqual(before.end + STATE_LIMITS.restartGap);
  }, 60_000);
});
