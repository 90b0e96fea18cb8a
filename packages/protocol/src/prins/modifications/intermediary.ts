/**
 * The RI side of PRINS (TS 33.501 13.2.4.5): what an IPX on the N32-f path does with each
 * `n32f-process` request and each answer.
 *
 * It reads the DataToIntegrityProtectBlock (the JWE `aad`, base64url JSON; never the ciphertext,
 * which it cannot decrypt), picks its rules for the message (API path, method, direction), and
 * appends ONE JWS to `modificationsBlock` with the rules' JSON Patch operations, or with
 * `operations: null` when no rule applies. It leaves `reformattedData` untouched: the AAD is
 * authenticated by the JWE tag, so re-encoding it would break the message. Its changes travel only
 * as the signed patch, which the receiving SEPP verifies and applies over the original AAD.
 */
import { N32Error, N32ErrorCode } from '../../errors';
import { base64urlDecode, isBase64url } from '../crypto/base64url';
import type { DataToIntegrityProtectBlockData, FlatJwsJsonData, JsonValue, N32fReformattedReqMsgData, N32fReformattedRspMsgData } from '../messages/bodies';
import { PrinsError } from '../n32f-error';
import { isJsonObject } from '../reformat/json-pointer';
import { matchApiSignature } from '../reformat/protection-policy';
import { applyOperation } from './apply';
import type { PrivateKeyInput } from './keys';
import { cloneJson, parseOperations } from './operations';
import { checkEncryptedIeSafety } from './policy';
import { signModifications } from './sign';
import type { MessageDirection, PatchItem } from './types';

/** One modification rule of an RI. */
export interface IntermediaryRule {
  /** For logs; default `rules[<index>]`. */
  readonly name?: string;
  /**
   * The API path: an ApiSignature template (`/nudm-sdm/v2/{supi}/am-data`; a last segment `**`
   * matches any rest, so `/**` is every API, also when the path is encrypted) or a RegExp tested
   * against the clear path.
   */
  readonly apiPath: string | RegExp;
  /** HTTP method; default any. */
  readonly method?: string;
  readonly direction: MessageDirection;
  /** RFC 6902 operations over the DataToIntegrityProtectBlock. */
  readonly operations: readonly PatchItem[];
  /**
   * Test rigs only (33.517 4.2.2.8): sign the operations as they are, even when they would not
   * apply or would touch an encrypted IE. Otherwise such a rule is skipped.
   */
  readonly unchecked?: boolean;
}

/** The API operation a message belongs to, as far as the RI can see it. */
export interface IntermediaryApi {
  readonly method?: string;
  /** The clear path; undefined when the sender encrypted it. */
  readonly path?: string;
}

export interface ModifyAsIntermediaryInput<M extends N32fReformattedReqMsgData | N32fReformattedRspMsgData> {
  readonly message: M;
  readonly rules: readonly IntermediaryRule[];
  /** The RI's FQDN (the JWS `identity`). */
  readonly identity: string;
  readonly privateKey: PrivateKeyInput;
  readonly kid?: string;
  /** Default: `request` when the AAD has a requestLine, else `response`. */
  readonly direction?: MessageDirection;
  /** For a response: the API of the request it answers (its AAD has no requestLine). */
  readonly request?: IntermediaryApi;
}

export interface IntermediaryOutcome<M> {
  /** The message to relay: `reformattedData` as received, our JWS appended to `modificationsBlock`. */
  readonly message: M;
  readonly jws: FlatJwsJsonData;
  /** What we signed, in order (empty: `operations: null`). */
  readonly operations: readonly PatchItem[];
  /** Names of the rules whose operations we signed. */
  readonly applied: readonly string[];
  /** Rules that matched but were left out, and why. */
  readonly skipped: readonly { readonly rule: string; readonly reason: string }[];
  readonly direction: MessageDirection;
  readonly api: IntermediaryApi;
  /** `metaData.messageId`, for logs. */
  readonly messageId?: string;
}

/**
 * Applies an RI's rules to one message and appends its JWS (see the file comment). A matching rule
 * whose operations do not apply to this message (a failing `test`, a missing member) or would touch
 * an encrypted IE is skipped whole and reported, so a `test` operation makes a rule conditional.
 * Operations of earlier RIs in the block (read, not verified: we hold no keys for them) are applied
 * first, as the receiver will, since our patch is written against their result.
 *
 * Throws N32Error INVALID_MSG_FORMAT when the message has no readable `aad` or no `tag`.
 */
