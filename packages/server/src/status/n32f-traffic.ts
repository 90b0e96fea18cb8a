/** Which way an N32-f request went through this process. */
export type TrafficDirection = 'inbound' | 'outbound';

/**
 * How an N32-f request ended here: `answered` (the far end's answer was relayed, whatever its
 * status), `refused` (we answered with a problem of our own: a refusal or a failure, by cause), or
 * `abandoned` (the sender went away, or the answer broke off).
 */
export type TrafficOutcome = 'answered' | 'refused' | 'abandoned';

/** One second per slot; summaries look back at most this many seconds. */
export const TRAFFIC_WINDOW_SECONDS = 60;
/** The request rate is averaged over the last this many seconds. */
export const TRAFFIC_RATE_SECONDS = 10;
/** Latency buckets: 2^(1/4) apart from 0.1 ms, the last one open-ended (0.1 ms .. about 100 s). */
const LATENCY_BUCKETS = 81;
const LATENCY_BASE_MS = 0.1;
const STEPS_PER_OCTAVE = 4;
/** Series (peer x direction) kept; more distinct peers are counted together as {@link OTHER_PEERS}. */
const MAX_PEERS = 256;
/** Causes kept per series (with `OTHER`, which counts the causes beyond). */
const MAX_CAUSES = 32;
/** The key of requests whose peer is not known (refused before the sender was identified). */
export const UNIDENTIFIED = '';
export const OTHER_PEERS = '(other peers)';

/** What one peer's N32-f traffic in one direction looked like over the last seconds. */
export interface TrafficView {
  /** Requests answered per second over the last {@link TRAFFIC_RATE_SECONDS} seconds. */
  answeredPerSecond: number;
  /** Over the last {@link TRAFFIC_WINDOW_SECONDS} seconds. */
  answered: number;
  refused: Record<string, number>;
  abandoned: number;
  /** Latency of the answered requests over the window, from log-scale buckets (upper bounds, within 19 %); null without any. */
  latencyMs: { p50: number; p99: number } | null;
  /** Answered requests per second, oldest first, the current second last. */
  perSecond: number[];
  /**
   * Requests of the peer in flight now (between its identification and our answer: the
   * `n32f.maxConcurrentPerPeer` count), or null where this process does not count them.
   */
  inFlight: number | null;
}

/** Counts since the process started, for Prometheus counters. */
export interface TrafficTotals {
  readonly peer: string;
  readonly direction: TrafficDirection;
  readonly answered: number;
  readonly abandoned: number;
  readonly refused: ReadonlyMap<string, number>;
}

function latencyBucket(ms: number): number {
  if (!(ms > LATENCY_BASE_MS)) return 0;
  const index = Math.ceil(Math.log2(ms / LATENCY_BASE_MS) * STEPS_PER_OCTAVE);
  return index < LATENCY_BUCKETS ? index : LATENCY_BUCKETS - 1;
}

/** The upper bound of a latency bucket, in ms (the last bucket reports its lower bound). */
function bucketBoundMs(index: number): number {
  const bound = LATENCY_BASE_MS * 2 ** (Math.min(index, LATENCY_BUCKETS - 2) / STEPS_PER_OCTAVE);
  return Math.round(bound * 1000) / 1000;
}

/**
 * One peer and direction: a ring of one-second slots (answered, abandoned, refused by cause, a
 * latency histogram), allocated once. Recording is a few array writes; a slot is cleared when a
 * new second reuses it.
 */
class Series {
  private readonly seconds = new Float64Array(TRAFFIC_WINDOW_SECONDS).fill(-1);
  private readonly answered = new Uint32Array(TRAFFIC_WINDOW_SECONDS);
  private readonly abandoned = new Uint32Array(TRAFFIC_WINDOW_SECONDS);
  private readonly latency = new Uint32Array(TRAFFIC_WINDOW_SECONDS * LATENCY_BUCKETS);
  private readonly refused = new Map<string, Uint32Array>();
  answeredTotal = 0;
  abandonedTotal = 0;
  readonly refusedTotal = new Map<string, number>();

