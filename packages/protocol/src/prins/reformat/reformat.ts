/**
 * PRINS message reformatting in the sending SEPP (33.501 13.2.4.3; N32-DIGEST §5.3 [D]): an NF's
 * HTTP message becomes the JWE AAD (DataToIntegrityProtectBlock: metaData, requestLine or
 * statusLine, headers, payload) and the JWE plaintext (`dataToEncrypt`: the values the protection
 * policy encrypts). The JWE itself is built elsewhere (`../crypto`).
 *
 * Encoding rules (both SEPPs are ours; these are the project's choices where 29.573 was not read):
 * - `requestLine`: method, scheme, authority, path, `queryFragment` (raw query without `?`, only
 *   when the request had a `?`), `protocolVersion: "HTTP/2"`. `statusLine`: the decimal status.
 * - `headers`: one entry per header field, in order, repeated fields repeated.
 * - `payload`, JSON body (an `application/json` or `+json` media type that parses, as UTF-8, to
 *   JSON that JavaScript holds exactly): one entry per top-level member, `iePath` = `/<member>`,
 *   `ieValueLocation: "BODY"`. A body that is not a non-empty JSON object (an array, a scalar, `{}`)
 *   is one entry with `iePath: ""` (the RFC 6901 pointer to the whole document).
 * - `payload`, any other body (binary, text, multipart, invalid JSON, numbers beyond 2^53): one
 *   `MULTIPART_BINARY` entry, `iePath: ""`, value = the body in base64; the content type stays in
 *   the headers.
 * - No body, or an empty one: no `payload` (the rebuilt message has no body).
 * - Encrypted values: a header value or JSON value is replaced in place, at any depth, by
 *   `{"encBlockIndex": n}`.
 * - Encrypted IEs of the request URI (Release 19, `RequestLine.pathQueryProtectInd`): a path
 *   segment (URI_PATH rule, `{supi}`) or a query parameter value (URI_PARAM rule) goes into
 *   `dataToEncrypt` as the string it was in the URI (percent-encoding kept), and is replaced in
 *   `path` / `queryFragment` by the text of its IndexToEncryptedValue, `{"encBlockIndex":n}`; the
 *   rest of the URI stays in clear. `pathQueryProtectInd` lists the fields that hold such
 *   placeholders (`URI_PATH` for `path`, `URI_PARAM` for `queryFragment`); the receiver resolves
 *   placeholders there and nowhere else (README, Decisions and limits: why this reading).
 * - Index order: headers, then path, then query, then payload (document order).
 */
import type {
  DataToIntegrityProtectBlockData,
  HttpHeaderData,
  HttpPayloadData,
  IndexToEncryptedValueData,
  JsonValue,
  MetaDataData,
} from '../messages/bodies';
import { IeLocation, type IeLocationValue } from '../messages/enums';
import {
  headerFieldProblem,
  headerValue,
  isJsonMediaType,
  isValidAuthority,
  isValidMethod,
  isValidPath,
  isValidQuery,
  isValidScheme,
  isValidStatus,
  type HttpRequestMessage,
  type HttpResponseMessage,
  type RequestContext,
} from './http-message';
import { escapeToken, formatPointer, isJsonObject, parsePointer, resolvePointer } from './json-pointer';
import { encryptedIes, type ApplicableIe, type PrinsProtectionPolicy } from './protection-policy';

export const PROTOCOL_VERSION = 'HTTP/2';
/** `authorizedIpxId` when no RI may modify the message (DECISIONS.md §7). */
export const NO_AUTHORIZED_IPX = 'NULL';
/**
 * Prefix of the RequestLine placeholder `"encBlockIndex/<n>"` (a whole path or query encrypted):
 * this SEPP's own encoding before `pathQueryProtectInd`, read only when `prins.acceptLegacyUriPlaceholder` says so.
 */
export const ENC_BLOCK_INDEX_PREFIX = 'encBlockIndex/';

