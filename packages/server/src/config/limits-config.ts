import 'reflect-metadata';
import { Expose } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { Optional } from './config-schema-parts';

/**
 * `limits`: what every HTTP/2 listener (N32, N32-f, NF-facing) tolerates before it refuses a stream,
 * closes a connection or a request is refused, and how long a graceful stop drains. Every key is
 * optional; `LIMITS_DEFAULTS` holds the defaults.
 */
export interface LimitsSettings {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we announce: streams open at once per connection. */
  readonly maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE we announce (bytes, RFC 9113 accounting). */
  readonly maxHeaderListSize: number;
  /** Node `maxSessionMemory` (MB): beyond it new streams of the connection are refused. */
  readonly maxSessionMemory: number;
  /** Node `maxSessionInvalidFrames`: invalid frames tolerated before the connection is closed. */
  readonly maxSessionInvalidFrames: number;
  /** Node `maxSessionRejectedStreams`: refused streams tolerated before the connection is closed. */
  readonly maxSessionRejectedStreams: number;
  /** RST_STREAM from the peer (rapid reset): a burst of this many, then `streamResetRate` per second. */
  readonly streamResetBurst: number;
  readonly streamResetRate: number;
  /** Node `maxOutstandingPings`: our PINGs without an ACK. */
  readonly maxOutstandingPings: number;
  /** Node `maxOutstandingSettings`: our SETTINGS without an ACK. */
  readonly maxOutstandingSettings: number;
  /** Node `maxSettings`: entries in one SETTINGS frame of the peer. */
  readonly maxSettings: number;
  /** SETTINGS and PING frames from the peer (SETTINGS/PING floods): a burst of this many, then `controlFrameRate` per second. */
  readonly controlFrameBurst: number;
  readonly controlFrameRate: number;
  /** Connections open at once on one listener (TLS handshakes in progress included); past it a new one is closed at once. */
  readonly maxConnections: number;
  /** Connections open at once on one listener from one remote address; past it a new one from there is closed at once. */
  readonly maxConnectionsPerAddress: number;
  /** New connections per second from one remote address on one listener, before TLS; 0: no limit. */
  readonly connectionRatePerAddress: number;
  /** New connections one address may open at once above that rate (token bucket size). */
  readonly connectionRateBurst: number;
  /** Requests (HTTP/2 streams) in flight at once on one listener; past it a new one is answered 503 `NF_CONGESTION` at once. */
  readonly maxRequestsInFlight: number;
  /**
   * Requests a listener takes past `maxRequestsInFlight`, only priority ones: N32-c requests and
   * requests whose `3gpp-Sbi-Message-Priority` is `priorityReserveUpTo` or higher (a lower number); 0: none.
   */
  readonly priorityReserve: number;
  /** The lowest message priority (highest number, 0..31) that may use `priorityReserve`. */
  readonly priorityReserveUpTo: number;
  /**
   * From this share (percent) of `maxRequestsInFlight` in flight, the listener's answers carry the
   * SEPP's overload control information (`3gpp-Sbi-Oci`), before any request is refused; 0: only
   * refusals carry it.
   */
  readonly ociFromPercent: number;
  /**
   * Each connection's answers carry the SEPP's load control information (`3gpp-Sbi-Lci`: this
   * process's event loop utilization) at most once per this period (ms), the first answer on a
   * connection included; 0: none.
   */
  readonly lciPeriodMs: number;
  /** TLS handshake bound (Node `handshakeTimeout`). */
  readonly handshakeTimeoutMs: number;
  /**
   * A connection without a complete HTTP/2 frame for this long is PINGed; without the ACK within
   * the same time it is closed (slow headers, a stalled or silent peer).
   */
  readonly headersTimeoutMs: number;
  /** A request whose body makes no progress for this long is reset (stalled body). */
  readonly streamIdleMs: number;
  /** N32-f requests per second per peer (pSEPP); 0: no rate limit. */
  readonly rateLimitPerPeer: number;
  /** Requests a peer may send at once above the rate (token bucket size). */
  readonly rateLimitBurst: number;
  /** N32-c requests (`/n32c-handshake/...`) per second per peer, a budget apart from N32-f's; 0: no rate limit. */
  readonly n32cRateLimitPerPeer: number;
  /** N32-c requests a peer may send at once above that rate (token bucket size). */
  readonly n32cRateLimitBurst: number;
  /** Graceful stop: how long in-flight requests may take to finish. */
  readonly drainTimeoutMs: number;
  /**
   * Graceful stop, after the drain: how long a peer has to close a connection that got our GOAWAY
   * and has nothing in flight; then we close it (a peer that never reads would hold it forever).
   */
  readonly closeGraceMs: number;
  /** Graceful stop: how much longer than the drain the rest (releases, n32f-terminate) may take before the process exits 1. */
  readonly stopGraceMs: number;
}

