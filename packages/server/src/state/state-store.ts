import type { JweEnc, N32fKeySet, N32Role } from '@sepp/protocol';

/**
 * The port through which a SEPP keeps the N32 state that replicas of it share (README "Running a
 * cluster"). Services depend on this interface only; `createStateStore` picks the adapter: in
 * memory (one process, the default) or Redis (`state.redis`).
 */

/** Which send or receive counter of a context: NF requests or their answers. */
export type MessageKind = 'request' | 'response';

/** What operators may see of a stored context (never key material). */
export interface StoredContextSummary {
  readonly localContextId: string;
  readonly remoteContextId: string;
  readonly peer: string;
  readonly role: N32Role;
  readonly enc: JweEnc;
  readonly createdAt: number;
  /** The key-encryption key its secrets are wrapped with (SHA-256 prefix of the KEK), or null in memory. */
  readonly kekId: string | null;
}

/** The RIs of a context in a storable form (public keys as SPKI PEM). */
export interface StoredIntermediaries {
  readonly authorizedIpxId: string | null;
  readonly keysByIdentity: Readonly<Record<string, readonly string[]>>;
  readonly seppKeys: readonly string[];
  readonly policy: unknown;
  readonly ownRiId?: string | null;
  readonly ownPolicy?: unknown;
}

/** Everything a replica needs to use a context set up by another one. */
export interface StoredContext extends StoredContextSummary {
  readonly maxMessages: number;
  /** The four directions' keys and IV salts (wrapped with the KEK in the shared store). */
  readonly keys: N32fKeySet;
  readonly intermediaries: StoredIntermediaries | null;
}

/** A block of SEQs [start, end) reserved for this replica, or why there is none. */
export type SeqReservation = { readonly start: number; readonly end: number } | 'unknown-context';

/** The shared replay check of one received message. */
export type ReceiveVerdict = 'fresh' | 'replayed' | 'too-old' | 'duplicate-message-id' | 'unknown-context';

/** Context lifecycle, announced to every replica. */
export type ContextEvent =
  | { readonly kind: 'established'; readonly peer: string; readonly localContextId: string; readonly createdAt: number; readonly replica: string }
  | { readonly kind: 'intermediaries'; readonly peer: string; readonly localContextId: string; readonly replica: string }
  | { readonly kind: 'retired'; readonly peer: string; readonly localContextId: string; readonly afterMs: number; readonly replica: string };

/** One replica's view, as the cluster view lists it. */
export interface ReplicaView {
  readonly replica: string;
  readonly role: string;
  readonly updatedAt: string;
  readonly peers: readonly unknown[];
  readonly contexts: readonly unknown[];
}

export interface StoreHealth {
  readonly name: 'memory' | 'redis';
  readonly up: boolean;
  readonly detail: string;
}

export interface StateStoreEvents {
  context: [ContextEvent];
  /** The store became reachable again (after `down`): replicas check what they cached. */
  up: [];
  down: [string];
  /** A command of `operation` did not get an answer (its caller was told StateStoreUnavailable). */
  failed: [StoreOperation];
}

/** What a shared store is asked, by name (`sepp_state_store_failures_total{operation}`), and how errors say it. */
export const STORE_OPERATIONS = {
  save: 'saving a context',
  update: 'updating a context',
  load: 'loading a context',
  rewrap: 're-wrapping a context',
  current: 'reading the current context',
  list: 'listing contexts',
  retire: 'retiring a context',
  reserve: 'reserving SEQs',
  receive: 'checking a received message',
  'put-label': 'storing a telescopic label',
  'get-label': 'reading a telescopic label',
  'publish-view': 'publishing the replica view',
  'list-views': 'listing replicas',
  'remove-view': 'removing the replica view',
} as const;

export type StoreOperation = keyof typeof STORE_OPERATIONS;

export interface N32StateStore {
  /** True when other processes share this store (Redis). */
  readonly shared: boolean;
  /** This process's name in the cluster view and in events. */
  readonly replicaId: string;
  health(): StoreHealth;
  /** Resolves true once the store answers (at once in memory), false after `timeoutMs`. */
  waitUntilUp(timeoutMs: number): Promise<boolean>;

  /** Stores a new context and makes it its peer's current one; announced as `established`. */
  saveContext(context: StoredContext): Promise<void>;
  /** Replaces the RIs of a stored context (the exchange-params RI step after the context exists). */
  updateIntermediaries(localContextId: string, intermediaries: StoredIntermediaries | null): Promise<void>;
  /** A context by the ID we allocated; null when unknown, terminated or retired. */
  loadContext(localContextId: string): Promise<StoredContext | null>;
  /** The ID of the peer's newest live context, if any. */
  currentContext(peer: string): Promise<string | null>;
  /** Every live context (the cluster view). */
  listContexts(): Promise<StoredContextSummary[]>;
  /**
   * The context goes (now, or after `afterMs`: answers in flight still find it); announced as
   * `retired`. Retiring again never postpones a retirement already under way (nothing announced then).
   */
  retireContext(peer: string, localContextId: string, afterMs: number): Promise<void>;

  /**
   * Reserves `size` SEQs of a send counter atomically: no two callers, in any process, ever get
   * overlapping blocks, and never a block starting below `floor` (the highest this replica had).
   */
  reserveSequences(localContextId: string, kind: MessageKind, size: number, floor: number): Promise<SeqReservation>;
  /** Records a received, authenticated message: fresh once per (context, kind, SEQ) and per messageId. */
  acceptReceived(localContextId: string, kind: MessageKind, seq: number, messageId: string): Promise<ReceiveVerdict>;

  /** Opaque telescopic labels (README "Telescopic FQDNs"). */
  putLabel(label: string, fqdn: string): Promise<void>;
  getLabel(label: string): Promise<string | null>;

  /** The cluster view: each replica publishes its own, any replica lists all. */
  publishReplica(view: ReplicaView, ttlMs: number): Promise<void>;
  listReplicas(): Promise<ReplicaView[]>;
  removeReplica(replica: string): Promise<void>;

  on<K extends keyof StateStoreEvents>(event: K, listener: (...args: StateStoreEvents[K]) => void): this;
  off<K extends keyof StateStoreEvents>(event: K, listener: (...args: StateStoreEvents[K]) => void): this;
  close(): Promise<void>;
}

/** Raised by a shared store that cannot be reached (what needs it fails with 503). */
export class StateStoreUnavailable extends Error {
  override readonly name = 'StateStoreUnavailable';
}

/**
 * Raised by a shared store for a stored context whose secrets this replica cannot open: wrapped
 * with a key-wrap key it was not given (replicas configured with different keys, a rotation that
 * dropped the old key too early), or altered. To this replica the context does not exist.
 */
export class StoredContextUnreadable extends Error {
  override readonly name = 'StoredContextUnreadable';
}
