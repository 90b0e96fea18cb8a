import { EventEmitter } from 'node:events';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { isJweEnc, type N32fKeySet, type N32fDirection, N32F_DIRECTIONS } from '@sepp/protocol';
import { kekOf, unwrapSecret, wrapSecret, type Kek, type WrappedSecret } from './key-wrap';
import { STATE_LIMITS } from './limits';
import { CLEAR_CURRENT, PUT_LABEL, RECEIVE, RESERVE, SAVE_CONTEXT, SET_CURRENT } from './redis-scripts';
import {
  STORE_OPERATIONS,
  StateStoreUnavailable,
  StoredContextUnreadable,
  type StoreOperation,
  type ContextEvent,
  type MessageKind,
  type N32StateStore,
  type ReceiveVerdict,
  type ReplicaView,
  type SeqReservation,
  type StateStoreEvents,
  type StoreHealth,
  type StoredContext,
  type StoredContextSummary,
  type StoredIntermediaries,
} from './state-store';

export interface RedisStateStoreOptions {
  /** `redis://[user@]host:port[/db]` or `rediss://…` (TLS); absent with `sentinel`. */
  readonly url?: string;
  /**
   * Redis Sentinel instead of one address: the master of `masterName` as the Sentinels name it,
   * and the new one after a failover. With `tls`, the Sentinels are dialled with TLS too.
   */
  readonly sentinel?: {
    readonly masterName: string;
    readonly addresses: readonly { readonly host: string; readonly port: number }[];
    /** The Sentinels' own password. */
    readonly password?: string;
    readonly db?: number;
  };
  /**
   * Redis Cluster: its seed nodes (the others, and which slots each serves, are read from them);
   * every context's keys sit in one slot, so each script runs on one node. With `tls`, every node
   * is dialled with TLS.
   */
  readonly cluster?: { readonly nodes: readonly { readonly host: string; readonly port: number }[] };
  /** The data nodes' password (every node of a cluster). */
  readonly password?: string;
  /** PEM material for `rediss://`: trusted CA, and a client certificate if Redis asks for one. */
  readonly tls?: { readonly ca?: readonly Buffer[]; readonly cert?: Buffer; readonly key?: Buffer };
  /** Prepended to every key and the event channel (no braces: the hash tags follow it). */
  readonly keyPrefix: string;
  /** The key-encryption key secrets are wrapped with, then older ones still accepted for reading. */
  readonly keyWrapKeys: readonly Buffer[];
  readonly replicaId: string;
  /** A command without an answer within this fails (the store counts as down until it answers). */
  readonly commandTimeoutMs: number;
}

/** The longest wait between two reconnection attempts of a Redis client. */
const RECONNECT_MAX_DELAY_MS = 1_000;
const RECEIVE_VERDICTS: readonly ReceiveVerdict[] = ['fresh', 'replayed', 'too-old', 'duplicate-message-id', 'unknown-context'];

/** A single Redis (URL or Sentinel) or a Redis Cluster: the same commands. */
type Client = Redis | Cluster;

type ScriptedRedis = Client & {
  seppSave(key: string, ...args: (string | number)[]): Promise<number>;
  seppReserve(key: string, kind: string, size: number, floor: number, gap: number): Promise<number>;
  seppReceive(ctx: string, window: string, ids: string, seq: number, messageId: string, chunk: number, chunks: number, maxIds: number): Promise<number>;
  seppSetCurrent(key: string, createdAt: number, value: string): Promise<number>;
  seppClearCurrent(key: string, id: string): Promise<number>;
  seppPutLabel(key: string, label: string, fqdn: string, max: number): Promise<number>;
};

/** What is wrapped with the KEK: every secret of a context (and its RIs, so they cannot be swapped). */
interface SecretBundle {
  readonly keys: Record<N32fDirection, { key: string; salt: string }>;
  readonly intermediaries: StoredIntermediaries | null;
}

