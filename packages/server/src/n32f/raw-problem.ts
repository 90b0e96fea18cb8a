import { constants, type ServerHttp2Stream } from 'node:http2';
import { PROBLEM_JSON } from '../problem/problem-details.filter';
import { toProblem } from '../problem/to-problem';

/**
 * Answers a raw HTTP/2 stream with `application/problem+json` (the forwarding fast path does not
 * go through Nest, but its errors look exactly like the framework's). If the answer has already
 * started, the stream is reset instead: a half-relayed answer must never look complete.
 */
export function respondWithProblem(stream: ServerHttp2Stream, error: unknown, bodyLimit = 0): number {
  const problem = toProblem(error, bodyLimit);
  if (stream.destroyed || stream.closed) return problem.status;
  if (stream.headersSent) {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return problem.status;
  }
  const body = JSON.stringify(problem.body);
  stream.respond({ ':status': problem.status, 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body) });
  stream.end(body);
  return problem.status;
}
