import type { SeppConfig } from '../config/sepp-config';
import type { SeppLogger } from '../logging/logger';
import { MemoryStateStore } from './memory-store';
import type { N32StateStore } from './state-store';

/** The store `state.*` asks for; its reachability changes are logged (never its secrets). */
export function createStateStore(config: SeppConfig, logger: SeppLogger): N32StateStore {
  const { replicaId, redis } = config.state;
  if (!redis) return new MemoryStateStore(replicaId);
  // Loaded only when configured: a SEPP without Redis does not pay for the client at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RedisStateStore } = require('./redis-store') as typeof import('./redis-store');
  const store = new RedisStateStore({
    ...(redis.url !== null ? { url: redis.url } : {}),
    ...(redis.sentinel
      ? { sentinel: { masterName: redis.sentinel.masterName, addresses: redis.sentinel.addresses, db: redis.sentinel.db, ...(redis.sentinel.password !== null ? { password: redis.sentinel.password } : {}) } }
      : {}),
    ...(redis.cluster ? { cluster: { nodes: redis.cluster.nodes } } : {}),
    ...(redis.password !== null ? { password: redis.password } : {}),
    ...(redis.tls ? { tls: { ca: redis.tls.ca, ...(redis.tls.cert ? { cert: redis.tls.cert } : {}), ...(redis.tls.key ? { key: redis.tls.key } : {}) } } : {}),
    keyPrefix: redis.keyPrefix,
    keyWrapKeys: redis.keyWrapKeys,
    replicaId,
    commandTimeoutMs: redis.commandTimeoutMs,
  });
  const where = redis.url !== null ? redactUrl(redis.url) : redis.sentinel ? sentinelWhere(redis.sentinel) : clusterWhere(redis.cluster!.nodes);
  logger.info({ store: 'redis', url: where, keyPrefix: redis.keyPrefix, replica: replicaId }, 'shared N32 state store configured');
  store.on('up', () => logger.info({ store: 'redis', url: where }, 'state store reachable'));
  store.on('down', (detail) => logger.warn({ store: 'redis', url: where, detail }, 'state store unreachable: established contexts go on from the local cache, new PRINS contexts wait'));
  return store;
}

/** How the log names a Sentinel-managed Redis: `sentinel:<master>@host:port,host:port/<db>`. */
export function sentinelWhere(sentinel: { masterName: string; addresses: readonly { host: string; port: number }[]; db: number }): string {
  const addresses = sentinel.addresses.map(hostPort).join(',');
  return `sentinel:${sentinel.masterName}@${addresses}/${sentinel.db}`;
}

/** How the log names a Redis Cluster: `cluster:host:port,host:port` (its seed nodes). */
export function clusterWhere(nodes: readonly { host: string; port: number }[]): string {
  return `cluster:${nodes.map(hostPort).join(',')}`;
}

function hostPort({ host, port }: { host: string; port: number }): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The URL without a password (redis://user:secret@host -> redis://user:***@host). */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*:)[^@/]*@/, '$1$2***@');
}
