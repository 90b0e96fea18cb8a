import { constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import { outOfStreamIds, requestOn, wasNotSent } from '../stream-ids';

/**
 * Whole-message helpers for PRINS, where a message is reformatted and encrypted as one JSON
 * document and therefore cannot stream (TLS-mode N32-f streams; see forward-stream.ts).
 */

/** Reads a request body completely, refusing (413) more than `limit` bytes. */
export function readBody(stream: ServerHttp2Stream, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (stream.endAfterHeaders) {
      resolve(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Done reading: whoever answers the 413 decides what becomes of the rest (discardRestOfRequest
        // reads it on); left attached, this listener would pause the stream again at every chunk.
        stream.off('data', onData);
        stream.pause();
        reject(new N32Error(N32ErrorCode.BODY_TOO_LARGE, `the body exceeds ${limit} bytes`, [{ param: '/', reason: `must not exceed ${limit} bytes` }]));
        return;
      }
      chunks.push(chunk);
    };
    stream.on('data', onData);
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', (error) => reject(error));
    stream.once('close', () => reject(new Error('the stream closed before its body ended')));
  });
}

/**
 * The upstream did not process the request (RFC 9113 §8.7): its stream was refused
 * (REFUSED_STREAM, what a server's GOAWAY does to the streams that crossed it), or it could not be
 * opened because the connection is going away. Sending it again, on another connection, is safe.
 */
export class RequestNotProcessed extends N32Error {}

export interface BufferedAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends one request on a session and reads the whole answer. Rejects with `failure` (an N32Error
 * code) when the stream fails before answering (a `RequestNotProcessed` when the upstream did not
 * process it), with TIMED_OUT_REQUEST after `timeoutMs`, and with BODY_TOO_LARGE for an answer
 * over `limit` bytes.
 */
export function exchangeBuffered(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body: Buffer | undefined,
  options: { timeoutMs: number; limit: number; failure: N32ErrorCode },
): Promise<BufferedAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    let stream: ReturnType<ClientHttp2Session['request']>;
    try {
      stream = requestOn(session, headers, { endStream: !body || body.length === 0 });
    } catch (error) {
      const detail = `cannot open a stream: ${(error as Error).message}`;
      reject(wasNotSent(session, error as Error) ? new RequestNotProcessed(options.failure, detail) : new N32Error(options.failure, detail));
      return;
    }
    const timer = setTimeout(() => {
      stream.close(constants.NGHTTP2_CANCEL);
      settle(() => reject(new N32Error(N32ErrorCode.TIMED_OUT_REQUEST, `no answer within ${options.timeoutMs} ms`)));
    }, options.timeoutMs);
    let responseHeaders: IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    let size = 0;
    /** Refused before any answer: the upstream did not process it. */
    const failed = (detail: string): N32Error =>
      responseHeaders === null && stream.rstCode === constants.NGHTTP2_REFUSED_STREAM
        ? new RequestNotProcessed(options.failure, `the upstream refused the stream before answering`)
        : new N32Error(options.failure, detail);
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.limit) {
        stream.close(constants.NGHTTP2_CANCEL);
        settle(() => reject(new N32Error(N32ErrorCode.BODY_TOO_LARGE, `the answer exceeds ${options.limit} bytes`)));
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => {
      // Node ends the readable side of a reset stream too: a cut answer is a failure, not an answer.
      if (stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
        settle(() => reject(failed(`the stream was reset (code ${stream.rstCode}) before the end of the answer`)));
        return;
      }
      // And the streams of a session we destroyed (a keepalive that gave the peer up) end without
      // any answer and without a code: no answer is a failure too, never one of status 0.
      if (responseHeaders === null) {
        settle(() => reject(failed('the stream ended before any answer (its connection was closed)')));
        return;
      }
      settle(() => resolve({ status: Number(responseHeaders?.[':status'] ?? 0), headers: responseHeaders ?? {}, body: Buffer.concat(chunks) }));
    });
    stream.once('error', (error: Error & { code?: string }) =>
      settle(() =>
        reject(
          // No stream ID left on the session: the request never left (the session is retired).
          responseHeaders === null && outOfStreamIds(session, error)
            ? new RequestNotProcessed(options.failure, `cannot open a stream: ${error.code}`)
            : failed(`the stream failed: ${error.code ?? error.message}`),
        ),
      ),
    );
    stream.once('close', () => settle(() => reject(failed(`the stream closed before answering (code ${stream.rstCode ?? 'none'})`))));
    if (body && body.length > 0) stream.end(body);
  });
}

/** Answers a server stream with a whole message. */
export function respondWhole(stream: ServerHttp2Stream, status: number, headers: OutgoingHttpHeaders, body?: Buffer): void {
  if (stream.destroyed || stream.closed) return;
  const out: OutgoingHttpHeaders = { ...headers, ':status': status };
  if (body && body.length > 0) {
    out['content-length'] = body.length;
    stream.respond(out);
    endWithBody(stream, body);
  } else {
    stream.respond(out, { endStream: true });
  }
}

/**
 * Writes the last of an answer (after `respond`) and ends the stream. `stream.end(body)` sends the
 * data with END_STREAM, and when the request has been read to its end Node 20 destroys the server
 * stream as soon as it closes, before the write's own completion: the stream never emits 'finish',
 * and Node builds an ERR_STREAM_DESTROYED with its stack trace for nobody, on every such answer
 * (8 us of a PRINS responder's CPU per message in its profile). So after a request read to its end
 * the body is written first and the stream ended once the write completed (one more, empty, DATA
 * frame carries END_STREAM); otherwise (a GET, a body not read) `end(body)` is cheaper and safe.
 */
export function endWithBody(stream: ServerHttp2Stream, body: Buffer | string): void {
  if (!stream.readableEnded) {
    stream.end(body);
    return;
  }
  stream.write(body, (error) => {
    if (!error && !stream.destroyed) stream.end();
  });
}
