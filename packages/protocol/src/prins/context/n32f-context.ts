import { validateBody } from '../../validation/validate-body';
import { base64urlDecode, base64urlEncode } from '../crypto/base64url';
import { decryptFlattenedJwe, encryptFlattenedJwe } from '../crypto/jwe';
import { deriveN32fKeys, n32fDirection, type JweEnc, type N32fKeySet, type N32Role } from '../crypto/key-schedule';
import { NonceSequence } from '../crypto/nonce';
import type { NonceSource } from '../crypto/nonce-blocks';
import { ChunkedReplayWindow } from '../crypto/chunked-replay-window';
import { randomHex64 } from '../crypto/random-id';
import type { DataToIntegrityProtectBlockData, JsonValue, N32fReformattedReqMsgData, N32fReformattedRspMsgData } from '../messages/bodies';
import { MetaData, type N32fReformattedReqMsg, type N32fReformattedRspMsg } from '../messages';
import { N32Error, N32ErrorCode } from '../../errors';
import { N32fErrorType, PrinsError } from '../n32f-error';
import type { HttpRequestMessage, HttpResponseMessage, RequestContext } from '../reformat/http-message';
import type { PrinsProtectionPolicy } from '../reformat/protection-policy';
import { rebuildRequest, rebuildResponse, type RebuildOptions } from '../reformat/rebuild';
import { NO_AUTHORIZED_IPX, reformatRequest, reformatResponse } from '../reformat/reformat';
import type { KeyObject } from 'node:crypto';
import { describeChanges, type ModificationPolicy } from '../modifications/policy';
import { processModifications } from '../modifications/process';
import { isNoIntermediary } from '../modifications/verify';
import { normalizeFqdn } from '../../identifiers/plmn';
import { RecentIds } from './recent-ids';

/** Everything both SEPPs agreed in exchange-params, plus the exported TLS master key. */
export interface N32fContextParams {
  /** Our role on the N32-c connection the context was set up on. */
  readonly role: N32Role;
  readonly peer: string;
  /** The context ID we allocated: messages addressed to us carry it. */
  readonly localContextId: string;
  /** The context ID the peer allocated: messages we send carry it. */
  readonly remoteContextId: string;
  /** `EXPORTER_3GPP_N32_MASTER`, 64 bytes, from the N32-c TLS session (or `keys`, derived from it already). */
  readonly master?: Buffer;
  /** The keys derived from `master` (a context loaded from a shared store instead of set up here). */
  readonly keys?: N32fKeySet;
  /** When the context was set up (default: now). */
  readonly createdAt?: number;
  /**
   * Where the nonces of a direction we send on come from (default: one local counter per
   * direction, from `2^32 - maxMessages`). Replicas sharing a context pass SEQ blocks reserved for
   * them (BlockNonceSequence).
   */
  readonly nonces?: (kind: 'request' | 'response', salt: Buffer, start: number) => NonceSource;
  readonly enc: JweEnc;
  /** Our protection policy: what we encrypt in what we send. */
  readonly policy: PrinsProtectionPolicy;
  /** Messages per direction before the context must be replaced (at most 2^32). */
  readonly maxMessages?: number;
  /** Roaming intermediaries on the path (TS 33.501 13.2.4.5-13.2.4.7); absent: none. */
  readonly intermediaries?: N32fIntermediaries;
}

/** What a context knows about the roaming intermediaries (RIs) between the two SEPPs. */
export interface N32fIntermediaries {
  /** The RI allowed to modify what we send (`metaData.authorizedIpxId`); null: none. */
  readonly authorizedIpxId: string | null;
  /**
   * RI keys to verify modifications of what we receive: only those exchanged in this context's
   * parameter exchange (`ipxProviderSecInfoList`) or configured for this peer, never a SEPP's.
   */
  readonly keysByIdentity: ReadonlyMap<string, readonly KeyObject[]>;
  /** The keys of both SEPPs: never accepted for an RI signature (TS 33.501 5.9.3.2). */
  readonly seppKeys: readonly KeyObject[];
  /** What RIs other than our own may modify in what we receive: the policy the peer sent on N32-c. */
  readonly policy: ModificationPolicy;
  /**
   * Our own RI toward this peer, when we have one: it signs second on what we receive (after the
   * RI the sender authorized) unless it is that RI, and it is held to `ownPolicy`.
   */
  readonly ownRiId?: string | null;
  /** What our own RI may modify: our configured policy (N32-DIGEST §5.8 step 4); default `policy`. */
  readonly ownPolicy?: ModificationPolicy;
}

