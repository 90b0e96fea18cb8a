import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type IncomingHttpHeaders,
  type SecureServerOptions,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { http2ServerLimits, listenerLimits } from '../limits/listener-limits';

/** Emitted by a SEPP HTTP/2 server for every new stream, before any handler takes it. */
export const ANY_STREAM = 'sepp:stream';
/** Emitted (with a `RefusedRequest`) for a request the server itself refuses before any route sees it. */
export const REQUEST_REFUSED = 'sepp:request-refused';

export interface RefusedRequest {
  readonly status: number;
  readonly cause: string;
  readonly detail: string;
  readonly method: string;
  readonly url: string;
  readonly remoteAddress: string | undefined;
}

/** Takes the stream (returns true) or leaves it to Fastify (returns false). */
export type FastPath = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;

type Handler = (request: Http2ServerRequest, response: Http2ServerResponse) => void;

/** The HTTP/2 server of a SEPP listener; `fastPath` is installed before it listens. */
export type SeppHttp2Server = (Http2Server | Http2SecureServer) & {
  fastPath?: FastPath;
  /** Fastify calls this at close when present (Node 20's HTTP/2 server does not end sessions). */
  closeHttp2Sessions?: () => void;
  /** The sessions open now. */
  readonly http2Sessions: ReadonlySet<ServerHttp2Session>;
  /** The idle bound the listener was created with (ms; 0: none). */
  readonly sessionIdleMs: number;
  /**
   * Installed before listening by `protectListener`: it takes over every new session's timers
   * (idle and liveness bounds, flood limits). Without it a session idle for `sessionIdleMs` is closed.
   */
  guardSession?: (session: ServerHttp2Session) => void;
  /**
   * Installed before listening by `limitConnections`: whether a new TCP connection may stay. A
   * connection it refuses is destroyed before Node's TLS or HTTP/2 layer sees it.
   */
  admitConnection?: (socket: Socket) => boolean;
  /**
   * Asked for every new stream before anything else sees it: false when it answered the stream
   * itself (a refusal), which then goes nowhere else.
   */
  admitStream?: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;
};

/**
 * A `serverFactory` for the Fastify adapter whose server hands forwarded NF traffic to a fast path
 * before Fastify, or even Node's request/response compatibility layer, sees it. N32-f is a proxy:
 * its streams must pass through untouched (no body parsing, no routing table, no per-request
 * framework objects), while the few API routes of the same port (N32-c, the telescopic mapping
 * API) stay Nest controllers.
 *
 * How: Node turns each new stream into a `stream` event on the server, and its compatibility layer
 * (which builds the request/response objects Fastify needs) is just a listener of that event. The
 * server's `emit` is wrapped so that a stream the fast path takes never reaches that listener.
 *
 * The server is built with the HTTP/2 and TLS limits of `limits` (listener-limits.ts): the
 * SETTINGS it announces, nghttp2's flood protections, the TLS handshake timeout.
 */
export function dispatchingServerFactory(tls: SecureServerOptions | null, sessionTimeoutMs: number): (handler: Handler) => SeppHttp2Server {
  return (fastifyHandler) => {
    const sessions = new Set<ServerHttp2Session>();
    const limits = listenerLimits();
    const http2Options = http2ServerLimits(limits);
    const server = (
      tls ? createSecureServer({ ...http2Options, ...tls, handshakeTimeout: limits.handshakeTimeoutMs }, fastifyHandler) : createServer(http2Options, fastifyHandler)
    ) as SeppHttp2Server;
    Object.assign(server, { http2Sessions: sessions, sessionIdleMs: sessionTimeoutMs });
    // An `expect` other than 100-continue: Node would answer an empty 417 by itself; every refusal
    // of ours is problem+json (RFC 7807), this one too.
    server.on('checkExpectation', (request: Http2ServerRequest, response: Http2ServerResponse) => {
      const problem = {
        type: 'about:blank',
        title: 'Expectation Failed',
        status: 417,
        detail: `expect: ${String(request.headers['expect'])} is not supported (only 100-continue)`,
        cause: 'UNSUPPORTED_EXPECTATION',
        invalidParams: [{ param: 'header expect', reason: 'only 100-continue is supported' }],
      };
      const body = JSON.stringify(problem);
      server.emit(REQUEST_REFUSED, { status: problem.status, cause: problem.cause, detail: problem.detail, method: request.method, url: request.url, remoteAddress: request.socket?.remoteAddress });
      request.resume();
      response.writeHead(417, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
    const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
    server.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
      if (event === 'connection' && server.admitConnection && !server.admitConnection(args[0] as Socket)) {
        (args[0] as Socket).destroy();
        return true;
      }
      if (event === 'stream') {
        if (server.admitStream && !server.admitStream(args[0] as ServerHttp2Stream, args[1] as IncomingHttpHeaders)) {
          (args[0] as ServerHttp2Stream).on('error', () => undefined);
          return true;
        }
        emit(ANY_STREAM, ...args);
        if (server.fastPath?.(args[0] as ServerHttp2Stream, args[1] as IncomingHttpHeaders)) {
          // Skipping the compatibility layer skips its 'error' listener too: without one, a stream
          // reset with an error code is an uncaught exception that ends the process. Failures
          // surface as 'close' to the fast path.
          (args[0] as ServerHttp2Stream).on('error', () => undefined);
          return true;
        }
      }
      return emit(event, ...args);
    }) as typeof server.emit;
    server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      if (server.guardSession) server.guardSession(session);
      else if (sessionTimeoutMs > 0) session.setTimeout(sessionTimeoutMs, () => session.close());
    });
    // GOAWAY every session at close, so server.close() finishes once in-flight streams are done.
    // One GOAWAY, naming the last stream received: RFC 9113 §6.8's two-step shutdown (a first
    // GOAWAY with the highest stream ID) gains nothing with Node, whose nghttp2 ignores every new
    // stream once it has sent any GOAWAY and refuses them at the final one. Streams that cross our
    // GOAWAY are refused (REFUSED_STREAM: not processed), and a client may retry them elsewhere,
    // as our initiator does (forwardStream's reroute, exchangeBuffered's RequestNotProcessed).
    server.closeHttp2Sessions = () => {
      for (const session of sessions) session.close();
    };
    return server;
  };
}