/** The text that stands for encrypted value `index` in a path or query: its IndexToEncryptedValue JSON. */
export function uriPlaceholder(index: number): string {
  return JSON.stringify({ encBlockIndex: index });
}

/**
 * A placeholder in a path or query, as we write it and as another SEPP may: the IndexToEncryptedValue
 * JSON text (any whitespace), or that text percent-encoded (an implementation that keeps the field
 * a valid URI part). Group 1 or 2: the index digits.
 */
export const URI_PLACEHOLDER = /\{\s*"encBlockIndex"\s*:\s*(\d+)\s*\}|%7[Bb]%22encBlockIndex%22%3[Aa](\d+)%7[Dd]/g;

/** Whether a path or query holds a placeholder (either spelling of {@link URI_PLACEHOLDER}) or starts with the legacy prefix. */
export function hasUriPlaceholder(text: string): boolean {
  return text.startsWith(ENC_BLOCK_INDEX_PREFIX) || new RegExp(URI_PLACEHOLDER.source).test(text) || /%7[Bb]%22encBlockIndex%22/.test(text);
}
/** Deeper JSON bodies are sent as MULTIPART_BINARY: far beyond any SBI body, bounds our recursion. */
export const MAX_JSON_DEPTH = 64;
/** Encrypted strings at least this long are also searched for inside clear strings (self-check). */
export const MIN_SUBSTRING_SECRET = 8;

export interface N32fMessageMeta {
  /** The N32-f context ID the *receiving* SEPP allocated. */
  readonly n32fContextId: string;
  readonly messageId: string;
  /** `"NULL"` without RIs. */
  readonly authorizedIpxId: string;
}

export interface ReformatResult {
  readonly aad: DataToIntegrityProtectBlockData;
  /** The JWE plaintext's `dataToEncrypt`; empty when nothing is encrypted. */
  readonly dataToEncrypt: JsonValue[];
  /** What was encrypted, for logs (never the values): `header authorization`, `path`, `query`, `/supi`, `body`. */
  readonly encrypted: string[];
}

export type ReformatFailure =
  /** An encrypted value also appears in clear in the AAD (33.501 13.2.4.1). */
  | 'ENCRYPTED_IE_IN_CLEAR'
  /** A header field cannot travel end to end (see `headerFieldProblem`). */
  | 'INVALID_HTTP_HEADER'
  /** Method, scheme, authority, path, query or status cannot be encoded. */
  | 'INVALID_MESSAGE_LINE'
  /** The message contains what the receiver would read as a placeholder. */
  | 'AMBIGUOUS_PLACEHOLDER';

/**
 * The NF message cannot be sent in PRINS form. A local refusal (the sending SEPP answers its NF
 * with an error); nothing went on the wire. The detail never contains an encrypted value.
 */
