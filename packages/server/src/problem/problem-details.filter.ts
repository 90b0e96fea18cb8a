import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SeppLogger } from '../logging/logger';
import { toProblem, type Problem } from './to-problem';

export const PROBLEM_JSON = 'application/problem+json';

/** Sees every request a listener refused (not our own faults): the status page's refusal list. */
export type OnRefused = (exception: unknown, problem: Problem, request: FastifyRequest) => void;

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
    if (problem.internal) {
      this.logger.error({ err: exception, method: request.method, url: request.url, remoteAddress: request.ip }, 'request failed');
    } else {
      this.logger.info(
        { method: request.method, url: request.url, remoteAddress: request.ip, status: problem.status, cause: problem.body.cause, detail: problem.body.detail },
        'request refused',
      );
      this.onRefused?.(exception, problem, request);
    }
    if (reply.sent) return;
    // Fastify asks for `connection: close` after a body it could not parse; HTTP/2 has no such
    // header (Node drops it with a warning), and the session must stay up for the peer anyway.
    if (request.raw.httpVersionMajor === 2) reply.removeHeader('connection');
    void reply.status(problem.status).header('content-type', PROBLEM_JSON).send(JSON.stringify(problem.body));
  }
}
