import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { addAbortSignal, PassThrough } from 'node:stream';
import { endToEndHeaders, N32Error, N32ErrorCode } from '@sepp/protocol';
import { ProblemException } from '../problem/problem.exception';
import { outOfStreamIds, requestOn, wasNotSent } from '../stream-ids';
import { discardRestOfRequest, resetStream, respondWithProblem } from './raw-problem';

export type ForwardOutcome =
  /** The upstream answered; its answer was relayed (status is the upstream's). */
  | { readonly kind: 'answered'; readonly status: number }
  /** We answered with a problem (status, cause and detail are ours). */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string; readonly cause: string; readonly detail: string }
  /**
   * The downstream went away (`by: 'downstream'`), or the answer broke off after it had started
   * (`by: 'upstream'`: the downstream stream was reset, `detail` says how).
   */
  | { readonly kind: 'abandoned'; readonly by: 'downstream' | 'upstream'; readonly detail?: string };

export interface ForwardOptions {
  /** Time budget for the whole exchange. */
  readonly timeoutMs: number;
  /** Largest request body relayed; larger -> 413 (or a reset if the answer has started). */
  readonly bodyLimit: number;
  /** The error to report when the upstream stream fails before answering. */
  readonly upstreamFailure: N32ErrorCode;
  /**
   * Where to send the request again when the upstream did not process it: the stream was refused
   * (REFUSED_STREAM, which is what a server's GOAWAY does to the streams that crossed it) or could
   * not be opened because the connection is going away. RFC 9113 §8.7: such a request can be
   * retried safely. At most `MAX_REROUTES` times, within `timeoutMs`; the body is kept until the
   * answer starts. Without it such a request is refused like any other upstream failure.
   */
  readonly reroute?: () => Promise<ClientHttp2Session>;
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

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = constants;

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

/** How many times one request may be sent again after the upstream did not process it. */
const MAX_REROUTES = 2;
/** `session.request()` errors that mean nothing was sent: the session is closing or closed. */

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
 *
 * A request the upstream did not process (refused stream, closing connection) goes out again on
 * the session `reroute` gives, when the caller gives one.
 */
export function forwardStream(inbound: ServerHttp2Stream, upstream: ClientHttp2Session, headers: OutgoingHttpHeaders, options: ForwardOptions): void {
  let done = false;
  /** The upstream stream of the current attempt. */
  let out: ClientHttp2Stream | undefined;
  // Stopping the upstream request resets it (RST_STREAM CANCEL, cancelStream).
  let reroutes = 0;
  const read = options.body;
  const bodyless = read === undefined ? inbound.endAfterHeaders : read.length === 0;
  /** The request body received so far, kept while the request may have to go out again. */
  let kept: Buffer[] | null = read !== undefined ? [read] : options.reroute && !bodyless ? [] : null;
  let requestEnded = bodyless || read !== undefined;
  const finish = (outcome: ForwardOutcome): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    kept = null;
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
    finish({ kind: 'refused', status: respondWithProblem(inbound, error, options.bodyLimit), code: error.code, cause: error.cause, detail: error.detail });
  };
  const timer = setTimeout(() => refuse(new N32Error(N32ErrorCode.TIMED_OUT_REQUEST, `no answer within ${options.timeoutMs} ms`)), options.timeoutMs);

  // nghttp2 enforces a declared content-length, so only a body without one needs counting.
  const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
  if (length !== null && length > options.bodyLimit) {
    refuse(tooLarge(options.bodyLimit));
    return;
  }
  // A body read whole already (`options.body`) is sent from `kept`; otherwise it streams.
  if (!bodyless && read === undefined) {
    let received = 0;
    inbound.on('data', (chunk: Buffer) => {
      kept?.push(chunk);
      if (length !== null) return;
      received += chunk.length;
      if (received <= options.bodyLimit) return;
      if (out) inbound.unpipe(out);
      refuse(tooLarge(options.bodyLimit));
    });
    // The request ends upstream only if it really ended here: a downstream reset also ends the
    // readable side (with `aborted` set), and must not turn into an END_STREAM upstream.
    inbound.once('end', () => {
      if (inbound.aborted) return;
      requestEnded = true;
      if (out && !out.destroyed) out.end();
    });
  }
  inbound.on('close', () => {
    if (done) return;
    // The downstream reset or closed before the answer was complete: stop the upstream work.
    if (out && !out.destroyed) cancelStream(out);
    finish({ kind: 'abandoned', by: 'downstream' });
  });

  /** The upstream did not process the request: send it again elsewhere, or refuse it. */
  const notProcessed = (detail: string): void => {
    if (out) inbound.unpipe(out);
    out = undefined;
    if (!options.reroute || (!bodyless && kept === null) || reroutes >= MAX_REROUTES) {
      refuse(new N32Error(options.upstreamFailure, detail));
      return;
    }
    reroutes += 1;
    options.reroute().then(
      (session) => {
        if (!done) send(session);
      },
      (error: unknown) => refuse(error instanceof N32Error ? error : new N32Error(options.upstreamFailure, `${detail}; no other connection: ${(error as Error).message}`)),
    );
  };

