import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import { isN32cHandshakePath, isN32fProcessPath, isSeppApiPath } from '@sepp/protocol';
import { certificatePeer, N32C_RATE_BUDGET, N32F_RATE_BUDGET, PeerRateLimiter, RATE_LIMITED, type FastPath, type SeppRuntime } from '@sepp/server';
import type { N32SessionsService } from '../n32c/n32-sessions.service';

/** The limiters of one process, shared by the N32 and N32-f listeners: a peer has one budget of each. */
const limiters = new WeakMap<SeppRuntime, { n32f: PeerRateLimiter; n32c: PeerRateLimiter }>();

/**
 * The N32 listeners' fast path behind the per-peer rate limits, two budgets apart:
 *
 * - N32-f (`limits.rateLimitPerPeer`, `limits.rateLimitBurst`): a TLS-mode or PRINS n32f-process
 *   request of a peer over its budget is answered 429 `NF_CONGESTION_RISK` before `next` (the
 *   forwarder) sees it, and counts in the status page's N32-f figures;
 * - N32-c (`limits.n32cRateLimitPerPeer`, `limits.n32cRateLimitBurst`): any request under
 *   `/n32c-handshake/` (exchange-capability, exchange-params, n32f-terminate, n32f-error, and
 *   whatever else a peer posts there) over the budget is answered 429 `NF_CONGESTION_RISK` before
 *   the N32-c fast path or Nest sees it: a peer repeating negotiations or parameter exchanges (each
 *   a TLS exporter and an N32-KDF) cannot take the process's CPU.
 *
 * The other paths of the SEPP's own APIs (the telescopic mapping API, unknown resources) are not
 * limited here (they go on to `next`, which leaves them to Nest).
 *
 * The peer is the one whose agreement lives on the connection, else the configured peer the client
 * certificate names, else the certificate's first name: a budget per authenticated sender.
 */
export function rateLimitN32(runtime: SeppRuntime, listener: string, sessions: N32SessionsService, next: FastPath): FastPath {
  let limiter = limiters.get(runtime);
  if (!limiter) {
    limiter = { n32f: new PeerRateLimiter(runtime, N32F_RATE_BUDGET), n32c: new PeerRateLimiter(runtime, N32C_RATE_BUDGET) };
    limiters.set(runtime, limiter);
  }
  const { n32f, n32c } = limiter;
  const known = new WeakMap<Http2Session, string>();
  const peerOf = (session: Http2Session): string => {
    const cached = known.get(session);
    if (cached) return cached;
    const bound = sessions.boundPeerOf(session);
    if (bound) {
      known.set(session, bound);
      return bound;
    }
    const { peer, configured } = certificatePeer(runtime, session);
    if (configured) known.set(session, peer);
    return peer;
  };
  return (stream: ServerHttp2Stream, headers) => {
    const path = headers[':path'] ?? '';
    if (!stream.session) return next(stream, headers);
    const prins = isN32fProcessPath(path);
    if (!prins && isSeppApiPath(path)) {
      // Refused here: taken (true), the 429 is written.
      return isN32cHandshakePath(path) && !n32c.admit(stream, peerOf(stream.session), listener) ? true : next(stream, headers);
    }
    const peer = peerOf(stream.session);
    if (n32f.admit(stream, peer, listener)) return next(stream, headers);
    runtime.metrics.observeN32f(prins ? 'PRINS' : 'TLS', 'inbound', 429, process.hrtime.bigint(), peer, RATE_LIMITED);
    return true;
  };
}
