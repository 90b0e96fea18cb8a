import type { ClientHttp2Session } from 'node:http2';

/** Why a watched session was given up. */
export type SessionGivenUp = 'not-up' | 'unresponsive';

export interface SessionWatchOptions {
  /** The session must be up (TLS and HTTP/2 SETTINGS) within this. */
  readonly connectTimeoutMs: number;
  /** HTTP/2 PING period once it is up; a PING without its ACK within it gives the session up (0: no PINGs). */
  readonly keepaliveMs: number;
  /** Called once when the session is given up (destroyed), before its streams fail. */
  readonly onGivenUp: (reason: SessionGivenUp) => void;
}

/**
 * Gives up a client session whose far end stopped answering without closing the connection (a
 * host gone without a FIN, a middlebox that dropped the flow): not up within `connectTimeoutMs`,
 * or a PING without its ACK for `keepaliveMs`. It is destroyed, so its streams fail at once
 * (`exchangeBuffered`: N32_CONNECTION_LOST, never an answer) and the owner's next request opens a
 * new session; without this every request on it would wait for its own timeout until TCP gives
 * up, minutes later. A session closing gracefully (our close, the far end's GOAWAY) is left to
 * finish its streams. The timers are unref'd and end with the session.
 */
export function watchClientSession(session: ClientHttp2Session, options: SessionWatchOptions): void {
  const giveUp = (reason: SessionGivenUp): void => {
    if (session.destroyed) return;
    options.onGivenUp(reason);
    session.destroy();
  };
  const connecting = setTimeout(() => {
    if (session.connecting) giveUp('not-up');
  }, options.connectTimeoutMs);
  connecting.unref();
  session.once('connect', () => clearTimeout(connecting));
  let keepalive: NodeJS.Timeout | undefined;
  if (options.keepaliveMs > 0) {
    let pinging = false;
    keepalive = setInterval(() => {
      if (pinging || session.connecting || session.closed || session.destroyed) return;
      pinging = true;
      const deadline = setTimeout(() => {
        if (!session.closed) giveUp('unresponsive');
      }, options.keepaliveMs);
      deadline.unref();
      session.ping((error) => {
        pinging = false;
        clearTimeout(deadline);
        if (error && !session.closed) giveUp('unresponsive');
      });
    }, options.keepaliveMs);
    keepalive.unref();
  }
  session.once('close', () => {
    clearTimeout(connecting);
    if (keepalive) clearInterval(keepalive);
  });
}
