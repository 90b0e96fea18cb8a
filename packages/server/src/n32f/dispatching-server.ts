import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type SecureServerOptions,
  type ServerHttp2Session,
} from 'node:http2';

/** Takes the request (returns true) or leaves it to Fastify (returns false). */
export type FastPath = (request: Http2ServerRequest, response: Http2ServerResponse) => boolean;

type Handler = (request: Http2ServerRequest, response: Http2ServerResponse) => void;

/** The HTTP/2 server of a SEPP listener; `fastPath` is installed before it listens. */
export type SeppHttp2Server = (Http2Server | Http2SecureServer) & {
  fastPath?: FastPath;
  /** Fastify calls this at close when present (Node 20's HTTP/2 server does not end sessions). */
  closeHttp2Sessions?: () => void;
};

/**
 * A `serverFactory` for the Fastify adapter whose server hands forwarded NF traffic to a fast path
 * before Fastify sees it. N32-f is a proxy: its requests must stream through untouched (no body
 * parsing, no routing table, no per-request framework objects), while the few API routes of the
 * same port (N32-c, the telescopic mapping API) stay Nest controllers.
 */
export function dispatchingServerFactory(tls: SecureServerOptions | null, sessionTimeoutMs: number): (handler: Handler) => SeppHttp2Server {
  return (fastifyHandler) => {
    const sessions = new Set<ServerHttp2Session>();
    const handler: Handler = (request, response) => {
      if (server.fastPath?.(request, response)) return;
      fastifyHandler(request, response);
    };
    const server: SeppHttp2Server = tls ? createSecureServer(tls, handler) : createServer({}, handler);
    server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      if (sessionTimeoutMs > 0) session.setTimeout(sessionTimeoutMs, () => session.close());
    });
    // GOAWAY every session at close, so server.close() finishes once in-flight streams are done.
    server.closeHttp2Sessions = () => {
      for (const session of sessions) session.close();
    };
    return server;
  };
}
