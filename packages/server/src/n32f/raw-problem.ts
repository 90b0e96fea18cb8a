import { constants, type Http2Stream, type ServerHttp2Stream } from 'node:http2';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import { PROBLEM_JSON } from '../problem/problem-details.filter';
import { toProblem, type Problem } from '../problem/to-problem';
import { endWithBody } from './buffered';

/**
 * Answers a raw HTTP/2 stream with `application/problem+json` (the forwarding fast path does not
 * go through Nest, but its errors look exactly like the framework's). If the answer has already
 * started, the stream is reset instead: a half-relayed answer must never look complete.
 * `headers` go along with the problem (`retry-after`). What is still arriving of the request body
 * is read on and dropped up to `discardLimit` more bytes (`discardRestOfRequest`).
 *
 * A refusal for concurrency (`PEER_CONCURRENCY_EXCEEDED`: a peer's requests in flight at their
 * bound, `n32f.maxConcurrentPerPeer`) says when to try again (`retry-after: 1`) unless `headers`
 * say otherwise: room comes back as soon as requests in flight are answered.
 */
export function respondWithProblem(
  stream: ServerHttp2Stream,
  error: unknown,
  bodyLimit = 0,
  headers: Readonly<Record<string, string>> = {},
  discardLimit = bodyLimit,
): number {
  const retry = error instanceof N32Error && error.code === N32ErrorCode.PEER_CONCURRENCY_EXCEEDED && headers['retry-after'] === undefined;
  return respondWithProblemDetails(stream, toProblem(error, bodyLimit), retry ? { ...headers, 'retry-after': '1' } : headers, discardLimit);
}

/** {@link respondWithProblem} with the problem already mapped (`toProblem`), for a caller that also logs it. */
export function respondWithProblemDetails(stream: ServerHttp2Stream, problem: Problem, headers: Readonly<Record<string, string>> = {}, discardLimit = 0): number {
  if (stream.destroyed || stream.closed) return problem.status;
  if (stream.headersSent) {
    resetStream(stream);
    return problem.status;
  }
  const body = JSON.stringify(problem.body);
  stream.respond({ ...headers, ':status': problem.status, 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body) });
  endWithBody(stream, body);
  discardRestOfRequest(stream, discardLimit);
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

/** Streams reset by `resetStream` (the listener's abuse accounting must not take them for the peer's resets). */
export const streamsResetByUs = new WeakSet<Http2Stream>();

/**
 * Ends a stream with RST_STREAM(INTERNAL_ERROR) and nothing before it: an answer cut this way is
 * never taken for a complete one. (`stream.close(code)` ends the writable side first: the peer
 * would get END_STREAM, then a reset it ignores, and take a truncated answer for the whole one.)
 */
export function resetStream(stream: Http2Stream): void {
  if (stream.destroyed) return;
  streamsResetByUs.add(stream);
  // The error only selects the reset code; it is ours, not news.
  stream.on('error', () => undefined);
  stream.destroy(Object.assign(new Error('stream reset: the answer broke off'), { code: 'ERR_SEPP_STREAM_RESET' }));
}
