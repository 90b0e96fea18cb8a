import type { Http2Session } from 'node:http2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { N32C_HANDSHAKE_API } from '@sepp/protocol';
import type { SeppMetrics } from './sepp-metrics';

const N32C_PREFIX = `${N32C_HANDSHAKE_API}/`;
/** Label values stay bounded whatever paths a client invents. */
const OPERATIONS = new Set(['exchange-capability', 'exchange-params', 'n32f-terminate', 'n32f-error']);

/** The N32-c operation of a path (`exchange-capability`...), `other` for anything else. */
export function n32cOperation(path: string): string {
  const operation = path.startsWith(N32C_PREFIX) ? (path.slice(N32C_PREFIX.length).split(/[/?]/)[0] ?? '') : '';
  return OPERATIONS.has(operation) ? operation : 'other';
}
const TIMING = Symbol('n32c-timing');

/**
 * Metrics every HTTP/2 listener gets: open sessions, and the duration and status of inbound N32-c
 * requests (served by Nest controllers, so timed with Fastify hooks). Open streams are counted by
 * the listener's guard (protect-listener.ts) and read when scraped.
 */
export function instrumentListener(app: NestFastifyApplication, listener: string, metrics: SeppMetrics): void {
  const server = app.getHttpServer() as unknown as NodeJS.EventEmitter;
  metrics.http2Sessions.set({ listener }, 0);
  server.on('session', (session: Http2Session) => {
    metrics.http2Sessions.inc({ listener });
    session.once('close', () => metrics.http2Sessions.dec({ listener }));
  });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith(N32C_PREFIX)) {
      (request as unknown as Record<symbol, unknown>)[TIMING] = metrics.startTimer(metrics.n32cRequests, { operation: n32cOperation(request.url), direction: 'inbound' });
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const end = (request as unknown as Record<symbol, unknown>)[TIMING];
    if (typeof end === 'function') (end as (status: number) => void)(reply.statusCode);
    done();
  });
}