export const LIMITS_DEFAULTS = {
  maxConcurrentStreams: 256,
  maxHeaderListSize: 16_384,
  maxSessionMemory: 10,
  maxSessionInvalidFrames: 100,
  maxSessionRejectedStreams: 100,
  streamResetBurst: 500,
  streamResetRate: 30,
  maxOutstandingPings: 10,
  maxOutstandingSettings: 10,
  maxSettings: 32,
  controlFrameBurst: 100,
  controlFrameRate: 10,
  /**
   * A SEPP talks to a handful of peers (a connection or two per replica of each) and its NFs; an
   * idle TLS connection costs tens of KB before its handshake: 4,096 bound the memory a
   * connection flood can take, 256 from one address keep one source from taking them all (an
   * IPX relay in front of many peers is one address: raise it there).
   */
  maxConnections: 4_096,
  maxConnectionsPerAddress: 256,
  /**
   * A peer opens a connection per negotiation and a few long-lived ones for N32-f (per replica of
   * it), an NF or SCP its pool at start: 100 new connections a second from one address leave all
   * of them through, and hold a handshake flood from one address (a cold negotiation with a
   * client certificate, handshake and one request, cost a bare Node server about 3 ms of CPU on
   * the 2-core bench machine) to a fraction of a core.
   */
  connectionRatePerAddress: 100,
  /** Default: `connectionRatePerAddress` (one second's worth). */
  connectionRateBurst: null,
  /**
   * What a listener holds in flight before it refuses more (overload): a SEPP forwarding a few
   * thousand requests a second with answers in tens to hundreds of milliseconds (roaming
   * distances) has some hundreds to a thousand or two in flight; past 4,096 it is queueing work
   * it cannot finish in time, and answering at once lets the sender go elsewhere or back off.
   */
  maxRequestsInFlight: 4_096,
  /** Default: a sixteenth of `maxRequestsInFlight` (at least 1). */
  priorityReserve: null,
  /**
   * TS 29.500 leaves the values to the operator (0 the highest); the top quarter of the range
   * covers what networks give MPS and emergency signalling, while NFs send their ordinary traffic
   * at the middle or bottom of it.
   */
  priorityReserveUpTo: 7,
  /**
   * Senders asked to slow down at 80 % of the bound have the last fifth to do it in, before any
   * request of theirs is refused (the status page's load badge turns amber there too).
   */
  ociFromPercent: 80,
  /** Off unless asked for: a receiver that balances load over SEPPs by LCI (an SCP) sets its period. */
  lciPeriodMs: 0,
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  streamIdleMs: 30_000,
  rateLimitPerPeer: 10_000,
  /** Default: `rateLimitPerPeer` (one second's worth). */
  rateLimitBurst: null,
  /**
   * A negotiation is one to three N32-c requests, renegotiations come seconds apart at least, and
   * the replicas of a clustered peer negotiating at once send some tens: 100 per second leaves
   * them all through, and holds a peer that repeats exchange-params (each a TLS exporter and an
   * N32-KDF) to a few percent of a core.
   */
  n32cRateLimitPerPeer: 100,
  /** Default: `n32cRateLimitPerPeer` (one second's worth). */
  n32cRateLimitBurst: null,
  drainTimeoutMs: 10_000,
  closeGraceMs: 250,
  stopGraceMs: 10_000,
} as const;