/** A request or response read from the wire, with what the receiver needs to answer or report. */
export interface OpenedMessage<M> {
  readonly message: M;
  readonly messageId: string;
  /** What was encrypted (index count), for logs. */
  readonly encryptedCount: number;
  /** What the RIs changed, by whom (log lines, never values); empty without RIs. */
  readonly modifications: readonly string[];
  /** The SEQ of the message's IV (for a replay check shared with other replicas). */
  readonly seq: number;
}

/** The `metaData` a receiver reads first: which context, which message (for error reports). */
export interface N32fMessageHeader {
  readonly n32fContextId: string;
  readonly messageId: string;
  readonly authorizedIpxId: string;
  readonly aad: DataToIntegrityProtectBlockData;
}

const MAX_REMEMBERED_MESSAGE_IDS = 65_536;
const MAX_RECENTLY_SENT = 1_024;

/**
 * One N32-f security context (TS 33.501 13.2.2.4): the keys of the four directions (N32-KDF over
 * the initiator's context ID), one deterministic nonce sequence per direction we send on, one
 * replay window per direction we receive on, and the message IDs in flight. Pure: it turns HTTP
 * messages into TS 29.573 N32fReformattedReqMsg/RspMsg and back, and throws PrinsError with the
 * N32fErrorType the receiver must report.
 *
 * Only the "parallel" session is used: the N32-c initiator is the HTTP client of N32-f (the
 * responder sends requests only on a second N32-c connection, for errors and terminate).
 */
export class N32fContext {
  readonly keys: N32fKeySet;
  readonly createdAt: number;
  private readonly sendRequests: NonceSource;
  private readonly sendResponses: NonceSource;
  private readonly receivedRequests = new ChunkedReplayWindow();
  private readonly receivedResponses = new ChunkedReplayWindow();
  private readonly seenRequestIds = new RecentIds(MAX_REMEMBERED_MESSAGE_IDS);
  private readonly outstanding = new Map<string, RequestContext>();
  /** The IDs of the last requests we sent (to recognise an error report about one of them). */
  private readonly recentlySent = new RecentIds(MAX_RECENTLY_SENT);
  private sent = 0;
  private ris: N32fIntermediaries | undefined;

  constructor(readonly params: N32fContextParams) {
    this.ris = params.intermediaries;
    const initiatorContextId = params.role === 'initiator' ? params.localContextId : params.remoteContextId;
    if (!params.keys && !params.master) throw new RangeError('an N32-f context needs the master key or the derived keys');
    this.keys = params.keys ?? deriveN32fKeys(params.master!, initiatorContextId, params.enc);
    this.createdAt = params.createdAt ?? Date.now();
    const max = params.maxMessages ?? 2 ** 32;
    const start = 2 ** 32 - max;
    const source = params.nonces ?? ((_kind: 'request' | 'response', salt: Buffer, first: number): NonceSource => new NonceSequence(salt, { start: first }));
    this.sendRequests = source('request', this.direction('request', 'send').salt, start);
    this.sendResponses = source('response', this.direction('response', 'send').salt, start);
  }

  /** The RIs of this context (absent: none). */
  get intermediaries(): N32fIntermediaries | undefined {
    return this.ris;
  }

  /**
   * Sets the RIs once the RI security information exchange (TS 33.501 13.2.2.2 step 3, a separate
   * exchange-params POST after the context was set up) has settled them.
   */
  setIntermediaries(intermediaries: N32fIntermediaries | undefined): void {
    this.ris = intermediaries;
  }

  get localContextId(): string {
    return this.params.localContextId;
  }

  get remoteContextId(): string {
    return this.params.remoteContextId;
  }

  /** Messages sent on this context so far (both directions). */
  get messagesSent(): number {
    return this.sent;
  }

