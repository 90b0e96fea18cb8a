import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createCa, createLeaf, mintSeppCertificate } from '../certs/cert-factory';
import type { PlmnId } from '../certs/plmn';
import type { BenchChild } from './child';
import type { H2loadResult } from './h2load';
import type { LatencySummary, LoadResult } from './load';

/** The two PLMNs of the benchmark: the producer's home (pSEPP side) and the visiting consumer's. */
export const HOME = { plmn: { mcc: '001', mnc: '01' } as PlmnId, seppFqdn: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org' };
export const VISITED = { plmn: { mcc: '002', mnc: '02' } as PlmnId, seppFqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org' };
/** The producer NF's FQDN; the SEPPs/proxy B map it to 127.0.0.1. */
export const PRODUCER_FQDN = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
/**
 * The headers every generated request carries besides the pseudo-headers and the target API root:
 * what an NF consumer sends (TS 29.500 5.2.2.2: `user-agent` names the NF type). In PRINS mode they
 * are what the AAD's header list holds, where the relay of (e) appends its own.
 */
export const CONSUMER_HEADERS: Readonly<Record<string, string>> = { 'user-agent': 'AMF-amf1', accept: 'application/json' };
/** The IPX relay of scenario (e) (apps/ipx): its identity, TLS name and JWS `identity`. */
export const IPX_FQDN = 'ipx.roaming.example.org';

export interface BenchParams {
  durationS: number;
  warmupS: number;
  concurrency: number;
  connections: number;
  method: 'GET' | 'POST';
  path: string;
  /** JSON body size for POST (0 for GET). */
  bodyBytes: number;
  requestTimeoutMs: number;
  /** `logging.level` of the SEPP apps. */
  seppLogLevel: string;
  /** Load scenarios also loaded with h2load (`-c 10 -m 10`) as an independent generator; empty: none. */
  h2load: string[];
  /** Measured runs of the negotiation scenario (capability negotiations; PRINS set-ups: half). */
  negotiations: number;
}

/** Certificate files minted for this run (one interconnect CA, one leaf per SEPP FQDN; P-256). */
export interface BenchCerts {
  ca: string;
  /** Leaf + chain and key of the home SEPP (proxy B / responder). */
  home: { cert: string; key: string };
  /** Leaf + chain and key of the visited SEPP (proxy A / initiator). */
  visited: { cert: string; key: string };
  /** The IPX relay: TLS leaf + chain and key (SAN IPX_FQDN), and a separate ES256 signing key with its certificate (leaf alone). */
  ipx: { cert: string; key: string; signingKey: string; signingCert: string };
}

export interface BenchContext {
  readonly repoDir: string;
  /** infra/dist */
  readonly distDir: string;
  readonly workDir: string;
  readonly params: BenchParams;
  readonly producer: { host: string; port: number; name: string };
  /** `http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:<producer port>` */
  readonly producerApiRoot: string;
  certs(): Promise<BenchCerts>;
  /** Starts a node script as a child of the current scenario (stopped, and its peak RSS read, after it). */
  spawn(name: string, script: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; binary?: boolean }): BenchChild;
  /**
   * Starts a node script outside the scenario's accounting (no CPU time, no RSS lines): the caller
   * stops it; an interrupted run kills it with the rest.
   */
  spawnAside(name: string, script: string, args: string[]): BenchChild;
  say(line: string): void;
}

/** Where the load goes for a scenario. */
export interface ScenarioEntry {
  /** `http://host:port` (h2c) of the first hop. */
  url: string;
  /** `3gpp-sbi-target-apiroot` value, if any. */
  target?: string;
  /** `:authority`, if not the host:port of `url` (telescopic scenarios). */
  authority?: string;
  /** More first hops (replicas): the load's connections are spread over `url` and these. */
  alsoUrls?: string[];
}

/**
 * One benchmark scenario. `setup` starts whatever sits between the consumer and the producer (via
 * `ctx.spawn`, so the bench stops it and reads its peak RSS) and says where to send the load; it
 * throws with a clear message if the scenario cannot run.
 */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  setup(ctx: BenchContext): Promise<ScenarioEntry>;
  /**
   * Optional check after the smoke request, before the load: that the path does what the
   * scenario is named after (e.g. the IPX relay modifies the messages). Returns a line for the
   * log; throws if it does not.
   */
  verify?(ctx: BenchContext, entry: ScenarioEntry): Promise<string>;
  /**
   * Load unrecorded until this many requests were answered (after the warm-up seconds, at most
   * 300 s) before the measured window: the state the scenario is about is measured aged.
   */
  readonly warmupRequests?: number;
  /**
   * A scenario that measures something else than forwarding throughput (e.g. negotiation
   * latency): called instead of the smoke request and the load, returns named latency series,
   * the attempts that failed (by kind) and how many operations it ran (for the CPU per operation).
   */
  measure?(ctx: BenchContext, entry: ScenarioEntry): Promise<{ series: LatencySeries; errors: Record<string, number>; operations: number }>;
}

