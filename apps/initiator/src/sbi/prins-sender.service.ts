import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Inject, Injectable } from '@nestjs/common';
import {
  authorityOf,
  formatApiRoot,
  headerValue,
  N32Error,
  N32ErrorCode,
  N32F_PROCESS_PATH,
  parseMessagePriority,
  parseReformattedResponse,
  PrinsError,
  ProblemDetails,
  readMessageHeader,
  ReformatError,
  SBI_HEADERS,
  validateBody,
  type HttpRequestMessage,
  type NfRoute,
} from '@sepp/protocol';
import {
  BorderService,
  ConfigService,
  exchangeBuffered,
  headerListAccess,
  headerFields,
  headerObject,
  N32fContextsService,
  N32fControlService,
  n32fErrorInfo,
  PROBLEM_JSON,
  readBody,
  RequestNotProcessed,
  respondWhole,
  SEPP_LOGGER,
  SeppMetrics,
  splitPath,
  type BufferedAnswer,
  type N32Connection,
  type SeppLogger,
  withListElement,
} from '@sepp/server';
import type { N32fContext } from '@sepp/protocol';
import { forwardTimeoutMs } from './forward-timeout';

/** JSON and base64url overhead of a reformatted message over the NF body it carries. */
const ENVELOPE_BYTES = 64 * 1024;
/** Fresh contexts a request may wait for when bursts use them up one after another. */
const MAX_RENEWALS = 3;
/** How many times a request the peer did not process (refused stream, GOAWAY) goes out again. */
const MAX_RESENDS = 2;

/**
 * The cSEPP side of PRINS forwarding (TS 33.501 13.2.4, N32-DIGEST §5): the NF request is read
 * whole, reformatted (requestLine, headers, payload; the IEs the protection policy names moved
 * into the encrypted block), protected as a JWE with the context's next nonce, and POSTed to the
 * peer's n32f-process. The protected answer is verified, decrypted and rebuilt, and the NF gets
 * exactly what the producer answered (its status travels inside the JWE). A refusal by the peer
 * (403 ProblemDetailsMsgForwarding) reaches the NF as the peer suggests; an answer that fails
 * verification is reported back with n32f-error and the NF gets a 502.
 */
