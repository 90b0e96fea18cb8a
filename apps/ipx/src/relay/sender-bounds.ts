import { N32Error, N32ErrorCode } from '@sepp/protocol';
import {
  clientCertificateName,
  N32F_RATE_BUDGET,
  PeerInFlight,
  PeerRateLimiter,
  perPeerBound,
  RATE_LIMITED,
  refusalOfError,
  respondWithProblem,
  toProblem,
  type FastPath,
  type ListenerRuntime,
} from '@sepp/server';

/**
 * What one sending SEPP (the first name of its client certificate) may put through the relay, asked
 * for every message before the relay reads it, so one sender cannot take the relay from the others:
 *
 * - `limits.rateLimitPerPeer` / `rateLimitBurst` messages a second: over it, 429
 *   `NF_CONGESTION_RISK` with `retry-after`, as a SEPP's N32-f listener answers (abuse
 *   `rate-limited`, `RATE_LIMITED` in the sender's figures);
 * - `maxConcurrentPerSender` messages in flight (a bulkhead: from here until the message's stream
 *   closes, its answer relayed or not): over it, 429 `NF_CONGESTION_RISK` with `retry-after: 1`
 *   (`PEER_CONCURRENCY_EXCEEDED` in the sender's figures and the refusals); a message whose
 *   `3gpp-Sbi-Message-Priority` claims priority may go `limits.priorityReserve` beyond, as at a
 *   SEPP's `n32f.maxConcurrentPerPeer`. The counts are the status page's and
 *   `sepp_n32f_peer_in_flight{direction="inbound"}`.
 */
export function senderBounds(runtime: ListenerRuntime, bounds: { readonly maxConcurrentPerSender: number; readonly bodyLimit: number }, relay: FastPath): FastPath {
  const { maxConcurrentPerSender, bodyLimit } = bounds;
  const limiter = new PeerRateLimiter(runtime, N32F_RATE_BUDGET);
  const inFlight = new PeerInFlight();
  runtime.metrics.traffic.followInFlight('inbound', () => inFlight.counts);
  return (stream, headers) => {
    const sender = clientCertificateName({ raw: { stream } }) ?? `address ${stream.session?.socket?.remoteAddress ?? 'unknown'}`;
    if (!limiter.admit(stream, sender, 'n32f')) {
      runtime.metrics.traffic.record(sender, 'inbound', 'refused', RATE_LIMITED, 0);
      return true;
    }
    const limits = runtime.config.current.limits;
    const max = perPeerBound(maxConcurrentPerSender, headers, limits);
    if (!inFlight.tryTake(sender, max)) {
      const error = new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${sender} has ${inFlight.count(sender)} messages in flight through the relay (limit ${max})`);
      // What is still arriving of its body is read and dropped (up to the relay's body limit): no reset races the sender's writes.
      respondWithProblem(stream, error, 0, {}, bodyLimit);
      const { category, cause, detail } = refusalOfError(error, toProblem(error, 0));
      runtime.metrics.refuse({ category, cause, listener: 'n32f', peer: sender, remoteAddress: stream.session?.socket?.remoteAddress, detail });
      runtime.metrics.traffic.record(sender, 'inbound', 'refused', cause, 0);
      return true;
    }
    stream.once('close', () => inFlight.release(sender));
    return relay(stream, headers);
  };
}