  /** True once a send direction has fewer than `margin` nonces left: time for a fresh context. */
  nearlyExhausted(margin = 1): boolean {
    return this.sendRequests.remaining < margin || this.sendResponses.remaining < margin;
  }

  /** cSEPP: an NF request in PRINS form, addressed to the peer's context. */
  protectRequest(message: HttpRequestMessage): { body: N32fReformattedReqMsgData; messageId: string; encrypted: string[] } {
    const messageId = randomHex64();
    const result = reformatRequest(message, this.meta(messageId), this.params.policy);
    const body = { reformattedData: this.seal(result.aad, result.dataToEncrypt, this.direction('request', 'send').key, this.sendRequests) };
    this.outstanding.set(messageId, { method: message.method, path: message.path });
    this.recentlySent.add(messageId);
    return { body, messageId, encrypted: result.encrypted };
  }

  /** True when `messageId` is one of the last requests we sent on this context. */
  sentRecently(messageId: string): boolean {
    return this.recentlySent.has(messageId);
  }

  /** cSEPP: forget a request that will get no protected answer (refused, timed out, failed). */
  abandon(messageId: string): void {
    this.outstanding.delete(messageId);
  }

  /** pSEPP: the NF answer in PRINS form, echoing the request's messageId. */
  protectResponse(message: HttpResponseMessage, messageId: string, request: RequestContext): { body: N32fReformattedRspMsgData; encrypted: string[] } {
    const result = reformatResponse(message, this.meta(messageId), this.params.policy, request);
    return {
      body: { reformattedData: this.seal(result.aad, result.dataToEncrypt, this.direction('response', 'send').key, this.sendResponses) },
      encrypted: result.encrypted,
    };
  }

  /** pSEPP: verify, decrypt, check replay and rebuild a request read with {@link readMessageHeader}. */
  openRequest(body: N32fReformattedReqMsg, header: N32fMessageHeader, options: RebuildOptions = {}): OpenedMessage<HttpRequestMessage> & { request: RequestContext } {
    this.checkAddressedToUs(header);
    const { dataToEncrypt, seq } = this.unseal(body, this.direction('request', 'receive'), this.receivedRequests);
    if (this.seenRequestIds.has(header.messageId)) {
      throw new PrinsError(N32fErrorType.INTEGRITY_CHECK_FAILED, `messageId ${header.messageId} was already received on this context`);
    }
    // An encrypted path hides the API the modification policy is written for: rebuild once to
    // learn it (the RIs never see it either).
    const clear = rebuildRequest(header.aad, dataToEncrypt, options);
    const { aad, modifications } = this.modified(body, header, dataToEncrypt, 'request', { method: clear.method, path: clear.path });
    const message = aad === header.aad ? clear : rebuildRequest(aad, dataToEncrypt, options);
    // Past the bound the oldest IDs go: the replay window still refuses their SEQs.
    this.seenRequestIds.add(header.messageId);
    return { message, messageId: header.messageId, encryptedCount: dataToEncrypt.length, modifications, seq, request: { method: message.method, path: message.path } };
  }

  /** cSEPP: verify, decrypt, check replay and rebuild the answer to one of our requests. */
  openResponse(body: N32fReformattedRspMsg, header: N32fMessageHeader, expectedMessageId: string): OpenedMessage<HttpResponseMessage> {
    this.checkAddressedToUs(header);
    if (header.messageId !== expectedMessageId || !this.outstanding.has(header.messageId)) {
      throw new PrinsError(N32fErrorType.INTEGRITY_CHECK_FAILED, `the answer carries messageId ${header.messageId}, not that of the request (${expectedMessageId})`);
    }
    const { dataToEncrypt, seq } = this.unseal(body, this.direction('response', 'receive'), this.receivedResponses);
    const request = this.outstanding.get(header.messageId)!;
    this.outstanding.delete(header.messageId);
    const { aad, modifications } = this.modified(body, header, dataToEncrypt, 'response', request);
    return { message: rebuildResponse(aad, dataToEncrypt), messageId: header.messageId, encryptedCount: dataToEncrypt.length, modifications, seq };
  }

  private meta(messageId: string): { n32fContextId: string; messageId: string; authorizedIpxId: string } {
    return { n32fContextId: this.params.remoteContextId, messageId, authorizedIpxId: this.ris?.authorizedIpxId ?? NO_AUTHORIZED_IPX };
  }

