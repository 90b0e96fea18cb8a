import * as http2 from 'node:http2';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';

/**
 * HTTP/2 (h2c) closed-loop load generator: `connections` sessions, `concurrency` requests kept in
 * flight (each finished request immediately starts the next one, on the next session round-robin),
 * `warmupS` seconds unrecorded, then `durationS` seconds measured. Latencies go to a preallocated
 * ring (bounded memory) and are sorted once at the end.
 */
export interface LoadOptions {
  /** `http://host:port` of the listener under load. */
  url: string;
  /** More origins: session i connects to [url, ...alsoUrls][i % n] (replicas behind no load balancer). */
  alsoUrls?: string[];
  /** Sent as `3gpp-sbi-target-apiroot` when set. */
  target?: string;
  /** `:authority`; default the host:port of `url`. */
  authority?: string;
  method: string;
  /** Path and query. */
  path: string;
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  concurrency: number;
  durationS: number;
  warmupS: number;
  /**
   * The warm-up also lasts until this many requests were answered 2xx (bounded by
   * `warmupLimitS`): a state that builds up per message (e.g. what an N32-f context remembers)
   * is then measured as it is after that many, not fresh.
   */
  warmupRequests?: number;
  /** Upper bound of a warm-up by `warmupRequests`, in seconds (default 300). */
  warmupLimitS?: number;
  /** A request open longer than this is cancelled and counted as `timeout`. */
  requestTimeoutMs: number;
  /** Size of the latency ring (samples kept). */
  maxSamples: number;
}

export interface LatencySummary {
  samples: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadResult {
  /** Measured window in seconds (wall clock). */
  durationS: number;
  /** Answers with a 2xx status that started and ended inside the window. */
  ok: number;
  /** ok / durationS. */
  reqPerSec: number;
  /** Latency of the 2xx answers. */
  latency: LatencySummary;
  /** Failures inside the window by kind: `status 503`, `reset 2`, `stream ERR_...`, `timeout`, `session ...`. */
  errors: Record<string, number>;
  errorCount: number;
  /** Requests still open when the window closed (not counted either way). */
  inFlightAtEnd: number;
  /** Requests answered 2xx during the warm-up. */
  warmupAnswered: number;
  bytesIn: number;
}

export const DEFAULT_MAX_SAMPLES = 2_000_000;

const { NGHTTP2_CANCEL } = http2.constants;

/** The value at quantile q (0..1) of an ascending array: nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summarize(ring: Float64Array, recorded: number): LatencySummary {
  const n = Math.min(recorded, ring.length);
  const sorted = ring.slice(0, n).sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    samples: n,
    minMs: n ? sorted[0]! : Number.NaN,
    meanMs: n ? sum / n : Number.NaN,
    p50Ms: quantile(sorted, 0.5),
    p90Ms: quantile(sorted, 0.9),
    p99Ms: quantile(sorted, 0.99),
    maxMs: n ? sorted[n - 1]! : Number.NaN,
  };
}

/** A deterministic JSON body of about `size` bytes (an SDM-subscription-like object, padded). */
export function jsonBody(size = 1024): string {
  const base = {
    nfInstanceId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
    implicitUnsubscribe: true,
    callbackReference: 'http://amf1.5gc.mnc002.mcc002.3gppnetwork.org:8080/namf-callback/v1/sdm-notify/imsi-001010000000001',
    monitoredResourceUris: ['/nudm-sdm/v2/imsi-001010000000001/am-data', '/nudm-sdm/v2/imsi-001010000000001/smf-select-data'],
    plmnId: { mcc: '002', mnc: '02' },
    supportedFeatures: '0',
    padding: '',
  };
  const without = JSON.stringify(base).length;
  base.padding = 'x'.repeat(Math.max(0, size - without));
  return JSON.stringify(base);
}

interface Open {
  stream: http2.ClientHttp2Stream;
  startedAt: number;
  timedOut: boolean;
}

export type LoadPhase = 'measure' | 'drain';

/** `onPhase` is called as the measured window opens and as it closes (e.g. to sample CPU time). */
export async function runLoad(options: LoadOptions, onPhase: (phase: LoadPhase) => void = () => undefined): Promise<LoadResult> {
  const url = new URL(options.url);
  const headers: http2.OutgoingHttpHeaders = {
    ...options.headers,
    ':method': options.method,
    ':scheme': url.protocol.replace(/:$/, ''),
    ':authority': options.authority ?? url.host,
    ':path': options.path,
  };
  if (options.target !== undefined) headers['3gpp-sbi-target-apiroot'] = options.target;
  const body = options.body === undefined || options.body === '' ? undefined : Buffer.from(options.body);
  if (body && headers['content-type'] === undefined) headers['content-type'] = 'application/json';

  const ring = new Float64Array(Math.max(1, options.maxSamples));
  let recorded = 0;
  const errors: Record<string, number> = {};
  let errorCount = 0;
  let ok = 0;
  let warmedUp = 0;
  let warmupReached: () => void = () => undefined;
  let bytesIn = 0;
  let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
  let measureStart = Number.POSITIVE_INFINITY;
  const open = new Set<Open>();

  const sessions: Array<http2.ClientHttp2Session | undefined> = new Array<http2.ClientHttp2Session | undefined>(options.connections);
  let next = 0;
  const origins = [url.origin, ...(options.alsoUrls ?? []).map((also) => new URL(also).origin)];
  const newSession = (index: number): http2.ClientHttp2Session => {
    const session = http2.connect(origins[index % origins.length]!);
    session.on('error', (error: NodeJS.ErrnoException) => countError(performance.now(), `session ${error.code ?? error.message}`));
    return session;
  };
  const pick = (): http2.ClientHttp2Session => {
    const index = next;
    next = (next + 1) % sessions.length;
    let session = sessions[index];
    if (!session || session.closed || session.destroyed) {
      session = newSession(index);
      sessions[index] = session;
    }
    return session;
  };

  // Connect every session first, so connection set-up is not part of any latency.
  await Promise.all(
    Array.from({ length: options.connections }, (_, index) => {
      const session = newSession(index);
      sessions[index] = session;
      return new Promise<void>((resolve, reject) => {
        session.once('connect', () => resolve());
        session.once('error', reject);
      });
    }),
  );

  function countError(startedAt: number, kind: string): void {
    if (phase !== 'measure' || startedAt < measureStart) return;
    errorCount += 1;
    errors[kind] = (errors[kind] ?? 0) + 1;
  }

  let drained: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (drained = resolve));