export class ReformatError extends Error {
  override readonly name = 'ReformatError';
  constructor(
    readonly reason: ReformatFailure,
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

/** A request in PRINS form. `meta.n32fContextId` is the receiver's context ID. */
export function reformatRequest(message: HttpRequestMessage, meta: N32fMessageMeta, policy: PrinsProtectionPolicy): ReformatResult {
  if (!isValidMethod(message.method)) throw new ReformatError('INVALID_MESSAGE_LINE', 'the method is not an HTTP token');
  if (!isValidScheme(message.scheme)) throw new ReformatError('INVALID_MESSAGE_LINE', 'the scheme is not a URI scheme');
  if (!isValidAuthority(message.authority)) throw new ReformatError('INVALID_MESSAGE_LINE', 'the authority is not a URI authority');
  if (!isValidPath(message.path)) throw new ReformatError('INVALID_MESSAGE_LINE', 'the path is not an absolute path without query');
  if (message.query !== undefined && !isValidQuery(message.query)) throw new ReformatError('INVALID_MESSAGE_LINE', 'the query has characters a URI does not allow');
  // A receiver would read these as placeholders (the percent-encoded IndexToEncryptedValue, or the
  // legacy "encBlockIndex/<n>" with prins.acceptLegacyUriPlaceholder): refused, not altered.
  if (hasUriPlaceholder(message.path)) throw new ReformatError('AMBIGUOUS_PLACEHOLDER', 'the path holds text that reads as an encBlockIndex placeholder');
  if (message.query !== undefined && hasUriPlaceholder(message.query)) throw new ReformatError('AMBIGUOUS_PLACEHOLDER', 'the query holds text that reads as an encBlockIndex placeholder');

  const ies = encryptedIes(policy, message.method, message.path);
  const names = (location: string): string[] => ies.filter(({ ie }) => ie.ieLoc === location && ie.reqIe !== undefined).map(({ ie }) => ie.reqIe!);
  const block = new EncryptedBlock();

  const headers = encodeHeaders(message.headers, names(IeLocation.HEADER), block);

  const pathQueryProtectInd: IeLocationValue[] = [];
  const path = encryptPathSegments(message.path, ies, block);
  if (path !== message.path) pathQueryProtectInd.push(IeLocation.URI_PATH);
  const queryFragment = message.query === undefined ? undefined : encryptQueryValues(message.query, names(IeLocation.URI_PARAM), block);
  if (queryFragment !== message.query) pathQueryProtectInd.push(IeLocation.URI_PARAM);

  const payload = encodePayload(message.body, message.contentType ?? headerValue(message.headers, 'content-type'), bodyRules(ies, 'reqIe'), block);

  const aad: DataToIntegrityProtectBlockData = {
    metaData: metaData(meta),
    requestLine: {
      method: message.method,
      scheme: message.scheme,
      authority: message.authority,
      path,
      protocolVersion: PROTOCOL_VERSION,
      ...(queryFragment !== undefined ? { queryFragment } : {}),
      ...(pathQueryProtectInd.length > 0 ? { pathQueryProtectInd } : {}),
    },
  };
  return finish(aad, headers, payload, block);
}

/**
 * A response in PRINS form. `request` is the request it answers (its method and clear path), so
 * the `rspIe` rules of the same ApiIeMapping apply. `meta.messageId` echoes the request's
 * (33.501 13.2.4.3.1.2); `meta.n32fContextId` is the receiver's context ID.
 */
export function reformatResponse(message: HttpResponseMessage, meta: N32fMessageMeta, policy: PrinsProtectionPolicy, request: RequestContext): ReformatResult {
  if (!isValidStatus(message.status)) throw new ReformatError('INVALID_MESSAGE_LINE', 'the status is not a final HTTP status code');
  const ies = encryptedIes(policy, request.method, request.path);
  const block = new EncryptedBlock();
  const headerNames = ies.filter(({ ie }) => ie.ieLoc === IeLocation.HEADER && ie.rspIe !== undefined).map(({ ie }) => ie.rspIe!);
  const headers = encodeHeaders(message.headers, headerNames, block);
  const payload = encodePayload(message.body, message.contentType ?? headerValue(message.headers, 'content-type'), bodyRules(ies, 'rspIe'), block);
  return finish({ metaData: metaData(meta), statusLine: String(message.status) }, headers, payload, block);
}

function metaData(meta: N32fMessageMeta): MetaDataData {
  return { n32fContextId: meta.n32fContextId, messageId: meta.messageId, authorizedIpxId: meta.authorizedIpxId };
}

function finish(aad: DataToIntegrityProtectBlockData, headers: HttpHeaderData[], payload: HttpPayloadData[], block: EncryptedBlock): ReformatResult {
  // The schema gives both lists minItems 1: an empty list is left out.
  const complete: DataToIntegrityProtectBlockData = { ...aad, ...(headers.length ? { headers } : {}), ...(payload.length ? { payload } : {}) };
  assertNoSecretInClear(complete, block.secrets);
  return { aad: complete, dataToEncrypt: block.values, encrypted: block.descriptions };
}

// ---------------------------------------------------------------------------------------------
// The encrypted block
// ---------------------------------------------------------------------------------------------

interface Secret {
  /** What was encrypted (`header authorization`, `/supi`): named in errors instead of the value. */
  readonly what: string;
  readonly value: string;
  /** Also searched inside longer strings (otherwise only equal strings count). */
  readonly substring: boolean;
}

class EncryptedBlock {
  readonly values: JsonValue[] = [];
  readonly descriptions: string[] = [];
  readonly secrets: Secret[] = [];

  /**
   * Appends a value and returns its index. `secrets` are the strings that must not appear in clear
   * anywhere else; by default, the value's own strings.
   */
  add(value: JsonValue, what: string, secrets?: readonly string[]): number {
    this.values.push(value);
    this.descriptions.push(what);
    if (secrets) {
      for (const secret of new Set(secrets)) if (secret !== '') this.secrets.push({ what, value: secret, substring: secret.length >= MIN_SUBSTRING_SECRET });
    } else if (typeof value === 'string') {
      if (value !== '') this.secrets.push({ what, value, substring: value.length >= MIN_SUBSTRING_SECRET });
    } else {
      // Short leaves of a structured value (an MCC "001", a TAC) legitimately repeat elsewhere:
      // only strings long enough to identify something are checked.
      for (const leaf of stringLeaves(value)) if (leaf.length >= MIN_SUBSTRING_SECRET) this.secrets.push({ what, value: leaf, substring: true });
    }
    return this.values.length - 1;
  }
}

function placeholder(encBlockIndex: number): IndexToEncryptedValueData {
  return { encBlockIndex };
}

function stringLeaves(value: JsonValue): string[] {
  const out: string[] = [];
  const stack: JsonValue[] = [value];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item === 'string') out.push(item);
    else if (Array.isArray(item)) stack.push(...item);
    else if (isJsonObject(item)) stack.push(...Object.values(item));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Headers, path, query
// ---------------------------------------------------------------------------------------------

function encodeHeaders(fields: HttpRequestMessage['headers'], encryptedNames: readonly string[], block: EncryptedBlock): HttpHeaderData[] {
  const encrypted = new Set(encryptedNames.map((name) => name.toLowerCase()));
  return fields.map(([header, value]) => {
    const problem = headerFieldProblem(header, value);
    if (problem) throw new ReformatError('INVALID_HTTP_HEADER', `header "${printable(header)}": ${problem}`);
    return encrypted.has(header) ? { header, value: placeholder(block.add(value, `header ${header}`)) } : { header, value };
  });
}

/** Header names come from the NF; keep them readable and short in an error text. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
}

/**
 * The path with the segments that URI_PATH rules name (a variable of the matching ApiSignature,
 * with or without braces: `supi`, `{supi}`) replaced by placeholders, their values appended to the
 * block; the path itself when no rule applies.
 */
function encryptPathSegments(path: string, ies: readonly ApplicableIe[], block: EncryptedBlock): string {
  const encrypted = new Map<number, string>();
  for (const { ie, pathVariables } of ies) {
    if (ie.ieLoc !== IeLocation.URI_PATH || ie.reqIe === undefined) continue;
    const segment = pathVariables.get(ie.reqIe.replace(/^\{(.*)\}$/, '$1'));
    if (segment) encrypted.set(segment.index, segment.value);
  }
  if (encrypted.size === 0) return path;
  const parts = path.split('/');
  for (const index of [...encrypted.keys()].sort((a, b) => a - b)) {
    const raw = parts[index]!;
    parts[index] = uriPlaceholder(block.add(raw, 'path', [raw, decode(raw)]));
  }
  return parts.join('/');
}

/**
 * The query with the values of the parameters named replaced by placeholders (a parameter without
 * `=` has no value to hide), their values appended to the block; the query itself when none is there.
 */
function encryptQueryValues(query: string, names: readonly string[], block: EncryptedBlock): string {
  if (names.length === 0) return query;
  let changed = false;
  const pairs = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0 || !names.includes(decode(pair.slice(0, eq)))) return pair;
    changed = true;
    const raw = pair.slice(eq + 1);
    return `${pair.slice(0, eq + 1)}${uriPlaceholder(block.add(raw, 'query', [raw, decode(raw)]))}`;
  });
  return changed ? pairs.join('&') : query;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Payload
