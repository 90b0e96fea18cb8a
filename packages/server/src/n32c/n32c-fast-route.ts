import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { SeppLogger } from '../logging/logger';
import { n32cOperation } from '../metrics/instrument';
import type { SeppMetrics } from '../metrics/sepp-metrics';
import { jsonPostFastPath, type FastAnswer } from '../fast-route';
import type { OnRefused } from '../problem/problem-details.filter';
import { strictJsonParser } from './n32c-http-rules';

/** One N32-c resource served by the fast path. */
export interface N32cFastRoute {
  /** The resource's whole path (`N32C_PATHS.exchangeCapability`); a request with a query string goes to Nest. */
  readonly path: string;
  /**
   * The controller's work on the parsed body: the answer's body (200), or a throw that the
   * listener's problem filter would map (N32Error, ProblemException). `stream` is the request's.
   */
  readonly answer: (body: unknown, stream: ServerHttp2Stream) => unknown;
}

const JSON_UTF8 = { 'content-type': 'application/json; charset=utf-8' };

export interface N32cFastPathOptions {
  readonly listener: string;
  readonly logger: SeppLogger;
  readonly metrics: SeppMetrics;
  /** The listener's refusal report (the status page's refusal list), as its problem filter has it. */
  readonly onRefused?: OnRefused;
}

/**
 * N32-c without the web framework (`jsonPostFastPath`): the N32 listener's fast path serves the few N32-c operations
 * on the negotiation's critical path (`exchange-capability`) straight from the HTTP/2 stream, with
 * the same answers the Nest controller gives (it calls the same service, parses with the same
 * strict JSON parser, maps refusals with the same `toProblem`, logs and reports them as the problem
 * filter does, and times them in the same `n32c_requests` histogram). A cold negotiation pays for
 * a TCP and TLS handshake and one request: the framework's request pipeline was a sixth of it.
 *
 * Taken: `POST` on exactly a route's path with an `application/json` body and no `expect`. Anything
 * else (another method, a query string, another media type, `expect`) goes on to Nest, whose rules
 * answer it (405 with `Allow`, 415, 417...).
 */
export function n32cFastPath(app: NestFastifyApplication, options: N32cFastPathOptions, routes: readonly N32cFastRoute[]): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean {
  const fastify = app.getHttpAdapter().getInstance();
  const { logger, metrics, onRefused } = options;
  return jsonPostFastPath(
    routes.map((route) => ({
      path: route.path,
      answer: (body: unknown, stream: ServerHttp2Stream): FastAnswer => ({ status: 200, headers: JSON_UTF8, body: JSON.stringify(route.answer(body, stream)) }),
    })),
    {
      logger,
      bodyLimit: fastify.initialConfig.bodyLimit ?? 1_048_576,
      parse: strictJsonParser(fastify),
      ...(onRefused ? { onRefused } : {}),
      onTaken: (route) => metrics.startTimer(metrics.n32cRequests, { operation: n32cOperation(route.path), direction: 'inbound' }),
    },
  );
}