  record(second: number, outcome: TrafficOutcome, cause: string | undefined, latencyMs: number): void {
    const slot = second % TRAFFIC_WINDOW_SECONDS;
    if (this.seconds[slot] !== second) this.reuse(slot, second);
    switch (outcome) {
      case 'answered':
        this.answered[slot]! += 1;
        this.latency[slot * LATENCY_BUCKETS + latencyBucket(latencyMs)]! += 1;
        this.answeredTotal += 1;
        return;
      case 'abandoned':
        this.abandoned[slot]! += 1;
        this.abandonedTotal += 1;
        return;
      case 'refused': {
        const key = this.causeKey(cause ?? 'UNSPECIFIED');
        let counts = this.refused.get(key);
        if (!counts) {
          counts = new Uint32Array(TRAFFIC_WINDOW_SECONDS);
          this.refused.set(key, counts);
        }
        counts[slot]! += 1;
        this.refusedTotal.set(key, (this.refusedTotal.get(key) ?? 0) + 1);
        return;
      }
    }
  }

  view(now: number): TrafficView {
    return this.summarize(now).view;
  }

  /** The latency quantiles of the window in seconds (Prometheus), or null without answered requests. */
  latencySeconds(now: number, quantiles: readonly number[]): number[] | null {
    const { view, histogram } = this.summarize(now);
    return view.answered > 0 ? quantiles.map((q) => quantile(histogram, view.answered, q) / 1000) : null;
  }

  private summarize(now: number): { view: TrafficView; histogram: Float64Array } {
    const perSecond: number[] = [];
    const histogram = new Float64Array(LATENCY_BUCKETS);
    const refused: Record<string, number> = {};
    let answered = 0;
    let abandoned = 0;
    let recent = 0;
    for (let age = TRAFFIC_WINDOW_SECONDS - 1; age >= 0; age -= 1) {
      const second = now - age;
      const slot = second % TRAFFIC_WINDOW_SECONDS;
      if (second < 0 || this.seconds[slot] !== second) {
        perSecond.push(0);
        continue;
      }
      const count = this.answered[slot]!;
      perSecond.push(count);
      answered += count;
      if (age < TRAFFIC_RATE_SECONDS) recent += count;
      abandoned += this.abandoned[slot]!;
      for (let bucket = 0; bucket < LATENCY_BUCKETS; bucket += 1) histogram[bucket]! += this.latency[slot * LATENCY_BUCKETS + bucket]!;
      for (const [cause, counts] of this.refused) if (counts[slot]! > 0) refused[cause] = (refused[cause] ?? 0) + counts[slot]!;
    }
    const view: TrafficView = {
      answeredPerSecond: Math.round((recent / TRAFFIC_RATE_SECONDS) * 100) / 100,
      answered,
      refused,
      abandoned,
      latencyMs: answered > 0 ? { p50: quantile(histogram, answered, 0.5), p99: quantile(histogram, answered, 0.99) } : null,
      perSecond,
      inFlight: null,
    };
    return { view, histogram };
  }

  private reuse(slot: number, second: number): void {
    this.seconds[slot] = second;
    this.answered[slot] = 0;
    this.abandoned[slot] = 0;
    this.latency.fill(0, slot * LATENCY_BUCKETS, (slot + 1) * LATENCY_BUCKETS);
    for (const counts of this.refused.values()) counts[slot] = 0;
  }

  private causeKey(cause: string): string {
    return this.refused.has(cause) || this.refused.size < MAX_CAUSES - 1 ? cause : 'OTHER';
  }
}

function quantile(histogram: Float64Array, total: number, q: number): number {
  const rank = Math.max(1, Math.ceil(total * q));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket += 1) {
    seen += histogram[bucket]!;
    if (seen >= rank) return bucketBoundMs(bucket);
  }
  return bucketBoundMs(histogram.length - 1);
}

