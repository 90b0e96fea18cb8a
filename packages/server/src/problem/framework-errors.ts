import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_JSON } from './problem-details.filter';
import { ProblemException } from './problem.exception';
import { toProblem } from './to-problem';

/**
 * Fastify's `frameworkErrors`: the few errors Fastify raises before any route, hook or Nest filter
 * runs (a request URI that is not valid percent-encoding, `FST_ERR_BAD_URL`). Without it Fastify
 * answers `application/json` `{"error":…,"code":"FST_ERR_…"}`, which names the web framework
 * (TS 33.117 4.3.4.12) and is no ProblemDetails (DECISIONS.md §8).
 */
export function answerFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  const problem =
    status === 500
      ? toProblem(error, 0)
      : toProblem(
          new ProblemException({
            status,
            cause: 'INVALID_MSG_FORMAT',
            detail: 'the request URI is not valid',
            invalidParams: [{ param: 'header :path', reason: 'must be a valid URI (percent-encoding)' }],
          }),
          0,
        );
  void reply.status(problem.status).header('content-type', PROBLEM_JSON).send(JSON.stringify(problem.body));
}
