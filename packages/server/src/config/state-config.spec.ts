import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCa, createLeaf } from '@sepp/infra';
import { ConfigError, loadConfig } from './load-config';

const FQDN = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
let dir: string;
const KEY = randomBytes(32);

function config(state?: Record<string, unknown>, address: unknown = '127.0.0.1:9443'): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    stringify({
      sepp: { fqdn: FQDN, plmns: [{ mcc: '001', mnc: '01' }], capabilities: ['TLS', 'PRINS'] },
      tls: { cert: 'sepp.crt', key: 'sepp.key', ca: ['ca.crt'] },
      n32: { listen: { host: '127.0.0.1', port: 0 }, peers: [{ fqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org', plmns: [{ mcc: '002', mnc: '02' }], address }] },
      admin: { listen: { host: '127.0.0.1', port: 0 } },
      ...(state ? { state } : {}),
    }),
  );
  return file;
}

function problems(file: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    loadConfig(file, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sepp-state-config-'));
  mkdirSync(dir, { recursive: true });
  const ca = await createCa({ commonName: 'Test CA' });
  const leaf = await createLeaf({ ca, dnsNames: [FQDN] });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(join(dir, 'sepp.crt'), leaf.chainPem);
  writeFileSync(join(dir, 'sepp.key'), leaf.keyPem);
  writeFileSync(join(dir, 'kek.bin'), KEY);
  writeFileSync(join(dir, 'kek.hex'), `${KEY.toString('hex')}\n`);
  writeFileSync(join(dir, 'kek.b64'), KEY.toString('base64'));
  writeFileSync(join(dir, 'short.bin'), randomBytes(16));
  writeFileSync(join(dir, 'redis.pass'), 's3cret\n');
});

describe('state.* configuration', () => {
  it('defaults to the in-memory store with a host-pid replica ID', () => {
    const loaded = loadConfig(config(), {});
    expect(loaded.state.redis).toBeNull();
    expect(loaded.state.replicaId).toMatch(new RegExp(`-${process.pid}$`));
    expect(loaded.state.sequenceBlockSize).toBe(1024);
  });

  it('reads the Redis settings: URL, password file, key prefix default, key-wrap keys in any of the three encodings', () => {
    for (const file of ['kek.bin', 'kek.hex', 'kek.b64']) {
      const loaded = loadConfig(config({ redis: { url: 'redis://127.0.0.1:6379/2', passwordFile: 'redis.pass' }, keyWrapKeyFile: file, previousKeyWrapKeyFiles: ['kek.bin'], replicaId: 'r-1', sequenceBlockSize: 4096 }), {});
      expect(loaded.state.redis).toMatchObject({ url: 'redis://127.0.0.1:6379/2', password: 's3cret', keyPrefix: `sepp:${FQDN}:`, commandTimeoutMs: 1000, tls: null });
      expect(loaded.state.redis!.keyWrapKeys.map((k) => k.equals(KEY))).toEqual([true, true]);
      expect(loaded.state).toMatchObject({ replicaId: 'r-1', sequenceBlockSize: 4096 });
    }
  });

  it('requires a usable 32-byte key-wrap key with Redis, and refuses what does not fit', () => {
    expect(problems(config({ redis: { url: 'redis://127.0.0.1:6379' } }))).toContain('state.keyWrapKeyFile: is required with state.redis (secrets are never stored in clear)');
    expect(problems(config({ redis: { url: 'redis://127.0.0.1:6379' }, keyWrapKeyFile: 'short.bin' }))[0]).toMatch(/^state.keyWrapKeyFile: .*must hold a 32-byte key/);
    expect(problems(config({ redis: { url: 'http://127.0.0.1:6379' }, keyWrapKeyFile: 'kek.bin' }))).toContain('state.redis.url: must be a redis:// or rediss:// URL');
    expect(problems(config({ redis: { url: 'redis://x:1', keyPrefix: 'a{b}' }, keyWrapKeyFile: 'kek.bin' }))).toContain('state.redis.keyPrefix: must be 1-100 characters without { } or spaces');
    expect(problems(config({ redis: { url: 'redis://x:1', password: 'a', passwordFile: 'redis.pass' }, keyWrapKeyFile: 'kek.bin' }))).toContain('state.redis.passwordFile: give password or passwordFile, not both');
    expect(problems(config({ redis: { url: 'redis://x:1', tls: { ca: ['ca.crt'] } }, keyWrapKeyFile: 'kek.bin' }))).toContain('state.redis.tls: needs a rediss:// URL');
    expect(problems(config({ keyWrapKeyFile: 'kek.bin' }))).toContain('state.keyWrapKeyFile: is only used with state.redis');
    expect(problems(config({ replicaId: 'bad id' }))).toContain('state.replicaId: must be 1-64 letters, digits, dots, dashes or underscores');
    expect(problems(config({ unknown: 1 }))).toContain('state.unknown: is not a known key');
  });

  it('reads Redis Sentinel settings instead of a URL: master group, Sentinel addresses, their own password, the database', () => {
    const loaded = loadConfig(
      config({
        redis: { passwordFile: 'redis.pass', sentinel: { masterName: 'sepp-state', addresses: ['10.0.0.5:26379', '[fd00::6]:26380', 'sentinel-c.example.org:26379'], passwordFile: 'redis.pass', db: 3 }, tls: { ca: ['ca.crt'] } },
        keyWrapKeyFile: 'kek.bin',
      }),
      {},
    );
    expect(loaded.state.redis).toMatchObject({
      url: null,
      password: 's3cret',
      sentinel: {
        masterName: 'sepp-state',
        addresses: [
          { host: '10.0.0.5', port: 26379 },
          { host: 'fd00::6', port: 26380 },
          { host: 'sentinel-c.example.org', port: 26379 },
        ],
        password: 's3cret',
        db: 3,
      },
    });
    // TLS needs no rediss:// URL with Sentinel (there is none); without a password the Sentinels get none.
    expect(loaded.state.redis!.tls!.ca).toHaveLength(1);
    expect(loadConfig(config({ redis: { sentinel: { masterName: 'm', addresses: ['127.0.0.1:26379'] } }, keyWrapKeyFile: 'kek.bin' }), {}).state.redis!.sentinel).toEqual({ masterName: 'm', addresses: [{ host: '127.0.0.1', port: 26379 }], password: null, db: 0 });
    // A plain URL has no Sentinel.
    expect(loadConfig(config({ redis: { url: 'redis://127.0.0.1:6379' }, keyWrapKeyFile: 'kek.bin' }), {}).state.redis!.sentinel).toBeNull();
  });

  it('refuses a Redis without URL or Sentinel, both, and Sentinel settings that do not fit', () => {
    const sentinel = (s: Record<string, unknown>, extra: Record<string, unknown> = {}): string[] => problems(config({ redis: { sentinel: s, ...extra }, keyWrapKeyFile: 'kek.bin' }));
    expect(problems(config({ redis: {}, keyWrapKeyFile: 'kek.bin' }))).toContain('state.redis.url: is required (or state.redis.sentinel, or state.redis.cluster)');
    expect(sentinel({ masterName: 'm', addresses: ['127.0.0.1:26379'] }, { url: 'redis://127.0.0.1:6379' })).toContain('state.redis.sentinel: give one of url, sentinel and cluster, not url and sentinel');
    expect(sentinel({ addresses: ['127.0.0.1:26379'] })).toContain('state.redis.sentinel.masterName: is required');
    expect(sentinel({ masterName: 'a b', addresses: ['127.0.0.1:26379'] })).toContain('state.redis.sentinel.masterName: must be 1-64 letters, digits, dots, dashes or underscores');
    expect(sentinel({ masterName: 'm' })).toContain('state.redis.sentinel.addresses: is required');
    expect(sentinel({ masterName: 'm', addresses: [] })).toContain('state.redis.sentinel.addresses: must name at least one Sentinel');
    expect(sentinel({ masterName: 'm', addresses: ['127.0.0.1:26379', 'nope'] })).toContain('state.redis.sentinel.addresses: every item must be host:port');
    expect(sentinel({ masterName: 'm', addresses: ['127.0.0.1:26379'], password: 'a', passwordFile: 'redis.pass' })).toContain('state.redis.sentinel.passwordFile: give password or passwordFile, not both');
    expect(sentinel({ masterName: 'm', addresses: ['127.0.0.1:26379'], passwordFile: 'missing.pass' })[0]).toMatch(/^state.redis.sentinel.passwordFile: cannot read .*missing.pass/);
    expect(sentinel({ masterName: 'm', addresses: ['127.0.0.1:26379'], db: -1 })).toContain('state.redis.sentinel.db: must be 0 or more');
    expect(sentinel({ masterName: 'm', addresses: ['127.0.0.1:26379'], quorum: 2 })).toContain('state.redis.sentinel.quorum: is not a known key');
  });

  it('reads state.redis.cluster: seed nodes (host:port, IPv6 in brackets), the data nodes\' password and TLS', () => {
    const loaded = loadConfig(
      config({ redis: { passwordFile: 'redis.pass', cluster: { nodes: ['10.0.0.5:6379', '[fd00::6]:6380', 'redis-2.redis.example.org:6379'] }, tls: { ca: ['ca.crt'] } }, keyWrapKeyFile: 'kek.bin' }),
      {},
    );
    expect(loaded.state.redis).toMatchObject({
      url: null,
      sentinel: null,
      password: 's3cret',
      cluster: {
        nodes: [
          { host: '10.0.0.5', port: 6379 },
          { host: 'fd00::6', port: 6380 },
          { host: 'redis-2.redis.example.org', port: 6379 },
        ],
      },
    });
    expect(loaded.state.redis!.tls!.ca).toHaveLength(1);
    expect(loadConfig(config({ redis: { url: 'redis://127.0.0.1:6379' }, keyWrapKeyFile: 'kek.bin' }), {}).state.redis!.cluster).toBeNull();
  });

  it('refuses cluster with url or sentinel, and cluster settings that do not fit', () => {
    const cluster = (c: Record<string, unknown>, extra: Record<string, unknown> = {}): string[] => problems(config({ redis: { cluster: c, ...extra }, keyWrapKeyFile: 'kek.bin' }));
    expect(cluster({ nodes: ['127.0.0.1:7000'] }, { url: 'redis://127.0.0.1:6379' })).toContain('state.redis.cluster: give one of url, sentinel and cluster, not url and cluster');
    expect(cluster({ nodes: ['127.0.0.1:7000'] }, { sentinel: { masterName: 'm', addresses: ['127.0.0.1:26379'] } })).toContain('state.redis.cluster: give one of url, sentinel and cluster, not sentinel and cluster');
    expect(cluster({})).toContain('state.redis.cluster.nodes: is required');
    expect(cluster({ nodes: [] })).toContain('state.redis.cluster.nodes: must name at least one node');
    expect(cluster({ nodes: Array.from({ length: 65 }, (_, i) => `127.0.0.1:${7000 + i}`) })).toContain('state.redis.cluster.nodes: must name at most 64 nodes');
    expect(cluster({ nodes: ['127.0.0.1:7000', 'nope'] })).toContain('state.redis.cluster.nodes: every item must be host:port');
    expect(cluster({ nodes: ['127.0.0.1:7000'], db: 1 })).toContain('state.redis.cluster.db: is not a known key');
  });

  it('takes the replica ID and the Redis URL from the environment', () => {
    const loaded = loadConfig(config({ redis: { url: 'redis://a:1' }, keyWrapKeyFile: 'kek.bin' }), { SEPP_STATE_REPLICA_ID: 'pod-7', SEPP_STATE_REDIS_URL: 'rediss://b:2' });
    expect(loaded.state.replicaId).toBe('pod-7');
    expect(loaded.state.redis!.url).toBe('rediss://b:2');
    expect(problems(config(), { SEPP_STATE_REPLICA_ID: 'a b' })).toContain('state.replicaId (from SEPP_STATE_REPLICA_ID): must be 1-64 letters, digits, dots, dashes or underscores');
  });
});

describe('n32.peers[].address as a list', () => {
  it('accepts one host:port or a list of them, the first being dial', () => {
    const one = loadConfig(config(undefined, '10.0.0.1:8443'), {}).n32.peers[0]!;
    expect(one.dials).toEqual([{ host: '10.0.0.1', port: 8443 }]);
    const list = loadConfig(config(undefined, ['10.0.0.1:8443', '[::1]:9443', 'sepp-b.example.org:443']), {}).n32.peers[0]!;
    expect(list.dials).toEqual([
      { host: '10.0.0.1', port: 8443 },
      { host: '::1', port: 9443 },
      { host: 'sepp-b.example.org', port: 443 },
    ]);
    expect(list.dial).toEqual(list.dials[0]);
  });

  it('takes a comma-separated list from SEPP_N32_PEERS_<i>_ADDRESS', () => {
    const peer = loadConfig(config(), { SEPP_N32_PEERS_0_ADDRESS: '127.0.0.1:1,127.0.0.1:2' }).n32.peers[0]!;
    expect(peer.dials.map((d) => d.port)).toEqual([1, 2]);
  });

  it('refuses an empty list or an entry that is not host:port', () => {
    expect(problems(config(undefined, []))).toContain('n32.peers[0].address: must be host:port or a list of host:port');
    expect(problems(config(undefined, ['127.0.0.1:1', 'nope']))).toContain('n32.peers[0].address: must be host:port or a list of host:port');
  });
});
