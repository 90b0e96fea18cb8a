import type { N32Mechanism } from '../models/security-capability';

/**
 * The per-peer N32 state machine as data (N32-DIGEST §8.2). Both apps keep one {@link PeerStatus}
 * per roaming partner and change it only through {@link transition}, so every path a peer can
 * take is visible in {@link PEER_TRANSITIONS}.
 */
export type PeerN32State = 'idle' | 'negotiating' | 'renegotiating' | 'tls-established' | 'prins-selected' | 'prins-established' | 'terminated' | 'failed';

export const PEER_N32_STATES: readonly PeerN32State[] = [
  'idle',
  'negotiating',
  'renegotiating',
  'tls-established',
  'prins-selected',
  'prins-established',
  'terminated',
  'failed',
];

/** Why a peer is in `failed` (or why the last attempt went wrong). */
export const PeerFailureReason = {
  NO_COMMON_MECHANISM: 'NO_COMMON_MECHANISM',
  UNKNOWN_MECHANISM: 'UNKNOWN_MECHANISM',
  NOT_OFFERED: 'NOT_OFFERED',
  POLICY_VIOLATION: 'POLICY_VIOLATION',
  /** The peer answered with an error status (for example Open5GS's 400). */
  PEER_REJECTED: 'PEER_REJECTED',
  /** The peer's answer is not a valid SecNegotiateRspData. */
  INVALID_RESPONSE: 'INVALID_RESPONSE',
  /** The peer's certificate does not prove the `sender` it answered with. */
  IDENTITY_MISMATCH: 'IDENTITY_MISMATCH',
  /** TCP or TLS could not be set up (refused, handshake failure, bad certificate). */
  CONNECTION_FAILED: 'CONNECTION_FAILED',
  /** The connection went away during the negotiation. */
  CONNECTION_LOST: 'CONNECTION_LOST',
  TIMEOUT: 'TIMEOUT',
  /** PRINS parameter exchange failed (cipher suites, context id, key export). */
  PARAMETER_EXCHANGE_FAILED: 'PARAMETER_EXCHANGE_FAILED',
  /** The peer's protection policy does not match ours (and mismatches are refused). */
  POLICY_MISMATCH: 'POLICY_MISMATCH',
} as const;
export type PeerFailureReason = (typeof PeerFailureReason)[keyof typeof PeerFailureReason];

export type PeerEvent =
  | { readonly type: 'NEGOTIATION_STARTED' }
  /**
   * The receiving SEPP got N32-f from the peer without an agreed mechanism and negotiates itself,
   * as initiating SEPP, toward the peer's N32-c address (TS 33.501 13.5: a SEPP renegotiates when
   * it has no agreed mechanism with a peer). Bounded: it ends with the outcome of that one
   * exchange-capability (agreed, failed, connection lost), or earlier with the peer's own handshake.
   */
  | { readonly type: 'RENEGOTIATION_STARTED' }
  | { readonly type: 'MECHANISM_SELECTED'; readonly mechanism: N32Mechanism }
  /** PRINS: exchange-params done and N32-f keys derived (TS 33.501 13.2.2.2). */
  | { readonly type: 'PARAMETERS_EXCHANGED' }
  /** PRINS: the N32-f context was terminated (n32f-terminate) while N32-c stays. */
  | { readonly type: 'CONTEXT_TERMINATED' }
  | { readonly type: 'NEGOTIATION_FAILED'; readonly reason: PeerFailureReason; readonly detail: string }
  | { readonly type: 'CONNECTION_LOST' }
  | { readonly type: 'RELEASED' };
export type PeerEventType = PeerEvent['type'];

export interface PeerError {
  readonly reason: PeerFailureReason;
  readonly detail: string;
  readonly at: number;
}

export interface PeerStatus {
  readonly state: PeerN32State;
  /** The agreed mechanism while one is agreed, otherwise null. */
  readonly mechanism: N32Mechanism | null;
  /** When the peer entered `state` (ms since the epoch). */
  readonly since: number;
  readonly lastError: PeerError | null;
  /** Negotiations started since the last success (reset when a mechanism is agreed). */
  readonly attempts: number;
}

