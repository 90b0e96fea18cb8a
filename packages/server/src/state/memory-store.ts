/* eslint-disable @typescript-eslint/require-await -- the port is asynchronous (a shared store answers over the network); this adapter answers at once */
import { EventEmitter } from 'node:events';
import { ChunkedReplayWindow } from '@sepp/protocol';
import { STATE_LIMITS } from './limits';
import { MessageIdsBySeq } from './message-ids';
import type {
  ContextEvent,
  MessageKind,
  N32StateStore,
  ReceiveVerdict,
  ReplicaView,
  SeqReservation,
  StateStoreEvents,
  StoreHealth,
  StoredContext,
  StoredContextSummary,
  StoredIntermediaries,
} from './state-store';

const SEQ_SPACE = 2 ** 32;

interface MemoryContext {
  context: StoredContext;
  counters: Record<MessageKind, number>;
  windows: Record<MessageKind, ChunkedReplayWindow>;
  messageIds: Record<MessageKind, MessageIdsBySeq>;
  retireTimer: NodeJS.Timeout | null;
  /** When a scheduled retirement takes effect (Date.now() ms); a later one never postpones it. */
  retireAt: number | null;
}

/**
 * The in-memory adapter: one process, nothing to install (the default, and what `pnpm demo` uses).
 * Same rules as the Redis adapter, so a single SEPP behaves as a cluster of one.
 */
export class MemoryStateStore extends EventEmitter<StateStoreEvents> implements N32StateStore {
  readonly shared = false;
  private readonly contexts = new Map<string, MemoryContext>();
  private readonly current = new Map<string, string>();
  private readonly labels = new Map<string, string>();
  private readonly replicas = new Map<string, ReplicaView>();

  constructor(readonly replicaId: string) {
    super();
  }

  health(): StoreHealth {
    return { name: 'memory', up: true, detail: 'in memory (this process only)' };
  }

  waitUntilUp(): Promise<boolean> {
    return Promise.resolve(true);
  }

  async saveContext(context: StoredContext): Promise<void> {
    const id = context.localContextId.toLowerCase();
    const start = SEQ_SPACE - context.maxMessages;
    this.contexts.set(id, {
      context: { ...context, kekId: null },
      counters: { request: start, response: start },
      windows: { request: new ChunkedReplayWindow(STATE_LIMITS.replayChunkSize, STATE_LIMITS.replayMaxChunks), response: new ChunkedReplayWindow(STATE_LIMITS.replayChunkSize, STATE_LIMITS.replayMaxChunks) },
      messageIds: { request: new MessageIdsBySeq(STATE_LIMITS.maxMessageIds), response: new MessageIdsBySeq(STATE_LIMITS.maxMessageIds) },
      retireTimer: null,
      retireAt: null,
    });
    const currentId = this.current.get(context.peer);
    const current = currentId ? this.contexts.get(currentId) : undefined;
    if (!current || current.context.createdAt <= context.createdAt) this.current.set(context.peer, id);
    this.announce({ kind: 'established', peer: context.peer, localContextId: id, createdAt: context.createdAt, replica: this.replicaId });
  }

  async updateIntermediaries(localContextId: string, intermediaries: StoredIntermediaries | null): Promise<void> {
    const entry = this.contexts.get(localContextId.toLowerCase());
    if (!entry) return;
    entry.context = { ...entry.context, intermediaries };
    this.announce({ kind: 'intermediaries', peer: entry.context.peer, localContextId: entry.context.localContextId, replica: this.replicaId });
  }

  async loadContext(localContextId: string): Promise<StoredContext | null> {
    return this.contexts.get(localContextId.toLowerCase())?.context ?? null;
  }

  async currentContext(peer: string): Promise<string | null> {
    const id = this.current.get(peer);
    return id && this.contexts.has(id) ? id : null;
  }

  async listContexts(): Promise<StoredContextSummary[]> {
    return [...this.contexts.values()].map(({ context: { keys: _keys, intermediaries: _ris, maxMessages: _max, ...summary } }) => summary);
  }

  async retireContext(peer: string, localContextId: string, afterMs: number): Promise<void> {
    const id = localContextId.toLowerCase();
    const entry = this.contexts.get(id);
    if (!entry) return;
    const drop = (): void => {
      if (this.contexts.get(id) !== entry) return;
      this.contexts.delete(id);
      if (this.current.get(peer) === id) this.current.delete(peer);
    };
    // A retirement already scheduled to happen sooner stands: retiring again never postpones it.
    if (afterMs > 0 && entry.retireAt !== null && entry.retireAt <= Date.now() + afterMs) return;
    if (entry.retireTimer) clearTimeout(entry.retireTimer);
    entry.retireTimer = null;
    entry.retireAt = null;
    if (afterMs <= 0) drop();
    else {
      entry.retireAt = Date.now() + afterMs;
      entry.retireTimer = setTimeout(drop, afterMs);
      entry.retireTimer.unref();
    }
    this.announce({ kind: 'retired', peer, localContextId: id, afterMs, replica: this.replicaId });
  }

  async reserveSequences(localContextId: string, kind: MessageKind, size: number, floor: number): Promise<SeqReservation> {
    const entry = this.contexts.get(localContextId.toLowerCase());
    if (!entry) return 'unknown-context';
    const start = Math.max(entry.counters[kind], floor);
    entry.counters[kind] = start + size;
    return { start, end: start + size };
  }

  async acceptReceived(localContextId: string, kind: MessageKind, seq: number, messageId: string): Promise<ReceiveVerdict> {
    const entry = this.contexts.get(localContextId.toLowerCase());
    if (!entry) return 'unknown-context';
    const window = entry.windows[kind];
    const verdict = window.check(seq);
    if (verdict !== 'fresh') return verdict;
    window.accept(seq);
    const ids = entry.messageIds[kind];
    if (ids.has(messageId)) return 'duplicate-message-id';
    // Past the limit the lowest SEQ goes first, as in the Redis adapter's sorted set.
    ids.add(messageId, seq);
    return 'fresh';
  }

  async putLabel(label: string, fqdn: string): Promise<void> {
    if (!this.labels.has(label) && this.labels.size >= STATE_LIMITS.maxLabels) this.labels.delete(this.labels.keys().next().value!);
    this.labels.set(label, fqdn);
  }

  async getLabel(label: string): Promise<string | null> {
    return this.labels.get(label) ?? null;
  }

  async publishReplica(view: ReplicaView): Promise<void> {
    this.replicas.set(view.replica, view);
  }

  async listReplicas(): Promise<ReplicaView[]> {
    return [...this.replicas.values()];
  }

  async removeReplica(replica: string): Promise<void> {
    this.replicas.delete(replica);
  }

  async close(): Promise<void> {
    for (const entry of this.contexts.values()) if (entry.retireTimer) clearTimeout(entry.retireTimer);
  }

  private announce(event: ContextEvent): void {
    // Asynchronously, as a shared store's events arrive.
    queueMicrotask(() => this.emit('context', event));
  }
}
