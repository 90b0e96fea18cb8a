import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { endToEndHeaders, N32Error, N32ErrorCode } from '@sepp/protocol';
import { ProblemException } from '../problem/problem.exception';
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

const { NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = constants;

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
  // Stopping the upstream request resets it (RST_STREAM CANCEL) through this signal. Never
  // `close()` it: Node half-closes a stream's open request side (END_STREAM) before the reset, so
  // the upstream would take a cut body for a complete request.
  const cancel = new AbortController();
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
    if (!out.closed && !out.writableEnded) cancel.abort();
    discardRestOfRequest(inbound, options.bodyLimit);
  };
  const refuse = (error: N32Error): void => {
    if (done) return;
    if (out && !out.destroyed) cancel.abort();
    finish({ kind: 'refused', status: respondWithProblem(inbound, error, options.bodyLimit), code: error.code, cause: error.cause, detail: error.detail });
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
    out = upstream.request(headers, { endStream: bodyless, signal: cancel.signal });
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
    if (!upstreamStream.destroyed) cancel.abort();
    finish({ kind: 'abandoned', by: 'downstream' });
  });

  upstreamStream.on('response', (responseHeaders: IncomingHttpHeaders) => {
    if (done) return;
    const status = Number(responseHeaders[':status']);
    const relayed: OutgoingHttpHeaders = endToEndHeaders(responseHeaders);
    const refusal = options.onAnswerHeaders?.(status, relayed);
    if (refusal) {
      cancel.abort();
      finish(refusedOutcome(respondWithProblem(inbound, refusal, options.bodyLimit), refusal));
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
      // Node ends the readable side of a stream the peer reset too: that answer is cut, not complete.
      const rstCode = upstreamStream.rstCode;
      if (rstCode !== undefined && rstCode !== NGHTTP2_NO_ERROR) {
        resetStream(inbound);
        finish({ kind: 'abandoned', by: 'upstream', detail: `the upstream reset the stream (code ${rstCode}) after the answer started` });
        return;
      }
      inbound.end();
      finish({ kind: 'answered', status });
    });
  });
  upstreamStream.on('error', (error: Error & { code?: string }) => {
    if (done) return; // our own cancel, or a late error after the exchange ended
    if (inbound.headersSent) {
      // The answer has started: it cannot be turned into a problem any more, only cut.
      resetStream(inbound);
      finish({ kind: 'abandoned', by: 'upstream', detail: `the upstream stream failed after the answer started: ${error.code ?? error.message}` });
      return;
    }
    refuse(new N32Error(options.upstreamFailure, `the upstream stream failed: ${error.code ?? error.message}`));
  });
  upstreamStream.on('close', () => {
    if (done) return;
    if (inbound.headersSent) {
      resetStream(inbound);
      finish({ kind: 'abandoned', by: 'upstream', detail: `the upstream closed the stream (code ${upstreamStream.rstCode ?? 'none'}) after the answer started` });
      return;
    }
    const how = upstreamStream.rstCode === NGHTTP2_REFUSED_STREAM ? 'refused the stream' : `closed the stream (code ${upstreamStream.rstCode ?? 'none'})`;
    refuse(new N32Error(options.upstreamFailure, `the upstream ${how} before answering`));
  });
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
