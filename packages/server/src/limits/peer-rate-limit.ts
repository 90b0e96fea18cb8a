import type { ServerHttp2Stream } from 'node:http2';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import { PROBLEM_JSON } from '../problem/problem-details.filter';
import { toProblem } from '../problem/to-problem';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { abuseRefusal, recordAbuse } from './abuse';
import { TokenBucket } from './token-bucket';
import { endWithBody } from '../n32f/buffered';

/** Refusals of one peer are logged at most once per this period, with their count. */
const LOG_PERIOD_MS = 1_000;

interface PeerRefusals {
  count: number;
  remoteAddress: string | undefined;
  timer: NodeJS.Timeout;
}

/**
 * N32-f requests per peer (`limits.rateLimitPerPeer`, a token bucket of `limits.rateLimitBurst`):
 * a request over the limit is answered `429` problem+json, cause `NF_CONGESTION_RISK`, with
 * `retry-after`, and reaches no NF. Each refusal counts in `sepp_abuse_events_total{kind="rate-limited"}`;
 * the log gets one warn line per peer and second at most, with the number refused.
 */
export class PeerRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly refusals = new Map<string, PeerRefusals>();

  constructor(private readonly runtime: SeppRuntime) {
    runtime.config.on('reload', ({ changed }) => {
      if (changed.includes('limits')) this.buckets.clear();
    });
  }

  /** Whether `peer` may send this request now; if not, the stream is answered 429 here. */
  admit(stream: ServerHttp2Stream, peer: string, listener: string): boolean {
    const { rateLimitPerPeer, rateLimitBurst } = this.runtime.config.current.limits;
    if (rateLimitPerPeer <= 0) return true;
    let bucket = this.buckets.get(peer);
    if (!bucket) {
      bucket = new TokenBucket(rateLimitBurst, rateLimitPerPeer);
      this.buckets.set(peer, bucket);
    }
    if (bucket.take()) return true;
    this.refuse(stream, peer, listener, bucket, rateLimitPerPeer, rateLimitBurst);
    return false;
  }

  private refuse(stream: ServerHttp2Stream, peer: string, listener: string, bucket: TokenBucket, rate: number, burst: number): void {
    const problem = toProblem(new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${peer} sends more than ${rate} N32-f requests per second (burst ${burst})`), 0);
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
    const remoteAddress = stream.session?.socket?.remoteAddress;
    recordAbuse(this.runtime, { listener, kind: 'rate-limited', action: 'request refused', peer }, 1, false);
    const pending = this.refusals.get(peer);
    if (pending) {
      pending.count += 1;
      pending.remoteAddress = remoteAddress;
      return;
    }
    // The first refusal is logged at once; then, each second, those of that second together,
    // until a second without any.
    this.log(listener, peer, 1, remoteAddress, rate, burst);
    const entry: PeerRefusals = {
      count: 0,
      remoteAddress,
      timer: setTimeout(() => {
        if (entry.count === 0) {
          this.refusals.delete(peer);
          return;
        }
        this.log(listener, peer, entry.count, entry.remoteAddress, rate, burst);
        entry.count = 0;
        entry.timer.refresh();
      }, LOG_PERIOD_MS),
    };
    entry.timer.unref();
    this.refusals.set(peer, entry);
  }

  private log(listener: string, peer: string, refused: number, remoteAddress: string | undefined, rate: number, burst: number): void {
    this.runtime.metrics.refuse(abuseRefusal({ listener, kind: 'rate-limited', action: 'request refused', peer, remoteAddress, detail: `over ${rate} N32-f requests per second (burst ${burst})` }), refused);
    this.runtime.logger.warn(
      { listener, kind: 'rate-limited', action: 'request refused', peer, remoteAddress, refused, rateLimitPerPeer: rate, rateLimitBurst: burst },
      'abuse',
    );
  }
}
