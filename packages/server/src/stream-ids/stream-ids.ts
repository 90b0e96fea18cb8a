import type { ClientHttp2Session, ClientHttp2Stream, ClientSessionRequestOptions, OutgoingHttpHeaders } from 'node:http2';

/**
 * HTTP/2 stream IDs only grow (RFC 9113 §5.1.1): a client's are the odd numbers up to 2^31 - 1,
 * so one session carries about 1.07 billion requests, six days of a busy N32 connection at
 * 2,000 requests per second. Node does not open a new session then: each further request on the
 * old one fails with `ERR_HTTP2_OUT_OF_STREAMS` (on the stream, not thrown), and the session
 * stays open, PINGs answered, for as long as the peer keeps it. Every client stream of the SEPPs
 * and the relay is opened by `requestOn`, which retires the session a little before that point.
 */
export const MAX_STREAM_ID = 2 ** 31 - 1;

/**
 * A session whose new stream got an ID past this is retired: 65,536 requests before the end, room
 * for the requests that choose it before it closes (it closes on the next turn of the event loop).
 */
export const RETIRE_FROM_STREAM_ID = MAX_STREAM_ID - 2 ** 17;

/**
 * Emitted on a client session that is being retired (with the reason), before it is closed: its
 * owner moves to a new session (make before break; `isRetiring` says so too). Then the session is
 * closed gracefully (GOAWAY: its streams in flight finish, no new stream is opened on it).
 */
export const SESSION_RETIRING = 'sepp:retiring';

/** The code Node gives a stream when its session has no stream ID left. */
export const OUT_OF_STREAMS = 'ERR_HTTP2_OUT_OF_STREAMS';

/** Codes of a failed stream opening that mean the request never left: it may go out elsewhere. */
const NOT_SENT: ReadonlySet<string> = new Set(['ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_INVALID_SESSION', OUT_OF_STREAMS]);

const retiring = new WeakSet<ClientHttp2Session>();

/**
 * `session.request()`, and what Node leaves to its caller about stream IDs: past
 * `RETIRE_FROM_STREAM_ID` the session is retired (`retireSession`). Throws what
 * `session.request()` throws (`wasNotSent` tells whether the request may go out elsewhere).
 */
export function requestOn(session: ClientHttp2Session, headers: OutgoingHttpHeaders, options?: ClientSessionRequestOptions): ClientHttp2Stream {
  const stream = session.request(headers, options);
  if (stream.id !== undefined && stream.id >= RETIRE_FROM_STREAM_ID) {
    retireSession(session, `its stream IDs are nearly used up (stream ${stream.id} of ${MAX_STREAM_ID})`);
  }
  return stream;
}

/**
 * Whether a stream failed because its session has no stream ID left: the request never left, and
 * the session is retired (one already past the end when the request came).
 */
export function outOfStreamIds(session: ClientHttp2Session, error: Error & { code?: string }): boolean {
  if (error.code !== OUT_OF_STREAMS) return false;
  retireSession(session, 'its stream IDs are used up');
  return true;
}

/**
 * Whether the failure of opening a stream, thrown by `requestOn`, means that the request never
 * left (`NOT_SENT`: the session closing or closed, or out of stream IDs): it may then go out on
 * another session.
 */
export function wasNotSent(session: ClientHttp2Session, error: Error & { code?: string }): boolean {
  return outOfStreamIds(session, error) || NOT_SENT.has(error.code ?? '');
}

/** Whether a session is being retired: its owner opens a new one for the next request. */
export function isRetiring(session: ClientHttp2Session): boolean {
  return retiring.has(session);
}

/**
 * Retires a client session once: from now on `isRetiring` says so and `SESSION_RETIRING` is
 * emitted on it with `reason`, so its owner's next request opens a new session. It is closed
 * gracefully on the next turn of the event loop, not at once: Node writes the streams already
 * opened on it first (a GOAWAY queued before them would make nghttp2 refuse them; the spec's
 * requests of the same turn are answered). A session already closed or destroyed is left as it is.
 */
export function retireSession(session: ClientHttp2Session, reason: string): void {
  if (retiring.has(session) || session.closed || session.destroyed) return;
  retiring.add(session);
  session.emit(SESSION_RETIRING, reason);
  setImmediate(() => {
    if (!session.closed && !session.destroyed) session.close();
  });
}
