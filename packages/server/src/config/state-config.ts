import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Expose, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsString, Matches, Max, Min, MinLength, ValidateNested } from 'class-validator';
import type { ConfigProblem } from './config-problems';
import { HOST_PORT, Optional, parseHostPort, PemPath, Required } from './config-schema-parts';
import { readCaList, readPem } from './read-tls';

/** `state.redis.tls`: PEM files for `rediss://` (trusted CA; a client certificate if Redis asks). */
export class StateRedisTlsConfig {
  @Expose() @Optional() @IsArray({ message: 'must be a list of PEM files' }) @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  ca?: string[];
  @Expose() @Optional() @PemPath() cert?: string;
  @Expose() @Optional() @PemPath() key?: string;
}

/**
 * `state.redis.sentinel`: Redis Sentinel names the master of `masterName` (and a new one after a
 * failover); the store connects to whichever it names.
 */
export class StateRedisSentinelConfig {
  @Expose() @Required() @IsString({ message: 'must be a string' }) @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1-64 letters, digits, dots, dashes or underscores' })
  masterName!: string;
  @Expose()
  @Required()
  @IsArray({ message: 'must be a list of host:port' })
  @ArrayMinSize(1, { message: 'must name at least one Sentinel' })
  @ArrayMaxSize(16, { message: 'must name at most 16 Sentinels' })
  @Matches(HOST_PORT, { each: true, message: 'every item must be host:port' })
  addresses!: string[];
  /** The Sentinels' own password (their `requirepass`), not the data nodes'. */
  @Expose() @Optional() @IsString({ message: 'must be a string' }) @MinLength(1, { message: 'must not be empty' })
  password?: string;
  @Expose() @Optional() @IsString({ message: 'must be a path' }) @MinLength(1, { message: 'must not be empty' })
  passwordFile?: string;
  /** The logical database on the master (`SELECT`). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer' }) @Min(0, { message: 'must be 0 or more' }) @Max(65_535, { message: 'must be at most 65535' })
  db?: number;
}

/**
 * `state.redis.cluster`: Redis Cluster; `nodes` are where the store starts (seed nodes), the rest of
 * the cluster (every master and replica, and which slots each serves) is read from them.
 */
export class StateRedisClusterConfig {
  @Expose()
  @Required()
  @IsArray({ message: 'must be a list of host:port' })
  @ArrayMinSize(1, { message: 'must name at least one node' })
  @ArrayMaxSize(64, { message: 'must name at most 64 nodes' })
  @Matches(HOST_PORT, { each: true, message: 'every item must be host:port' })
  nodes!: string[];
}

export class StateRedisConfig {
  /** Required unless `sentinel` or `cluster` is set. */
  @Expose() @Optional() @IsString({ message: 'must be a redis:// or rediss:// URL' }) @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL' })
  url?: string;
  @Expose() @Optional() @Type(() => StateRedisSentinelConfig) @ValidateNested() sentinel?: StateRedisSentinelConfig;
  @Expose() @Optional() @Type(() => StateRedisClusterConfig) @ValidateNested() cluster?: StateRedisClusterConfig;
  @Expose() @Optional() @IsString({ message: 'must be a string' }) @MinLength(1, { message: 'must not be empty' })
  password?: string;
  /** A file holding the password (a mounted secret); the trailing newline is dropped. */
  @Expose() @Optional() @IsString({ message: 'must be a path' }) @MinLength(1, { message: 'must not be empty' })
  passwordFile?: string;
  @Expose() @Optional() @Type(() => StateRedisTlsConfig) @ValidateNested() tls?: StateRedisTlsConfig;
  /** Prepended to every key and channel; default `sepp:<sepp.fqdn>:`. No braces (the hash tags follow). */
  @Expose() @Optional() @IsString({ message: 'must be a string' }) @Matches(/^[^{}\s]{1,100}$/, { message: 'must be 1-100 characters without { } or spaces' })
  keyPrefix?: string;
  /** A command without an answer within this counts as the store being down. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(50, { message: 'must be at least 50 ms' }) @Max(60_000, { message: 'must be at most 60000 ms' })
  commandTimeoutMs?: number;
}

export class StateConfig {
  /** Absent: the in-memory store (one process). */
  @Expose() @Optional() @Type(() => StateRedisConfig) @ValidateNested() redis?: StateRedisConfig;
  /** 32 bytes (raw, or 64 hex / 44 base64 characters): the key-encryption key of stored secrets. */
  @Expose() @Optional() @IsString({ message: 'must be a path' }) @MinLength(1, { message: 'must not be empty' })
  keyWrapKeyFile?: string;
  /** Older key-wrap keys still accepted for reading during a rotation. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of paths' }) @IsString({ each: true, message: 'every item must be a path' })
  previousKeyWrapKeyFiles?: string[];
  /** This process's name in the cluster (default: host name and process ID). */
  @Expose() @Optional() @IsString({ message: 'must be a string' }) @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1-64 letters, digits, dots, dashes or underscores' })
  replicaId?: string;
  /** SEQs a replica reserves at a time per context and direction. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer' }) @Min(16, { message: 'must be at least 16' }) @Max(1_048_576, { message: 'must be at most 1048576' })
  sequenceBlockSize?: number;
}

export interface StateSettings {
  /** This process's name in the cluster view and in context events. */
  readonly replicaId: string;
  readonly sequenceBlockSize: number;
  /** null: in memory. */
  readonly redis: {
    /** The Redis to connect to; null with `sentinel` or `cluster`. */
    readonly url: string | null;
    /** Redis Sentinel: the master group and where to ask for its master; null: not used. */
    readonly sentinel: RedisSentinelSettings | null;
    /** Redis Cluster: its seed nodes; null: not used. */
    readonly cluster: RedisClusterSettings | null;
    readonly password: string | null;
    readonly tls: { readonly ca: readonly Buffer[]; readonly cert: Buffer | null; readonly key: Buffer | null } | null;
    readonly keyPrefix: string;
    readonly commandTimeoutMs: number;
    /** The current key-wrap key first, then the previous ones. */
    readonly keyWrapKeys: readonly Buffer[];
  } | null;
}

export interface RedisSentinelSettings {
  readonly masterName: string;
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  /** The Sentinels' own password. */
  readonly password: string | null;
  readonly db: number;
}

export interface RedisClusterSettings {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
}

export const STATE_DEFAULTS = { sequenceBlockSize: 1_024, commandTimeoutMs: 1_000 } as const;

export function defaultReplicaId(): string {
  return `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 48)}-${process.pid}`;
}

/** `state.*` read and checked: the key-wrap keys, the password file, the TLS files. */
export function readState(state: StateConfig | undefined, seppFqdn: string, pathOf: (key: string, value: string) => string, problems: ConfigProblem[]): StateSettings {
  const common = { replicaId: state?.replicaId ?? defaultReplicaId(), sequenceBlockSize: state?.sequenceBlockSize ?? STATE_DEFAULTS.sequenceBlockSize };
  const redis = state?.redis;
  if (!redis) {
    if (state?.keyWrapKeyFile || state?.previousKeyWrapKeyFiles) problems.push({ key: 'state.keyWrapKeyFile', problem: 'is only used with state.redis' });
    return { ...common, redis: null };
  }
  if (!state.keyWrapKeyFile) problems.push({ key: 'state.keyWrapKeyFile', problem: 'is required with state.redis (secrets are never stored in clear)' });
  const keyFiles = [state.keyWrapKeyFile, ...(state.previousKeyWrapKeyFiles ?? [])];
  const keyWrapKeys = keyFiles.flatMap((file, index) => {
    if (!file) return [];
    const key = index === 0 ? 'state.keyWrapKeyFile' : `state.previousKeyWrapKeyFiles[${index - 1}]`;
    const bytes = readKeyWrapKey(key, pathOf(key, file), problems);
    return bytes ? [bytes] : [];
  });
  const password = readPassword('state.redis', redis, pathOf, problems);
  const sentinel = redis.sentinel ? readSentinel(redis.sentinel, pathOf, problems) : null;
  const cluster = redis.cluster ? { nodes: redis.cluster.nodes.map(parseHostPort) } : null;
  const ways = (['url', 'sentinel', 'cluster'] as const).filter((way) => redis[way] !== undefined);
  if (ways.length === 0) problems.push({ key: 'state.redis.url', problem: 'is required (or state.redis.sentinel, or state.redis.cluster)' });
  if (ways.length > 1) problems.push({ key: `state.redis.${ways[1]!}`, problem: `give one of url, sentinel and cluster, not ${ways.join(' and ')}` });
  const tls = redis.tls
    ? {
        ca: readCaList('state.redis.tls.ca', (redis.tls.ca ?? []).map((file) => pathOf('state.redis.tls.ca', file)), problems) ?? [],
        cert: redis.tls.cert ? readPem('state.redis.tls.cert', pathOf('state.redis.tls.cert', redis.tls.cert), problems) : null,
        key: redis.tls.key ? readPem('state.redis.tls.key', pathOf('state.redis.tls.key', redis.tls.key), problems) : null,
      }
    : null;
  if (tls && (tls.cert === null) !== (tls.key === null)) problems.push({ key: 'state.redis.tls', problem: 'cert and key go together' });
  if (tls && redis.url && !redis.url.startsWith('rediss://')) problems.push({ key: 'state.redis.tls', problem: 'needs a rediss:// URL' });
  return {
    ...common,
    redis: {
      url: redis.url ?? null,
      sentinel,
      cluster,
      password,
      tls,
      keyPrefix: redis.keyPrefix ?? `sepp:${seppFqdn}:`,
      commandTimeoutMs: redis.commandTimeoutMs ?? STATE_DEFAULTS.commandTimeoutMs,
      keyWrapKeys,
    },
  };
}

/** `<at>.password` or the content of `<at>.passwordFile` (one trailing newline dropped), or null. */
function readPassword(at: string, from: { password?: string; passwordFile?: string }, pathOf: (key: string, value: string) => string, problems: ConfigProblem[]): string | null {
  if (from.password !== undefined && from.passwordFile !== undefined) problems.push({ key: `${at}.passwordFile`, problem: 'give password or passwordFile, not both' });
  if (from.passwordFile === undefined) return from.password ?? null;
  const text = readPem(`${at}.passwordFile`, pathOf(`${at}.passwordFile`, from.passwordFile), problems);
  return text ? text.toString('utf8').replace(/\r?\n$/, '') : null;
}

function readSentinel(sentinel: StateRedisSentinelConfig, pathOf: (key: string, value: string) => string, problems: ConfigProblem[]): RedisSentinelSettings {
  const password = readPassword('state.redis.sentinel', sentinel, pathOf, problems);
  return { masterName: sentinel.masterName, addresses: sentinel.addresses.map(parseHostPort), password, db: sentinel.db ?? 0 };
}

/** 32 bytes: the file's bytes, or 64 hex or 44 base64 characters (a trailing newline is fine). */
function readKeyWrapKey(key: string, path: string, problems: ConfigProblem[]): Buffer | null {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (error) {
    problems.push({ key, problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    return null;
  }
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  problems.push({ key, problem: `${path} must hold a 32-byte key (raw, 64 hex or 44 base64 characters; e.g. openssl rand -out FILE 32)` });
  return null;
}