  const issue = (): void => {
    if (phase === 'drain') {
      if (open.size === 0) drained();
      return;
    }
    const startedAt = performance.now();
    let stream: http2.ClientHttp2Stream;
    try {
      stream = pick().request(headers, { endStream: body === undefined });
    } catch (error) {
      countError(startedAt, `request ${(error as NodeJS.ErrnoException).code ?? 'failed'}`);
      setTimeout(issue, 5);
      return;
    }
    const entry: Open = { stream, startedAt, timedOut: false };
    open.add(entry);
    let status = 0;
    let done = false;
    const finish = (outcome: string | null): void => {
      if (done) return;
      done = true;
      const kind = entry.timedOut ? 'timeout' : outcome;
      open.delete(entry);
      const endedAt = performance.now();
      if (kind === null) {
        if (phase === 'measure' && startedAt >= measureStart) {
          ok += 1;
          ring[recorded % ring.length] = endedAt - startedAt;
          recorded += 1;
        } else if (phase === 'warmup') {
          warmedUp += 1;
          if (warmedUp === options.warmupRequests) warmupReached();
        }
        issue();
      } else {
        countError(startedAt, kind);
        // Transport failures answer instantly: do not spin on a dead peer.
        if (kind.startsWith('status')) issue();
        else setTimeout(issue, 5);
      }
    };
    stream.on('response', (responseHeaders) => (status = Number(responseHeaders[':status'])));
    stream.on('data', (chunk: Buffer) => (bytesIn += chunk.length));
    stream.on('end', () => finish(status >= 200 && status < 300 ? null : status ? `status ${status}` : 'no response'));
    stream.on('error', (error: NodeJS.ErrnoException) => finish(`stream ${error.code ?? error.message}`));
    stream.on('close', () => finish(status ? 'reset during body' : `reset ${stream.rstCode ?? '?'}`));
    if (body) stream.end(body);
  };

  const sweeper = setInterval(() => {
    const limit = performance.now() - options.requestTimeoutMs;
    for (const entry of open) {
      if (entry.startedAt < limit && !entry.timedOut) {
        entry.timedOut = true; // counted as 'timeout' when the cancelled stream closes
        entry.stream.close(NGHTTP2_CANCEL);
      }
    }
  }, 250);

  const byCount = options.warmupRequests ? new Promise<void>((resolve) => (warmupReached = resolve)) : null;
  for (let i = 0; i < options.concurrency; i++) issue();
  await new Promise((resolve) => setTimeout(resolve, options.warmupS * 1000));
  if (byCount) {
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([byCount, new Promise<void>((resolve) => (bound = setTimeout(resolve, (options.warmupLimitS ?? 300) * 1000)))]);
    clearTimeout(bound);
  }
  onPhase('measure');
  phase = 'measure';
  measureStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.durationS * 1000));
  const measureEnd = performance.now();
  phase = 'drain';
  onPhase('drain');
  const inFlightAtEnd = open.size;
  // Let open requests finish (they are not counted), bounded by the request timeout.
  const drainTimer = setTimeout(drained, Math.min(options.requestTimeoutMs, 5_000));
  if (open.size === 0) drained();
  await allDone;
  clearTimeout(drainTimer);
  clearInterval(sweeper);
  for (const session of sessions) session?.destroy();

  const durationS = (measureEnd - measureStart) / 1000;
  return {
    durationS,
    ok,
    reqPerSec: ok / durationS,
    latency: summarize(ring, recorded),
    errors,
    errorCount,
    inFlightAtEnd,
    warmupAnswered: warmedUp,
    bytesIn,
  };
}

/**
 * Runs {@link runLoad} in a worker thread, so the generator has an event loop of its own (nothing
 * else the bench does can delay its timestamps). Needs the compiled `load-worker.js` next to this file.
 */
export type WorkerMessage = { phase: LoadPhase } | { ok: true; result: LoadResult } | { ok: false; error: string };

export function runLoadInWorker(options: LoadOptions, onPhase: (phase: LoadPhase) => void = () => undefined): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'load-worker.js'), { workerData: options });
    let settled = false;
    worker.on('message', (message: WorkerMessage) => {
      if ('phase' in message) {
        onPhase(message.phase);
        return;
      }
      settled = true;
      void worker.terminate();
      if (message.ok) resolve(message.result);
      else reject(new Error(message.error));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the load worker exited with code ${code} before reporting`));
    });
  });
}