/**
 * The Redis adapter (ioredis). Keys (after `keyPrefix`), each group under one hash tag so that
 * what one script touches sits in one Redis Cluster slot:
 *
 *   {ctx:<id>}              hash: peer, role, IDs, suite, createdAt, the wrapped secrets
 *                           (AES-256-GCM under the KEK, bound to the ID), send counters + epochs
 *   {ctx:<id>}:rx:<kind>    hash: replay window of received SEQs (floor + chunk bitmaps)
 *   {ctx:<id>}:ids:<kind>   sorted set: received messageIds by SEQ
 *   {peer:<fqdn>}:current   string: `<createdAt>:<id>` of the peer's newest context
 *   {contexts}              sorted set: live context IDs by createdAt (the cluster view)
 *   {labels}                hash: opaque telescopic label -> FQDN
 *   {replicas}              hash: replica -> its view (JSON with an expiry)
 *   events                  pub/sub channel: context lifecycle
 *
 * Commands are not queued while Redis is unreachable: they fail at once (StateStoreUnavailable),
 * so callers fall back on what they hold, and the client reconnects in the background.
 */
export class RedisStateStore extends EventEmitter<StateStoreEvents> implements N32StateStore {
  readonly shared = true;
  readonly replicaId: string;
  private readonly client: ScriptedRedis;
  private readonly subscriber: Client;
  private readonly keks: readonly Kek[];
  private readonly prefix: string;
  private readonly channel: string;
  private up = false;
  /** The first subscription to the event channel: true once in place (ioredis renews it after a reconnect). */
  private readonly subscribed: Promise<boolean>;
  private lastError = 'connecting';
  private closed = false;