// ---------------------------------------------------------------------------------------------

interface BodyRules {
  /** JSON Pointers (valid ones) of body IEs to encrypt. */
  readonly pointers: string[];
  /** Whether any body rule (BODY or MULTIPART_BINARY) encrypts something: a body we cannot look into is then encrypted whole. */
  readonly any: boolean;
}

function bodyRules(ies: readonly ApplicableIe[], side: 'reqIe' | 'rspIe'): BodyRules {
  const pointers: string[] = [];
  let any = false;
  for (const { ie } of ies) {
    if (ie.ieLoc === IeLocation.MULTIPART_BINARY) any = true;
    if (ie.ieLoc !== IeLocation.BODY) continue;
    const pointer = ie[side];
    if (pointer === undefined) continue;
    any = true;
    if (parsePointer(pointer) !== null) pointers.push(pointer);
  }
  return { pointers, any };
}

function encodePayload(body: Buffer | undefined, contentType: string | undefined, rules: BodyRules, block: EncryptedBlock): HttpPayloadData[] {
  if (!body || body.length === 0) return [];
  const document = isJsonMediaType(contentType) ? parseJsonBody(body) : undefined;
  if (document === undefined) {
    const base64 = body.toString('base64');
    // We cannot find IEs inside it: if the mapping says this operation's body carries IEs to
    // encrypt, the whole body is encrypted rather than risk sending one in clear.
    const value = rules.any ? placeholder(block.add(base64, 'body', [])) : base64;
    return [{ iePath: '', ieValueLocation: IeLocation.MULTIPART_BINARY, value }];
  }
  const targets = outermost(rules.pointers.filter((pointer) => resolvePointer(document, parsePointer(pointer)!) !== undefined));
  const protect = (value: JsonValue, tokens: string[]): JsonValue => {
    const pointer = formatPointer(tokens);
    if (targets.has(pointer)) return placeholder(block.add(value, pointer === '' ? 'body' : pointer));
    if (![...targets].some((target) => target.startsWith(`${pointer}/`))) return value;
    if (Array.isArray(value)) return value.map((item, i) => protect(item, [...tokens, String(i)]));
    // fromEntries defines own properties: a `__proto__` member stays a member.
    if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, protect(item, [...tokens, key])]));
    return value;
  };
  const protectedDocument = protect(document, []);

  if (isJsonObject(protectedDocument) && !targets.has('') && Object.keys(protectedDocument).length > 0) {
    return Object.keys(protectedDocument).map((key) => ({ iePath: `/${escapeToken(key)}`, ieValueLocation: IeLocation.BODY, value: protectedDocument[key]! }));
  }
  return [{ iePath: '', ieValueLocation: IeLocation.BODY, value: protectedDocument }];
}

