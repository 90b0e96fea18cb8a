import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { addAbortSignal, PassThrough } from 'node:stream';
import { endToEndHeaders, N32Error, N32ErrorCode } from '@sepp/protocol';
import { discardRestOfRequest, respondWithProblem } from './raw-problem';

export type ForwardOutcome =
  /** The upstream answered; its answer was relayed (status is the upstream's). */
  | { readonly kind: 'answered'; readonly status: number }
  /** We answered with a problem (status is ours). */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string }
  /** The downstream went away, or the answer broke off after it had started. */
  | { readonly kind: 'abandoned' };

export interface ForwardOptions {
  /** Time budget for the whole exchange. */
  readonly timeoutMs: number;
  /** Largest request body relayed; larger -> 413 (or a reset if the answer has started). */
  readonly bodyLimit: number;
  /** The error to report when the upstream stream fails before answering. */
  readonly upstreamFailure: N32ErrorCode;
  /** Called exactly once, when the exchange is over. */
  readonly onDone?: (outcome: ForwardOutcome) => void;
  /**
   * The request body, already read whole (border checks needed it): sent instead of streaming the
   * inbound one (which has ended).
   */
  readonly body?: Buffer;
  /**
   * Looks at (and may change) the answer's status and end-to-end headers before they are relayed;
   * an error returned refuses the answer with that problem instead (the upstream is cancelled).
   */
  readonly onAnswerHeaders?: (status: number, headers: OutgoingHttpHeaders) => Error | null;
}

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_REFUSED_STREAM } = constants;

/**
 * Node's own AbortError class (not exported): an HTTP/2 stream destroyed with one of its instances
 * is reset with CANCEL, exactly what a request's `signal` does when aborted, without an
 * AbortController and its listener on every request (a few microseconds each on this hot path).
 * Taken from a stream destroyed through an aborted signal; null if Node ever stops doing that.
 */
const AbortErrorClass: (new () => Error) | null = (() => {
  const probe = new PassThrough();
  probe.on('error', () => undefined);
  addAbortSignal(AbortSignal.abort(), probe);
  const error = probe.errored;
  return error?.name === 'AbortError' ? (error.constructor as new () => Error) : null;
})();

/** Resets a client stream with RST_STREAM(CANCEL), whatever its writable side is doing. */
export function cancelStream(stream: ClientHttp2Stream): void {
  if (stream.destroyed) return;
  // destroy() resets at once; close() would first half-close an open request side (END_STREAM),
  // so the upstream could take a cut body for a complete request.
  if (AbortErrorClass) stream.destroy(new AbortErrorClass());
  else stream.close(NGHTTP2_CANCEL);
}

/**
 * Relays one HTTP/2 exchange: the inbound request (headers prepared by the caller, body streamed
 * with backpressure) goes out on `upstream`, and its answer (status, end-to-end headers, body)
 * streams back. Every exchange ends exactly once: answered, refused with a problem+json (upstream
 * failure before the answer, timeout, oversize body), or abandoned (downstream gone, or the answer
 * broke off after it started, in which case the downstream stream is reset, never left hanging).
 *
 * An answer may come before the whole request body (RFC 9113 §8.1): it is relayed in full, and the
 * rest of the body is no longer relayed but read and dropped (`discardRestOfRequest`), so the
 * downstream stream still ends.
 */
