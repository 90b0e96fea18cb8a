import { Inject, Injectable } from '@nestjs/common';
import type { Http2Session } from 'node:http2';
import { PeerRegistry, SEPP_LOGGER, type SeppLogger } from '@sepp/server';

/** Grace for a peer to finish reading our last answer before its connection is destroyed. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Which HTTP/2 session (= which mutually authenticated TLS connection) carries each peer's agreed
 * mechanism. When that session ends, the peer has no agreed mechanism any more (TLS mode lives as
 * long as its connection); a session that was superseded by a renegotiation on a new connection
 * ends without effect.
 */
@Injectable()
export class N32SessionsService {
  private readonly byPeer = new Map<string, Http2Session>();
  private readonly watched = new WeakSet<Http2Session>();

  constructor(
    private readonly peers: PeerRegistry,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  bind(peer: string, session: Http2Session): void {
    this.byPeer.set(peer, session);
    if (this.watched.has(session)) return;
    this.watched.add(session);
    session.once('close', () => {
      for (const [fqdn, bound] of this.byPeer) {
        if (bound !== session) continue;
        this.byPeer.delete(fqdn);
        this.peers.apply(fqdn, { type: 'CONNECTION_LOST' });
      }
    });
  }

  /** The session a peer's agreed mechanism lives on, if any. */
  sessionOf(peer: string): Http2Session | undefined {
    return this.byPeer.get(peer);
  }

  /** Forgets the binding without a CONNECTION_LOST (the peer was released or failed on purpose). */
  unbind(peer: string): void {
    this.byPeer.delete(peer);
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
}
