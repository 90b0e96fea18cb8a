import type { ListenerRuntime } from './listener-runtime';
import { logAbuseRefusals, recordAbuse } from './abuse';
import { OnceASecond } from './once-a-second';
import { TokenBucket } from './token-bucket';

/** Below this many addresses remembered, none is let go; past it, the full buckets go at each doubling. */
const SWEEP_FROM = 1_024;
/** At most this many addresses remembered on one listener: past it, the one known longest goes. */
export const MAX_RATE_ADDRESSES = 65_536;

interface Refused {
  readonly rate: number;
  readonly burst: number;
}

/**
 * New connections per remote address on one listener (`limits.connectionRatePerAddress`, a burst
 * of `limits.connectionRateBurst`), a token bucket per address, asked before any TLS: a connection
 * over the rate is closed as it arrives, so a flood of handshakes from one address (each a
 * certificate verification and key exchange for us) costs at most the rate's worth of them. Each
 * refusal counts in `sepp_abuse_events_total{kind="connection-rate-limited"}`; the log gets one
 * warn line per address and second at most, with the number refused and the two keys.
 *
 * What it remembers is bounded: an address whose bucket is full again is the same as one never
 * seen, so full buckets are let go whenever the addresses known double (from 1,024), and past
 * {@link MAX_RATE_ADDRESSES} the address known longest is let go. A reload applies to the next
 * connection (each bucket takes the new rate and burst, keeping its tokens up to the new burst).
 */
export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweepAt = SWEEP_FROM;
  private readonly refusals: OnceASecond<Refused>;

  constructor(
    private readonly runtime: ListenerRuntime,
    private readonly listener: string,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.refusals = new OnceASecond<Refused>((remoteAddress, refused, { rate, burst }) => {
      const detail = `more than ${rate} new connections per second from ${remoteAddress} (burst ${burst})`;
      logAbuseRefusals(runtime, { listener, kind: 'connection-rate-limited', action: 'connection closed', remoteAddress, detail }, refused, { connectionRatePerAddress: rate, connectionRateBurst: burst });
    });
  }

  /** How many addresses it remembers now (for tests and the bound). */
  get addresses(): number {
    return this.buckets.size;
  }

  /** Whether a new connection from `address` may go on; if not, it is counted and logged here. */
  admit(address: string): boolean {
    const { connectionRatePerAddress: rate, connectionRateBurst: burst } = this.runtime.config.current.limits;
    if (rate <= 0) return true;
    if (this.bucketOf(address, burst, rate).take()) return true;
    recordAbuse(this.runtime, { listener: this.listener, kind: 'connection-rate-limited', action: 'connection closed', remoteAddress: address }, 1, false);
    this.refusals.note(address, { rate, burst });
    return false;
  }

  private bucketOf(address: string, burst: number, rate: number): TokenBucket {
    const known = this.buckets.get(address);
    if (known) {
      known.reconfigure(burst, rate);
      return known;
    }
    if (this.buckets.size >= this.sweepAt) this.sweep();
    if (this.buckets.size >= MAX_RATE_ADDRESSES) this.buckets.delete(this.buckets.keys().next().value!);
    const bucket = new TokenBucket(burst, rate, this.now);
    this.buckets.set(address, bucket);
    return bucket;
  }

  private sweep(): void {
    for (const [address, bucket] of this.buckets) if (bucket.full()) this.buckets.delete(address);
    this.sweepAt = Math.max(SWEEP_FROM, this.buckets.size * 2);
  }
}
