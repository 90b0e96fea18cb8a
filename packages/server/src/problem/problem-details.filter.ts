import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SeppLogger } from '../logging/logger';
import { toProblem, type Problem } from './to-problem';

export const PROBLEM_JSON = 'application/problem+json';

/**
 * What a refusal report reads of a request: a Fastify request has it, and so does a request a
 * listener's fast path answers without Fastify (`raw.stream` is then the HTTP/2 stream itself).
 */
export interface RequestOrigin {
  readonly method: string;
  readonly url: string;
  readonly ip: string | undefined;
  readonly raw: { readonly stream?: { readonly session?: { readonly socket?: unknown } }; readonly socket?: unknown };
}

/** Sees every request a listener refused (not our own faults): the status page's refusal list. */
export type OnRefused = (exception: unknown, problem: Problem, request: RequestOrigin) => void;

/**
 * The log line (and refusal report) of a request answered with `problem`: our own faults are
 * logged with their stack, refusals with what was refused and why.
 */
export function reportProblem(logger: SeppLogger, exception: unknown, problem: Problem, request: RequestOrigin, onRefused?: OnRefused): void {
  if (problem.internal) {
    logger.error({ err: exception, method: request.method, url: request.url, remoteAddress: request.ip }, 'request failed');
    return;
  }
  logger.info(
    { method: request.method, url: request.url, remoteAddress: request.ip, status: problem.status, cause: problem.body.cause, detail: problem.body.detail },
    'request refused',
  );
  onRefused?.(exception, problem, request);
}

/** The one writer of `application/problem+json` (every listener installs it globally). */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(
    private readonly logger: SeppLogger,
    private readonly bodyLimit: number,
    private readonly onRefused?: OnRefused,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = toProblem(exception, this.bodyLimit);
    reportProblem(this.logger, exception, problem, request, this.onRefused);
    if (reply.sent) return;
    // Fastify asks for `connection: close` after a body it could not parse; HTTP/2 has no such
    // header (Node drops it with a warning), and the session must stay up for the peer anyway.
    if (request.raw.httpVersionMajor === 2) reply.removeHeader('connection');
    void reply.status(problem.status).header('content-type', PROBLEM_JSON).send(JSON.stringify(problem.body));
  }
}