@Injectable()
export class PrinsSenderService {
  constructor(
    private readonly config: ConfigService,
    private readonly control: N32fControlService,
    private readonly contexts: N32fContextsService,
    private readonly metrics: SeppMetrics,
    private readonly border: BorderService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  /** Forwards one NF request; resolves with the status the NF got. */
  async forward(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    route: NfRoute,
    transport: { connection: N32Connection; context: N32fContext },
    renew: (spent: N32fContext) => Promise<{ connection: N32Connection; context: N32fContext }>,
    refresh: () => Promise<{ connection: N32Connection; context: N32fContext }>,
  ): Promise<number> {
    const config = this.config.current;
    let { connection, context } = transport;
    const body = await readBody(stream, config.n32f.bodyLimit);
    // The connection may have gone (GOAWAY of a stopping replica of the peer) while the body came:
    // nothing was sent yet, so take the current one.
    if (!connection.open) ({ connection, context } = await refresh());
    const { path, query } = splitPath(String(headers[':path'] ?? '/'));
    let message: HttpRequestMessage = {
      method: String(headers[':method']),
      scheme: route.target.scheme,
      authority: authorityOf(route.target),
      path: `${route.target.prefix}${path}`,
      ...(query !== undefined ? { query } : {}),
      // In PRINS mode the target header is consumed: its value is in requestLine (N32-DIGEST §5.3).
      headers: headerFields(headers, SBI_HEADERS.targetApiRoot),
      ...(body.length > 0 ? { body } : {}),
    };
    // Border protection before protection (TS 33.501 5.9.3.2): checked, and our names hidden, in clear.
    const gate = this.border.gate(route.peer, 'cSEPP');
    if (gate) {
      const fields = [...message.headers];
      const checked = gate.checkRequest({
        method: message.method,
        path,
        query,
        target: formatApiRoot(route.target),
        headers: headerListAccess(fields),
        body: message.body,
        contentType: headerValue(fields, 'content-type'),
      });
      if (checked.refusal) throw checked.refusal;
      message = { ...message, headers: fields, ...(checked.body ? { body: checked.body } : {}) };
    }
    // The NF's message priority goes on the N32-f request too (an optional header of the
    // n32f-process POST in TS 29.573's OpenAPI), where the peer and relays can read it (TS 29.500
    // 6.8, e.g. the peer's priority reserve under overload); inside the JWE it stays as the NF sent it.
    const priority = parseMessagePriority(headers[SBI_HEADERS.messagePriority]);
    let sealed;
    let answer;
    for (let resends = 0; ; resends++) {
      for (let renewals = 0; ; renewals++) {
        try {
          const sealing = context;
          sealed = await this.contexts.protect(sealing, 'request', () => sealing.protectRequest(message));
          break;
        } catch (error) {
          if (error instanceof ReformatError) throw new N32Error(N32ErrorCode.NF_MESSAGE_NOT_PROTECTABLE, error.detail);
          if (!(error instanceof PrinsError) || (error.type !== 'ENCRYPTION_KEY_EXPIRED' && error.type !== 'CONTEXT_NOT_FOUND') || renewals >= MAX_RENEWALS) throw error;
          // A burst used up the context's last nonces (or another replica ended it): wait for the
          // fresh context (the link already asked for one when the budget ran low) and protect with it.
          ({ connection, context } = await renew(context));
        }
      }
      this.logger.debug({ peer: route.peer, messageId: sealed.messageId, encrypted: sealed.encrypted, contextId: context.remoteContextId }, 'PRINS request protected');
      try {
        answer = await this.send(connection, Buffer.from(JSON.stringify(sealed.body)), forwardTimeoutMs(headers, this.config.current.n32f.requestTimeoutMs), priority);
        break;
      } catch (error) {
        context.abandon(sealed.messageId);
        if (!(error instanceof RequestNotProcessed) || resends >= MAX_RESENDS) throw error;
        // The peer did not process it (a replica of the peer stopping: its GOAWAY refuses the
        // streams that crossed it): on the connection the link has now, protected again (a new
        // SEQ; the refused one never reached the peer, and the context may have changed meanwhile).
        this.logger.debug({ peer: route.peer, messageId: sealed.messageId, detail: error.detail }, 'PRINS request not processed by the peer: sending it again');
        ({ connection, context } = await refresh());
      }
    }

    if (answer.status !== 200) {
      context.abandon(sealed.messageId);
      return this.relayRefusal(stream, answer, route.peer);
    }
    let opened;
    let header;
    let reformatted;
    try {
      reformatted = parseReformattedResponse(JSON.parse(answer.body.toString('utf8')));
      header = readMessageHeader(reformatted);
      if (header.n32fContextId.toLowerCase() !== context.localContextId) throw new PrinsError('CONTEXT_NOT_FOUND', `the answer names context ${header.n32fContextId}`);
      opened = context.openResponse(reformatted, header, sealed.messageId);
    } catch (error) {
      context.abandon(sealed.messageId);
      const prins = error instanceof PrinsError ? error : new PrinsError('MESSAGE_RECONSTRUCTION_FAILED', `the answer is not an N32fReformattedRspMsg: ${(error as Error).message}`);
      this.logger.warn({ peer: route.peer, n32fErrorType: prins.type, detail: prins.detail, messageId: sealed.messageId }, 'PRINS answer refused');
      this.metrics.prinsRefused(prins.type, 'us', route.peer, `the protected answer: ${prins.detail}`);
      void this.control.reportError(route.peer, n32fErrorInfo(prins, header?.messageId ?? sealed.messageId, context.remoteContextId));
      throw new N32Error(N32ErrorCode.N32F_PROTECTION_FAILED, `the protected answer of ${route.peer} failed verification (${prins.type})`);
    }
    if (reformatted.modificationsBlock !== undefined) {
      // TS 33.501 13.2.4.7: what the RIs changed in the answer, by whom (never values).
      this.logger.info({ peer: route.peer, messageId: sealed.messageId, authorizedIpxId: header.authorizedIpxId, modifications: opened.modifications }, 'PRINS answer modifications verified');
    }
    let response = opened.message;
    if (gate) {
      // After verification: hidden names of ours in the answer are recovered before our NF sees it.
      const fields = [...response.headers];
      const checked = gate.checkResponse(
        { method: message.method, path, status: response.status, headers: headerListAccess(fields), body: response.body, contentType: headerValue(fields, 'content-type') },
        sealed.messageId,
      );
      if (checked.refusal) throw checked.refusal;
      response = { ...response, headers: fields, ...(checked.body ? { body: checked.body } : {}) };
    }
    respondWhole(stream, response.status, withPeerLoadInformation(headerObject(response.headers), answer.headers), response.body);
    return response.status;
  }

  /** POSTs a protected request to the peer's n32f-process and reads the whole answer. */
  private send(connection: N32Connection, payload: Buffer, timeoutMs: number, priority: number | undefined): Promise<BufferedAnswer> {
    return exchangeBuffered(
      connection.session,
      {
        ':method': 'POST',
        ':path': N32F_PROCESS_PATH,
        ':scheme': 'https',
        ':authority': connection.authority,
        'content-type': 'application/json',
        accept: 'application/json, application/problem+json',
        ...(priority !== undefined ? { [SBI_HEADERS.messagePriority]: String(priority) } : {}),
      },
      payload,
      { timeoutMs, limit: this.config.current.n32f.bodyLimit + ENVELOPE_BYTES, failure: N32ErrorCode.N32_CONNECTION_LOST },
    );
  }

  /**
   * The peer refused the protected request: its ProblemDetailsMsgForwarding suggests what the NF
   * should get; without a suggestion the NF gets a 502 saying the peer refused. A peer too busy to
   * take it (429 over its rate limit, 503 overloaded: a ProblemDetails, TS 29.500 5.2.7) is
   * relayed as it came, with its `retry-after` and overload and load control information (`withPeerLoadInformation`),
   * so that the NF backs off as the peer asks: it is congestion, not a protection failure.
   */
  private relayRefusal(stream: ServerHttp2Stream, answer: BufferedAnswer, peer: string): number {
    const { status, body } = answer;
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      json = undefined;
    }
    const problem = validateBody(ProblemDetails, json);
    const raw = (json ?? {}) as { suggestedStatusCode?: unknown; suggestedProblemDetails?: unknown };
    this.logger.warn({ peer, status, cause: problem.ok ? problem.value.cause : undefined, detail: problem.ok ? problem.value.detail : undefined }, 'the peer refused a protected request');
    if ((status === 429 || status === 503) && problem.ok) {
      const retryAfter = answer.headers['retry-after'];
      respondWhole(stream, status, withPeerLoadInformation({ 'content-type': PROBLEM_JSON, ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}) }, answer.headers), body);
      return status;
    }
    const suggested = typeof raw.suggestedStatusCode === 'number' && raw.suggestedStatusCode >= 400 && raw.suggestedStatusCode <= 599 ? raw.suggestedStatusCode : null;
    if (suggested !== null && raw.suggestedProblemDetails && typeof raw.suggestedProblemDetails === 'object') {
      respondWhole(stream, suggested, { 'content-type': PROBLEM_JSON }, Buffer.from(JSON.stringify({ ...raw.suggestedProblemDetails, status: suggested })));
      return suggested;
    }
    throw new N32Error(
      N32ErrorCode.N32F_PROTECTION_FAILED,
      `${peer} refused the protected request: HTTP ${status}${problem.ok && problem.value.cause ? ` ${problem.value.cause}` : ''}${problem.ok && problem.value.detail ? `: ${problem.value.detail}` : ''}`,
    );
  }
}

/**
 * The peer's overload and load control information on its n32f-process answer (TS 29.500 6.4, 6.3:
 * SEPP scope; asking for less traffic before it refuses any, its load) reaches the NF as in TLS
 * mode, after any the producer put in the answer.
 */
function withPeerLoadInformation(headers: OutgoingHttpHeaders, outer: IncomingHttpHeaders): OutgoingHttpHeaders {
  let out = headers;
  for (const name of [SBI_HEADERS.oci, SBI_HEADERS.lci]) {
    const value = outer[name];
    if (value !== undefined) out = withListElement(out, name, Array.isArray(value) ? value.join(', ') : value);
  }
  return out;
}