  const send = (session: ClientHttp2Session): void => {
    let stream: ClientHttp2Stream;
    try {
      stream = requestOn(session, headers, { endStream: bodyless });
    } catch (error) {
      const detail = `cannot open a stream: ${(error as Error).message}`;
      if (wasNotSent(session, error as Error)) notProcessed(detail);
      else refuse(new N32Error(options.upstreamFailure, detail));
      return;
    }
    out = stream;
    if (!bodyless) {
      // Again after a refusal: what came of the body so far, then the rest as it comes.
      for (const chunk of kept ?? []) stream.write(chunk);
      if (requestEnded) stream.end();
      else inbound.pipe(stream, { end: false });
    }
    // The upstream closed the stream while our request side was open (e.g. RST_STREAM NO_ERROR
    // after an answer that came before the whole body, RFC 9113 §8.1): Node then ends our
    // writable side, and a body chunk piped after that would fail the stream
    // (ERR_STREAM_WRITE_AFTER_END) and cut an answer still being relayed to a slow reader. The
    // rest of the body is not relayed any more (read and dropped once the answer is complete).
    stream.once('aborted', () => {
      if (out === stream) inbound.unpipe(stream);
    });
    let answered = false;
    /** Refused before any answer: the upstream did not process it (RFC 9113 §8.7). */
    const refusedUnanswered = (): boolean => !answered && stream.rstCode === NGHTTP2_REFUSED_STREAM;

    stream.on('response', (responseHeaders: IncomingHttpHeaders) => {
      if (done || out !== stream) return;
      answered = true;
      kept = null;
      const status = Number(responseHeaders[':status']);
      const relayed: OutgoingHttpHeaders = endToEndHeaders(responseHeaders);
      const refusal = options.onAnswerHeaders?.(status, relayed);
      if (refusal) {
        cancelStream(stream);
        finish(refusedOutcome(respondWithProblem(inbound, refusal, options.bodyLimit), refusal));
        return;
      }
      relayed[':status'] = status;
      if (stream.endAfterHeaders) {
        inbound.respond(relayed, { endStream: true });
        finish({ kind: 'answered', status });
        return;
      }
      inbound.respond(relayed);
      // Plain writes with explicit backpressure: cheaper than pipe() on this hot path.
      stream.on('data', (chunk: Buffer) => {
        if (!inbound.write(chunk)) {
          stream.pause();
          inbound.once('drain', () => stream.resume());
        }
      });
      stream.once('end', () => {
        // Node ends the readable side of a stream the peer reset too: that answer is cut, not complete.
        const rstCode = stream.rstCode;
        if (rstCode !== undefined && rstCode !== NGHTTP2_NO_ERROR) {
          resetStream(inbound);
          finish({ kind: 'abandoned', by: 'upstream', detail: `the upstream reset the stream (code ${rstCode}) after the answer started` });
          return;
        }
        inbound.end();
        finish({ kind: 'answered', status });
      });
    });
    /** The upstream stream failed or closed before its answer was complete. */
    const broke = (how: string): void => {
      if (done || out !== stream) return; // our own cancel, a late event, or an attempt given up
      if (inbound.headersSent) {
        // The answer has started: it cannot be turned into a problem any more, only cut.
        resetStream(inbound);
        finish({ kind: 'abandoned', by: 'upstream', detail: `the upstream ${how} after the answer started` });
        return;
      }
      if (refusedUnanswered()) notProcessed('the upstream refused the stream before answering');
      else refuse(new N32Error(options.upstreamFailure, `the upstream ${how} before answering`));
    };
    stream.on('error', (error: Error & { code?: string }) => {
      // No stream ID left on the session: the request never left (the session is retired).
      if (!answered && out === stream && !done && outOfStreamIds(session, error)) notProcessed(`cannot open a stream: ${error.code}`);
      else broke(`stream failed: ${error.code ?? error.message}`);
    });
    stream.on('close', () => broke(stream.rstCode === NGHTTP2_REFUSED_STREAM ? 'refused the stream' : `closed the stream (code ${stream.rstCode ?? 'none'})`));
  };
  send(upstream);
}

/** The code of a refusal decided by a border protection rule (which logs it itself). */
export const BORDER_REFUSAL = 'BORDER';

/**
 * How an exchange answered with `status` for `error` is reported: an N32Error by its code, cause
 * and detail; anything else (a border rule's ProblemException) as a BORDER refusal.
 */
export function refusedOutcome(status: number, error: unknown): ForwardOutcome {
  if (error instanceof N32Error) return { kind: 'refused', status, code: error.code, cause: error.cause, detail: error.detail };
  const problem = error instanceof ProblemException ? error.problem : undefined;
  return { kind: 'refused', status, code: BORDER_REFUSAL, cause: problem?.cause ?? 'UNSPECIFIED', detail: problem?.detail ?? (error instanceof Error ? error.message : String(error)) };
}

function tooLarge(limit: number): N32Error {
  return new N32Error(N32ErrorCode.BODY_TOO_LARGE, `the body exceeds ${limit} bytes`, [{ param: '/', reason: `must not exceed ${limit} bytes` }]);
}
