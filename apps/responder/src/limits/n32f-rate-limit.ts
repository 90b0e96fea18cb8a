import type { Http2Session, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { isN32fProcessPath, isSeppApiPath } from '@sepp/protocol';
import { peerDnsNames, PeerRateLimiter, type FastPath, type SeppRuntime } from '@sepp/server';
import type { N32SessionsService } from '../n32c/n32-sessions.service';

/** One limiter per process, shared by the N32 and N32-f listeners: a peer has one budget. */
const limiters = new WeakMap<SeppRuntime, PeerRateLimiter>();

/**
 * The N32 listeners' fast path behind the per-peer N32-f rate limit (`limits.rateLimitPerPeer`,
 * `limits.rateLimitBurst`): an N32-f request (TLS mode or PRINS n32f-process) of a peer over its
 * budget is answered 429 `NF_CONGESTION_RISK` before `next` (the forwarder) sees it. The SEPP's own
 * APIs but n32f-process (N32-c, unknown resources) are not limited here (they go on to `next`,
 * which leaves them to Nest).
 *
 * The peer is the one whose agreement lives on the connection, else the configured peer the client
 * certificate names, else the certificate's first name: a budget per authenticated sender.
 */
export function rateLimitN32f(runtime: SeppRuntime, listener: string, sessions: N32SessionsService, next: FastPath): FastPath {
  let limiter = limiters.get(runtime);
  if (!limiter) {
    limiter = new PeerRateLimiter(runtime);
    limiters.set(runtime, limiter);
  }
  const known = new WeakMap<Http2Session, string>();
  const peerOf = (session: Http2Session): string => {
    const cached = known.get(session);
    if (cached) return cached;
    const bound = sessions.boundPeerOf(session);
    if (bound) {
      known.set(session, bound);
      return bound;
    }
    const names = peerDnsNames(session.socket as TLSSocket);
    const configured = names.find((name) => runtime.peers.get(name) !== undefined);
    if (configured) known.set(session, configured);
    return configured ?? names[0] ?? `address ${session.socket?.remoteAddress ?? 'unknown'}`;
  };
  return (stream: ServerHttp2Stream, headers) => {
    const path = headers[':path'] ?? '';
    const prins = isN32fProcessPath(path);
    if ((!prins && isSeppApiPath(path)) || !stream.session) return next(stream, headers);
    if (limiter.admit(stream, peerOf(stream.session), listener)) return next(stream, headers);
    runtime.metrics.observeN32f(prins ? 'PRINS' : 'TLS', 'inbound', 429, process.hrtime.bigint());
    return true;
  };
}