  /**
   * The RI steps after the JWE verified (TS 33.501 13.2.4.7 steps 3-5): every JWS verified with
   * this context's RI keys and bound to this message's tag, every operation checked against the
   * modification policy, the patches applied in hop order. Without RIs a modifications block was
   * already refused by readMessageHeader.
   */
  private modified(
    body: N32fReformattedReqMsg | N32fReformattedRspMsg,
    header: N32fMessageHeader,
    dataToEncrypt: readonly unknown[],
    direction: 'request' | 'response',
    request: RequestContext,
  ): { aad: DataToIntegrityProtectBlockData; modifications: string[] } {
    const ris = this.ris;
    if (!ris || isNoIntermediary(header.authorizedIpxId)) {
      if (body.modificationsBlock !== undefined) {
        throw new PrinsError(N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED, 'a modificationsBlock arrived although no intermediary is authorized on this context');
      }
      return { aad: header.aad, modifications: [] };
    }
    const result = processModifications({
      block: body.modificationsBlock,
      jweTag: body.reformattedData.tag,
      authorizedIpxId: header.authorizedIpxId,
      keysByIdentity: ris.keysByIdentity,
      seppKeys: ris.seppKeys,
      receiverRiId: ris.ownRiId ?? null,
      aad: header.aad,
      policyFor: (identity) => (ris.ownRiId && normalizeFqdn(identity) === normalizeFqdn(ris.ownRiId) ? (ris.ownPolicy ?? ris.policy) : ris.policy),
      direction,
      request,
      confidentialValues: dataToEncrypt,
    });
    return { aad: result.aad, modifications: result.changes.length > 0 ? describeChanges(result.changes).map((line, i) => `${result.changes[i]!.identity}: ${line}`) : [] };
  }

  private direction(kind: 'request' | 'response', flow: 'send' | 'receive'): { key: Buffer; salt: Buffer } {
    return this.keys[n32fDirection(this.params.role, kind, flow)];
  }

  private seal(aad: DataToIntegrityProtectBlockData, dataToEncrypt: JsonValue[], key: Buffer, nonces: NonceSource): N32fReformattedReqMsgData['reformattedData'] {
    const { iv } = nonces.next();
    this.sent += 1;
    return encryptFlattenedJwe({
      plaintext: JSON.stringify({ dataToEncrypt }),
      aad: base64urlEncode(JSON.stringify(aad)),
      key,
      iv,
      enc: this.params.enc,
    });
  }

  private unseal(body: N32fReformattedReqMsg | N32fReformattedRspMsg, direction: { key: Buffer; salt: Buffer }, window: ChunkedReplayWindow): { dataToEncrypt: unknown[]; seq: number } {
    const { plaintext, seq } = decryptFlattenedJwe(body.reformattedData, direction.key, { enc: this.params.enc, salt: direction.salt, replayWindow: window });
    let block: unknown;
    try {
      block = JSON.parse(plaintext.toString('utf8'));
    } catch {
      throw new PrinsError(N32fErrorType.DECIPHERING_FAILED, 'the decrypted block is not JSON');
    }
    const dataToEncrypt = (block as { dataToEncrypt?: unknown } | null)?.dataToEncrypt;
    if (!Array.isArray(dataToEncrypt)) throw new PrinsError(N32fErrorType.DECIPHERING_FAILED, 'the decrypted block has no dataToEncrypt array');
    return { dataToEncrypt, seq };
  }

  private checkAddressedToUs(header: N32fMessageHeader): void {
    if (header.n32fContextId.toLowerCase() !== this.params.localContextId.toLowerCase()) {
      throw new PrinsError(N32fErrorType.CONTEXT_NOT_FOUND, `the message names context ${header.n32fContextId}, not ${this.params.localContextId}`);
    }
  }
}

/**
 * Reads the integrity-protected header block of an N32-f message before any key is chosen: which
 * context it is for (the receiver's ID) and its messageId. Also refuses what no context can
 * accept: a `modificationsBlock` when no intermediary is authorized (DECISIONS.md §7).
 */