/** Target state per (state, event). A missing entry is a transition that cannot happen. */
export const PEER_TRANSITIONS: Readonly<Record<PeerN32State, Partial<Record<PeerEventType, PeerN32State | 'by-mechanism'>>>> = {
  idle: { NEGOTIATION_STARTED: 'negotiating', RENEGOTIATION_STARTED: 'renegotiating', CONNECTION_LOST: 'idle', RELEASED: 'terminated' },
  negotiating: {
    NEGOTIATION_STARTED: 'negotiating',
    MECHANISM_SELECTED: 'by-mechanism',
    NEGOTIATION_FAILED: 'failed',
    CONNECTION_LOST: 'failed',
    RELEASED: 'terminated',
  },
  // Our own exchange-capability toward the peer is running; the peer's own handshake takes over.
  renegotiating: {
    NEGOTIATION_STARTED: 'negotiating',
    MECHANISM_SELECTED: 'by-mechanism',
    NEGOTIATION_FAILED: 'failed',
    CONNECTION_LOST: 'failed',
    RELEASED: 'terminated',
  },
  'tls-established': { NEGOTIATION_STARTED: 'negotiating', CONNECTION_LOST: 'idle', RELEASED: 'terminated' },
  'prins-selected': {
    NEGOTIATION_STARTED: 'negotiating',
    PARAMETERS_EXCHANGED: 'prins-established',
    NEGOTIATION_FAILED: 'failed',
    CONNECTION_LOST: 'idle',
    RELEASED: 'terminated',
  },
  // The N32-f context outlives the N32-c connection it was set up on (TS 33.501 13.2.2.2 step 6).
  'prins-established': {
    NEGOTIATION_STARTED: 'negotiating',
    PARAMETERS_EXCHANGED: 'prins-established',
    CONTEXT_TERMINATED: 'prins-selected',
    CONNECTION_LOST: 'prins-established',
    RELEASED: 'terminated',
  },
  terminated: { NEGOTIATION_STARTED: 'negotiating', RENEGOTIATION_STARTED: 'renegotiating', CONNECTION_LOST: 'terminated', RELEASED: 'terminated' },
  failed: { NEGOTIATION_STARTED: 'negotiating', RENEGOTIATION_STARTED: 'renegotiating', CONNECTION_LOST: 'failed', RELEASED: 'terminated' },
};

export class InvalidPeerTransition extends Error {
  override readonly name = 'InvalidPeerTransition';
  readonly code = 'INVALID_PEER_TRANSITION';
  constructor(
    readonly from: PeerN32State,
    readonly event: PeerEventType,
  ) {
    super(`no transition from ${from} on ${event}`);
  }
}

export function initialPeerStatus(now: number): PeerStatus {
  return { state: 'idle', mechanism: null, since: now, lastError: null, attempts: 0 };
}

export function canTransition(state: PeerN32State, event: PeerEventType): boolean {
  return PEER_TRANSITIONS[state][event] !== undefined;
}

/** The next status, or an {@link InvalidPeerTransition} for a transition the table lacks. */
export function transition(status: PeerStatus, event: PeerEvent, now: number): PeerStatus {
  const target = PEER_TRANSITIONS[status.state][event.type];
  if (target === undefined) throw new InvalidPeerTransition(status.state, event.type);
  const since = (state: PeerN32State): number => (state === status.state ? status.since : now);

  switch (event.type) {
    case 'NEGOTIATION_STARTED':
      return { ...status, state: 'negotiating', since: since('negotiating'), attempts: status.attempts + 1 };
    case 'RENEGOTIATION_STARTED':
      return { ...status, state: 'renegotiating', since: now, attempts: status.attempts + 1 };
    case 'MECHANISM_SELECTED': {
      const state: PeerN32State = event.mechanism === 'TLS' ? 'tls-established' : 'prins-selected';
      return { state, mechanism: event.mechanism, since: now, lastError: null, attempts: 0 };
    }
    case 'PARAMETERS_EXCHANGED':
      return { ...status, state: 'prins-established', mechanism: 'PRINS', since: since('prins-established'), lastError: null, attempts: 0 };
    case 'CONTEXT_TERMINATED':
      return { ...status, state: 'prins-selected', since: now };
    case 'NEGOTIATION_FAILED':
      return {
        ...status,
        state: 'failed',
        mechanism: null,
        since: now,
        lastError: { reason: event.reason, detail: event.detail, at: now },
      };
    case 'CONNECTION_LOST': {
      const state = target as PeerN32State;
      if (state === 'prins-established') return status;
      const lastError =
        status.state === 'negotiating' || status.state === 'renegotiating'
          ? { reason: PeerFailureReason.CONNECTION_LOST, detail: 'the connection closed during the negotiation', at: now }
          : status.lastError;
      return { ...status, state, mechanism: null, since: since(state), lastError };
    }
    case 'RELEASED':
      return { ...status, state: 'terminated', mechanism: null, since: since('terminated') };
  }
}

/** Whether a negotiation with the peer is running (its own, or ours toward it). */
export function isNegotiating(status: PeerStatus): boolean {
  return status.state === 'negotiating' || status.state === 'renegotiating';
}

/** Whether N32 has an agreed mechanism with this peer. */
export function hasAgreedMechanism(status: PeerStatus): boolean {
  return status.state === 'tls-established' || status.state === 'prins-selected' || status.state === 'prins-established';
}
