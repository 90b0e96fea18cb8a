import { constants, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { endToEndHeaders, N32Error, N32ErrorCode } from '@sepp/protocol';
import { respondWithProblem } from './raw-problem';

export type ForwardOutcome =
  /** The upstream answered; its answer was relayed (status is the upstream's). */
  | { readonly kind: 'answered'; readonly status: number }
  /** We answered with a problem (status is ours). */
  | { readonly kind: 'refused'; readonly status: number; readonly code: string }
  /** The downstream went away before the answer was complete. */
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
}

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM } = constants;

/**
 * Relays one HTTP/2 exchange: the inbound request (headers prepared by the caller, body streamed
 * with backpressure) goes out on `upstream`, and its answer (status, end-to-end headers, body,
 * trailers) streams back. Every exchange ends exactly once: answered, refused with a
 * problem+json (upstream failure, timeout, oversize body), or abandoned by the downstream.
 */
export function forwardStream(inbound: ServerHttp2Stream, upstream: ClientHttp2Session, headers: OutgoingHttpHeaders, options: ForwardOptions): void {
  let done = false;
  let out: ClientHttp2Stream;
  const finish = (outcome: ForwardOutcome): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    options.onDone?.(outcome);
  };
  const refuse = (error: N32Error): void => {
    if (done) return;
    if (out && !out.destroyed) out.close(NGHTTP2_CANCEL);
    const status = respondWithProblem(inbound, error, options.bodyLimit);
    finish({ kind: 'refused', status, code: error.code });
  };
  const timer = setTimeout(
    () => refuse(new N32Error(N32ErrorCode.TIMED_OUT_REQUEST, `no answer within ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );

  // nghttp2 enforces a declared content-length, so only a body without one needs counting.
  const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
  if (length !== null && length > options.bodyLimit) {
    refuse(tooLarge(options.bodyLimit));
    return;
  }
  const bodyless = inbound.endAfterHeaders;
  try {
    out = upstream.request(headers, { endStream: bodyless });
  } catch (error) {
    refuse(new N32Error(options.upstreamFailure, `cannot open a stream: ${(error as Error).message}`));
    return;
  }
  if (!bodyless) {
    if (length === null) {
      let received = 0;
      inbound.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received <= options.bodyLimit) return;
        inbound.unpipe(out);
        refuse(tooLarge(options.bodyLimit));
      });
    }
    inbound.pipe(out);
  }
  inbound.on('close', () => {
    if (done) return;
    // The downstream reset or closed before the answer was complete: stop the upstream work.
    if (!out.destroyed) out.close(NGHTTP2_CANCEL);
    finish({ kind: 'abandoned' });
  });

  out.on('response', (responseHeaders: IncomingHttpHeaders) => {
    if (done) return;
    const status = Number(responseHeaders[':status']);
    const relayed: OutgoingHttpHeaders = endToEndHeaders(responseHeaders);
    relayed[':status'] = status;
    inbound.respond(relayed, { waitForTrailers: false });
    out.pipe(inbound);
    out.once('end', () => finish({ kind: 'answered', status }));
  });
  out.on('error', (error: Error & { code?: string }) => {
    if (inbound.headersSent) {
      // The answer has started: it cannot be turned into a problem any more, only cut.
      if (!inbound.destroyed) inbound.close(constants.NGHTTP2_INTERNAL_ERROR);
      finish({ kind: 'abandoned' });
      return;
    }
    refuse(new N32Error(options.upstreamFailure, `the upstream stream failed: ${error.code ?? error.message}`));
  });
  out.on('close', () => {
    if (done || inbound.headersSent) return;
    const code = out.rstCode === NGHTTP2_REFUSED_STREAM ? 'refused the stream' : `closed the stream (code ${out.rstCode ?? 'none'})`;
    refuse(new N32Error(options.upstreamFailure, `the upstream ${code} before answering`));
  });
}

function tooLarge(limit: number): N32Error {
  return new N32Error(N32ErrorCode.BODY_TOO_LARGE, `the body exceeds ${limit} bytes`, [{ param: '/', reason: `must not exceed ${limit} bytes` }]);
}
