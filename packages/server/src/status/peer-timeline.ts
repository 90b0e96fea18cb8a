import { hasAgreedMechanism, type PeerEventType, type PeerN32State } from '@sepp/protocol';
import type { PeerChange, PeerRegistry } from '../peers/peer-registry.service';

/**
 * What a transition of the peer state machine means to an operator: a negotiation `offered` (or
 * `renegotiated`: while a mechanism was agreed, or by the receiving SEPP toward a peer that sent
 * N32-f without an agreement), a mechanism `selected`, the PRINS context set up
 * or torn down, a negotiation `refused` (no common mechanism, a bad answer, a connection that
 * failed...), an agreement `lost` with its connection, N32 `released`.
 */
export type TimelineKind = 'offered' | 'renegotiated' | 'selected' | 'context-established' | 'context-terminated' | 'refused' | 'lost' | 'released';

export interface TimelineEntry {
  /** The last time it happened (see `count`). */
  at: string;
  /** The first time, when it repeated. */
  first: string;
  /** How often in a row: a peer that keeps failing the same way (offered, refused, offered...) gives entries with a count, not a flood. */
  count: number;
  kind: TimelineKind;
  event: PeerEventType;
  from: PeerN32State | null;
  to: PeerN32State;
  mechanism: string | null;
  /** Why: the failure reason, or the responder's selection reason. */
  reason: string | null;
  detail: string | null;
  /** The mechanisms offered, in the initiator's order (negotiation starts). */
  offered: string[] | null;
  handshakeId: string | null;
}

/** Entries kept per peer. */
export const TIMELINE_LENGTH = 20;
/** Peers kept; the one changed longest ago goes first. */
const MAX_PEERS = 1024;
const OFFERED_MAX = 8;
const TEXT_MAX = 300;

function kindOf({ before, after, event }: PeerChange): TimelineKind {
  switch (event.type) {
    case 'NEGOTIATION_STARTED':
      return before && hasAgreedMechanism(before.status) ? 'renegotiated' : 'offered';
    // The receiving SEPP negotiating itself with a peer that sent N32-f without an agreement.
    case 'RENEGOTIATION_STARTED':
      return 'renegotiated';
    case 'MECHANISM_SELECTED':
      return 'selected';
    case 'PARAMETERS_EXCHANGED':
      return 'context-established';
    case 'CONTEXT_TERMINATED':
      return 'context-terminated';
    case 'NEGOTIATION_FAILED':
      return 'refused';
    case 'CONNECTION_LOST':
      return after.status.state === 'failed' ? 'refused' : 'lost';
    case 'RELEASED':
      return 'released';
  }
}

function entryOf(change: PeerChange, now: number): TimelineEntry {
  const { before, after, event } = change;
  const failure = event.type === 'NEGOTIATION_FAILED' ? { reason: event.reason, detail: event.detail } : null;
  // A lost connection during a negotiation fails it: the state machine records why.
  const lost = event.type === 'CONNECTION_LOST' && after.status.state === 'failed' ? after.status.lastError : null;
  const kept = event.type === 'CONNECTION_LOST' && after.status.state === 'prins-established' ? 'the N32-c connection closed; the N32-f context stays' : null;
  const selected = event.type === 'MECHANISM_SELECTED' || event.type === 'PARAMETERS_EXCHANGED' ? after.negotiation : null;
  const at = new Date(now).toISOString();
  return {
    at,
    first: at,
    count: 1,
    kind: kindOf(change),
    event: event.type,
    from: before?.status.state ?? null,
    to: after.status.state,
    mechanism: after.status.mechanism,
    reason: failure?.reason ?? lost?.reason ?? selected?.selectionReason ?? null,
    detail: (failure?.detail ?? lost?.detail ?? kept ?? (event.type === 'PARAMETERS_EXCHANGED' && selected?.jweCipherSuite ? `N32-f context, JWE ${selected.jweCipherSuite}` : null))?.slice(0, TEXT_MAX) ?? null,
    offered: (event.type === 'NEGOTIATION_STARTED' || event.type === 'RENEGOTIATION_STARTED') && event.offered ? event.offered.slice(0, OFFERED_MAX).map((item) => String(item).slice(0, 32)) : null,
    handshakeId: selected?.handshakeId ?? null,
  };
}

/**
 * The last {@link TIMELINE_LENGTH} transitions of each peer's N32 state machine, fed by the peer
 * registry's `change` events (so by `transition` of the protocol state machine only), newest
 * first. Bounded: per peer, and in the number of peers.
 */
export class PeerTimeline {
  private readonly byPeer = new Map<string, TimelineEntry[]>();

  constructor(
    private readonly length = TIMELINE_LENGTH,
    private readonly clock: () => number = Date.now,
  ) {}

  follow(registry: PeerRegistry): void {
    registry.on('change', (change) => this.append(change));
  }

  append(change: PeerChange): void {
    const fqdn = change.after.fqdn;
    const entries = this.byPeer.get(fqdn) ?? [];
    // Most recently changed last: the first one is the one to drop.
    this.byPeer.delete(fqdn);
    this.byPeer.set(fqdn, entries);
    const entry = entryOf(change, this.clock());
    // The same transition again (a loop of one or two: retries that fail alike) counts on its entry.
    const again = [0, 1].find((index) => entries[index] !== undefined && sameTransition(entries[index], entry));
    if (again !== undefined) {
      const [repeated] = entries.splice(again, 1);
      entries.unshift({ ...repeated!, at: entry.at, count: repeated!.count + 1 });
    } else {
      entries.unshift(entry);
    }
    if (entries.length > this.length) entries.length = this.length;
    if (this.byPeer.size > MAX_PEERS) this.byPeer.delete(this.byPeer.keys().next().value!);
  }

  of(fqdn: string): TimelineEntry[] {
    return [...(this.byPeer.get(fqdn) ?? [])];
  }
}

function sameTransition(a: TimelineEntry, b: TimelineEntry): boolean {
  return (
    a.kind === b.kind &&
    a.event === b.event &&
    a.from === b.from &&
    a.to === b.to &&
    a.mechanism === b.mechanism &&
    a.reason === b.reason &&
    a.detail === b.detail &&
    a.handshakeId === b.handshakeId &&
    (a.offered ?? []).join() === (b.offered ?? []).join()
  );
}
