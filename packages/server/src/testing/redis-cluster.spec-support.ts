import { randomBytes } from 'node:crypto';
import type { RedisCluster } from '@sepp/infra';
import { RedisStateStore, type RedisStateStoreOptions } from '../state/redis-store';
import type { StoredContext } from '../state/state-store';
import { storedContext } from './state-store.spec-support';

/**
 * Stores of one spec on a test Redis Cluster: one key prefix and key-wrap key, the cluster's
 * password unless told otherwise, every store opened closed by `closeAll` (afterAll).
 */
export class ClusterStores {
  private readonly opened: RedisStateStore[] = [];
  private readonly kek = randomBytes(32);

  constructor(
    private readonly prefix: string,
    private readonly password: string,
  ) {}

  /** A store seeded with `seeds` (default: the cluster's first node); `password: null` for none. */
  open(cluster: RedisCluster, replicaId: string, options: { seeds?: readonly { host: string; port: number }[]; password?: string | null; tls?: RedisStateStoreOptions['tls'] } = {}): RedisStateStore {
    const { seeds = [cluster.seeds[0]!], password = this.password, tls } = options;
    const created = new RedisStateStore({
      cluster: { nodes: seeds },
      ...(password !== null ? { password } : {}),
      ...(tls ? { tls } : {}),
      keyPrefix: this.prefix,
      keyWrapKeys: [this.kek],
      replicaId,
      commandTimeoutMs: 1_000,
    });
    this.opened.push(created);
    return created;
  }

  /** The key of a context's hash (its hash tag decides its slot). */
  contextKey(context: StoredContext): string {
    return `${this.prefix}{ctx:${context.localContextId}}`;
  }

  /** A new context whose slot `accept`s (drawn until one does: each draw asks the cluster). */
  async contextWhere(cluster: RedisCluster, accept: (slot: number) => Promise<boolean> | boolean, what: string): Promise<{ context: StoredContext; slot: number }> {
    for (let i = 0; i < 2_000; i++) {
      const context = storedContext({ maxMessages: 2 ** 31, intermediaries: null });
      const slot = await cluster.slotOf(this.contextKey(context));
      if (await accept(slot)) return { context, slot };
    }
    throw new Error(`no context hashed ${what} in 2,000 draws`);
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.opened.map((store) => store.close().catch(() => undefined)));
  }
}
