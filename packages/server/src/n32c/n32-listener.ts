import { UnsupportedMediaTypeException } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { N32C_HANDSHAKE_API } from '@sepp/protocol';
import type { SeppConfig } from '../config/sepp-config';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { n32ServerTlsOptions } from '../tls/tls-options';
import type { Http2SecureServer, SecureServerOptions } from 'node:http2';
import type { FastifyServerFactory } from 'fastify';
import { dispatchingServerFactory } from '../n32f/dispatching-server';
import { mediaTypeOf } from '../fast-route';
import { classifyTlsFailure } from '../metrics/sepp-metrics';
import { logTlsHandshakeFailures } from '../tls/tls-handshake-failures';
import { enforceTrustAnchors } from '../tls/trust-anchors';
import { refuseOtherMethodsOnN32c, useStrictJsonParser } from './n32c-http-rules';
import { answerFrameworkError } from '../problem/framework-errors';

/**
 * A Fastify adapter on an HTTP/2 server with a forwarding fast path (`dispatchingServerFactory`):
 * TLS when `tls` is given (N32 always; the NF-facing side when configured), h2c otherwise.
 */
export function http2Adapter(tls: SecureServerOptions | null, bodyLimit: number, sessionTimeoutMs: number): FastifyAdapter {
  return new FastifyAdapter({
    http2: true,
    serverFactory: dispatchingServerFactory(tls, sessionTimeoutMs) as unknown as FastifyServerFactory,
    bodyLimit,
    logger: false,
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
  });
}

/** The N32 server adapter: HTTP/2 over mutual TLS, nothing else (no HTTP/1.1, no h2c). */
export function n32ServerAdapter(config: SeppConfig): FastifyAdapter {
  const adapter = http2Adapter(n32ServerTlsOptions(config), config.n32.bodyLimit, config.n32.idleTimeoutMs);
  useStrictJsonParser(adapter);
  refuseOtherMethodsOnN32c(adapter.getInstance());
  adapter.getInstance().addHook('onRequest', (request, _reply, done) => {
    try {
      requireJsonOnN32c(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });
  return adapter;
}

/**
 * N32-c bodies are application/json only (TS 29.573, TS 29.500 5.4). Fastify would hand a
 * text/plain body over as a string and Nest adds an application/x-www-form-urlencoded parser (whose
 * repeated keys even make arrays), so without this check a form-encoded request could pass for a
 * SecNegotiateReqData. Any other or missing media type on a body-carrying N32-c request is a 415,
 * before any parser runs. Only the N32-c routes: N32-f (shared mode) carries other media types.
 */
function requireJsonOnN32c(request: FastifyRequest): void {
  if (!['POST', 'PUT', 'PATCH'].includes(request.method)) return;
  if (!request.routeOptions.url?.startsWith(`${N32C_HANDSHAKE_API}/`)) return;
  const mediaType = mediaTypeOf(request.headers);
  if (mediaType !== 'application/json') throw new UnsupportedMediaTypeException(`${mediaType || 'no content-type'}: N32-c bodies are application/json`);
}

/**
 * Wiring every N32 server needs once it listens: failed TLS handshakes are logged (a security
 * event: who tried, why it failed) and a configuration reload swaps the certificate material for
 * new connections without touching established ones.
 */
export function wireN32Server(
  app: NestFastifyApplication,
  runtime: SeppRuntime,
  tlsOptions: (config: SeppConfig) => SecureServerOptions = n32ServerTlsOptions,
  listener = 'n32',
): void {
  const server = app.getHttpServer() as unknown as Http2SecureServer;
  logTlsHandshakeFailures(server, listener, runtime.logger, ({ certificateError, error, remoteAddress }) =>
    runtime.metrics.tlsHandshakeFailed(listener, classifyTlsFailure(certificateError ?? error.code, error.message), {
      remoteAddress,
      detail: certificateError ? `client certificate refused: ${certificateError}` : error.message,
    }),
  );
  enforceTrustAnchors(server, runtime, listener);
  runtime.config.on('reload', ({ current, changed }) => {
    if (!changed.includes('tls') && !changed.includes('n32f')) return;
    server.setSecureContext(tlsOptions(current));
    runtime.logger.info({ listener }, 'TLS material replaced for new connections');
  });
}