export function modifyAsIntermediary<M extends N32fReformattedReqMsgData | N32fReformattedRspMsgData>(input: ModifyAsIntermediaryInput<M>): IntermediaryOutcome<M> {
  const { message } = input;
  const aad = readAad(message);
  const tag = message.reformattedData?.tag;
  if (typeof tag !== 'string' || !isBase64url(tag) || tag === '') throw invalid('/reformattedData/tag', 'the JWE has no tag to bind modifications to');

  const direction: MessageDirection = input.direction ?? (isJsonObject(aad['requestLine']) ? 'request' : 'response');
  const api = direction === 'request' ? requestApi(aad) : (input.request ?? {});

  // Never changed in place: every step below works on a copy of it (simulate, or cloneJson here).
  let view = aad as JsonValue;
  for (const previous of message.modificationsBlock ?? []) {
    const operations = operationsOf(previous);
    if (!operations) break;
    const next = cloneJson(view);
    if (operations.some((item) => applyOperation(next, item) !== null)) break;
    view = next;
  }

  const operations: PatchItem[] = [];
  const applied: string[] = [];
  const skipped: { rule: string; reason: string }[] = [];
  input.rules.forEach((rule, index) => {
    const name = rule.name ?? `rules[${index}]`;
    if (!ruleMatches(rule, direction, api)) return;
    if (rule.unchecked) {
      operations.push(...rule.operations);
      applied.push(name);
      const next = cloneJson(view);
      if (rule.operations.every((item) => applyOperation(next, item) === null)) view = next;
      return;
    }
    try {
      view = checkEncryptedIeSafety(rule.operations, view, input.identity);
      operations.push(...rule.operations);
      applied.push(name);
    } catch (error) {
      if (!(error instanceof PrinsError)) throw error;
      skipped.push({ rule: name, reason: error.detail });
    }
  });

  const jws = signModifications({ identity: input.identity, operations, tag, privateKey: input.privateKey, ...(input.kid !== undefined ? { kid: input.kid } : {}) });
  const messageId = isJsonObject(aad['metaData']) && typeof aad['metaData']['messageId'] === 'string' ? aad['metaData']['messageId'] : undefined;
  return {
    message: { ...message, modificationsBlock: [...(message.modificationsBlock ?? []), jws] },
    jws,
    operations,
    applied,
    skipped,
    direction,
    api,
    ...(messageId !== undefined ? { messageId } : {}),
  };
}

/** Whether a rule applies to a message of this direction and API. */
export function ruleMatches(rule: IntermediaryRule, direction: MessageDirection, api: IntermediaryApi): boolean {
  if (rule.direction !== direction) return false;
  if (rule.method !== undefined && rule.method.toUpperCase() !== api.method?.toUpperCase()) return false;
  if (rule.apiPath instanceof RegExp) return api.path !== undefined && rule.apiPath.test(api.path);
  if (api.path === undefined) return /^\/\*\*$/.test(rule.apiPath);
  return matchApiSignature(rule.apiPath, api.path) !== null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The DataToIntegrityProtectBlock of a message, decoded (not verified: an RI has no key). */
export function readAad(message: N32fReformattedReqMsgData | N32fReformattedRspMsgData): DataToIntegrityProtectBlockData & Record<string, JsonValue> {
  const text = message?.reformattedData?.aad;
  if (typeof text !== 'string' || !isBase64url(text)) throw invalid('/reformattedData/aad', 'the JWE has no base64url aad');
  let aad: unknown;
  try {
    aad = JSON.parse(utf8.decode(base64urlDecode(text)));
  } catch {
    throw invalid('/reformattedData/aad', 'the aad is not UTF-8 JSON');
  }
  if (!isJsonObject(aad)) throw invalid('/reformattedData/aad', 'the aad is not a DataToIntegrityProtectBlock');
  return aad;
}

function requestApi(aad: Record<string, JsonValue>): IntermediaryApi {
  const line = aad['requestLine'];
  if (!isJsonObject(line)) return {};
  const method = typeof line['method'] === 'string' ? line['method'] : undefined;
  const path = typeof line['path'] === 'string' && line['path'].startsWith('/') ? line['path'] : undefined;
  return { ...(method !== undefined ? { method } : {}), ...(path !== undefined ? { path } : {}) };
}

function operationsOf(jws: FlatJwsJsonData): PatchItem[] | null {
  try {
    const payload = JSON.parse(base64urlDecode(jws.payload).toString('utf8')) as { operations?: unknown };
    const parsed = parseOperations(payload.operations);
    return parsed.ok ? parsed.operations : null;
  } catch {
    return null;
  }
}

function invalid(param: string, detail: string): N32Error {
  return new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, detail, [{ param, reason: detail }]);
}
