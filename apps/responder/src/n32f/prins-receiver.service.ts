import type { Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import {
  apiRootKey,
  authorityOf,
  headerValue,
  assertUniqueMembers,
  N32Error,
  N32ErrorCode,
  parseApiRoot,
  parseReformattedRequest,
  PrinsError,
  readMessageHeader,
  ReformatError,
  type HttpResponseMessage,
  type N32fContext,
  type N32fErrorInfoData,
  type N32fMessageHeader,
  type N32fReformattedReqMsg,
} from '@sepp/protocol';
import {
  peerDnsNames,
  BorderService,
  ConfigService,
  headerListAccess,
  PeerInFlight,
  perPeerBound,
  ProblemException,
  exchangeBuffered,
  headerFields,
  headerObject,
  N32fContextsService,
  N32fControlService,
  n32fErrorInfo,
  OriginPool,
  originPoolOf,
  PeerRegistry,
  PROBLEM_JSON,
  readBody,
  RequestNotProcessed,
  respondWhole,
  respondWithPrinsError,
  respondWithProblem,
  SEPP_LOGGER,
  SeppMetrics,
  refusalOfError,
  toProblem,
  type SeppConfig,
  type SeppLogger,
  mediaTypeOf,
} from '@sepp/server';
import { N32SessionsService } from '../n32c/n32-sessions.service';
import { accessTokenPlmnMismatch, authorizationOf, prinsAccessTokenRefusal } from './access-token-plmn';
import { answerNonPost } from './n32f-process-methods';

/** What the PRINS receiver learnt about one message: its sender, and the N32fErrorType it was refused with. */
interface ReceivedMessage {
  peer: string | undefined;
  refused: string | undefined;
}

/** JSON and base64url overhead of a reformatted message over the NF body it carries. */
const ENVELOPE_BYTES = 64 * 1024;
/** How many times a request the NF did not process goes out again (as the initiator and the relay do). */
const MAX_RESENDS = 2;

/**
 * The pSEPP side of PRINS forwarding (POST /n32f-forward/v1/n32f-process, TS 33.501 13.2.4.7): the
 * context named in `metaData` (ours) must belong to the sending peer; the JWE is verified and
 * decrypted with the request key of that context, the SEQ checked against the replay window, the
 * original request rebuilt and sent to the local NF (which must be in `sbi.allowedTargets`). The
 * NF's answer, whatever its status, is protected the same way and returned with HTTP 200. A
 * message that fails verification gets 403 ProblemDetailsMsgForwarding, is reported to the sender
 * with n32f-error, and reaches no NF.
 */
@Injectable()
export class PrinsReceiverService {
  private pool: OriginPool;
  /** Requests of each peer between its identification and our answer (n32f.maxConcurrentPerPeer). */
  private readonly inFlight = new PeerInFlight();

  constructor(
    private readonly config: ConfigService,
    private readonly contexts: N32fContextsService,
    private readonly control: N32fControlService,
    private readonly sessions: N32SessionsService,
    private readonly metrics: SeppMetrics,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
    private readonly peers: PeerRegistry,
    private readonly border: BorderService,
  ) {
    metrics.traffic.followInFlight('inbound', () => this.inFlight.counts);
    this.pool = this.createPool(config.current);
    config.on('reload', ({ current, changed }) => {
      // The pool's sessions follow sbi (hosts, TLS, keepalive) and n32f.requestTimeoutMs (how long one may take to come up).
      if (!changed.includes('sbi') && !changed.includes('n32f')) return;
      const old = this.pool;
      this.pool = this.createPool(current);
      old.close();
    });
  }

  /** Fast path of the N32 listeners for n32f-process. */
  readonly handle = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void => {
    // Read now: once the session is gone its socket can no longer be asked.
    const remoteAddress = stream.session?.socket.remoteAddress;
    const answered = answerNonPost(stream, headers);
    if (answered === 405) this.logger.info({ status: 405, method: headers[':method'], remoteAddress }, 'n32f-process refused');
    if (answered !== null) return;
    const startedAt = process.hrtime.bigint();
    // Filled in as the message is read: who sent it, and the N32fErrorType if we refused it.
    const seen: ReceivedMessage = { peer: undefined, refused: undefined };
    this.receive(stream, headers, seen).then((status) => this.metrics.observeN32f('PRINS', 'inbound', status, startedAt, seen.peer, seen.refused)).catch((error: unknown) => {
      const gone = isStreamGone(error, stream);
      const bodyLimit = this.config.current.n32f.bodyLimit;
      const status = respondWithProblem(stream, error, bodyLimit);
      const { category, cause, detail } = refusalOfError(error, toProblem(error, bodyLimit));
      this.metrics.observeN32f('PRINS', 'inbound', gone ? 'abandoned' : status, startedAt, seen.peer, gone ? undefined : cause);
      if (!gone) this.metrics.refuse({ category, cause, peer: seen.peer ?? peerDnsNames(stream.session?.socket as TLSSocket | undefined)[0], remoteAddress, detail });
      if (error instanceof N32Error) this.logger.info({ status, code: error.code, detail: error.detail, remoteAddress }, 'n32f-process refused');
      else if (isStreamGone(error, stream)) this.logger.info({ remoteAddress, error: (error as Error).message }, 'n32f-process abandoned by the sender');
      else this.logger.error({ err: error }, 'n32f-process failed');
    });
  };

  /** Resolves with the HTTP status of our answer on N32-f. */
  private async receive(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, seen: ReceivedMessage): Promise<number> {
    const config = this.config.current;
    if (headers[':method'] !== 'POST') {
      throw new N32Error(N32ErrorCode.NF_TARGET_INVALID, 'n32f-process takes POST', [{ param: 'header :method', reason: 'must be POST' }]);
    }
    const mediaType = mediaTypeOf(headers);
    if (mediaType !== 'application/json') {
      throw new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, 'n32f-process bodies are application/json', [
        { param: 'header content-type', reason: 'must be application/json' },
      ]);
    }
    const session = stream.session!;
    const via = this.connectionOf(session);
    const raw = await readBody(stream, config.n32f.bodyLimit + ENVELOPE_BYTES);
    const text = raw.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, 'the body is not JSON', [{ param: '/', reason: 'must be a JSON document' }]);
    }
    // TS 33.117 4.3.6.3: JSON.parse kept the last of two equal names; such a body is refused (400).
    assertUniqueMembers(text);
    const body = parseReformattedRequest(json);
    const sender = await this.senderOf(via, body);
    seen.peer = sender;
    this.sessions.countN32f(session, sender);
    // n32f.maxConcurrentPerPeer, as in TLS mode: checked before any verification or store work.
    // The priority the sender put on the n32f-process POST (the NF's) counts, as past the listener's bound.
    const max = perPeerBound(config.n32f.maxConcurrentPerPeer, headers, config.limits);
    if (!this.inFlight.tryTake(sender, max)) {
      throw new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${sender} has ${this.inFlight.count(sender)} N32-f requests in flight (limit ${max})`);
    }
    try {
      return await this.openAndDeliver(stream, body, sender, via, seen, config);
    } finally {
      this.inFlight.release(sender);
    }
  }

  /** Verifies, decrypts and checks a request of `sender`, delivers it to the NF and answers it protected. */
  private async openAndDeliver(stream: ServerHttp2Stream, body: N32fReformattedReqMsg, sender: string, via: { peer: string } | { ri: readonly string[] }, seen: ReceivedMessage, config: SeppConfig): Promise<number> {
    let header: N32fMessageHeader | undefined;
    let context: N32fContext | undefined;
    let opened;
    try {
      header = readMessageHeader(body);
      // Set up by this replica or another one (the state store); terminated ones are gone for all.
      const named = await this.contexts.lookup(header.n32fContextId);
      if (!named) throw new PrinsError('CONTEXT_NOT_FOUND', `no N32-f context ${header.n32fContextId}`);
      // Not `context` yet: the report must not name another peer's context to this sender.
      if (named.params.peer !== sender) throw new PrinsError('CONTEXT_NOT_FOUND', `context ${header.n32fContextId} is not one of ${sender}`);
      context = named;
      opened = context.openRequest(body, header, { acceptLegacyUriPlaceholder: config.prins.acceptLegacyUriPlaceholder });
      // One atomic store operation: a SEQ or messageId seen by any replica is refused here too.
      await this.contexts.acceptShared(context, 'request', opened.seq, opened.messageId);
    } catch (error) {
      if (!(error instanceof PrinsError)) throw error;
      if (!header && body.modificationsBlock !== undefined) {
        // Refused for its modificationsBlock: the metaData is still readable, and the report must
        // name the failed message (TS 33.501 13.2.2.3) and the context.
        header = readableHeader(body);
        const named = header ? await this.contexts.lookup(header.n32fContextId) : undefined;
        if (named?.params.peer === sender) context = named;
      }
      this.refuse(stream, sender, error, header, context);
      seen.refused = error.type;
      return 403;
    }

    this.logger.debug({ peer: sender, messageId: opened.messageId, encryptedBlocks: opened.encryptedCount }, 'PRINS request verified');
    if (header.authorizedIpxId !== 'NULL' && body.modificationsBlock !== undefined) {
      // TS 33.501 13.2.4.7: what the RIs changed, by whom (never values).
      this.logger.info({ peer: sender, messageId: opened.messageId, authorizedIpxId: header.authorizedIpxId, via: 'ri' in via ? via.ri : undefined, modifications: opened.modifications }, 'PRINS request modifications verified');
    }
    // TS 33.501 13.4.1.2.2: the access token's serving PLMN must be the context peer's.
    const tokenMismatch = accessTokenPlmnMismatch(sender, authorizationOf(opened.message.headers), this.peers, config);
    if (tokenMismatch) {
      const refusal = prinsAccessTokenRefusal(tokenMismatch, sender, this.logger, opened.messageId);
      this.refuse(stream, sender, refusal.error, header, context, { policyMismatchList: refusal.policyMismatchList });
      seen.refused = refusal.error.type;
      return 403;
    }
    const nfAnswer = await this.deliverThroughBorder(sender, opened.message, opened.messageId, config);
    let protectedAnswer;
    const answering = context;
    try {
      protectedAnswer = await this.contexts.protect(answering, 'response', () => answering.protectResponse(nfAnswer, opened.messageId, opened.request));
    } catch (error) {
      if (!(error instanceof ReformatError) && !(error instanceof PrinsError)) throw error;
      // The NF's answer cannot be sent protected: answer a protected 500 instead, never in clear.
      this.logger.warn({ peer: sender, messageId: opened.messageId, error: error.message }, 'the NF answer cannot be protected');
      const problem = problemAnswer(500, 'SYSTEM_FAILURE', 'the answer could not be protected for N32-f');
      protectedAnswer = await this.contexts.protect(answering, 'response', () => answering.protectResponse(problem, opened.messageId, opened.request));
    }
    respondWhole(stream, 200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(protectedAnswer.body)));
    return 200;
  }

  /**
   * Border protection (TS 33.501 5.9.3.2) after decryption: the rebuilt request is checked (and a
   * hidden target or hidden names recovered) before it goes to the NF, and the NF's answer has our
   * names hidden before it is protected. A refusal is a protected problem answer: nothing reaches
   * the NF, and nothing of ours leaves in clear.
   */
  private async deliverThroughBorder(sender: string, message: ReturnType<N32fContext['openRequest']>['message'], messageId: string, config: SeppConfig): Promise<HttpResponseMessage> {
    const gate = this.border.gate(sender, 'pSEPP');
    if (!gate) return this.deliver(message, config);
    const fields = [...message.headers];
    const target = `${message.scheme}://${message.authority}`;
    const checked = gate.checkRequest(
      { method: message.method, path: message.path, query: message.query, target, headers: headerListAccess(fields), body: message.body, contentType: headerValue(fields, 'content-type') },
      messageId,
    );
    if (checked.refusal) return refusalAnswer(checked.refusal);
    const recovered = checked.target ? parseApiRoot(checked.target) : null;
    const request = {
      ...message,
      headers: fields,
      ...(recovered ? { scheme: recovered.scheme, authority: authorityOf(recovered) } : {}),
      ...(checked.body ? { body: checked.body } : {}),
    };
    const answer = await this.deliver(request, config);
    const answerFields = [...answer.headers];
    const hidden = gate.checkResponse(
      { method: message.method, path: message.path, status: answer.status, headers: headerListAccess(answerFields), body: answer.body, contentType: headerValue(answerFields, 'content-type') },
      messageId,
    );
    if (hidden.refusal) return refusalAnswer(hidden.refusal);
    return { ...answer, headers: answerFields, ...(hidden.body ? { body: hidden.body } : {}) };
  }

  /** The rebuilt request goes to the local NF; our own refusals come back as protected answers too. */
  private async deliver(message: ReturnType<N32fContext['openRequest']>['message'], config: SeppConfig): Promise<HttpResponseMessage> {
    const target = parseApiRoot(`${message.scheme}://${message.authority}`);
    const allowed = target ? config.sbi.allowedTargets.find((root) => apiRootKey({ ...root, prefix: '' }) === apiRootKey(target) && message.path.startsWith(root.prefix)) : undefined;
    if (!target || !allowed) {
      return problemAnswer(403, 'UNSPECIFIED', `${message.scheme}://${message.authority} is not a local NF this SEPP forwards to`);
    }
    const headers = headerObject(message.headers);
    headers[':method'] = message.method;
    headers[':path'] = message.query === undefined ? message.path : `${message.path}?${message.query}`;
    headers[':scheme'] = allowed.scheme;
    headers[':authority'] = message.authority;
    const options = { timeoutMs: config.n32f.requestTimeoutMs, limit: config.n32f.bodyLimit, failure: N32ErrorCode.TARGET_NF_NOT_REACHABLE };
    try {
      for (let resends = 0; ; resends += 1) {
        try {
          const answer = await exchangeBuffered(this.pool.get(allowed), headers, message.body, options);
          return { status: answer.status, headers: headerFields(answer.headers), ...(answer.body.length > 0 ? { body: answer.body } : {}) };
        } catch (error) {
          // The NF did not process it (a refused stream, a session it or we closed): again on the
          // session the pool has now, at most MAX_RESENDS times.
          if (!(error instanceof RequestNotProcessed) || resends >= MAX_RESENDS) throw error;
        }
      }
    } catch (error) {
      const problem = toProblem(error, config.n32f.bodyLimit);
      return problemAnswer(problem.status, problem.body.cause ?? 'SYSTEM_FAILURE', problem.body.detail ?? 'the local NF could not be reached');
    }
  }

  private refuse(
    stream: ServerHttp2Stream,
    sender: string,
    error: PrinsError,
    header: N32fMessageHeader | undefined,
    context: N32fContext | undefined,
    extra: Pick<N32fErrorInfoData, 'policyMismatchList'> = {},
  ): void {
    this.logger.warn(
      { peer: sender, n32fErrorType: error.type, detail: error.detail, messageId: header?.messageId, n32fContextId: header?.n32fContextId },
      'PRINS message refused',
    );
    this.metrics.prinsRefused(error.type, 'us', sender, error.detail);
    respondWithPrinsError(stream, error);
    // Reported with the ID the sender allocated (the context's remote ID), when we know it.
    void this.control.reportError(sender, { ...n32fErrorInfo(error, header?.messageId ?? 'unknown', context?.remoteContextId), ...extra });
  }

  /**
   * Who is on this connection: the peer it negotiated on, the configured peer its certificate
   * names, or a roaming intermediary (IPX relay) we know (configured toward a peer, or exchanged in
   * a live context). Anyone else is refused before the body is read, except in a cluster (shared
   * state store): there a relay may come with a context another replica exchanged and this one has
   * not loaded yet, so its message is read and the context it names loaded from the store, as for
   * a peer's first message here; `senderOf` then refuses it unless it is on that context's path.
   */
  private connectionOf(session: Http2Session): { peer: string } | { ri: readonly string[] } {
    const bound = this.sessions.boundPeerOf(session);
    if (bound) return { peer: bound };
    const names = peerDnsNames(session.socket as TLSSocket);
    if (this.contexts.isIntermediary(names)) return { ri: names };
    try {
      return { peer: this.control.peerOfCertificate(names) };
    } catch (error) {
      if (this.contexts.store.shared) return { ri: names };
      throw error;
    }
  }

  /**
   * The sending peer of a message: the peer of the connection, or, on an IPX connection, the peer
   * of the context the message names, if that context has this IPX among its RIs (TS 33.501
   * 13.2.4.7: an RI relays only the contexts it was exchanged for).
   */
  private async senderOf(via: { peer: string } | { ri: readonly string[] }, body: N32fReformattedReqMsg): Promise<string> {
    if ('peer' in via) return via.peer;
    const contextId = readableHeader({ reformattedData: body.reformattedData })?.n32fContextId;
    const peer = contextId ? await this.contexts.peerOfIntermediary(contextId, via.ri) : undefined;
    if (!peer) {
      throw new N32Error(
        N32ErrorCode.UNKNOWN_PEER,
        `${via.ri.join(', ') || 'no dNSName'} is neither a configured peer nor an intermediary on the path of the context this message names (${contextId ?? 'unreadable'})`,
      );
    }
    return peer;
  }

  private createPool(config: SeppConfig): OriginPool {
    return originPoolOf(config, this.logger);
  }
}

/** The sender reset the stream or closed the connection while we were at it: nothing to answer. */
function isStreamGone(error: unknown, stream: ServerHttp2Stream): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return stream.destroyed || stream.closed || code === 'ERR_HTTP2_STREAM_ERROR' || code === 'ERR_HTTP2_INVALID_STREAM' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** The header of a message without its modificationsBlock, or undefined if even that is unreadable. */
function readableHeader(body: N32fReformattedReqMsg): N32fMessageHeader | undefined {
  try {
    return readMessageHeader({ reformattedData: body.reformattedData });
  } catch {
    return undefined;
  }
}

/** A border refusal as the NF answer the peer gets (protected like any answer): the same problem+json as in TLS mode. */
function refusalAnswer(refusal: ProblemException): HttpResponseMessage {
  const problem = toProblem(refusal, 0);
  return { status: problem.status, headers: [['content-type', PROBLEM_JSON]], body: Buffer.from(JSON.stringify(problem.body)) };
}

function problemAnswer(status: number, cause: string, detail: string): HttpResponseMessage {
  return {
    status,
    headers: [['content-type', PROBLEM_JSON]],
    body: Buffer.from(JSON.stringify({ status, cause, detail })),
  };
}
