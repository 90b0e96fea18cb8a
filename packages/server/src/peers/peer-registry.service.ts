import { EventEmitter } from 'node:events';
import {
  initialPeerStatus,
  InvalidPeerTransition,
  normalizeFqdn,
  transition,
  type PeerEvent,
  type PeerStatus,
  type PlmnIdValue,
} from '@sepp/protocol';
import type { SeppLogger } from '../logging/logger';

/** What the last successful negotiation agreed, beyond the state itself. */
export interface NegotiationDetails {
  readonly handshakeId?: string;
  /** Why the responder picked what it picked (SelectionReason), when we were the responder. */
  readonly selectionReason?: string;
  readonly peerPlmns?: readonly PlmnIdValue[];
  /** Features both sides support (AND of the two SupportedFeatures). */
  readonly commonFeatures?: string;
  /** Whether N32-f will use `3gpp-Sbi-Target-apiRoot` (both sides declared support). */
  readonly targetApiRootSupported?: boolean;
  /** The peer's N32-f endpoint when it advertised one (senderN32fFqdn / senderN32fPort). */
  readonly peerN32f?: { readonly fqdn: string; readonly port?: number };
  /** SAN dNSNames of the certificate the peer used on N32-c (N32-f certificates must not exceed its PLMNs). */
  readonly peerN32cDnsNames?: readonly string[];
  /** PRINS: the N32-f context IDs (ours and the peer's) and the JWE suite agreed in exchange-params. */
  readonly n32fContextIds?: { readonly local: string; readonly remote: string };
  readonly jweCipherSuite?: string;
}

export interface PeerRecord {
  readonly fqdn: string;
  /** Listed in `n32.peers` (false for peers accepted through `acceptUnknownPeers`). */
  readonly configured: boolean;
  readonly status: PeerStatus;
  readonly negotiation: NegotiationDetails | null;
}

/** The JSON shape of GET /admin/peers entries. */
export interface PeerView {
  fqdn: string;
  configured: boolean;
  state: PeerStatus['state'];
  mechanism: PeerStatus['mechanism'];
  since: string;
  lastError: { reason: string; detail: string; at: string } | null;
  attempts: number;
  negotiation: NegotiationDetails | null;
}

export interface PeerChange {
  readonly before: PeerRecord | undefined;
  readonly after: PeerRecord;
  readonly event: PeerEvent;
}

/**
 * The one holder of per-peer N32 state in an app. Changes go through the protocol state machine
 * (`transition`), are logged with the peer FQDN, and are announced as `change` events.
 */
export class PeerRegistry extends EventEmitter<{ change: [PeerChange] }> {
  private readonly records = new Map<string, PeerRecord>();
  /** Listeners of one peer's changes (requests waiting for an agreement): one Set per peer, none on the emitter. */
  private readonly watchers = new Map<string, Set<(change: PeerChange) => void>>();

  constructor(
    private readonly logger: SeppLogger,
    private readonly clock: () => number = Date.now,
  ) {
    super();
  }

  /** Makes the configured peer list the truth: adds new ones, drops unconfigured ones that are not in use. */
  syncConfigured(fqdns: readonly string[]): void {
    const wanted = new Set(fqdns.map(normalizeFqdn));
    for (const fqdn of wanted) {
      const existing = this.records.get(fqdn);
      if (!existing) this.records.set(fqdn, { fqdn, configured: true, status: initialPeerStatus(this.clock()), negotiation: null });
      else if (!existing.configured) this.records.set(fqdn, { ...existing, configured: true });
    }
    for (const [fqdn, record] of this.records) {
      if (record.configured && !wanted.has(fqdn)) this.records.set(fqdn, { ...record, configured: false });
    }
  }

  get(fqdn: string): PeerRecord | undefined {
    return this.records.get(normalizeFqdn(fqdn));
  }

  list(): PeerRecord[] {
    return [...this.records.values()].sort((a, b) => a.fqdn.localeCompare(b.fqdn));
  }

  /**
   * Applies an event. A transition the state machine does not have is logged and ignored (the
   * record is returned unchanged): state must never be corrupted by an out-of-order event.
   */
  apply(fqdn: string, event: PeerEvent, negotiation?: NegotiationDetails | null): PeerRecord {
    const key = normalizeFqdn(fqdn);
    const before = this.records.get(key);
    const current: PeerRecord = before ?? { fqdn: key, configured: false, status: initialPeerStatus(this.clock()), negotiation: null };
    let status: PeerStatus;
    try {
      status = transition(current.status, event, this.clock());
    } catch (error) {
      if (!(error instanceof InvalidPeerTransition)) throw error;
      this.logger.warn({ peer: key, state: current.status.state, event: event.type }, 'ignored peer event');
      return current;
    }
    const after: PeerRecord = {
      ...current,
      status,
      negotiation: negotiation !== undefined ? negotiation : status.mechanism ? current.negotiation : null,
    };
    this.records.set(key, after);
    const log = status.state === 'failed' ? this.logger.warn.bind(this.logger) : this.logger.info.bind(this.logger);
    log(
      {
        peer: key,
        event: event.type,
        from: current.status.state,
        to: status.state,
        mechanism: status.mechanism,
        ...(event.type === 'NEGOTIATION_FAILED' ? { reason: event.reason, detail: event.detail } : {}),
      },
      'peer state',
    );
    const change: PeerChange = { before, after, event };
    this.emit('change', change);
    const watchers = this.watchers.get(key);
    if (watchers) for (const watcher of [...watchers]) watcher(change);
    return after;
  }

  /**
   * Calls `listener` on each change of one peer until the returned function is called. For
   * listeners that come and go with requests (one per request waiting for an agreement): any
   * number of them costs nothing to the other peers' changes and adds no `change` listener.
   */
  watch(fqdn: string, listener: (change: PeerChange) => void): () => void {
    const key = normalizeFqdn(fqdn);
    let watchers = this.watchers.get(key);
    if (!watchers) this.watchers.set(key, (watchers = new Set()));
    watchers.add(listener);
    return () => {
      watchers.delete(listener);
      if (watchers.size === 0 && this.watchers.get(key) === watchers) this.watchers.delete(key);
    };
  }

  /** How many listeners `watch` holds for a peer (requests waiting on it). */
  watching(fqdn: string): number {
    return this.watchers.get(normalizeFqdn(fqdn))?.size ?? 0;
  }

  /** Forgets a peer that is neither configured nor holding a mechanism. */
  forget(fqdn: string): void {
    const record = this.get(fqdn);
    if (record && !record.configured) this.records.delete(record.fqdn);
  }

  view(): PeerView[] {
    return this.list().map(({ fqdn, configured, status, negotiation }) => ({
      fqdn,
      configured,
      state: status.state,
      mechanism: status.mechanism,
      since: new Date(status.since).toISOString(),
      lastError: status.lastError
        ? { reason: status.lastError.reason, detail: status.lastError.detail, at: new Date(status.lastError.at).toISOString() }
        : null,
      attempts: status.attempts,
      negotiation,
    }));
  }
}
