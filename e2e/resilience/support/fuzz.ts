import { appendFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { FuzzRequest } from './arbitraries';
import { countError } from './results';

/** How one fuzz request ended. */
export type Ending =
  | { kind: 'answer'; status: number; contentType: string; text: string }
  /** The server reset the stream (code), or the connection went away under it. */
  | { kind: 'reset'; code: number; message: string }
  | { kind: 'timeout' }
  /** The client library refused the request before sending it (a generator bug, not a server fault). */
  | { kind: 'client'; message: string };

/** A few connections to one listener, re-opened (and re-prepared) when the server closes one. */
export class SessionPool {
  private readonly slots: (Promise<ClientHttp2Session> | null)[];
  reconnects = 0;

  constructor(
    size: number,
    private readonly open: () => Promise<ClientHttp2Session>,
  ) {
    this.slots = new Array<Promise<ClientHttp2Session> | null>(size).fill(null);
  }

  get size(): number {
    return this.slots.length;
  }

  async get(slot: number): Promise<ClientHttp2Session> {
    const index = slot % this.slots.length;
    const current = this.slots[index];
    if (current) {
      const session = await current.catch(() => null);
      if (session && !session.closed && !session.destroyed && !(session as ClientHttp2Session & { goawayReceived?: boolean }).goawayReceived) return session;
      if (this.slots[index] !== current) return this.get(slot);
      this.reconnects += 1;
    }
    const opening = this.open().then((session) => {
      session.on('error', () => undefined);
      session.once('goaway', () => ((session as ClientHttp2Session & { goawayReceived?: boolean }).goawayReceived = true));
      return session;
    });
    this.slots[index] = opening;
    opening.catch(() => {
      if (this.slots[index] === opening) this.slots[index] = null;
    });
    return opening;
  }

  /** Every open session (for re-preparing them between batches). */
  async all(): Promise<ClientHttp2Session[]> {
    return Promise.all(this.slots.map((_, i) => this.get(i)));
  }

  close(): void {
    for (const slot of this.slots) void slot?.then((s) => s.destroy()).catch(() => undefined);
  }
}

/** An h2c session (the NF-facing listener). */
export function h2cSession(port: number): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`, { maxSessionMemory: 64 });
    session.once('error', reject);
    session.once('connect', () => {
      session.off('error', reject);
      resolve(session);
    });
  });
}

/** One request on `session`, bounded by `timeoutMs`; never rejects. */
export function send(session: ClientHttp2Session, request: FuzzRequest, timeoutMs: number, authority?: string): Promise<Ending> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ending: Ending): void => {
      if (settled) return;
      settled = true;
      clearTimeout(clock.timer);
      resolve(ending);
    };
    let stream;
    const clock: { timer?: NodeJS.Timeout } = {};
    const body = typeof request.body === 'function' ? request.body() : request.body;
    try {
      stream = session.request({ ':method': request.method, ':path': request.path, ...(authority ? { ':authority': authority } : {}), ...request.headers }, { endStream: body === undefined });
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      // A session the server is closing refuses new streams: the caller retries elsewhere.
      done(/GOAWAY|INVALID_SESSION|SESSION/.test(code) ? { kind: 'reset', code: constants.NGHTTP2_REFUSED_STREAM, message: code } : { kind: 'client', message: `${code} ${(error as Error).message}` });
      return;
    }
    clock.timer = setTimeout(() => {
      done({ kind: 'timeout' });
      stream.close(constants.NGHTTP2_CANCEL);
    }, timeoutMs);
    let headers: IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: Buffer) => {
      // Keep the first 4 KB: enough to read a problem+json.
      if (size < 4_096) chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('error', () => undefined);
    stream.on('end', () => {
      if (!headers) return done({ kind: 'reset', code: stream.rstCode ?? -1, message: 'ended without headers' });
      done({ kind: 'answer', status: Number(headers[':status']), contentType: String(headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8').slice(0, 4_096) });
    });
    stream.on('close', () => {
      if (headers && stream.rstCode === constants.NGHTTP2_NO_ERROR) return; // 'end' resolves it
      done({ kind: 'reset', code: stream.rstCode ?? -1, message: headers ? 'reset after the headers' : 'closed before an answer' });
    });
    if (body !== undefined) stream.end(body);
  });
}

export interface FuzzStats {
  requests: number;
  statuses: Record<string, number>;
  /** Outcomes that break the property (a 5xx, a reset, a hang): kind -> count. */
  violations: Record<string, number>;
  /** Not violations, but worth a line: retried after the server closed the connection, etc. */
  info: Record<string, number>;
  /** The first few violating requests, for replay. */
  examples: { request: Omit<FuzzRequest, 'body'> & { body: string }; ending: Ending }[];
  shapes: Record<string, number>;
  ms: number;
}

export interface FuzzRun {
  pool: SessionPool;
  cases: readonly FuzzRequest[];
  concurrency: number;
  timeoutMs?: number;
  /** `:authority` of every request (default: the client library's, from the connection). */
  authority?: (request: FuzzRequest) => string | undefined;
  /** Runs between batches (e.g. re-negotiating PRINS on the pool's sessions). */
  beforeBatch?: (pool: SessionPool) => Promise<void>;
  batchSize?: number;
  /** An extra check of an answer: returns a violation kind, or null. */
  check?: (request: FuzzRequest, ending: Extract<Ending, { kind: 'answer' }>) => string | null;
}

/**
 * The one 5xx the responder answers generated input by design: a request to a path outside its
 * N32-c API is TLS-mode N32-f (paths are case-sensitive: `/N32C-HANDSHAKE/...` is one); from a
 * configured peer without an agreement (the generator's own `NONE` and PRINS cases and closed
 * connections take it away) the responder renegotiates with that peer, and answers `503
 * N32_NOT_ESTABLISHED` when that renegotiation cannot reach the peer (here its configured address
 * does not resolve) or, at most once per `minIntervalMs`, with `retry-after` while the rate limit
 * holds the next attempt back (README, the pSEPP rows of the refusal table). Recognised by status,
 * media type, cause and path, not by the detail's wording. Counted, not a violation; any other 5xx
 * still is.
 */
function noAgreementWithPeer(request: FuzzRequest, ending: Extract<Ending, { kind: 'answer' }>): boolean {
  if (ending.status !== 503 || request.path.startsWith('/n32c-handshake/')) return false;
  if (!/^application\/problem\+json/.test(ending.contentType)) return false;
  try {
    return (JSON.parse(ending.text) as { cause?: unknown }).cause === 'N32_NOT_ESTABLISHED';
  } catch {
    return false;
  }
}

/** Attempts after a refused stream (the server did not process it, RFC 9113 §8.7: safe to send again). */
const RETRIES = 8;
export const HEAVY_BODY_BYTES = 16 * 1024;
const HEAVY_IN_FLIGHT = 3;

function bodySize(request: FuzzRequest): number {
  return typeof request.body === 'function' ? 0 : (request.body?.length ?? 0);
}

class Semaphore {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}
/** SEPP_FUZZ_DUMP=<file>: every request and how it ended, one JSON line each (for debugging a generator or replaying). */
const DUMP = process.env['SEPP_FUZZ_DUMP'];

function describe(request: FuzzRequest): Omit<FuzzRequest, 'body'> & { body: string } {
  const body = typeof request.body === 'function' ? '(sealed at send time)' : (request.body?.toString('utf8').slice(0, 2_000) ?? '');
  // Long values shortened for the report (a run of one character as `x×3000`).
  const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, value.length > 80 && /^(.)\1+$/.test(value) ? `${value[0]}×${value.length}` : value]));
  return { method: request.method, path: request.path, headers, shape: request.shape, ...(request.tag ? { tag: request.tag } : {}), body };
}

/** Sends every case (`concurrency` in flight over the pool's sessions) and checks: no 5xx, no reset, no hang. */
export async function runFuzz({ pool, cases, concurrency, timeoutMs = 10_000, authority, beforeBatch, batchSize = cases.length, check }: FuzzRun): Promise<FuzzStats> {
  // Large bodies at most a few at a time: the listeners give one connection 10 MB of buffers
  // (maxSessionMemory) and refuse streams beyond that; the fuzzer tests content, not volume.
  const heavyPermits = new Semaphore(HEAVY_IN_FLIGHT);
  const stats: FuzzStats = { requests: 0, statuses: {}, violations: {}, info: {}, examples: [], shapes: {}, ms: 0 };
  const started = performance.now();
  const violation = (request: FuzzRequest, ending: Ending, kind: string): void => {
    countError(stats.violations, kind);
    if (stats.examples.length < 5) stats.examples.push({ request: describe(request), ending });
  };
  for (let from = 0; from < cases.length; from += batchSize) {
    if (beforeBatch) await beforeBatch(pool);
    const batch = cases.slice(from, from + batchSize);
    let next = 0;
    const worker = async (w: number): Promise<void> => {
      while (next < batch.length) {
        const request = batch[next++]!;
        countError(stats.shapes, request.shape);
        let ending: Ending | null = null;
        for (let attempt = 0; attempt <= RETRIES; attempt++) {
          // The permit first, the session then: a session taken before a wait for the permit may
          // have been closed by the server meanwhile (exchange-capability cases that end N32 do).
          const heavy = request.heavy === true || bodySize(request) > HEAVY_BODY_BYTES;
          if (heavy) await heavyPermits.acquire();
          try {
            let session: ClientHttp2Session;
            try {
              session = await pool.get(w + attempt);
            } catch (error) {
              ending = { kind: 'reset', code: -2, message: `cannot connect: ${(error as Error).message}` };
              continue;
            }
            ending = await send(session, request, timeoutMs, authority?.(request));
            // REFUSED_STREAM (or a session already going away): the server did not process it.
            const refused = ending.kind === 'reset' && (ending.code === constants.NGHTTP2_REFUSED_STREAM || (session.closed || session.destroyed || (session as ClientHttp2Session & { goawayReceived?: boolean }).goawayReceived === true));
            if (!refused) break;
          } finally {
            if (heavy) heavyPermits.release();
          }
          countError(stats.info, 'retried on a new connection (server closed the old one)');
        }
        stats.requests += 1;
        if (!ending) continue;
        if (DUMP) appendFileSync(DUMP, `${JSON.stringify({ request: describe(request), ending })}\n`);
        if (ending.kind === 'answer') {
          countError(stats.statuses, String(ending.status));
          if (noAgreementWithPeer(request, ending)) countError(stats.info, '503 N32_NOT_ESTABLISHED: TLS-mode N32-f from the peer without an agreement (documented)');
          else if (ending.status >= 500 || !(ending.status >= 100)) violation(request, ending, `status ${ending.status}`);
          else if (ending.status >= 400 && !/^application\/problem\+json/.test(ending.contentType)) {
            // Every refusal is a problem+json (README), the 417 to an `expect` header included.
            violation(request, ending, `${ending.status} not problem+json`);
          } else {
            const extra = check?.(request, ending);
            if (extra) violation(request, ending, extra);
          }
        } else if (ending.kind === 'reset') violation(request, ending, `reset(${ending.code})`);
        else if (ending.kind === 'timeout') violation(request, ending, 'hang');
        else countError(stats.info, `refused by the client library: ${ending.message.split(' ')[0]}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batch.length) }, (_, w) => worker(w)));
  }
  stats.ms = performance.now() - started;
  return stats;
}