/** An optional integer key in [min, max], with the unit in its messages. */
const Int = (min: number, max: number, unit = ''): PropertyDecorator => (target, key) => {
  const suffix = unit ? ` (${unit})` : '';
  Expose()(target, key);
  Optional()(target, key);
  IsInt({ message: `must be an integer${suffix}` })(target, key);
  Min(min, { message: `must be at least ${min}${suffix}` })(target, key);
  Max(max, { message: `must be at most ${max}${suffix}` })(target, key);
};

const DAY_MS = 86_400_000;

/** The `limits` section of the configuration file. */
export class LimitsConfig {
  @Int(1, 100_000) maxConcurrentStreams?: number;
  @Int(1_024, 1_048_576, 'bytes') maxHeaderListSize?: number;
  @Int(1, 4_096, 'MB') maxSessionMemory?: number;
  @Int(0, 1_000_000) maxSessionInvalidFrames?: number;
  @Int(0, 1_000_000) maxSessionRejectedStreams?: number;
  @Int(1, 1_000_000) streamResetBurst?: number;
  @Int(1, 1_000_000, 'per second') streamResetRate?: number;
  @Int(1, 10_000) maxOutstandingPings?: number;
  @Int(1, 10_000) maxOutstandingSettings?: number;
  @Int(8, 10_000) maxSettings?: number;
  @Int(1, 1_000_000) controlFrameBurst?: number;
  @Int(1, 1_000_000, 'per second') controlFrameRate?: number;
  @Int(1, 1_000_000) maxConnections?: number;
  @Int(1, 1_000_000) maxConnectionsPerAddress?: number;
  @Int(0, 10_000_000, 'connections per second, 0: no limit') connectionRatePerAddress?: number;
  @Int(1, 10_000_000, 'connections') connectionRateBurst?: number;
  @Int(1, 10_000_000, 'requests') maxRequestsInFlight?: number;
  @Int(0, 10_000_000, 'requests, 0: none') priorityReserve?: number;
  @Int(0, 31, 'a 3gpp-Sbi-Message-Priority, 0 the highest') priorityReserveUpTo?: number;
  @Int(0, 100, 'percent of maxRequestsInFlight, 0: only refusals carry the OCI') ociFromPercent?: number;
  @Int(0, DAY_MS, 'ms, 0: none') lciPeriodMs?: number;
  @Int(100, DAY_MS, 'ms') handshakeTimeoutMs?: number;
  @Int(100, DAY_MS, 'ms') headersTimeoutMs?: number;
  @Int(100, DAY_MS, 'ms') streamIdleMs?: number;
  @Int(0, 10_000_000, 'requests per second, 0: no limit') rateLimitPerPeer?: number;
  @Int(1, 10_000_000, 'requests') rateLimitBurst?: number;
  @Int(0, 10_000_000, 'requests per second, 0: no limit') n32cRateLimitPerPeer?: number;
  @Int(1, 10_000_000, 'requests') n32cRateLimitBurst?: number;
  @Int(0, DAY_MS, 'ms') drainTimeoutMs?: number;
  @Int(0, 60_000, 'ms') closeGraceMs?: number;
  @Int(100, DAY_MS, 'ms') stopGraceMs?: number;
}

