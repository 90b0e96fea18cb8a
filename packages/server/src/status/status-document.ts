import type { PlmnIdValue } from '@sepp/protocol';
import type { PeerView } from '../peers/peer-registry.service';
import type { N32fContextView } from '../prins/n32f-contexts.service';
import type { TrafficDirection, TrafficView } from './n32f-traffic';
import type { CertificatesStatusView } from './certificates-view';
import type { ListenerLoadView } from './listener-load';
import type { RefusalView } from './refusal-log';
import type { TimelineEntry } from './peer-timeline';

/** GET /admin/status: the one JSON document the status page polls, and scripts may too. */
export const STATUS_JSON_PATH = 'admin/status';

/** One N32 connection of this process, as the status page lists it under its peer. */
export interface StatusConnection {
  /** The peer it serves (null: not yet known, e.g. a connection that has not negotiated). */
  readonly peer: string | null;
  /** What it carries: `n32c` (N32-c, and N32-f in shared mode), `n32f` (dedicated N32-f), `ipx` (N32-f to the IPX relay). */
  readonly purpose: 'n32c' | 'n32f' | 'ipx';
  /** inbound: the peer dialled one of our listeners; outbound: we dialled. */
  readonly direction: 'inbound' | 'outbound';
  /** The listener an inbound connection came to. */
  readonly listener: string | null;
  /** host:port of the other end. */
  readonly remote: string;
  readonly since: string | null;
  /** The other end's certificate names (inbound). */
  readonly certificate: readonly string[];
  readonly n32cRequests: number | null;
  readonly n32fRequests: number | null;
}

/** What an app provides (under {@link STATUS_CONNECTIONS}) for its N32 connections to show. */
export interface StatusConnectionSource {
  statusConnections(): StatusConnection[];
}

/** Injection token of the app's {@link StatusConnectionSource} (optional). */
export const STATUS_CONNECTIONS = Symbol('STATUS_CONNECTIONS');

/**
 * The admin actions of this app (POST, on the admin listener, behind the same protection as every
 * admin route); `{fqdn}` stands for the peer. Null: this app has no such action.
 */
export interface StatusActions {
  /** Negotiate with every peer now. */
  readonly renegotiate: string | null;
  /** Release N32 with one peer (["NONE"]) and hold it released until renegotiate. */
  readonly release: string | null;
  /** Tear the peer's N32-f (PRINS) context down on both sides (n32f-terminate). */
  readonly terminate: string | null;
}

export interface PeerStatusView extends PeerView {
  /** The configured PLMNs of the peer, else those it announced. */
  readonly plmns: readonly PlmnIdValue[];
  readonly connections: readonly StatusConnection[];
  /** PRINS: the N32-f context with this peer (IDs, suite, keyCheck, messages, RIs; never keys). */
  readonly context: N32fContextView | null;
  /** The last transitions of its N32 state machine, newest first. */
  readonly timeline: readonly TimelineEntry[];
  readonly traffic: Readonly<Record<TrafficDirection, TrafficView>>;
}

/** The IPX relay: where it forwards, its rules, and the N32-f it relayed per sending SEPP. */
export interface RelayStatusView {
  readonly identity: string;
  readonly next: { readonly fqdn: string; readonly address: string };
  readonly rules: readonly { readonly name: string | null; readonly direction: string }[];
  readonly senders: readonly { readonly peer: string; readonly traffic: TrafficView }[];
}

/** The N32 state store: which, whether it answers (and why not), commands it did not answer since start. */
export interface StoreStatusView {
  readonly name: string;
  readonly up: boolean;
  readonly detail: string;
  readonly failures: number;
}

export interface StatusDocument {
  readonly app: string;
  readonly role: 'responder' | 'initiator' | 'ipx';
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
  readonly now: string;
  readonly startedAt: string;
  readonly ready: boolean;
  readonly listeners: Readonly<Record<string, 'up' | 'down'>>;
  /** Per listener with an overload bound (none on the IPX relay), what it holds against it. */
  readonly load: Readonly<Record<string, ListenerLoadView>>;
  /** The N32 state store (null: the IPX relay keeps none). */
  readonly store: StoreStatusView | null;
  /** Certificates and CRLs with their expiry (null: the IPX relay). */
  readonly certificates: CertificatesStatusView | null;
  /** Seconds the traffic figures cover, seconds the rate is averaged over, minutes of refusals kept. */
  readonly window: { readonly trafficSeconds: number; readonly rateSeconds: number; readonly refusalMinutes: number };
  readonly actions: StatusActions;
  readonly peers: readonly PeerStatusView[];
  /** N32-f traffic refused before its sender was identified. */
  readonly unidentified: Readonly<Record<TrafficDirection, TrafficView>> | null;
  readonly refusals: readonly RefusalView[];
  readonly relay: RelayStatusView | null;
}

export const NO_ACTIONS: StatusActions = { renegotiate: null, release: null, terminate: null };