export function readMessageHeader(body: N32fReformattedReqMsg | N32fReformattedRspMsg): N32fMessageHeader {
  const aadText = body.reformattedData.aad;
  if (typeof aadText !== 'string') throw new PrinsError(N32fErrorType.DECIPHERING_FAILED, 'the JWE has no aad');
  let aadJson: unknown;
  try {
    aadJson = JSON.parse(base64urlDecode(aadText).toString('utf8'));
  } catch {
    throw new PrinsError(N32fErrorType.DECIPHERING_FAILED, 'the aad is not base64url-encoded JSON');
  }
  // Only metaData is checked here (it picks the context); everything else in the AAD is checked
  // strictly when the message is rebuilt, after the tag verified it (rebuild.ts).
  if (aadJson === null || typeof aadJson !== 'object' || Array.isArray(aadJson)) {
    throw new PrinsError(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED, 'the aad is not a JSON object');
  }
  const meta = validateBody(MetaData, (aadJson as { metaData?: unknown }).metaData ?? {});
  if (!meta.ok) {
    throw new PrinsError(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED, `the aad metaData is not valid: ${meta.error.detail}`);
  }
  const metaData = (aadJson as DataToIntegrityProtectBlockData).metaData;
  if (!metaData) throw new PrinsError(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED, 'the aad has no metaData');
  const authorizedIpxId = metaData.authorizedIpxId ?? '';
  const noIntermediary = authorizedIpxId === NO_AUTHORIZED_IPX || authorizedIpxId === '' || authorizedIpxId === null;
  if (noIntermediary && body.modificationsBlock !== undefined) {
    throw new PrinsError(
      N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED,
      'a modificationsBlock arrived although no intermediary is authorized (authorizedIpxId "NULL")',
      [],
      signersOf(body).map((ipxId) => ({ ipxId, n32fErrorType: N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED })),
    );
  }
  // The raw JSON (not the validated instance) is what gets rebuilt: validation drops unknown
  // members and would alter an NF's body.
  return { n32fContextId: metaData.n32fContextId, messageId: metaData.messageId, authorizedIpxId: String(authorizedIpxId), aad: aadJson };
}

/**
 * Checks the envelope of an n32f-process body (N32fReformattedReqMsg / RspMsg: a FlatJweJson and
 * an optional modificationsBlock) by hand: this runs on every protected message, and the JWE
 * members are checked strictly again where they are used (jwe.ts). Errors name the member.
 */
function checkEnvelope(json: unknown): void {
  const wrong = (code: N32ErrorCode, param: string, reason: string): never => {
    throw new N32Error(code, `${param}: ${reason}`, [{ param, reason }]);
  };
  if (!isObject(json)) wrong(N32ErrorCode.INVALID_MSG_FORMAT, '/', 'must be a JSON object');
  const body = json as Record<string, unknown>;
  const data = body['reformattedData'];
  if (data === undefined) wrong(N32ErrorCode.MANDATORY_IE_MISSING, '/reformattedData', 'is mandatory');
  if (!isObject(data)) wrong(N32ErrorCode.MANDATORY_IE_INCORRECT, '/reformattedData', 'must be an object (FlatJweJson)');
  const jwe = data as Record<string, unknown>;
  if (jwe['ciphertext'] === undefined) wrong(N32ErrorCode.MANDATORY_IE_MISSING, '/reformattedData/ciphertext', 'is mandatory');
  for (const member of ['protected', 'encrypted_key', 'aad', 'iv', 'ciphertext', 'tag']) {
    if (jwe[member] !== undefined && typeof jwe[member] !== 'string') wrong(N32ErrorCode.MANDATORY_IE_INCORRECT, `/reformattedData/${member}`, 'must be a string');
  }
  for (const member of ['unprotected', 'header']) {
    if (jwe[member] !== undefined && !isObject(jwe[member])) wrong(N32ErrorCode.MANDATORY_IE_INCORRECT, `/reformattedData/${member}`, 'must be an object');
  }
  const block = body['modificationsBlock'];
  if (block === undefined) return;
  if (!Array.isArray(block) || block.length === 0) wrong(N32ErrorCode.OPTIONAL_IE_INCORRECT, '/modificationsBlock', 'must be a non-empty array');
  (block as unknown[]).forEach((jws, index) => {
    const at = `/modificationsBlock/${index}`;
    if (!isObject(jws)) wrong(N32ErrorCode.OPTIONAL_IE_INCORRECT, at, 'must be an object (FlatJwsJson)');
    const item = jws as Record<string, unknown>;
    for (const member of ['payload', 'signature']) {
      if (typeof item[member] !== 'string') wrong(N32ErrorCode.MANDATORY_IE_INCORRECT, `${at}/${member}`, 'must be a string');
    }
    if (item['protected'] !== undefined && typeof item['protected'] !== 'string') wrong(N32ErrorCode.MANDATORY_IE_INCORRECT, `${at}/protected`, 'must be a string');
    if (item['header'] !== undefined && !isObject(item['header'])) wrong(N32ErrorCode.MANDATORY_IE_INCORRECT, `${at}/header`, 'must be an object');
  });
}