export function forwardStream(inbound: ServerHttp2Stream, upstream: ClientHttp2Session, headers: OutgoingHttpHeaders, options: ForwardOptions): void {
  let done = false;
  let out: ClientHttp2Stream | undefined;
  // Stopping the upstream request resets it (RST_STREAM CANCEL, cancelStream).
  const finish = (outcome: ForwardOutcome): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (outcome.kind === 'answered') stopRequestBody();
    options.onDone?.(outcome);
  };
  // The answer is complete but the request may not be: an upstream that still waits for the rest
  // of the body gets a CANCEL, and what still comes from downstream is read and dropped.
  const stopRequestBody = (): void => {
    if (!out) return;
    inbound.unpipe(out);
    if (!out.closed && !out.writableEnded) cancelStream(out);
    discardRestOfRequest(inbound, options.bodyLimit);
  };
  const refuse = (error: N32Error): void => {
    if (done) return;
    if (out && !out.destroyed) cancelStream(out);
    finish({ kind: 'refused', status: respondWithProblem(inbound, error, options.bodyLimit), code: error.code });
  };
  const timer = setTimeout(() => refuse(new N32Error(N32ErrorCode.TIMED_OUT_REQUEST, `no answer within ${options.timeoutMs} ms`)), options.timeoutMs);

  // nghttp2 enforces a declared content-length, so only a body without one needs counting.
  const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
  if (length !== null && length > options.bodyLimit) {
    refuse(tooLarge(options.bodyLimit));
    return;
  }
  const read = options.body;
  const bodyless = read === undefined ? inbound.endAfterHeaders : read.length === 0;
  try {
    out = upstream.request(headers, { endStream: bodyless });
  } catch (error) {
    refuse(new N32Error(options.upstreamFailure, `cannot open a stream: ${(error as Error).message}`));
    return;
  }
  const upstreamStream = out;
  if (read !== undefined) {
    if (!bodyless) upstreamStream.end(read);
  } else if (!bodyless) {
    if (length === null) {
      let received = 0;
      inbound.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= options.bodyLimit) return;
        inbound.unpipe(upstreamStream);
        refuse(tooLarge(options.bodyLimit));
      });
    }
    // The request ends upstream only if it really ended here: a downstream reset also ends the
    // readable side (with `aborted` set), and must not turn into an END_STREAM upstream.
    inbound.pipe(upstreamStream, { end: false });
    inbound.once('end', () => {
      if (!inbound.aborted && !upstreamStream.destroyed) upstreamStream.end();
    });
  }
  inbound.on('close', () => {
    if (done) return;
    // The downstream reset or closed before the answer was complete: stop the upstream work.
    if (!upstreamStream.destroyed) cancelStream(upstreamStream);
    finish({ kind: 'abandoned' });
  });

  upstreamStream.on('response', (responseHeaders: IncomingHttpHeaders) => {
    if (done) return;
    const status = Number(responseHeaders[':status']);
    const relayed: OutgoingHttpHeaders = endToEndHeaders(responseHeaders);
    const refusal = options.onAnswerHeaders?.(status, relayed);
    if (refusal) {
      cancelStream(upstreamStream);
      finish({ kind: 'refused', status: respondWithProblem(inbound, refusal, options.bodyLimit), code: 'BORDER' });
      return;
    }
    relayed[':status'] = status;
    if (upstreamStream.endAfterHeaders) {
      inbound.respond(relayed, { endStream: true });
      finish({ kind: 'answered', status });
      return;
    }
    inbound.respond(relayed);
    // Plain writes with explicit backpressure: cheaper than pipe() on this hot path.
    upstreamStream.on('data', (chunk: Buffer) => {
      if (!inbound.write(chunk)) {
        upstreamStream.pause();
        inbound.once('drain', () => upstreamStream.resume());
      }
    });
    upstreamStream.once('end', () => {
      inbound.end();
      finish({ kind: 'answered', status });
    });
  });
  upstreamStream.on('error', (error: Error & { code?: string }) => {
    if (done) return; // our own cancel, or a late error after the exchange ended
    if (inbound.headersSent) {
      // The answer has started: it cannot be turned into a problem any more, only cut.
      if (!inbound.destroyed) inbound.close(NGHTTP2_INTERNAL_ERROR);
      finish({ kind: 'abandoned' });
      return;
    }
    refuse(new N32Error(options.upstreamFailure, `the upstream stream failed: ${error.code ?? error.message}`));
  });
  upstreamStream.on('close', () => {
    if (done) return;
    if (inbound.headersSent) {
      if (!inbound.destroyed) inbound.close(NGHTTP2_INTERNAL_ERROR);
      finish({ kind: 'abandoned' });
      return;
    }
    const how = upstreamStream.rstCode === NGHTTP2_REFUSED_STREAM ? 'refused the stream' : `closed the stream (code ${upstreamStream.rstCode ?? 'none'})`;
    refuse(new N32Error(options.upstreamFailure, `the upstream ${how} before answering`));
  });
}

function tooLarge(limit: number): N32Error {
  return new N32Error(N32ErrorCode.BODY_TOO_LARGE, `the body exceeds ${limit} bytes`, [{ param: '/', reason: `must not exceed ${limit} bytes` }]);
}
