import type { Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { ClusterViewService, peerDnsNames, PeerRegistry, SEPP_LOGGER, type SeppLogger, type StatusConnection } from '@sepp/server';

/** Grace for a peer to finish reading our last answer before its connection is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/** One mutually authenticated HTTP/2 connection on an N32 listener, as operators see it. */
export interface N32ConnectionView {
  id: number;
  listener: string;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** SAN dNSNames of the client certificate. */
  certificate: readonly string[];
  /** The peer whose agreement lives on this connection (N32-c), or that sends N32-f on it. */
  peer: string | null;
  n32cRequests: number;
  n32fRequests: number;
  since: string;
}

interface Tracked {
  readonly id: number;
  readonly listener: string;
  // Read when the connection arrives: once a session is destroyed its socket can no longer be
  // asked (ERR_HTTP2_SOCKET_UNBOUND), and it stays listed until its 'close' event.
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly certificate: readonly string[];
  readonly since: number;
  peer: string | null;
  n32cRequests: number;
  n32fRequests: number;
}

/**
 * The N32 connections of this SEPP and which peer's agreed mechanism lives on which one. A TLS-mode
 * agreement belongs to its connection (TS 33.501 13.5): a peer may hold several (the replicas of a
 * clustered initiating SEPP each negotiate on their own); when the last of them ends, the peer has
 * no agreed mechanism any more (TLS mode lives as long as its connection). That includes a connection
 * the responder opened itself to renegotiate (RenegotiationService).
 */
@Injectable()
export class N32SessionsService {
  private readonly bound = new Map<Http2Session, string>();
  private readonly tracked = new Map<Http2Session, Tracked>();
  private nextId = 1;

  constructor(
    private readonly peers: PeerRegistry,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
    cluster: ClusterViewService,
  ) {
    cluster.useConnections((peer) => this.connectionsOf(peer));
  }

  /** Registers a new connection of a listener (called for every HTTP/2 session). */
  track(session: Http2Session, listener: string): void {
    const socket = session.socket as TLSSocket;
    const info: Tracked = {
      id: this.nextId++,
      listener,
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      certificate: peerDnsNames(socket),
      since: Date.now(),
      peer: null,
      n32cRequests: 0,
      n32fRequests: 0,
    };
    this.tracked.set(session, info);
    session.once('close', () => {
      this.tracked.delete(session);
      this.released(session);
    });
  }

  /** A connection ended: the agreement on it ends; the peer loses it when it was its last one. */
  private released(session: Http2Session): void {
    const peer = this.bound.get(session);
    if (peer === undefined) return;
    this.bound.delete(session);
    if (this.agreedConnections(peer) === 0) this.peers.apply(peer, { type: 'CONNECTION_LOST' });
  }

  /** Binds a peer's agreed mechanism to the connection it was negotiated on. */
  bind(peer: string, session: Http2Session): void {
    this.bound.set(session, peer);
    const info = this.tracked.get(session);
    if (info) info.peer = peer;
  }

  /**
   * Binds a peer's agreed mechanism to a connection we opened to it (our own renegotiation): like
   * an inbound one, the agreement ends with that connection.
   */
  bindOutbound(peer: string, session: Http2Session): void {
    this.bound.set(session, peer);
    session.once('close', () => this.released(session));
  }

  /** How many open connections carry an agreement with this peer. */
  agreedConnections(peer: string): number {
    let count = 0;
    for (const bound of this.bound.values()) if (bound === peer) count += 1;
    return count;
  }

  /** The peer bound to this connection through N32-c, if any. */
  boundPeerOf(session: Http2Session): string | undefined {
    return this.bound.get(session);
  }

  /** Forgets the agreement on this connection (or, without one, all of the peer's) without a CONNECTION_LOST. */
  unbind(peer: string, session?: Http2Session): void {
    if (session) {
      if (this.bound.get(session) === peer) this.bound.delete(session);
      return;
    }
    for (const [candidate, bound] of this.bound) if (bound === peer) this.bound.delete(candidate);
  }

  /** This replica's N32 connections with a peer (the cluster view). */
  connectionsOf(peer: string): { agreed: number; n32fConnections: number } {
    let n32f = 0;
    for (const info of this.tracked.values()) if (info.peer === peer && info.n32fRequests > 0) n32f += 1;
    return { agreed: this.agreedConnections(peer), n32fConnections: n32f };
  }

  countN32c(session: Http2Session): void {
    const info = this.tracked.get(session);
    if (info) info.n32cRequests += 1;
  }

  countN32f(session: Http2Session, peer: string): void {
    const info = this.tracked.get(session);
    if (!info) return;
    info.n32fRequests += 1;
    info.peer ??= peer;
  }

  /**
   * Terminates a connection after the current answer is written (N32-DIGEST §8.3): GOAWAY
   * (NO_ERROR, last stream = the one just answered), then TLS close_notify and TCP close.
   */
  closeAfterAnswer(session: Http2Session, peer: string, reason: string): void {
    this.logger.info({ peer, reason }, 'closing the N32 connection');
    const timer = setTimeout(() => session.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    session.once('close', () => clearTimeout(timer));
    session.close();
  }

  /** The inbound connections as the status page lists them. */
  statusConnections(): StatusConnection[] {
    return this.view().map((view) => ({
      peer: view.peer,
      purpose: view.listener === 'n32f' ? 'n32f' : 'n32c',
      direction: 'inbound',
      listener: view.listener,
      remote: `${view.remoteAddress ?? '?'}:${view.remotePort ?? '?'}`,
      since: view.since,
      certificate: view.certificate,
      n32cRequests: view.n32cRequests,
      n32fRequests: view.n32fRequests,
    }));
  }

  view(): N32ConnectionView[] {
    return [...this.tracked.values()].map((info) => ({
      id: info.id,
      listener: info.listener,
      remoteAddress: info.remoteAddress,
      remotePort: info.remotePort,
      certificate: info.certificate,
      peer: info.peer,
      n32cRequests: info.n32cRequests,
      n32fRequests: info.n32fRequests,
      since: new Date(info.since).toISOString(),
    }));
  }
}