/** Drops pointers inside another one: the outer value is encrypted whole. */
function outermost(pointers: readonly string[]): Set<string> {
  const unique = [...new Set(pointers)];
  return new Set(unique.filter((pointer) => !unique.some((other) => other !== pointer && (other === '' || pointer.startsWith(`${other}/`)))));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The parsed body, or undefined when it is not JSON we can carry as JSON: not UTF-8, not JSON,
 * nested deeper than MAX_JSON_DEPTH, or with numbers JSON.parse cannot hold exactly (outside
 * ±(2^53-1), RFC 8259 §6): re-serialising those would change them, so the bytes go as binary.
 * A document we can carry is refused if it holds an object that would read as a placeholder
 * (assertNoPlaceholderLookalike); one walk finds both.
 */
function parseJsonBody(body: Buffer): JsonValue | undefined {
  let document: JsonValue;
  try {
    document = JSON.parse(utf8.decode(body)) as JsonValue;
  } catch {
    return undefined;
  }
  let lookalike = false;
  const values: JsonValue[] = [document];
  const depths: number[] = [0];
  while (values.length) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (typeof value === 'number' && (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value)))) return undefined;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return undefined;
    if (Array.isArray(value)) {
      for (const child of value) {
        values.push(child);
        depths.push(depth + 1);
      }
      continue;
    }
    let members = 0;
    let onlyName = '';
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
      members += 1;
      onlyName = key;
      values.push(value[key]!);
      depths.push(depth + 1);
    }
    if (members === 1 && onlyName === 'encBlockIndex') lookalike = true;
  }
  if (lookalike) assertNoPlaceholderLookalike(document);
  return document;
}

