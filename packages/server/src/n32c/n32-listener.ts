import type { TLSSocket } from 'node:tls';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SeppConfig } from '../config/sepp-config';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { n32ServerTlsOptions } from '../tls/tls-options';
import type { Http2SecureServer } from 'node:http2';

/** The N32 server adapter: HTTP/2 over mutual TLS, nothing else (no HTTP/1.1, no h2c). */
export function n32ServerAdapter(config: SeppConfig): FastifyAdapter {
  return new FastifyAdapter({
    http2: true,
    https: n32ServerTlsOptions(config),
    bodyLimit: config.n32.bodyLimit,
    http2SessionTimeout: config.n32.idleTimeoutMs,
    logger: false,
    return503OnClosing: true,
    // On Node 20 fastify ends HTTP/2 sessions at close only when asked to; the close is graceful
    // (GOAWAY, in-flight streams finish), so shutdown drains instead of hanging on idle sessions.
    forceCloseConnections: true,
  });
}

/**
 * Wiring every N32 server needs once it listens: failed TLS handshakes are logged (a security
 * event: who tried, why it failed) and a configuration reload swaps the certificate material for
 * new connections without touching established ones.
 */
export function wireN32Server(app: NestFastifyApplication, runtime: SeppRuntime): void {
  const server = app.getHttpServer() as unknown as Http2SecureServer;
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    runtime.logger.warn(
      { listener: 'n32', remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: error.code ?? 'UNKNOWN', error: error.message },
      'TLS handshake failed',
    );
  });
  runtime.config.on('reload', ({ current, changed }) => {
    if (!changed.includes('tls')) return;
    server.setSecureContext(n32ServerTlsOptions(current));
    runtime.logger.info({ listener: 'n32' }, 'TLS material replaced for new connections');
  });
}