/** Named latency distributions a measuring scenario reports (e.g. `whole`, `request-to-answer`). */
export type LatencySeries = Record<string, LatencySummary>;

/** A throughput ratio printed under the table; with `target`, PASS/FAIL when both sides ran. */
export interface RatioSpec {
  numerator: string;
  denominator: string;
  target?: number;
}

export interface ProcessRss {
  process: string;
  peakRssBytes: number | null;
}

export interface ProcessCpu {
  process: string;
  /** CPU time (user + system) used during the measured window. */
  cpuMs: number | null;
}

export interface ScenarioResult {
  id: string;
  title: string;
  ran: boolean;
  /** Why the scenario could not run. */
  error?: string;
  load?: LoadResult;
  /** CPU of every process on the path (producer included, load generator excluded) during the window. */
  cpu: ProcessCpu[];
  /** Sum of `cpu` per 2xx answer: what one forwarded request costs, whatever else loads the machine. */
  cpuMsPerRequest: number | null;
  /** CPU time of the bench process (essentially the load generator's worker) during the window. */
  generatorCpuMs?: number;
  /** Peak RSS of each process of the scenario, read just before it was stopped. */
  rss: ProcessRss[];
  /** RSS of each process of the scenario once it was set up, before any traffic. */
  idleRss: ProcessRss[];
  /** What a measuring scenario reports (see Scenario.measure). */
  latency?: LatencySeries;
  /** Failed attempts of a measuring scenario, by kind. */
  measureErrors?: Record<string, number>;
  /** The same path loaded with h2load (when selected with --h2load). */
  h2load?: H2loadResult;
}

export interface RatioResult extends RatioSpec {
  value: number | null;
  pass: boolean | null;
  note?: string;
}

export interface BenchReport {
  startedAt: string;
  node: string;
  platform: string;
  cpus: { count: number; model: string };
  params: BenchParams;
  scenarios: ScenarioResult[];
  ratios: RatioResult[];
  /**
   * With --rounds N > 1: each round's figure per scenario (req/s; (n): whole p50 in ms; null: it did
   * not run) and each ratio per round, in the order the rounds ran. `scenarios` above are each
   * scenario's median round, `ratios` the medians of these. `h2loadRatios`: each pair's ratio of
   * h2load's req/s per round (null where h2load did not load both); its targets take the median.
   */
  rounds?: { count: number; scenarios: Record<string, (number | null)[]>; ratios: Record<string, (number | null)[]>; h2loadRatios: Record<string, (number | null)[]> };
  targets: TargetResult[];
  producer: ProcessRss;
}

/**
 * A target the run is judged by (printed with PASS/FAIL): a ratio of two scenarios, a memory
 * bound, a latency percentile... `evaluate` sees the whole report; it returns `pass: null` (n/a)
 * when what it needs did not run.
 */
export interface TargetSpec {
  readonly id: string;
  /** What is required, e.g. `d/c req/s >= 0.70`. */
  readonly label: string;
  evaluate(report: Omit<BenchReport, 'targets'>): Omit<TargetResult, 'id' | 'label'>;
}

export interface TargetResult {
  id: string;
  label: string;
  /** The measured value, as printed. */
  value: string;
  pass: boolean | null;
  note?: string;
}


export async function mintBenchCerts(dir: string): Promise<BenchCerts> {
  await mkdir(dir, { recursive: true });
  const ca = await createCa({ commonName: 'SEPP bench interconnect CA' });
  const [home, visited, ipxTls, ipxSigning] = await Promise.all([
    mintSeppCertificate({ ca, plmn: HOME.plmn }),
    mintSeppCertificate({ ca, plmn: VISITED.plmn }),
    createLeaf({ ca, dnsNames: [IPX_FQDN] }),
    // The JWS key is not the TLS key (TS 33.501 13.2.4.5); certified by the same CA, the leaf alone.
    createLeaf({ ca, dnsNames: [IPX_FQDN], extendedKeyUsage: [] }),
  ]);
  const file = async (name: string, content: string, mode = 0o644): Promise<string> => {
    const target = path.join(dir, name);
    await writeFile(target, content, { mode });
    return target;
  };
  return {
    ca: await file('ca.crt', ca.certPem),
    home: { cert: await file('sepp-001-01.crt', home.chainPem), key: await file('sepp-001-01.key', home.keyPem, 0o600) },
    visited: { cert: await file('sepp-002-02.crt', visited.chainPem), key: await file('sepp-002-02.key', visited.keyPem, 0o600) },
    ipx: {
      cert: await file('ipx.crt', ipxTls.chainPem),
      key: await file('ipx.key', ipxTls.keyPem, 0o600),
      signingKey: await file('ipx-signing.key', ipxSigning.keyPem, 0o600),
      signingCert: await file('ipx-signing.crt', ipxSigning.certPem),
    },
  };
}