/**
 * The receiver replaces every object whose only member is `encBlockIndex`; one already in the
 * NF's body would be misread, so such a body is refused instead of being silently altered.
 */
function assertNoPlaceholderLookalike(document: JsonValue): void {
  const stack: [JsonValue, string[]][] = [[document, []]];
  while (stack.length) {
    const [value, tokens] = stack.pop()!;
    if (Array.isArray(value)) value.forEach((item, i) => stack.push([item, [...tokens, String(i)]]));
    else if (isJsonObject(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === 'encBlockIndex') {
        throw new ReformatError('AMBIGUOUS_PLACEHOLDER', `the body has an object whose only member is encBlockIndex at ${formatPointer(tokens)}`);
      }
      for (const key of keys) stack.push([value[key]!, [...tokens, key]]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Self-check (33.501 13.2.4.1: "A SEPP shall not include IEs in the clear that are encrypted
// elsewhere in the JSON object.")
// ---------------------------------------------------------------------------------------------

/**
 * Searches every string of the AAD (but metaData, which the SEPP writes) for the encrypted values:
 * header names and values, the request line, iePaths, JSON member names and string values, and the
 * decoded bytes of clear binary bodies. Throws ENCRYPTED_IE_IN_CLEAR naming what was encrypted
 * and where it showed up, never the value.
 */
function assertNoSecretInClear(aad: DataToIntegrityProtectBlockData, secrets: readonly Secret[]): void {
  if (secrets.length === 0) return;
  const check = (text: string, pointer: string): void => {
    for (const secret of secrets) {
      if (text === secret.value || (secret.substring && text.includes(secret.value))) {
        throw new ReformatError('ENCRYPTED_IE_IN_CLEAR', `${secret.what} is encrypted but also appears in clear at ${pointer}`);
      }
    }
  };
  const { requestLine } = aad;
  if (requestLine) {
    for (const key of ['method', 'scheme', 'authority', 'path', 'queryFragment'] as const) {
      const value = requestLine[key];
      if (value !== undefined) check(value, `/requestLine/${key}`);
    }
  }
  if (aad.statusLine !== undefined) check(aad.statusLine, '/statusLine');
  aad.headers?.forEach(({ header, value }, i) => {
    check(header, `/headers/${i}/header`);
    if (typeof value === 'string') check(value, `/headers/${i}/value`);
  });
  aad.payload?.forEach(({ iePath, ieValueLocation, value }, i) => {
    check(iePath, `/payload/${i}/iePath`);
    if (ieValueLocation === IeLocation.MULTIPART_BINARY && typeof value === 'string') {
      const bytes = Buffer.from(value, 'base64');
      for (const secret of secrets) {
        if (secret.substring && bytes.includes(Buffer.from(secret.value, 'utf8'))) {
          throw new ReformatError('ENCRYPTED_IE_IN_CLEAR', `${secret.what} is encrypted but also appears in clear in the body at /payload/${i}/value`);
        }
      }
      return;
    }
    const stack: [JsonValue, string][] = [[value, `/payload/${i}/value`]];
    while (stack.length) {
      const [item, pointer] = stack.pop()!;
      if (typeof item === 'string') check(item, pointer);
      else if (Array.isArray(item)) item.forEach((child, j) => stack.push([child, `${pointer}/${j}`]));
      else if (isJsonObject(item)) {
        for (const [key, child] of Object.entries(item)) {
          const childPointer = `${pointer}${formatPointer([key])}`;
          check(key, childPointer);
          stack.push([child, childPointer]);
        }
      }
    }
  });
}