/**
 * Live N32-f figures per peer and direction, in bounded memory: the last
 * {@link TRAFFIC_WINDOW_SECONDS} seconds in one-second slots (requests answered, refused by cause,
 * abandoned, latency histogram), and totals since start. `record` is O(1) and allocates nothing
 * once a peer's series and a cause's counters exist; reading sums the window.
 */
export class N32fTraffic {
  private readonly series = new Map<string, { inbound?: Series; outbound?: Series }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /**
   * One request that ended now. `peer` undefined: not identified (refused before we knew who sent
   * it). `latencyMs` counts for answered requests only.
   */
  record(peer: string | undefined, direction: TrafficDirection, outcome: TrafficOutcome, cause: string | undefined, latencyMs: number): void {
    this.seriesOf(peer ?? UNIDENTIFIED, direction).record(Math.floor(this.clock() / 1000), outcome, cause, latencyMs);
  }

  /** The peers (and {@link UNIDENTIFIED}) with traffic since start. */
  peers(): string[] {
    return [...this.series.keys()];
  }

  /** Where the requests in flight per peer of one direction are counted (the forwarders' `n32f.maxConcurrentPerPeer` counts). */
  private readonly inFlightSources: Record<TrafficDirection, (() => ReadonlyMap<string, number>)[]> = { inbound: [], outbound: [] };

  /** Registers a count of requests in flight per peer in one direction (summed with the others of that direction). */
  followInFlight(direction: TrafficDirection, source: () => ReadonlyMap<string, number>): void {
    this.inFlightSources[direction].push(source);
  }

  /** Requests in flight per peer in one direction now, or null where nothing counts them. */
  inFlight(direction: TrafficDirection): ReadonlyMap<string, number> | null {
    const sources = this.inFlightSources[direction];
    if (sources.length === 0) return null;
    if (sources.length === 1) return sources[0]!();
    const sum = new Map<string, number>();
    for (const source of sources) for (const [peer, count] of source()) sum.set(peer, (sum.get(peer) ?? 0) + count);
    return sum;
  }

  view(peer: string, direction: TrafficDirection): TrafficView {
    const series = this.series.get(peer)?.[direction];
    const view = series ? series.view(Math.floor(this.clock() / 1000)) : emptyView();
    const inFlight = this.inFlight(direction);
    view.inFlight = inFlight ? (inFlight.get(peer) ?? 0) : null;
    return view;
  }

  totals(): TrafficTotals[] {
    const out: TrafficTotals[] = [];
    for (const [peer, both] of this.series) {
      for (const direction of ['inbound', 'outbound'] as const) {
        const series = both[direction];
        if (series) out.push({ peer, direction, answered: series.answeredTotal, abandoned: series.abandonedTotal, refused: series.refusedTotal });
      }
    }
    return out;
  }

  /** Latency quantiles (seconds) of the answered requests of the window, per peer and direction with any. */
  latency(quantiles: readonly number[]): { peer: string; direction: TrafficDirection; seconds: number[] }[] {
    const now = Math.floor(this.clock() / 1000);
    const out: { peer: string; direction: TrafficDirection; seconds: number[] }[] = [];
    for (const [peer, both] of this.series) {
      for (const direction of ['inbound', 'outbound'] as const) {
        const seconds = both[direction]?.latencySeconds(now, quantiles);
        if (seconds) out.push({ peer, direction, seconds });
      }
    }
    return out;
  }

  private seriesOf(peer: string, direction: TrafficDirection): Series {
    let both = this.series.get(peer);
    if (!both) {
      if (this.series.size >= MAX_PEERS && peer !== UNIDENTIFIED && peer !== OTHER_PEERS) return this.seriesOf(OTHER_PEERS, direction);
      both = {};
      this.series.set(peer, both);
    }
    return (both[direction] ??= new Series());
  }
}

function emptyView(): TrafficView {
  return { answeredPerSecond: 0, answered: 0, refused: {}, abandoned: 0, latencyMs: null, perSecond: new Array<number>(TRAFFIC_WINDOW_SECONDS).fill(0), inFlight: null };
}
