import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { HttpException, PayloadTooLargeException } from '@nestjs/common';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import type { SeppLogger } from '../logging/logger';
import { endWithBody, readBody } from '../n32f/buffered';
import { respondWithProblemDetails } from '../n32f/raw-problem';
import { reportProblem, type OnRefused, type RequestOrigin } from '../problem/problem-details.filter';
import { toProblem } from '../problem/to-problem';

/** What a fast route answers: status, headers (no pseudo-headers, no `content-length`) and the whole body. */
export interface FastAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer | string;
}

/** One resource served by a JSON POST fast path. */
export interface JsonPostRoute {
  /** The resource's whole path; a request with a query string goes on to Nest. */
  readonly path: string;
  /**
   * The controller's work on the parsed body: the answer, or a throw (or rejection) that the
   * listener's problem filter would map (N32Error, ProblemException, an HttpException).
   */
  readonly answer: (body: unknown, stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => FastAnswer | Promise<FastAnswer>;
}

export interface JsonPostFastPathOptions {
  readonly logger: SeppLogger;
  /** The listener's body limit (its Fastify instance's `bodyLimit`): over it, 413. */
  readonly bodyLimit: number;
  /** The listener's JSON parser (Fastify's, or the strict one of the N32 listeners); throws what Fastify's body parser would raise. */
  readonly parse: (body: Buffer) => unknown;
  /** The listener's refusal report (the status page's refusal list), as its problem filter has it. */
  readonly onRefused?: OnRefused;
  /** Called when a request is taken; what it returns is called with the status once the answer is written (timers, traffic counts). */
  readonly onTaken?: (route: JsonPostRoute, stream: ServerHttp2Stream) => (status: number) => void;
}

/** Statuses that carry no content (the body, if any, is dropped as Fastify does). */
const NO_CONTENT = new Set([204, 205, 304]);

/** The `content-type` media type, lower-cased, without parameters. */
export function mediaTypeOf(headers: IncomingHttpHeaders): string {
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
 * A JSON API resource without the web framework: the listener's HTTP/2 server hands the stream of
 * a `POST` to one of `routes` straight to it (no Fastify request pipeline, no Nest execution
 * context), with the answers the Nest controller of the same resource gives: the same parser, the
 * same body limit, refusals mapped by the same `toProblem`, logged and reported as the problem
 * filter does.
 *
 * Taken: `POST` on exactly a route's path with an `application/json` body and no `expect`. Anything
 * else (another method, a query string, another media type, `expect`) is left (false) to Nest,
 * whose rules answer it (405 with `Allow`, 415, 417...).
 */
export function jsonPostFastPath(routes: readonly JsonPostRoute[], options: JsonPostFastPathOptions): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean {
  const byPath = new Map(routes.map((route) => [route.path, route]));
  const { logger, bodyLimit, parse, onRefused, onTaken } = options;

  return (stream, headers) => {
    const path = headers[':path'];
    const route = path === undefined ? undefined : byPath.get(path);
    if (!route || headers[':method'] !== 'POST' || headers['expect'] !== undefined || mediaTypeOf(headers) !== 'application/json') return false;
    const done = onTaken?.(route, stream);
    const origin: RequestOrigin = { method: 'POST', url: route.path, ip: stream.session?.socket?.remoteAddress, raw: { stream } };
    const refuse = (error: unknown): void => {
      if (stream.destroyed || stream.closed) return; // the client went away: nothing to answer (as Fastify)
      const exception = asFrameworkError(error);
      const problem = toProblem(exception, bodyLimit);
      reportProblem(logger, exception, problem, origin, onRefused);
      // The rest of a body over the limit is read and dropped to its end, as Fastify does for the
      // controller's 413: a reset in the middle leaves a Node sender holding the unsent part as
      // session memory (its later streams are refused once that passes its maxSessionMemory).
      const status = respondWithProblemDetails(stream, problem, {}, Number.POSITIVE_INFINITY);
      done?.(status);
    };
    const declared = Number(headers['content-length']);
    if (declared > bodyLimit) {
      refuse(new PayloadTooLargeException());
      return true;
    }
    readBody(stream, bodyLimit)
      .then((body) => route.answer(parse(body), stream, headers))
      .then((answer) => {
        if (stream.destroyed || stream.closed) return;
        const { status, body } = answer;
        if (NO_CONTENT.has(status)) {
          // No content may follow (RFC 9110 15.3.5, 15.3.6, 15.4.5): Node ends the stream with the headers.
          stream.respond({ ...answer.headers, ':status': status }, { endStream: true });
        } else {
          const out: OutgoingHttpHeaders = { ...answer.headers, ':status': status, 'content-length': Buffer.byteLength(body) };
          stream.respond(out);
          endWithBody(stream, body);
        }
        done?.(status);
      })
      .catch(refuse);
    return true;
  };
}
