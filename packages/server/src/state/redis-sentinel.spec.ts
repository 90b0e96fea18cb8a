import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createLeaf, RedisSentinel, RedisServer, type RedisTlsFiles } from '@sepp/infra';
import { Redis } from 'ioredis';
import { storedContext, until } from '../testing/state-store.spec-support';
import { STATE_LIMITS } from './limits';
import { RedisStateStore } from './redis-store';
import type { StoredContext } from './state-store';

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

const context = (maxMessages = 2 ** 32): StoredContext => storedContext({ maxMessages, intermediaries: null });

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

beforeAll(async () => {
  master = await RedisServer.start({ password: DATA_PASSWORD });
  replica = await RedisServer.start({ password: DATA_PASSWORD, replicaOf: master.port });
  for (let i = 0; i < 3; i++) {
    sentinels.push(await RedisSentinel.startSentinel({ masterName: MASTER_NAME, masterPort: master.port, quorum: 2, masterPassword: DATA_PASSWORD, password: SENTINEL_PASSWORD, downAfterMs: 1_000 }));
  }
  // A failover needs a quorum of Sentinels that know each other and the replica.
  await Promise.all(sentinels.map((sentinel) => sentinel.discovered(2, 1)));
}, 30_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
  for (const server of [...sentinels, replica, master]) await server?.dispose();
}, 30_000);

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

  it('a client ioredis gave up on (ended, as when a +switch-master reaches it mid-reconnect) connects again through the Sentinels: the store is up again and answers, events too', async () => {
    const a = store('ended');
    expect(await a.waitUntilUp(10_000)).toBe(true);
    const internals = a as unknown as { client: Redis; subscriber: Redis };
    const downs: string[] = [];
    a.on('down', (detail: string) => downs.push(detail));
    const up = new Promise<void>((resolve) => a.once('up', () => resolve()));
    // The state ioredis leaves a client in after that race: 'end', no more reconnection of its own.
    internals.client.disconnect();
    internals.subscriber.disconnect();
    await up;
    expect(downs).toHaveLength(1);
    expect(internals.client.status).toBe('ready');
    const saved = context();
    await a.saveContext(saved);
    expect((await a.loadContext(saved.localContextId))?.peer).toBe(saved.peer);
    // The subscriber is back on the events channel: another replica's announcement reaches it.
    await until('the subscriber ready again', async () => internals.subscriber.status === 'ready');
    const heard = new Promise((resolve) => a.once('context', resolve));
    const b = store('ended-b');
    expect(await b.waitUntilUp(10_000)).toBe(true);
    await b.saveContext(context());
    await heard;
  });

  it('without the Sentinels password it never comes up', async () => {
    const refused = store('no-auth', null);
    expect(await refused.waitUntilUp(1_500)).toBe(false);
    expect(refused.health().up).toBe(false);
  });

  /** The store and the context of the two failover cases (the second goes on from the first). */
  let a: RedisStateStore;
  let saved: StoredContext;

  it('follows a failover: the master killed, the replica promoted, contexts, replay state and SEQ safety kept', async () => {
    a = store('failover');
    expect(await a.waitUntilUp(10_000)).toBe(true);
    saved = context(2 ** 31);
    await a.saveContext(saved);
    const before = await a.reserveSequences(saved.localContextId, 'request', 100, 0);
    expect(await a.acceptReceived(saved.localContextId, 'request', 7, '00000000000000a7')).toBe('fresh');
    // Wait for the replica to hold all of it (replication is asynchronous: writes of the last
    // moment before a crash can be lost, which the counters' jump covers, see below).
    const onMaster = new Redis({ host: '127.0.0.1', port: master.port, password: DATA_PASSWORD });
    try {
      // One replica connected (a WAIT on this new connection, which wrote nothing, says no more)...
      expect(await onMaster.call('WAIT', '1', '5000')).toBe(1);
    } finally {
      onMaster.disconnect();
    }
    // ...and it has everything the master had written (its replication offset).
    await master.replicated();
    expect(await masterPortNamedBySentinels()).toBe(master.port);

    const down = new Promise<void>((resolve) => a.once('down', () => resolve()));
    await master.kill();
    await down;
    await until('the Sentinels to promote the replica', async () => (await masterPortNamedBySentinels()) === replica.port, 30_000, true);
    expect(await a.waitUntilUp(15_000)).toBe(true);

    expect((await a.loadContext(saved.localContextId))?.peer).toBe(saved.peer);
    // The replay state came over: the same message is refused on the new master.
    expect(await until('a write on the new master', () => a.acceptReceived(saved.localContextId, 'request', 7, '00000000000000a7'), 10_000, true)).toBe('replayed');
    expect(await a.acceptReceived(saved.localContextId, 'request', 8, '00000000000000a8')).toBe('fresh');
    // Another run_id: the counter jumps, so no SEQ handed out before is handed out again.
    const after = await a.reserveSequences(saved.localContextId, 'request', 100, 0);
    if (before === 'unknown-context' || after === 'unknown-context') throw new Error('context lost');
    expect(after.start).toBeGreaterThanOrEqual(before.end + STATE_LIMITS.restartGap);
  }, 60_000);

  it('the old master back is made a replica by the Sentinels while the store writes on; a switch back to it (SENTINEL FAILOVER) is followed too', async () => {
    const info = async (port: number): Promise<string> => {
      const client = new Redis({ host: '127.0.0.1', port, password: DATA_PASSWORD, lazyConnect: true });
      try {
        await client.connect();
        return await client.info('replication');
      } finally {
        client.disconnect();
      }
    };
    // It starts as a master with its old data; the Sentinels turn it into a replica of the new one.
    await master.restart();
    await until('the old master to replicate the new one', async () => /role:slave/.test(await info(master.port)) && /master_link_status:up/.test(await info(master.port)), 30_000, true);
    expect(await a.acceptReceived(saved.localContextId, 'request', 9, '00000000000000a9')).toBe('fresh');
    expect(await info(replica.port)).toMatch(/role:master/);
    // Replication is asynchronous: the switch below keeps what reached the node it promotes, so the
    // check at the end waits for that write to be there first (on a loaded machine it can lag).
    const onOldMaster = new Redis({ host: '127.0.0.1', port: master.port, password: DATA_PASSWORD });
    try {
      await until('message 9 replicated to the old master', async () => (await onOldMaster.zscore(`sentinel-spec:{ctx:${saved.localContextId}}:ids:request`, '00000000000000a9')) === '9', 15_000, true);
    } finally {
      onOldMaster.disconnect();
    }

    // An operator's switch back (no process dies): the store's connections to the node being
    // demoted may stay open, and it must follow the Sentinels to the promoted one.
    const sentinel = new Redis({ host: '127.0.0.1', port: sentinels[0]!.port, password: SENTINEL_PASSWORD });
    try {
      await until('the Sentinels to accept a failover to the old master', async () => (await sentinel.call('SENTINEL', 'FAILOVER', MASTER_NAME)) === 'OK', 30_000, true);
    } finally {
      sentinel.disconnect();
    }
    await until('the old master promoted again', async () => (await masterPortNamedBySentinels()) === master.port && /role:master/.test(await info(master.port)), 30_000, true);
    // The store follows: its writes reach the promoted node. (One acknowledged by the node being
    // demoted in the moment of the switch is lost with that node's data, as Redis replication goes.)
    const direct = new Redis({ host: '127.0.0.1', port: master.port, password: DATA_PASSWORD });
    try {
      let seq = 10;
      await until(
        'a write of the store on the promoted node',
        async () => {
          seq += 1;
          const messageId = seq.toString(16).padStart(16, '0');
          return (await a.acceptReceived(saved.localContextId, 'request', seq, messageId)) === 'fresh' && (await direct.zscore(`sentinel-spec:{ctx:${saved.localContextId}}:ids:request`, messageId)) === String(seq);
        },
        15_000,
        true,
      );
    } finally {
      direct.disconnect();
    }
    // What was replicated before the switch is there.
    expect(await a.acceptReceived(saved.localContextId, 'request', 9, '00000000000000a9')).toBe('replayed');
  }, 90_000);
});