  constructor(options: RedisStateStoreOptions) {
    super();
    if (/[{}]/.test(options.keyPrefix)) throw new RangeError('the key prefix must not contain { or } (hash tags follow it)');
    if (options.keyWrapKeys.length === 0) throw new RangeError('a key-wrap key is required');
    if ([options.url, options.sentinel, options.cluster].filter((way) => way !== undefined).length !== 1) throw new RangeError('one of a Redis URL, Sentinels or cluster nodes is required');
    this.replicaId = options.replicaId;
    this.keks = options.keyWrapKeys.map(kekOf);
    this.prefix = options.keyPrefix;
    this.channel = `${options.keyPrefix}events`;
    const tls = options.url?.startsWith('rediss:') || options.tls
      ? { ...(options.tls?.ca ? { ca: [...options.tls.ca] } : {}), ...(options.tls?.cert ? { cert: options.tls.cert } : {}), ...(options.tls?.key ? { key: options.tls.key } : {}) }
      : undefined;
    const sentinel = options.sentinel;
    const redisOptions: RedisOptions = {
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(tls ? { tls } : {}),
      ...(sentinel
        ? {
            sentinels: sentinel.addresses.map(({ host, port }) => ({ host, port })),
            name: sentinel.masterName,
            role: 'master' as const,
            db: sentinel.db ?? 0,
            ...(sentinel.password !== undefined ? { sentinelPassword: sentinel.password } : {}),
            ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
            // Reconnect at once when a Sentinel announces a new master (+switch-master), instead of
            // when the old master's connection fails.
            failoverDetector: true,
            sentinelRetryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 5), RECONNECT_MAX_DELAY_MS),
          }
        : {}),
      // A master demoted to a replica while our connection stayed open refuses writes (READONLY,
      // also from inside a script): reconnect, through the Sentinels to the new master. The
      // command itself fails (StateStoreUnavailable, as for any command while reconnecting).
      reconnectOnError: (error: Error) => /\bREADONLY\b/.test(error.message),
      // Redis's CLIENT LIST names the replica each connection belongs to.
      connectionName: `sepp-${options.replicaId}`,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: Math.max(options.commandTimeoutMs, 1_000),
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 5), RECONNECT_MAX_DELAY_MS),
      lazyConnect: false,
    };
    const connect = (extra: RedisOptions): Client => {
      if (options.cluster) return connectCluster(options.cluster.nodes, redisOptions, extra);
      return options.url ? new Redis(options.url, { ...redisOptions, ...extra }) : new Redis({ ...redisOptions, ...extra });
    };
    this.client = connect({}) as ScriptedRedis;
    this.client.defineCommand('seppSave', { numberOfKeys: 1, lua: SAVE_CONTEXT });
    this.client.defineCommand('seppReserve', { numberOfKeys: 1, lua: RESERVE });
    this.client.defineCommand('seppReceive', { numberOfKeys: 3, lua: RECEIVE });
    this.client.defineCommand('seppSetCurrent', { numberOfKeys: 1, lua: SET_CURRENT });
    this.client.defineCommand('seppClearCurrent', { numberOfKeys: 1, lua: CLEAR_CURRENT });
    this.client.defineCommand('seppPutLabel', { numberOfKeys: 1, lua: PUT_LABEL });
    this.client.on('ready', () => this.setUp(true, 'connected'));
    this.client.on('error', (error: Error) => (this.lastError = error.message));
    this.client.on('close', () => this.setUp(false, this.lastError === 'connected' ? 'connection closed' : this.lastError));
    this.client.on('end', () => this.connectAgain(this.client));
    // Events on their own connection (a subscribed connection takes no other commands); it
    // subscribes again by itself after a reconnect.
    this.subscriber = connect({ enableAutoPipelining: false, enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('end', () => this.connectAgain(this.subscriber));
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      try {
        this.emit('context', JSON.parse(message) as ContextEvent);
      } catch {
        // not one of ours
      }
    });
    this.subscribed = this.subscriber.subscribe(this.channel).then(
      () => true,
      () => false,
    );
  }

  /**
   * Resolves once the store answered and the event subscription is in place (for start-up and
   * tests: a context announced before it would be missed; a cluster client subscribes only once it
   * has read the slot map); false after `timeoutMs`.
   */
  async waitUntilUp(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.off('up', onUp);
        resolve(false);
      }, timeoutMs);
      const onUp = (): void => {
        void this.subscribed.then((subscribed) => {
          clearTimeout(timer);
          resolve(subscribed);
        });
      };
      if (this.up) onUp();
      else this.once('up', onUp);
    });
  }

  health(): StoreHealth {
    return { name: 'redis', up: this.up, detail: this.up ? 'connected' : this.lastError };
  }

  private setUp(up: boolean, detail: string): void {
    this.lastError = detail;
    if (this.up === up) return;
    this.up = up;
    if (this.closed) return;
    if (up) this.emit('up');
    else this.emit('down', detail);
  }

  /**
   * ioredis gives a client up for good ('end') when a Sentinel's +switch-master reaches its
   * failover detector while it is reconnecting (the connector's connect throws "Connection is
   * closed" and the client ends instead of retrying): a replica would then stay without its store
   * until restarted. Unless we are closing, the client connects again (through the Sentinels, to
   * the master they name now), after the longest delay of its retry strategy; the subscriber
   * subscribes again by itself.
   */
  private connectAgain(client: Client): void {
    if (this.closed) return;
    this.lastError = 'the Redis client gave up reconnecting: connecting again';
    const timer = setTimeout(() => {
      if (this.closed || client.status !== 'end') return;
      client.connect().catch(() => undefined); // a failure ends it again: one more round
    }, RECONNECT_MAX_DELAY_MS);
    timer.unref();
  }

  private key(tag: string, suffix = ''): string {
    return `${this.prefix}{${tag}}${suffix}`;
  }

  private contextKey(id: string, suffix = ''): string {
    return this.key(`ctx:${id.toLowerCase()}`, suffix);
  }

  /** Runs a command; a connection problem becomes StateStoreUnavailable (and a `failed` event). */
  private async run<T>(operation: StoreOperation, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.emit('failed', operation);
      throw new StateStoreUnavailable(`the shared state store (redis) did not answer ${STORE_OPERATIONS[operation]}: ${(error as Error).message}`);
    }
  }

  async saveContext(context: StoredContext): Promise<void> {
    const id = context.localContextId.toLowerCase();
    const secret = this.wrap(id, { keys: encodeKeys(context.keys), intermediaries: context.intermediaries });
    const fields: (string | number)[] = [
      'peer', context.peer,
      'role', context.role,
      'local', id,
      'remote', context.remoteContextId,
      'enc', context.enc,
      'created', context.createdAt,
      'max', context.maxMessages,
      'secret', JSON.stringify(secret),
    ];
    const start = 2 ** 32 - context.maxMessages;
    await this.run('save', async () => {
      await this.client.seppSave(this.contextKey(id), ...fields, start);
      await this.client.zadd(this.key('contexts'), context.createdAt, id);
      await this.client.seppSetCurrent(this.key(`peer:${context.peer}`, ':current'), context.createdAt, `${context.createdAt}:${id}`);
    });
    await this.announce({ kind: 'established', peer: context.peer, localContextId: id, createdAt: context.createdAt, replica: this.replicaId });
  }

  async updateIntermediaries(localContextId: string, intermediaries: StoredIntermediaries | null): Promise<void> {
    const stored = await this.loadContext(localContextId);
    if (!stored) return;
    const id = stored.localContextId;
    const secret = this.wrap(id, { keys: encodeKeys(stored.keys), intermediaries });
    await this.run('update', () => this.client.hset(this.contextKey(id), 'secret', JSON.stringify(secret)));
    await this.announce({ kind: 'intermediaries', peer: stored.peer, localContextId: id, replica: this.replicaId });
  }

  async loadContext(localContextId: string): Promise<StoredContext | null> {
    const id = localContextId.toLowerCase();
    const fields = await this.run('load', () => this.client.hgetall(this.contextKey(id)));
    if (!fields['secret'] || !fields['peer'] || !isJweEnc(fields['enc']) || (fields['role'] !== 'initiator' && fields['role'] !== 'responder')) return null;
    let wrapped: WrappedSecret;
    let bundle: SecretBundle;
    try {
      wrapped = JSON.parse(fields['secret']) as WrappedSecret;
      bundle = JSON.parse(unwrapSecret(this.keks, wrapped, id).toString('utf8')) as SecretBundle;
    } catch (error) {
      throw new StoredContextUnreadable(`N32-f context ${id} in the state store cannot be opened here: ${(error as Error).message}`);
    }
    const current = this.keks[0]!;
    if (wrapped.kek !== current.id) {
      // Key-wrap key rotation: what was wrapped with an older key is wrapped again with the current one.
      await this.run('rewrap', () => this.client.hset(this.contextKey(id), 'secret', JSON.stringify(this.wrap(id, bundle))));
    }
    const initiatorContextId = fields['role'] === 'initiator' ? id : fields['remote']!;
    return {
      localContextId: id,
      remoteContextId: fields['remote']!,
      peer: fields['peer'],
      role: fields['role'],
      enc: fields['enc'],
      createdAt: Number(fields['created']),
      kekId: current.id,
      maxMessages: Number(fields['max']),
      keys: decodeKeys(bundle.keys, fields['enc'], initiatorContextId),
      intermediaries: bundle.intermediaries,
    };
  }

  async currentContext(peer: string): Promise<string | null> {
    const value = await this.run('current', () => this.client.get(this.key(`peer:${peer}`, ':current')));
    const id = value ? value.slice(value.indexOf(':') + 1) : null;
    if (!id) return null;
    const exists = await this.run('current', () => this.client.exists(this.contextKey(id)));
    return exists ? id : null;
  }

  async listContexts(): Promise<StoredContextSummary[]> {
    const ids = await this.run('list', () => this.client.zrange(this.key('contexts'), '0', '-1'));
    const rows = await this.run('list', () => Promise.all(ids.map((id) => this.client.hmget(this.contextKey(id), 'peer', 'role', 'remote', 'enc', 'created', 'secret'))));
    const out: StoredContextSummary[] = [];
    const gone: string[] = [];
    rows.forEach(([peer, role, remote, enc, created, secret], index) => {
      const id = ids[index]!;
      if (!peer || !secret || !isJweEnc(enc) || (role !== 'initiator' && role !== 'responder')) {
        gone.push(id);
        return;
      }
      out.push({ localContextId: id, remoteContextId: remote ?? '', peer, role, enc, createdAt: Number(created), kekId: (JSON.parse(secret) as WrappedSecret).kek });
    });
    if (gone.length > 0) await this.run('list', () => this.client.zrem(this.key('contexts'), ...gone));
    return out;
  }

  async retireContext(peer: string, localContextId: string, afterMs: number): Promise<void> {
    const id = localContextId.toLowerCase();
    const keys = [this.contextKey(id), ...(['request', 'response'] as const).flatMap((kind) => [this.contextKey(id, `:rx:${kind}`), this.contextKey(id, `:ids:${kind}`)])];
    const retired = await this.run('retire', async (): Promise<boolean> => {
      if (afterMs <= 0) {
        await Promise.all(keys.map((key) => this.client.del(key)));
        await this.client.zrem(this.key('contexts'), id);
      } else {
        // LT: only sooner than an expiry already set (a key without one counts as never expiring), so
        // retiring again never postpones a retirement under way (Redis >= 7.0).
        const [changed] = await Promise.all(keys.map((key) => this.client.pexpire(key, afterMs, 'LT')));
        if (changed === 0) return false;
      }
      await this.client.seppClearCurrent(this.key(`peer:${peer}`, ':current'), id);
      return true;
    });
    if (!retired) return;
    await this.announce({ kind: 'retired', peer, localContextId: id, afterMs, replica: this.replicaId });
  }

  async reserveSequences(localContextId: string, kind: MessageKind, size: number, floor: number): Promise<SeqReservation> {
    const start = await this.run('reserve', () => this.client.seppReserve(this.contextKey(localContextId), kind, size, floor, STATE_LIMITS.restartGap));
    return start < 0 ? 'unknown-context' : { start, end: start + size };
  }

  async acceptReceived(localContextId: string, kind: MessageKind, seq: number, messageId: string): Promise<ReceiveVerdict> {
    const id = localContextId.toLowerCase();
    const code = await this.run('receive', () =>
      this.client.seppReceive(
        this.contextKey(id),
        this.contextKey(id, `:rx:${kind}`),
        this.contextKey(id, `:ids:${kind}`),
        seq,
        messageId,
        STATE_LIMITS.replayChunkSize,
        STATE_LIMITS.replayMaxChunks,
        STATE_LIMITS.maxMessageIds,
      ),
    );
    return RECEIVE_VERDICTS[code] ?? 'unknown-context';
  }

  async putLabel(label: string, fqdn: string): Promise<void> {
    await this.run('put-label', () => this.client.seppPutLabel(this.key('labels'), label, fqdn, STATE_LIMITS.maxLabels));
  }

  async getLabel(label: string): Promise<string | null> {
    return this.run('get-label', () => this.client.hget(this.key('labels'), label));
  }

  async publishReplica(view: ReplicaView, ttlMs: number): Promise<void> {
    await this.run('publish-view', () => this.client.hset(this.key('replicas'), view.replica, JSON.stringify({ view, expiresAt: Date.now() + ttlMs })));
  }

  async listReplicas(): Promise<ReplicaView[]> {
    const all = await this.run('list-views', () => this.client.hgetall(this.key('replicas')));
    const now = Date.now();
    const views: ReplicaView[] = [];
    const stale: string[] = [];
    for (const [replica, text] of Object.entries(all)) {
      const { view, expiresAt } = JSON.parse(text) as { view: ReplicaView; expiresAt: number };
      if (expiresAt < now) stale.push(replica);
      else views.push(view);
    }
    if (stale.length > 0) await this.run('list-views', () => this.client.hdel(this.key('replicas'), ...stale));
    return views.sort((a, b) => a.replica.localeCompare(b.replica));
  }

  async removeReplica(replica: string): Promise<void> {
    await this.run('remove-view', () => this.client.hdel(this.key('replicas'), replica));
  }

  async close(): Promise<void> {
    this.closed = true;
    const polite = (client: Client): Promise<unknown> => (client.status === 'ready' ? client.quit().catch(() => undefined) : Promise.resolve());
    await Promise.all([polite(this.client), polite(this.subscriber)]);
    this.client.disconnect();
    this.subscriber.disconnect();
  }

  private wrap(id: string, bundle: SecretBundle): WrappedSecret {
    return wrapSecret(this.keks[0]!, Buffer.from(JSON.stringify(bundle)), id);
  }

  /** Published to every replica (ours too; the services skip their own). Best effort. */
  private async announce(event: ContextEvent): Promise<void> {
    await this.client.publish(this.channel, JSON.stringify(event)).catch(() => undefined);
  }
}

