import { createHash } from 'node:crypto';
import * as http2 from 'node:http2';
import { STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A demo producer NF (nudm-sdm-like) on cleartext HTTP/2 (h2c), built on the core `stream` API so
 * it costs as little as possible when it sits behind the SEPPs in a benchmark.
 *
 * Routes (a path may carry an apiRoot prefix in front; matching is on the end of the path):
 *  - `GET  …/nudm-sdm/v2/{supi}/am-data[?query]` -> 200 JSON access-and-mobility data
 *  - `any  …/status/{code}`  -> that status (4xx/5xx: application/problem+json, cause DEMO_<code>)
 *  - `any  …/slow/{ms}`      -> waits ms, then echoes
 *  - `any  …/bytes/{n}`      -> n bytes of application/octet-stream (byte i = i mod 256)
 *  - `DELETE` elsewhere      -> 204
 *  - `HEAD` elsewhere        -> 200, no body
 *  - anything else           -> echo (POST -> 201 with a `location` header)
 *
 * Every answer is a pure function of the request (no dates, counters or random ids in bodies or
 * headers we set), so the same request always gets the same bytes.
 */
export interface ProducerOptions {
  host?: string;
  port?: number;
  /** Reported as `servedBy` in every JSON body. */
  name?: string;
  /** Largest request body read; larger -> 413 problem. Default 16 MiB. */
  maxBodyBytes?: number;
}

export interface ProducerStats {
  total: number;
  byMethod: Record<string, number>;
  /** `"<METHOD> <path without query>"` -> count (the first MAX_ROUTES distinct keys; the rest under `"other"`). */
  byRoute: Record<string, number>;
}

export interface Producer {
  readonly address: string;
  readonly port: number;
  readonly name: string;
  stats(): ProducerStats;
  /** Stops listening and closes every session. */
  close(): Promise<void>;
}

/** The echo body of the catch-all routes. */
export interface EchoBody {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[]>;
  body: string;
  json: unknown;
  servedBy: string;
}

export const AM_DATA_ROUTE = /\/nudm-sdm\/v2\/([^/]+)\/am-data$/;
const STATUS_ROUTE = /\/status\/(\d{1,3})$/;
const SLOW_ROUTE = /\/slow\/(\d{1,9})$/;
const BYTES_ROUTE = /\/bytes\/(\d{1,12})$/;

export const MAX_SLOW_MS = 120_000;
export const MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const MAX_ROUTES = 10_000;

const {
  HTTP2_HEADER_STATUS: STATUS,
  HTTP2_HEADER_CONTENT_TYPE: CONTENT_TYPE,
  HTTP2_HEADER_CONTENT_LENGTH: CONTENT_LENGTH,
} = http2.constants;

const JSON_TYPE = 'application/json';
const PROBLEM_TYPE = 'application/problem+json';
const OCTET_TYPE = 'application/octet-stream';

/** Deterministic byte pattern of `/bytes/{n}`: byte i is i mod 256. */
export function bytePattern(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = i & 0xff;
  return out;
}

/**
 * The query string as the am-data body shows it: repeated keys become arrays, and values that
 * look like JSON objects/arrays (TS 29.503 encodes e.g. `plmn-id` that way) are parsed.
 */
export function parseQuery(raw: string): Record<string, unknown> {
  // Null prototype: a `__proto__` parameter is just a parameter.
  const out = Object.create(null) as Record<string, unknown>;
  const repeated = new Set<string>();
  for (const [key, text] of new URLSearchParams(raw)) {
    let value: unknown = text;
    if (/^\s*[[{]/.test(text)) {
      try {
        value = JSON.parse(text);
      } catch {
        // not JSON after all: keep the text
      }
    }
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      out[key] = value;
    } else if (repeated.has(key)) {
      (out[key] as unknown[]).push(value);
    } else {
      repeated.add(key);
      out[key] = [out[key], value];
    }
  }
  return out;
}

/** Access and mobility subscription data for a SUPI (TS 29.503 AccessAndMobilitySubscriptionData, abridged). */
export function amData(supi: string, query: Record<string, unknown>, servedBy: string): Record<string, unknown> {
  const digits = supi.replace(/\D/g, '');
  return {
    supi,
    gpsis: [`msisdn-${digits.slice(-12) || '0'}`],
    subscribedUeAmbr: { uplink: '1 Gbps', downlink: '2 Gbps' },
    nssai: { defaultSingleNssais: [{ sst: 1 }] },
    ratRestrictions: [],
    query,
    servedBy,
  };
}

function problem(status: number, cause: string, detail: string): Buffer {
  return Buffer.from(JSON.stringify({ status, title: STATUS_CODES[status] ?? `Status ${status}`, cause, detail }));
}

function tryJson(text: string): unknown {
  if (text.length === 0) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Received headers without pseudo-headers, in the order they came. */
function plainHeaders(headers: http2.IncomingHttpHeaders): Record<string, string | string[]> {
  const out = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    out[name] = value;
  }
  return out;
}

function splitPath(rawPath: string): { path: string; query: string } {
  const at = rawPath.indexOf('?');
  return at < 0 ? { path: rawPath, query: '' } : { path: rawPath.slice(0, at), query: rawPath.slice(at + 1) };
}

export async function startProducer(options: ProducerOptions = {}): Promise<Producer> {
  const host = options.host ?? '127.0.0.1';
  const name = options.name ?? 'udm1';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const stats: ProducerStats = { total: 0, byMethod: {}, byRoute: {} };
  let routes = 0;
  const sessions = new Set<http2.ServerHttp2Session>();
  const timers = new Set<NodeJS.Timeout>();

  const count = (method: string, path: string): void => {
    stats.total += 1;
    stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
    let key = `${method} ${path}`;
    if (stats.byRoute[key] === undefined) {
      if (routes >= MAX_ROUTES) key = 'other';
      else routes += 1;
    }
    stats.byRoute[key] = (stats.byRoute[key] ?? 0) + 1;
  };

  const send = (stream: http2.ServerHttp2Stream, status: number, type: string | null, body: Buffer | null, extra?: http2.OutgoingHttpHeaders): void => {
    if (stream.destroyed || stream.closed) return;
    const headers: http2.OutgoingHttpHeaders = { [STATUS]: status, ...extra };
    if (body && type) {
      headers[CONTENT_TYPE] = type;
      headers[CONTENT_LENGTH] = body.length;
      stream.respond(headers);
      stream.end(body);
    } else {
      stream.respond(headers, { endStream: true });
    }
  };

  const echo = (method: string, path: string, query: string, headers: http2.IncomingHttpHeaders, text: string): Buffer => {
    const body: EchoBody = { method, path, query, headers: plainHeaders(headers), body: text, json: tryJson(text), servedBy: name };
    return Buffer.from(JSON.stringify(body));
  };

  const answer = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, raw: Buffer): void => {
    const method = String(headers[':method'] ?? 'GET');
    const { path, query } = splitPath(String(headers[':path'] ?? '/'));
    count(method, path);
    const text = raw.toString('utf8');
    const noBody = method === 'HEAD';

    let match = STATUS_ROUTE.exec(path);
    if (match) {
      const code = Number(match[1]);
      if (code < 200 || code > 599) {
        send(stream, 400, PROBLEM_TYPE, problem(400, 'INVALID_DEMO_STATUS', `/status/${match[1]}: the status must be 200..599`));
      } else if (code >= 400) {
        send(stream, code, PROBLEM_TYPE, problem(code, `DEMO_${code}`, `${method} ${path} asked for status ${code}`));
      } else if (code === 204 || code === 205 || code === 304 || noBody) {
        send(stream, code, null, null);
      } else {
        send(stream, code, JSON_TYPE, echo(method, path, query, headers, text));
      }
      return;
    }
    match = SLOW_ROUTE.exec(path);
    if (match) {
      const ms = Math.min(Number(match[1]), MAX_SLOW_MS);
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(stream, 200, noBody ? null : JSON_TYPE, noBody ? null : echo(method, path, query, headers, text));
      }, ms);
      timers.add(timer);
      stream.once('close', () => {
        clearTimeout(timer);
        timers.delete(timer);
      });
      return;
    }
    match = BYTES_ROUTE.exec(path);
    if (match) {
      const n = Number(match[1]);
      if (n > MAX_BYTES) {
        send(stream, 400, PROBLEM_TYPE, problem(400, 'INVALID_DEMO_SIZE', `/bytes/${n}: at most ${MAX_BYTES} bytes`));
      } else if (noBody) {
        send(stream, 200, null, null, { [CONTENT_TYPE]: OCTET_TYPE, [CONTENT_LENGTH]: n });
      } else {
        send(stream, 200, OCTET_TYPE, bytePattern(n));
      }
      return;
    }
    match = method === 'GET' ? AM_DATA_ROUTE.exec(path) : null;
    if (match) {
      const supi = decodeURIComponent(match[1]!);
      send(stream, 200, JSON_TYPE, Buffer.from(JSON.stringify(amData(supi, parseQuery(query), name))));
      return;
    }
    switch (method) {
      case 'DELETE':
        send(stream, 204, null, null);
        return;
      case 'HEAD':
        send(stream, 200, null, null);
        return;
      case 'POST': {
        // A location that depends on the request only: the path plus a digest of the body.
        const id = createHash('sha256').update(raw).digest('hex').slice(0, 16);
        const scheme = String(headers[':scheme'] ?? 'http');
        const authority = String(headers[':authority'] ?? headers['host'] ?? 'localhost');
        const location = `${scheme}://${authority}${path.replace(/\/+$/, '')}/${id}`;
        send(stream, 201, JSON_TYPE, echo(method, path, query, headers, text), { location });
        return;
      }
      default:
        send(stream, 200, JSON_TYPE, echo(method, path, query, headers, text));
    }
  };

  const server = http2.createServer({ settings: { maxConcurrentStreams: 1_000 } });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    stream.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBody) {
        tooLarge = true;
        chunks.length = 0;
        send(stream, 413, PROBLEM_TYPE, problem(413, 'DEMO_BODY_TOO_LARGE', `request bodies are limited to ${maxBody} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => {
      if (tooLarge) return;
      answer(stream, headers, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    address: address.address,
    port: address.port,
    name,
    stats: () => structuredClone(stats),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const session of sessions) session.close();
        // Sessions with streams still open would keep close() waiting: give them a moment, then cut
        // the connections (destroying a session whose peer stopped reading is not always enough).
        setTimeout(() => {
          sessions.forEach((session) => session.destroy());
          sockets.forEach((socket) => socket.destroy());
        }, 1_000).unref();
      });
      return closing;
    },
  };
}
