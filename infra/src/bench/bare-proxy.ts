import * as http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { constants as cryptoConstants } from 'node:crypto';
import { authorityOf, effectivePort, endToEndHeaders as endToEnd, N32C_PATHS, originOf, parseApiRoot, SBI_HEADERS, type ApiRoot } from '@sepp/protocol';

/**
 * The benchmark's baseline: a bare node:http2 proxy pair with no framework, shaped like the SEPP
 * pair so the topology matches (consumer -> A -> B -> producer):
 *  - proxy A: h2c server (core `stream` API) that forwards every stream on ONE mutual-TLS HTTP/2
 *    client session to B (`:authority` = B's FQDN, end-to-end headers incl. the target header kept);
 *  - proxy B: HTTP/2 TLS server that requires client certificates and forwards every stream to the
 *    target named by `3gpp-sbi-target-apiroot` (header removed) over one h2c session per origin.
 * Status, headers and body are relayed back unchanged (minus hop-by-hop headers).
 */

// The pure helpers (hop-by-hop filtering, apiRoot parsing) are the SEPP's own, so the baseline
// and the SEPP pair do the same per-request work apart from the framework around it.
export const TARGET_HEADER = SBI_HEADERS.targetApiRoot;
const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

function problem(stream: http2.ServerHttp2Stream, status: number, cause: string, detail: string): void {
  if (stream.destroyed || stream.closed) return;
  if (stream.headersSent) {
    stream.close(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  const body = JSON.stringify({ status, title: status === 400 ? 'Bad Request' : status === 403 ? 'Forbidden' : 'Bad Gateway', cause, detail });
  stream.respond({ ':status': status, 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
  stream.end(body);
}

/**
 * Forwards one server stream on `upstream` with `headers`, and relays the answer back. The request
 * body is piped through unless the request ended with its HEADERS frame.
 */
function relay(stream: http2.ServerHttp2Stream, upstream: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): void {
  let out: http2.ClientHttp2Stream;
  try {
    out = upstream.request(headers, { endStream: stream.endAfterHeaders });
  } catch (error) {
    problem(stream, 502, 'UPSTREAM_UNAVAILABLE', (error as Error).message);
    return;
  }
  if (!stream.endAfterHeaders) stream.pipe(out);
  out.on('response', (responseHeaders) => {
    if (stream.destroyed || stream.closed) return;
    const relayed: http2.OutgoingHttpHeaders = endToEnd(responseHeaders);
    relayed[':status'] = responseHeaders[':status'];
    if (out.endAfterHeaders) {
      stream.respond(relayed, { endStream: true });
      return;
    }
    stream.respond(relayed);
    // Plain writes rather than pipe(): bodies here are small and flow control is HTTP/2's own.
    out.on('data', (chunk: Buffer) => {
      if (!stream.write(chunk)) {
        out.pause();
        stream.once('drain', () => out.resume());
      }
    });
    out.once('end', () => stream.end());
  });
  out.on('error', (error: NodeJS.ErrnoException) => problem(stream, 502, 'UPSTREAM_ERROR', error.code ?? error.message));
  out.on('close', () => {
    if (!stream.headersSent) problem(stream, 502, 'UPSTREAM_RESET', `upstream stream closed (code ${out.rstCode ?? '?'})`);
  });
  stream.on('error', () => out.close(NGHTTP2_CANCEL));
  stream.on('close', () => {
    if (!out.closed) out.close(NGHTTP2_CANCEL);
  });
}

/** One lazily (re)opened client session. */
class LazySession {
  private session: http2.ClientHttp2Session | undefined;

  constructor(
    private readonly authority: string,
    private readonly options: http2.SecureClientSessionOptions | http2.ClientSessionOptions,
  ) {}

  get(): http2.ClientHttp2Session {
    if (!this.session || this.session.closed || this.session.destroyed) {
      const session = http2.connect(this.authority, this.options);
      session.on('error', () => undefined); // surfaces on the streams
      this.session = session;
    }
    return this.session;
  }

  close(): void {
    this.session?.close();
  }
}

export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
  ca: string | Buffer;
}

export interface RunningProxy {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: http2.Http2Server | http2.Http2SecureServer, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

interface Tracked {
  sessions: Set<http2.ServerHttp2Session>;
  sockets: Set<Socket>;
}

function closer(server: http2.Http2Server | http2.Http2SecureServer, tracked: Tracked, extra: () => void): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      extra();
      server.close(() => resolve());
      tracked.sessions.forEach((session) => session.close());
      setTimeout(() => {
        tracked.sessions.forEach((session) => session.destroy());
        tracked.sockets.forEach((socket) => socket.destroy());
      }, 1_000).unref();
    });
}

function track(server: http2.Http2Server | http2.Http2SecureServer): Tracked {
  const tracked: Tracked = { sessions: new Set(), sockets: new Set() };
  server.on('connection', (socket: Socket) => {
    tracked.sockets.add(socket);
    socket.once('close', () => tracked.sockets.delete(socket));
  });
  server.on('session', (session: http2.ServerHttp2Session) => {
    tracked.sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => tracked.sessions.delete(session));
  });
  return tracked;
}

export interface ProxyAOptions {
  host?: string;
  port?: number;
  /** Where B listens. */
  peer: { host: string; port: number };
  /** B's FQDN: TLS servername (checked against its certificate) and `:authority`. */
  peerFqdn: string;
  tls: TlsFiles;
}