/** The validated `limits` section with every default filled in. */
export function readLimits(file: LimitsConfig | undefined): LimitsSettings {
  type BurstKey = 'rateLimitBurst' | 'n32cRateLimitBurst' | 'connectionRateBurst';
  const value = <K extends Exclude<keyof LimitsSettings, BurstKey | 'priorityReserve'>>(key: K): number => file?.[key] ?? LIMITS_DEFAULTS[key];
  /** A bucket's size: as given, else one second's worth of its rate (at least 1). */
  const burst = (key: BurstKey, rate: number): number => file?.[key] ?? Math.max(1, rate);
  const rateLimitPerPeer = value('rateLimitPerPeer');
  const n32cRateLimitPerPeer = value('n32cRateLimitPerPeer');
  const connectionRatePerAddress = value('connectionRatePerAddress');
  const maxRequestsInFlight = value('maxRequestsInFlight');
  return {
    maxConcurrentStreams: value('maxConcurrentStreams'),
    maxHeaderListSize: value('maxHeaderListSize'),
    maxSessionMemory: value('maxSessionMemory'),
    maxSessionInvalidFrames: value('maxSessionInvalidFrames'),
    maxSessionRejectedStreams: value('maxSessionRejectedStreams'),
    streamResetBurst: value('streamResetBurst'),
    streamResetRate: value('streamResetRate'),
    maxOutstandingPings: value('maxOutstandingPings'),
    maxOutstandingSettings: value('maxOutstandingSettings'),
    maxSettings: value('maxSettings'),
    controlFrameBurst: value('controlFrameBurst'),
    controlFrameRate: value('controlFrameRate'),
    maxConnections: value('maxConnections'),
    maxConnectionsPerAddress: value('maxConnectionsPerAddress'),
    connectionRatePerAddress,
    connectionRateBurst: burst('connectionRateBurst', connectionRatePerAddress),
    maxRequestsInFlight,
    priorityReserve: file?.priorityReserve ?? Math.max(1, Math.ceil(maxRequestsInFlight / 16)),
    priorityReserveUpTo: value('priorityReserveUpTo'),
    ociFromPercent: value('ociFromPercent'),
    lciPeriodMs: value('lciPeriodMs'),
    handshakeTimeoutMs: value('handshakeTimeoutMs'),
    headersTimeoutMs: value('headersTimeoutMs'),
    streamIdleMs: value('streamIdleMs'),
    rateLimitPerPeer,
    rateLimitBurst: burst('rateLimitBurst', rateLimitPerPeer),
    n32cRateLimitPerPeer,
    n32cRateLimitBurst: burst('n32cRateLimitBurst', n32cRateLimitPerPeer),
    drainTimeoutMs: value('drainTimeoutMs'),
    closeGraceMs: value('closeGraceMs'),
    stopGraceMs: value('stopGraceMs'),
  };
}

/**
 * Every certificate, key and CA file a configuration reads (what `tls.watchFiles` watches), from
 * the parsed file, with its paths resolved as the loader resolves them.
 */
export function tlsFilesOf(
  parsed: {
    tls: { cert: string; key: string; ca: string[]; crl?: string[] };
    n32: { trustAnchors?: { ca: string[] }[] };
    n32f?: { tls?: { cert: string; key: string } };
    sbi?: { tls?: { cert: string; key: string; ca?: string[] } };
    admin?: { tls?: { cert: string; key: string; ca?: string[] } };
  },
  pathOf: (key: string, value: string) => string,
): string[] {
  const files = [
    pathOf('tls.cert', parsed.tls.cert),
    pathOf('tls.key', parsed.tls.key),
    ...parsed.tls.ca.map((file) => pathOf('tls.ca', file)),
    ...(parsed.tls.crl ?? []).map((file) => pathOf('tls.crl', file)),
    ...(parsed.n32.trustAnchors ?? []).flatMap((anchor) => anchor.ca.map((file) => pathOf('n32.trustAnchors', file))),
  ];
  if (parsed.n32f?.tls) files.push(pathOf('n32f.tls.cert', parsed.n32f.tls.cert), pathOf('n32f.tls.key', parsed.n32f.tls.key));
  if (parsed.sbi?.tls) {
    files.push(pathOf('sbi.tls.cert', parsed.sbi.tls.cert), pathOf('sbi.tls.key', parsed.sbi.tls.key));
    files.push(...(parsed.sbi.tls.ca ?? []).map((file) => pathOf('sbi.tls.ca', file)));
  }
  if (parsed.admin?.tls) {
    files.push(pathOf('admin.tls.cert', parsed.admin.tls.cert), pathOf('admin.tls.key', parsed.admin.tls.key));
    files.push(...(parsed.admin.tls.ca ?? []).map((file) => pathOf('admin.tls.ca', file)));
  }
  return [...new Set(files)];
}
