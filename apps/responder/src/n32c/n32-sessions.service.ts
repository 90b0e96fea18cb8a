import type { Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { peerDnsNames, PeerRegistry, SEPP_LOGGER, type SeppLogger } from '@sepp/server';

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
 * The N32 connections of this SEPP and which peer's agreed mechanism lives on which one. When
 * that connection ends, the peer has no agreed mechanism any more (TLS mode lives as long as its
 * connection); a connection superseded by a renegotiation on another one ends without effect.
 */
@Injectable()
export class N32SessionsService {
  private readonly byPeer = new Map<string, Http2Session>();
  private readonly tracked = new Map<Http2Session, Tracked>();
  private nextId = 1;

  constructor(
    private readonly peers: PeerRegistry,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

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
      for (const [fqdn, bound] of this.byPeer) {
        if (bound !== session) continue;
        this.byPeer.delete(fqdn);
        this.peers.apply(fqdn, { type: 'CONNECTION_LOST' });
      }
    });
  }

  /** Binds a peer's agreed mechanism to the connection it was negotiated on. */
  bind(peer: string, session: Http2Session): void {
    this.byPeer.set(peer, session);
    const info = this.tracked.get(session);
    if (info) info.peer = peer;
  }

  /**
   * Binds a peer's agreed mechanism to a connection we opened to it (our own renegotiation): when
   * that connection ends while it still holds the agreement, the peer has none any more.
   */
  bindOutbound(peer: string, session: Http2Session): void {
    this.byPeer.set(peer, session);
    session.once('close', () => {
      if (this.byPeer.get(peer) !== session) return;
      this.byPeer.delete(peer);
      this.peers.apply(peer, { type: 'CONNECTION_LOST' });
    });
  }

  /** The connection a peer's agreed mechanism lives on, if any. */
  sessionOf(peer: string): Http2Session | undefined {
    return this.byPeer.get(peer);
  }

  /** The peer bound to this connection through N32-c, if any. */
  boundPeerOf(session: Http2Session): string | undefined {
    for (const [fqdn, bound] of this.byPeer) if (bound === session) return fqdn;
    return undefined;
  }

  /** Forgets the binding without a CONNECTION_LOST (the peer was released or failed on purpose). */
  unbind(peer: string): void {
    this.byPeer.delete(peer);
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