export async function startProxyA(options: ProxyAOptions): Promise<RunningProxy> {
  const upstream = new LazySession(`https://${options.peer.host}:${options.peer.port}`, {
    ca: options.tls.ca,
    cert: options.tls.cert,
    key: options.tls.key,
    servername: options.peerFqdn,
  });
  const server = http2.createServer();
  const tracked = track(server);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const out: http2.OutgoingHttpHeaders = endToEnd(headers);
    out[':method'] = headers[':method'];
    out[':path'] = headers[':path'];
    out[':scheme'] = 'https';
    out[':authority'] = options.peerFqdn;
    relay(stream, upstream.get(), out);
  });
  const address = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  upstream.get(); // connect now: the TLS handshake is not part of the first request
  return { address: address.address, port: address.port, close: closer(server, tracked, () => upstream.close()) };
}

export interface ProxyBOptions {
  host?: string;
  port?: number;
  tls: TlsFiles;
  /** FQDN -> IP address to dial instead of DNS (like the SEPP's `sbi.hosts`). */
  hosts?: Record<string, string>;
  /** apiRoot origins (`scheme://host:port`) B may forward to; empty/absent -> any. */
  allowedTargets?: string[];
}

export async function startProxyB(options: ProxyBOptions): Promise<RunningProxy> {
  const hosts = new Map(Object.entries(options.hosts ?? {}).map(([name, ip]) => [name.toLowerCase(), ip]));
  const allowed = new Set((options.allowedTargets ?? []).map((text) => parseApiRoot(text)).filter((root): root is ApiRoot => root !== null).map(originOf));
  const upstreams = new Map<string, LazySession>();
  const upstreamFor = (target: ApiRoot): http2.ClientHttp2Session => {
    const origin = originOf(target);
    let lazy = upstreams.get(origin);
    if (!lazy) {
      const dial = hosts.get(target.host) ?? target.host;
      const bracketed = dial.includes(':') ? `[${dial}]` : dial;
      lazy = new LazySession(`${target.scheme}://${bracketed}:${effectivePort(target)}`, target.scheme === 'https' ? { servername: target.host } : {});
      upstreams.set(origin, lazy);
    }
    return lazy.get();
  };

  const server = http2.createSecureServer(mutualTls(options.tls));
  const tracked = track(server);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const value = headers[TARGET_HEADER];
    const target = typeof value === 'string' ? parseApiRoot(value) : null;
    if (!target) {
      stream.resume();
      problem(stream, 400, 'MANDATORY_IE_INCORRECT', `${TARGET_HEADER} is missing or not an apiRoot`);
      return;
    }
    if (allowed.size > 0 && !allowed.has(originOf(target))) {
      stream.resume();
      problem(stream, 403, 'TARGET_NOT_ALLOWED', `${originOf(target)} is not an allowed target`);
      return;
    }
    const out: http2.OutgoingHttpHeaders = endToEnd(headers, TARGET_HEADER);
    out[':method'] = headers[':method'];
    out[':path'] = `${target.prefix}${headers[':path'] ?? '/'}`;
    out[':scheme'] = target.scheme;
    out[':authority'] = authorityOf(target);
    relay(stream, upstreamFor(target), out);
  });
  const address = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  return { address: address.address, port: address.port, close: closer(server, tracked, () => upstreams.forEach((lazy) => lazy.close())) };
}

/** An HTTP/2-only TLS server identity that requires and verifies client certificates. */
function mutualTls(tls: TlsFiles): http2.SecureServerOptions {
  return { cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true, rejectUnauthorized: true, allowHTTP1: false };
}

export interface BareN32cOptions {
  host?: string;
  port?: number;
  tls: TlsFiles;
  /** The `sender` of its answers (the FQDN its certificate names). */
  fqdn: string;
}

/**
 * The floor of scenario (n): a bare `node:http2` server with client certificates that answers
 * `exchange-capability` with TLS selected, and nothing else. It reads the request body and parses
 * it as JSON, as any N32-c responder must; the TLS settings that shape a handshake are the SEPP's
 * (no session tickets, no renegotiation, the same key-exchange groups), so what (n) measures of
 * it is Node's own TLS and HTTP/2 set-up on this machine.
 */
export async function startBareN32c(options: BareN32cOptions): Promise<RunningProxy> {
  const server = http2.createSecureServer({
    ...mutualTls(options.tls),
    minVersion: 'TLSv1.2',
    ecdhCurve: 'X25519:P-256:P-384',
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET | cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  });
  const tracked = track(server);
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      let request: unknown;
      try {
        request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        request = undefined;
      }
      if (headers[':method'] !== 'POST' || headers[':path'] !== N32C_PATHS.exchangeCapability || typeof request !== 'object' || request === null) {
        problem(stream, 400, 'INVALID_MSG_FORMAT', 'only POST exchange-capability with a JSON object is answered here');
        return;
      }
      const handshakeId = (request as { n32HandshakeId?: unknown }).n32HandshakeId;
      const body = JSON.stringify({ sender: options.fqdn, selectedSecCapability: 'TLS', ...(typeof handshakeId === 'string' ? { n32HandshakeId: handshakeId } : {}) });
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      stream.end(body);
    });
  });
  const address = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  return { address: address.address, port: address.port, close: closer(server, tracked, () => undefined) };
}
