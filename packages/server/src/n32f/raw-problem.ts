import { constants, type ServerHttp2Stream } from 'node:http2';
import { PROBLEM_JSON } from '../problem/problem-details.filter';
import { toProblem } from '../problem/to-problem';

/**
 * Answers a raw HTTP/2 stream with `application/problem+json` (the forwarding fast path does not
 * go through Nest, but its errors look exactly like the framework's). If the answer has already
 * started, the stream is reset instead: a half-relayed answer must never look complete.
 * `headers` go along with the problem (`retry-after`).
 */
export function respondWithProblem(stream: ServerHttp2Stream, error: unknown, bodyLimit = 0, headers: Readonly<Record<string, string>> = {}): number {
  const problem = toProblem(error, bodyLimit);
  if (stream.destroyed || stream.closed) return problem.status;
  if (stream.headersSent) {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return problem.status;
  }
  const body = JSON.stringify(problem.body);
  stream.respond({ ...headers, ':status': problem.status, 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body) });
  stream.end(body);
  discardRestOfRequest(stream, bodyLimit);
  return problem.status;
}

/**
 * Once the answer is complete, the rest of a request body that is still arriving is read and
 * dropped, so the sender's stream ends normally (RFC 9113 §8.1). Left paused, the stream would stay
 * half-open, its sender waiting for flow-control credit that never comes and the unread data kept
 * until the session ends. Beyond `limit` more bytes the stream is ended with RST_STREAM(NO_ERROR),
 * sent after the answer's last frame. Reading on rather than resetting at once (what Node does
 * for a stream never read) lets a sender finish writing its body: no reset races its last writes.
 */
export function discardRestOfRequest(stream: ServerHttp2Stream, limit: number): void {
  if (stream.destroyed || stream.closed || stream.readableEnded) return;
  let dropped = 0;
  stream.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limit && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
  });
  stream.resume();
}
