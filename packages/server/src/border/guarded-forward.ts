import type { ClientHttp2Session, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { endToEndHeaders } from '@sepp/protocol';
import { exchangeBuffered, readBody, respondWhole } from '../n32f/buffered';
import { forwardStream, type ForwardOptions } from '../n32f/forward-stream';
import { respondWithProblem } from '../n32f/raw-problem';
import { headerRecordAccess, type BorderGate } from './border-gate';

/** One TLS-mode N32-f request, as the border sees it. */
export interface GuardedRequest {
  readonly method: string;
  /** Resource path relative to the target apiRoot, no query. */
  readonly path: string;
  readonly query: string | undefined;
  /** `3gpp-Sbi-Target-apiRoot` as received. */
  readonly target: string | undefined;
  readonly contentType: string | undefined;
}

export interface GuardedForward {
  readonly stream: ServerHttp2Stream;
  readonly gate: BorderGate;
  readonly request: GuardedRequest;
  /** The upstream request headers; the checks change them in place (topology hiding). */
  readonly out: OutgoingHttpHeaders;
  /**
   * Called once the request passed, with the target the checks recovered (a hidden name of ours)
   * or undefined: returns the session to send on, completing `out`; throws (an N32Error) to refuse.
   */
  readonly upstream: (recoveredTarget: string | undefined) => ClientHttp2Session;
  readonly options: ForwardOptions;
}

/**
 * TLS-mode N32-f through the border (both SEPP roles). The fast path stays a stream: only when a
 * rule of this API needs the request body is it read whole (up to the body limit), and only when
 * one needs the answer body is the answer read whole. Header-only rules (allow-list, network IDs
 * in headers and paths, query validation, hiding in headers) run on the streaming path. Every
 * refusal is a problem+json of ours and nothing reaches the upstream.
 */
export function guardedForward(forward: GuardedForward): void {
  const { stream, gate, request, options } = forward;
  const refuse = (error: unknown): void => {
    const status = respondWithProblem(stream, error, options.bodyLimit);
    options.onDone?.({ kind: 'refused', status, code: 'BORDER' });
  };
  if (gate.requestNeeds(request.method, request.path) === 'body' && !stream.endAfterHeaders) {
    readBody(stream, options.bodyLimit).then(
      (body) => proceed(forward, body, refuse),
      (error: unknown) => (stream.destroyed ? options.onDone?.({ kind: 'abandoned' }) : refuse(error)),
    );
    return;
  }
  proceed(forward, undefined, refuse);
}

function proceed({ stream, gate, request, out, upstream, options }: GuardedForward, body: Buffer | undefined, refuse: (error: unknown) => void): void {
  const checked = gate.checkRequest({
    method: request.method,
    path: request.path,
    query: request.query,
    target: request.target,
    contentType: request.contentType,
    headers: headerRecordAccess(out),
    body,
  });
  if (checked.refusal) {
    refuse(checked.refusal);
    return;
  }
  const sent = checked.body ?? body;
  if (checked.body) out['content-length'] = checked.body.length;
  let session: ClientHttp2Session;
  try {
    session = upstream(checked.target);
  } catch (error) {
    refuse(error);
    return;
  }
  const answerNeeds = gate.responseNeeds(request.method, request.path);
  if (answerNeeds !== 'body') {
    const streamed: ForwardOptions = {
      timeoutMs: options.timeoutMs,
      bodyLimit: options.bodyLimit,
      upstreamFailure: options.upstreamFailure,
      onDone: options.onDone,
      body: sent,
      onAnswerHeaders:
        answerNeeds === 'headers'
          ? (status: number, headers: OutgoingHttpHeaders) =>
              gate.answerHeadersMatter(request.method, request.path, headers)
                ? gate.checkResponse({ method: request.method, path: request.path, status, headers: headerRecordAccess(headers), body: undefined, contentType: headerOf(headers, 'content-type') }).refusal
                : null
          : undefined,
    };
    forwardStream(stream, session, out, streamed);
    return;
  }
  // The answer is read whole: the request body too (the exchange is one buffered round trip).
  const requestBody = sent !== undefined || stream.endAfterHeaders ? Promise.resolve(sent) : readBody(stream, options.bodyLimit);
  requestBody
    .then((whole) => exchangeBuffered(session, out, whole, { timeoutMs: options.timeoutMs, limit: options.bodyLimit, failure: options.upstreamFailure }))
    .then((answer) => {
      const headers = endToEndHeaders(answer.headers) as OutgoingHttpHeaders;
      delete headers['content-length'];
      const checkedAnswer = gate.checkResponse({ method: request.method, path: request.path, status: answer.status, headers: headerRecordAccess(headers), body: answer.body, contentType: headerOf(headers, 'content-type') });
      if (checkedAnswer.refusal) {
        refuse(checkedAnswer.refusal);
        return;
      }
      if (stream.destroyed || stream.closed) {
        options.onDone?.({ kind: 'abandoned' });
        return;
      }
      respondWhole(stream, answer.status, headers, checkedAnswer.body ?? answer.body);
      options.onDone?.({ kind: 'answered', status: answer.status });
    })
    .catch((error: unknown) => (stream.destroyed ? options.onDone?.({ kind: 'abandoned' }) : refuse(error)));
}

function headerOf(headers: OutgoingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
}
