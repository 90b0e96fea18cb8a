import type { Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { isN32cHandshakePath, N32Error, N32ErrorCode } from '@sepp/protocol';
import { PROBLEM_JSON } from '../problem/problem-details.filter';
import { toProblem } from '../problem/to-problem';
import type { LimitsSettings } from '../config/limits-config';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import type { ListenerRuntime } from './listener-runtime';
import { logAbuseRefusals, recordAbuse, type AbuseKind } from './abuse';
import { OnceASecond } from './once-a-second';
import { TokenBucket } from './token-bucket';
import { endWithBody } from '../n32f/buffered';
import { peerDnsNames } from '../tls/certificate-names';

/** One budget per peer: which requests, the `limits` keys that size it, how its refusals are counted. */
export interface RateBudget {
  /** The requests it counts, as the refusals name them. */
  readonly what: 'N32-f' | 'N32-c';
  /** The abuse kind of each refusal (`sepp_abuse_events_total{kind}`, the log, the refusal list). */
  readonly kind: Extract<AbuseKind, 'rate-limited' | 'n32c-rate-limited'>;
  /** The `limits` keys of the rate (per second, 0: no limit) and of the bucket's size. */
  readonly rateKey: keyof LimitsSettings & ('rateLimitPerPeer' | 'n32cRateLimitPerPeer');
  readonly burstKey: keyof LimitsSettings & ('rateLimitBurst' | 'n32cRateLimitBurst');
}

/** Buckets a rate limiter holds before it drops the full ones (a full bucket is a new one). */
export const BUCKETS_SWEEP_AT = 4_096;

/** The refusal cause of the status page's N32-f figures (per peer) for requests over the rate limit. */
export const RATE_LIMITED = 'RATE_LIMITED';

/** N32-f requests: TLS-mode forwarding and PRINS n32f-process (`limits.rateLimitPerPeer`, `rateLimitBurst`). */
export const N32F_RATE_BUDGET: RateBudget = { what: 'N32-f', kind: 'rate-limited', rateKey: 'rateLimitPerPeer', burstKey: 'rateLimitBurst' };
/** N32-c requests, every `/n32c-handshake/` resource (`limits.n32cRateLimitPerPeer`, `n32cRateLimitBurst`). */
export const N32C_RATE_BUDGET: RateBudget = { what: 'N32-c', kind: 'n32c-rate-limited', rateKey: 'n32cRateLimitPerPeer', burstKey: 'n32cRateLimitBurst' };

/**
 * Requests per peer within one budget (`N32F_RATE_BUDGET`, or N32-c's apart, `N32C_RATE_BUDGET`),
 * a token bucket per peer: a request over the limit is answered `429` problem+json, cause
 * `NF_CONGESTION_RISK`, with `retry-after`, and goes no further (no NF, no N32-c handler). Each
 * refusal counts in `sepp_abuse_events_total{kind}` (`rate-limited`, `n32c-rate-limited`); the log
 * gets one warn line per peer and second at most, with the number refused and the two `limits`
 * keys with their values.
 */
export class PeerRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  /** At this many buckets a new peer's first request first drops the full ones (they remember nothing). */
  private sweepAt = BUCKETS_SWEEP_AT;
  /** Per peer, the listener and remote address of the last refusal, with the limit then. */
  private readonly refusals = new OnceASecond<{ listener: string; remoteAddress: string | undefined; rate: number; burst: number }>((peer, refused, { listener, remoteAddress, rate, burst }) =>
    this.log(listener, peer, refused, remoteAddress, rate, burst),
  );

  constructor(
    private readonly runtime: ListenerRuntime,
    private readonly budget: RateBudget,
  ) {
    runtime.config.on('reload', ({ changed }) => {
      if (changed.includes('limits')) this.buckets.clear();
    });
  }

  /** Whether `peer` may send this request now; if not, the stream is answered 429 here. */
  admit(stream: ServerHttp2Stream, peer: string, listener: string): boolean {
    const limits = this.runtime.config.current.limits;
    const rate = limits[this.budget.rateKey];
    if (rate <= 0) return true;
    const burst = limits[this.budget.burstKey];
    let bucket = this.buckets.get(peer);
    if (!bucket) {
      if (this.buckets.size >= this.sweepAt) this.sweep();
      bucket = new TokenBucket(burst, rate);
      this.buckets.set(peer, bucket);
    }
    if (bucket.take()) return true;
    this.refuse(stream, peer, listener, bucket, rate, burst);
    return false;
  }

  /**
   * Drops the buckets that are full again: a peer is named by its certificate (or its address
   * without one), so the names a listener sees are not bounded by the configuration. The next
   * sweep waits until there are twice as many buckets as the busy ones left.
   */
  private sweep(): void {
    for (const [peer, bucket] of this.buckets) if (bucket.full()) this.buckets.delete(peer);
    this.sweepAt = Math.max(BUCKETS_SWEEP_AT, 2 * this.buckets.size);
  }

  /** How many peers it holds a bucket for. */
  get peersTracked(): number {
    return this.buckets.size;
  }

  private refuse(stream: ServerHttp2Stream, peer: string, listener: string, bucket: TokenBucket, rate: number, burst: number): void {
    const problem = toProblem(new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${peer} sends more than ${rate} ${this.budget.what} requests per second (burst ${burst})`), 0);
    if (!stream.destroyed && !stream.closed && !stream.headersSent) {
      const body = JSON.stringify(problem.body);
      stream.respond({
        ':status': problem.status,
        'content-type': PROBLEM_JSON,
        'content-length': Buffer.byteLength(body),
        'retry-after': String(Math.max(1, Math.ceil(bucket.secondsUntilNext()))),
      });
      endWithBody(stream, body);
    }
    recordAbuse(this.runtime, { listener, kind: this.budget.kind, action: 'request refused', peer }, 1, false);
    this.refusals.note(peer, { listener, remoteAddress: stream.session?.socket?.remoteAddress, rate, burst });
  }

  private log(listener: string, peer: string, refused: number, remoteAddress: string | undefined, rate: number, burst: number): void {
    const { kind, what, rateKey, burstKey } = this.budget;
    logAbuseRefusals(this.runtime, { listener, kind, action: 'request refused', peer, remoteAddress, detail: `over ${rate} ${what} requests per second (burst ${burst})` }, refused, { [rateKey]: rate, [burstKey]: burst });
  }
}

/**
 * Who a request on `session` counts for when no agreement on the connection names the peer: the
 * configured peer the client certificate names (`configured`), else the certificate's first name,
 * else the remote address. A budget per authenticated sender.
 */
export function certificatePeer(runtime: SeppRuntime, session: Http2Session): { peer: string; configured: boolean } {
  const names = peerDnsNames(session.socket as TLSSocket);
  const configured = names.find((name) => runtime.peers.get(name) !== undefined);
  if (configured) return { peer: configured, configured: true };
  return { peer: names[0] ?? `address ${session.socket?.remoteAddress ?? 'unknown'}`, configured: false };
}

/**
 * A listener's fast path that only limits N32-c (`N32C_RATE_BUDGET`, peers by their certificate):
 * a request under `/n32c-handshake/` over its peer's budget is answered 429 here (taken); every
 * other request goes on to the framework. For an N32 listener whose N32-c is not on a fast path of
 * its own (the initiator's, where the responder brings n32f-error and n32f-terminate).
 */
export function n32cRateLimitOnly(runtime: SeppRuntime, listener: string): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean {
  const limiter = new PeerRateLimiter(runtime, N32C_RATE_BUDGET);
  return (stream, headers) => {
    const session = stream.session;
    if (!session || !isN32cHandshakePath(headers[':path'] ?? '')) return false;
    return !limiter.admit(stream, certificatePeer(runtime, session).peer, listener);
  };
}