const isObject = (value: unknown): boolean => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Parses an n32f-process request body (N32Error naming the member at fault). */
export function parseReformattedRequest(json: unknown): N32fReformattedReqMsg {
  checkEnvelope(json);
  return json as N32fReformattedReqMsg;
}

/** Parses the 200 answer of n32f-process (PrinsError: the answer cannot be rebuilt). */
export function parseReformattedResponse(json: unknown): N32fReformattedRspMsg {
  try {
    checkEnvelope(json);
  } catch (error) {
    throw new PrinsError(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED, `not an N32fReformattedRspMsg: ${(error as Error).message}`);
  }
  return json as N32fReformattedRspMsg;
}

/** Identities named in the JWS payloads of a modifications block (for failedModificationList). */
function signersOf(body: N32fReformattedReqMsg | N32fReformattedRspMsg): string[] {
  const out: string[] = [];
  for (const jws of body.modificationsBlock ?? []) {
    try {
      const identity = (JSON.parse(base64urlDecode(jws.payload).toString('utf8')) as { identity?: unknown }).identity;
      if (typeof identity === 'string' && /^[A-Za-z0-9.-]{4,253}$/.test(identity)) out.push(identity);
    } catch {
      // an undecodable payload names nobody
    }
  }
  return out;
}

/** A fresh 64-bit N32-f context ID (16 hex characters, TS 33.501 13.2.2.4.1). */
export function newN32fContextId(): string {
  return randomHex64();
}

/**
 * The contexts of one SEPP, by the ID we allocated (what `metaData.n32fContextId` names in a
 * message addressed to us). A message naming an ID we do not hold is CONTEXT_NOT_FOUND.
 */
export class N32fContextTable {
  private readonly byId = new Map<string, N32fContext>();

  add(context: N32fContext): void {
    this.byId.set(context.localContextId.toLowerCase(), context);
  }

  /** The context for a message addressed to us; throws CONTEXT_NOT_FOUND. */
  get(localContextId: string): N32fContext {
    const context = this.byId.get(localContextId.toLowerCase());
    if (!context) throw new PrinsError(N32fErrorType.CONTEXT_NOT_FOUND, `no N32-f context ${localContextId}`);
    return context;
  }

  find(localContextId: string): N32fContext | undefined {
    return this.byId.get(localContextId.toLowerCase());
  }

  /** The newest context with a peer. */
  ofPeer(peer: string): N32fContext | undefined {
    let newest: N32fContext | undefined;
    for (const context of this.byId.values()) if (context.params.peer === peer && (!newest || context.createdAt >= newest.createdAt)) newest = context;
    return newest;
  }

  remove(localContextId: string): N32fContext | undefined {
    const key = localContextId.toLowerCase();
    const context = this.byId.get(key);
    this.byId.delete(key);
    return context;
  }

  /** Drops every context with a peer (release, new exchange-params); returns them. */
  removePeer(peer: string, except?: N32fContext): N32fContext[] {
    const removed: N32fContext[] = [];
    for (const [id, context] of this.byId) {
      if (context.params.peer !== peer || context === except) continue;
      this.byId.delete(id);
      removed.push(context);
    }
    return removed;
  }

  list(): N32fContext[] {
    return [...this.byId.values()];
  }
}