describe('state store: redis behind Sentinel, over TLS (Sentinels and data nodes asking for client certificates)', () => {
  const servers: RedisServer[] = [];
  const tlsSentinels: RedisSentinel[] = [];
  let dir: string;
  let client: { ca: Buffer[]; cert: Buffer; key: Buffer };
  let stranger: { ca: Buffer[]; cert: Buffer; key: Buffer };
  let otherCa: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sepp-redis-tls-'));
    const ca = await createCa({ commonName: 'Redis test CA' });
    const other = await createCa({ commonName: 'Another CA' });
    // Dialled by address (the Sentinels name the master by IP): the address is in the SAN.
    const server = await createLeaf({ ca, dnsNames: ['redis.test'], ipAddresses: ['127.0.0.1'] });
    const sepp = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc001.mcc001.3gppnetwork.org'] });
    const foreign = await createLeaf({ ca: other, dnsNames: ['sepp.5gc.mnc001.mcc001.3gppnetwork.org'] });
    writeFileSync(join(dir, 'server.crt'), server.chainPem);
    writeFileSync(join(dir, 'server.key'), server.keyPem);
    writeFileSync(join(dir, 'ca.crt'), ca.certPem);
    const tls: RedisTlsFiles = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key'), ca: join(dir, 'ca.crt') };
    client = { ca: [Buffer.from(ca.certPem)], cert: Buffer.from(sepp.chainPem), key: Buffer.from(sepp.keyPem) };
    stranger = { ca: [Buffer.from(ca.certPem)], cert: Buffer.from(foreign.chainPem), key: Buffer.from(foreign.keyPem) };
    otherCa = Buffer.from(other.certPem);
    const tlsMaster = await RedisServer.start({ password: DATA_PASSWORD, tls });
    servers.push(tlsMaster, await RedisServer.start({ password: DATA_PASSWORD, replicaOf: tlsMaster.port, tls }));
    for (let i = 0; i < 3; i++) {
      tlsSentinels.push(await RedisSentinel.startSentinel({ masterName: MASTER_NAME, masterPort: tlsMaster.port, quorum: 2, masterPassword: DATA_PASSWORD, password: SENTINEL_PASSWORD, tls }));
    }
  }, 30_000);

  afterAll(async () => {
    for (const server of [...tlsSentinels, ...servers]) await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const tlsStore = (replicaId: string, material: { ca: Buffer[]; cert: Buffer; key: Buffer }): RedisStateStore => {
    const created = new RedisStateStore({
      sentinel: { masterName: MASTER_NAME, addresses: tlsSentinels.map((s) => s.address), password: SENTINEL_PASSWORD },
      password: DATA_PASSWORD,
      tls: material,
      keyPrefix: 'sentinel-tls-spec:',
      keyWrapKeys: [KEK],
      replicaId,
      commandTimeoutMs: 1_000,
    });
    opened.push(created);
    return created;
  };

  it('asks the Sentinels and reaches the master over TLS with our client certificate', async () => {
    const a = tlsStore('tls-a', client);
    expect(await a.waitUntilUp(10_000)).toBe(true);
    const saved = context();
    await a.saveContext(saved);
    expect((await a.loadContext(saved.localContextId))?.peer).toBe(saved.peer);
  });

  it('never comes up with a client certificate the servers do not trust, nor trusting another CA', async () => {
    expect(await tlsStore('tls-stranger', stranger).waitUntilUp(1_500)).toBe(false);
    expect(await tlsStore('tls-other-ca', { ...client, ca: [otherCa] }).waitUntilUp(1_500)).toBe(false);
  });

  it('reaches the same TLS master directly by its rediss:// URL (no Sentinel)', async () => {
    const direct = new RedisStateStore({ url: servers[0]!.url, password: DATA_PASSWORD, tls: client, keyPrefix: 'sentinel-tls-spec:', keyWrapKeys: [KEK], replicaId: 'tls-direct', commandTimeoutMs: 1_000 });
    opened.push(direct);
    expect(servers[0]!.url).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    expect(await direct.waitUntilUp(10_000)).toBe(true);
    const saved = context();
    await direct.saveContext(saved);
    expect((await direct.loadContext(saved.localContextId))?.peer).toBe(saved.peer);
  });
});