/**
 * A Redis Cluster client with the store's settings: each node dialled with `redisOptions` (password,
 * TLS, command timeout), commands never queued while the cluster is not ready (they fail at once,
 * as with one Redis), answered by masters only (a replica may lag behind a replay check), and the
 * slot map read again after a failover or a MOVED answer. `extra` is what the subscriber changes.
 */
function connectCluster(nodes: readonly { host: string; port: number }[], redisOptions: RedisOptions, extra: RedisOptions): Cluster {
  const { enableOfflineQueue = false, retryStrategy, sentinels: _sentinels, lazyConnect: _lazy, enableAutoPipelining: _pipelining, ...perNode } = { ...redisOptions, ...extra };
  const options: ClusterOptions = {
    redisOptions: perNode,
    enableOfflineQueue,
    // Not auto-pipelined: ioredis follows MOVED, and retries a command whose node went away, only
    // for commands sent one by one (auto-pipelined, a command got the MOVED of a failover, or the
    // NOSCRIPT of a script whose first use was redirected, back as its answer: seen in the tests).
    enableAutoPipelining: false,
    scaleReads: 'master',
    // A master that fails: its replica is promoted after the cluster's node timeout (seconds);
    // until then a command on its slots fails after a few short retries (a few hundred ms), as
    // commands fail at once while a single Redis is unreachable: the callers go on from their
    // caches instead of waiting. MOVED and ASK are followed at once.
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 50,
    maxRedirections: 6,
    slotsRefreshTimeout: Math.max(Number(redisOptions.commandTimeout ?? 1_000), 1_000),
    ...(retryStrategy ? { clusterRetryStrategy: (attempt: number) => retryStrategy(attempt) ?? null } : {}),
    // Over TLS a node is dialled by the name it is known by (a seed as configured, the others as
    // the cluster announces them), so that its certificate is checked against that name: ioredis
    // would otherwise resolve a seed's host name and dial (and check) the address instead, which a
    // certificate naming hosts does not carry.
    ...(perNode.tls ? { dnsLookup: (address: string, callback: (error: Error | null, resolved: string) => void) => callback(null, address) } : {}),
  };
  return new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    options,
  );
}

function encodeKeys(keys: N32fKeySet): SecretBundle['keys'] {
  const out = {} as Record<N32fDirection, { key: string; salt: string }>;
  for (const direction of N32F_DIRECTIONS) out[direction] = { key: keys[direction].key.toString('base64'), salt: keys[direction].salt.toString('base64') };
  return out;
}

function decodeKeys(encoded: SecretBundle['keys'], enc: N32fKeySet['enc'], contextId: string): N32fKeySet {
  const keys = { enc, contextId } as { -readonly [K in keyof N32fKeySet]: N32fKeySet[K] };
  for (const direction of N32F_DIRECTIONS) keys[direction] = { key: Buffer.from(encoded[direction].key, 'base64'), salt: Buffer.from(encoded[direction].salt, 'base64') };
  return keys;
}
