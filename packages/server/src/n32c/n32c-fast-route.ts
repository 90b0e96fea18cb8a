import { HttpException, PayloadTooLargeException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import type { SeppLogger } from '../logging/logger';
import { n32cOperation } from '../metrics/instrument';
import type { SeppMetrics } from '../metrics/sepp-metrics';
import { readBody } from '../n32f/buffered';
import { respondWithProblemDetails } from '../n32f/raw-problem';
import { reportProblem, type OnRefused, type RequestOrigin } from '../problem/problem-details.filter';
import { toProblem } from '../problem/to-problem';
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

export interface N32cFastPathOptions {
  readonly listener: string;
  readonly logger: SeppLogger;
  readonly metrics: SeppMetrics;
  /** The listener's refusal report (the status page's refusal list), as its problem filter has it. */
  readonly onRefused?: OnRefused;
}

/** The `content-type` media type, lower-cased, without parameters. */
function mediaTypeOf(headers: IncomingHttpHeaders): string {
  return String(headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
}

/**
 * What Nest makes of an error the body parser raised (its `mapExternalException`): Fastify's own
 * errors carry their status (400 empty or not JSON); a body over the limit is Fastify's 413.
 */
function asFrameworkError(error: unknown): unknown {
  if (error instanceof N32Error && error.code === N32ErrorCode.BODY_TOO_LARGE) return new PayloadTooLargeException();
  const fastify = error as Error & { statusCode?: unknown };
  if (error instanceof Error && fastify.name === 'FastifyError' && typeof fastify.statusCode === 'number') return new HttpException(error.message, fastify.statusCode);
  return error;
}

/**
 * N32-c without the web framework: the N32 listener's fast path serves the few N32-c operations
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
  const bodyLimit = fastify.initialConfig.bodyLimit ?? 1_048_576;
  const parse = strictJsonParser(fastify);
  const byPath = new Map(routes.map((route) => [route.path, route]));
  const { logger, metrics, onRefused } = options;

  return (stream, headers) => {
    const path = headers[':path'];
    const route = path === undefined ? undefined : byPath.get(path);
    if (!route || headers[':method'] !== 'POST' || headers['expect'] !== undefined || mediaTypeOf(headers) !== 'application/json') return false;
    const timed = metrics.startTimer(metrics.n32cRequests, { operation: n32cOperation(route.path), direction: 'inbound' });
    const origin: RequestOrigin = { method: 'POST', url: route.path, ip: stream.session?.socket?.remoteAddress, raw: { stream } };
    const refuse = (error: unknown): void => {
      if (stream.destroyed || stream.closed) return; // the client went away: nothing to answer (as Fastify)
      const exception = asFrameworkError(error);
      const problem = toProblem(exception, bodyLimit);
      reportProblem(logger, exception, problem, origin, onRefused);
      // The rest of a body over the limit is read and dropped to its end, as Fastify does for the
      // controller's 413: a reset in the middle leaves a Node sender holding the unsent part as
      // session memory (its later streams are refused once that passes its maxSessionMemory).
      timed(respondWithProblemDetails(stream, problem, {}, Number.POSITIVE_INFINITY));
    };
    const declared = Number(headers['content-length']);
    if (declared > bodyLimit) {
      refuse(new PayloadTooLargeException());
      return true;
    }
    readBody(stream, bodyLimit).then((body) => {
      let text: string;
      try {
        text = JSON.stringify(route.answer(parse(body), stream));
      } catch (error) {
        refuse(error);
        return;
      }
      if (stream.destroyed || stream.closed) return;
      stream.respond({ ':status': 200, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      stream.end(text);
      timed(200);
    }, refuse);
    return true;
  };
}
