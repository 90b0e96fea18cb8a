/**
 * Message reconstruction in the receiving SEPP: the exact inverse of `reformat.ts`, from the
 * decrypted JWE (AAD + `dataToEncrypt`) back to the NF's HTTP message.
 *
 * The inputs come from the wire: the AAD is parsed JSON that may not match its declared type, so
 * every part is checked here, whatever validation ran before. Failures are PrinsError
 * MESSAGE_RECONSTRUCTION_FAILED with an `errorDetails` entry (TS 29.573 N32fErrorDetail) naming the
 * attribute by JSON Pointer into the AAD:
 * - INVALID_INDEX_TO_ENCRYPTED_BLOCK: a placeholder whose index is malformed, out of range, used
 *   twice, or names a value that cannot stand there (a path segment that is not a string); a path
 *   or query that `pathQueryProtectInd` names but that holds no placeholder;
 * - INVALID_HTTP_HEADER: a header entry, or a request/status line part (pseudo-headers), that is
 *   not valid HTTP;
 * - INVALID_JSON_POINTER: an `iePath` that is not a pointer, repeats one, or has no parent.
 * A failure no FailureReason describes (a binary value that is not base64, an unknown
 * `ieValueLocation`) is MESSAGE_RECONSTRUCTION_FAILED without errorDetails.
 *
 * Bodies: a JSON body is rebuilt as `JSON.stringify` of the reassembled document (compact, UTF-8).
 * It is **semantically identical** to the NF's body, and byte-identical only when the NF wrote
 * compact JSON the way JSON.stringify does (whitespace, number spellings such as `1.0`/`1e2`,
 * `\u` escapes and the position of integer-like member names are not kept). `content-length`, when
 * present, is recomputed. Binary bodies are byte-identical.
 */
import type { DataToIntegrityProtectBlockData, JsonValue } from '../messages/bodies';
import { IeLocation } from '../messages/enums';
import { MsgReconstructFailReason, N32fErrorType, PrinsError } from '../n32f-error';
import {
  headerFieldProblem,
  isValidAuthority,
  isValidMethod,
  isValidPath,
  isValidQuery,
  isValidScheme,
  type HeaderField,
  type HttpRequestMessage,
  type HttpResponseMessage,
} from './http-message';
import { addAtPointer, escapeToken, hasOwn, isJsonObject, parsePointer, setOwn } from './json-pointer';
import { ENC_BLOCK_INDEX_PREFIX, MAX_JSON_DEPTH, URI_PLACEHOLDER } from './reformat';

/** AAD wrapping adds a few levels above the body; beyond this the input is hostile. */
const MAX_AAD_VALUE_DEPTH = MAX_JSON_DEPTH + 8;

function fail(reason: MsgReconstructFailReason, attribute: string, detail: string): never {
  throw new PrinsError(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED, detail, [{ attribute, msgReconstructFailReason: reason }]);
}

function failWithoutDetail(detail: string): never {
  throw new PrinsError(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED, detail);
}

export interface RebuildOptions {
  /**
   * Also read the legacy request-line placeholder `"encBlockIndex/<n>"` (a whole path or query,
   * this SEPP's encoding before `pathQueryProtectInd`); otherwise such a field is refused.
   */
  readonly acceptLegacyUriPlaceholder?: boolean;
}

/** The request an AAD and its decrypted `dataToEncrypt` describe. */
export function rebuildRequest(aad: DataToIntegrityProtectBlockData, dataToEncrypt: readonly unknown[], options: RebuildOptions = {}): HttpRequestMessage {
  const block = new Substitution(dataToEncrypt);
  const line: unknown = aad.requestLine;
  if (!isJsonObject(line)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine', 'a request needs a requestLine');
  const { method, scheme, authority, protocolVersion } = line;
  if (!isValidMethod(method)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/method', 'the method is not an HTTP token');
  if (!isValidScheme(scheme)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/scheme', 'the scheme is not a URI scheme');
  if (!isValidAuthority(authority)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/authority', 'the authority is not a URI authority');
  if (typeof protocolVersion !== 'string') fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/protocolVersion', 'protocolVersion must be a string');

  const headers = rebuildHeaders(aad.headers, block);
  const protectedParts = protectIndicator(line['pathQueryProtectInd']);
  const legacy = options.acceptLegacyUriPlaceholder === true;
  const path = uriField(line['path'], '/requestLine/path', protectedParts.has(IeLocation.URI_PATH), legacy, block);
  if (!isValidPath(path)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/path', 'the path is not an absolute path without query');
  let query: string | undefined;
  if (line['queryFragment'] !== undefined) {
    query = uriField(line['queryFragment'], '/requestLine/queryFragment', protectedParts.has(IeLocation.URI_PARAM), legacy, block);
    if (!isValidQuery(query)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/queryFragment', 'the query has characters a URI does not allow');
  }
  const body = rebuildBody(aad.payload, block);
  return finish({ method, scheme, authority, path, ...(query !== undefined ? { query } : {}) }, headers, body);
}

/** The response an AAD and its decrypted `dataToEncrypt` describe. */
export function rebuildResponse(aad: DataToIntegrityProtectBlockData, dataToEncrypt: readonly unknown[]): HttpResponseMessage {
  const block = new Substitution(dataToEncrypt);
  const status = parseStatusLine(aad.statusLine);
  const headers = rebuildHeaders(aad.headers, block);
  const body = rebuildBody(aad.payload, block);
  return finish({ status }, headers, body);
}

/** `"200"` as we send it; `"HTTP/2 200"` (with or without a reason phrase) as others may. */
export function parseStatusLine(statusLine: unknown): number {
  const match = typeof statusLine === 'string' ? /^(?:HTTP\/\d(?:\.\d)? )?([2-5]\d\d)(?: .*)?$/.exec(statusLine) : null;
  if (!match) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/statusLine', 'a response needs a statusLine with a final status code');
  return Number(match[1]);
}

function finish<T extends object>(start: T, headers: HeaderField[], body: Buffer | undefined): T & { headers: HeaderField[]; body?: Buffer; contentType?: string } {
  // content-length describes the body we send now (N32-DIGEST §5.3), which may be re-serialised.
  const fields = headers.map(([name, value]): HeaderField => (name === 'content-length' ? [name, String(body?.length ?? 0)] : [name, value]));
  const contentType = fields.find(([name]) => name === 'content-type')?.[1];
  return { ...start, headers: fields, ...(body ? { body } : {}), ...(contentType !== undefined ? { contentType } : {}) };
}

// ---------------------------------------------------------------------------------------------

/** The decrypted values, handed out once each. */
class Substitution {
  private readonly used = new Set<number>();
  constructor(private readonly values: readonly unknown[]) {
    if (!Array.isArray(values)) failWithoutDetail('dataToEncrypt is not an array');
  }

  take(index: unknown, attribute: string): unknown {
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
      fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, 'encBlockIndex is not an unsigned integer');
    }
    if (index >= this.values.length) {
      fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, `encBlockIndex ${index} is out of range (${this.values.length} encrypted values)`);
    }
    // Each encrypted value has one place; a second reference would copy it somewhere else.
    if (this.used.has(index)) fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, `encBlockIndex ${index} is referenced twice`);
    this.used.add(index);
    return this.values[index];
  }
}

/** An object whose only member is `encBlockIndex` (IndexToEncryptedValue). */
function isPlaceholder(value: unknown): value is { encBlockIndex: unknown } {
  if (!isJsonObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && keys[0] === 'encBlockIndex';
}

/**
 * `pathQueryProtectInd`: the request-line fields that hold placeholders. Values other than
 * URI_PATH and URI_PARAM name no field of the request line and change nothing.
 */
function protectIndicator(value: unknown): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || value.length === 0 || !value.every((item) => typeof item === 'string')) {
    fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/requestLine/pathQueryProtectInd', 'pathQueryProtectInd must be a non-empty list of IeLocation values');
  }
  return new Set(value);
}

/**
 * A request-line path or query: when `pathQueryProtectInd` names it, every placeholder in it
 * (`{"encBlockIndex":n}`, or percent-encoded) is replaced by the decrypted string; a named field
 * without one is refused, and so is a field that is not named but holds the JSON text of one (the
 * percent-encoded text there is the NF's own). The legacy whole-field form `"encBlockIndex/<n>"` is read only when
 * `legacy` is set, and refused otherwise (it would reach the NF as a literal query).
 */
function uriField(value: unknown, attribute: string, named: boolean, legacy: boolean, block: Substitution): string {
  if (typeof value !== 'string') fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, attribute, `${attribute} must be a string`);
  if (value.startsWith(ENC_BLOCK_INDEX_PREFIX)) {
    if (!legacy) {
      fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, `the pre-Release-19 "${ENC_BLOCK_INDEX_PREFIX}<n>" placeholder is not accepted (prins.acceptLegacyUriPlaceholder)`);
    }
    return decryptedString(value.slice(ENC_BLOCK_INDEX_PREFIX.length), attribute, block);
  }
  if (!named) {
    // Not URI text (`{` and `"` are not allowed in a URI): a sender that did not name the field.
    if (/\{\s*"encBlockIndex"\s*:/.test(value)) {
      fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, `${attribute} holds {"encBlockIndex": n} but pathQueryProtectInd does not name it`);
    }
    return value;
  }
  let found = 0;
  const clear = value.replace(URI_PLACEHOLDER, (_match, json: string | undefined, encoded: string | undefined) => {
    found += 1;
    return decryptedString(json ?? encoded ?? '', attribute, block);
  });
  if (found === 0) fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, `pathQueryProtectInd names ${attribute} but it holds no {"encBlockIndex": n}`);
  return clear;
}

/** The decrypted string a placeholder's index digits name. */
function decryptedString(digits: string, attribute: string, block: Substitution): string {
  if (!/^(0|[1-9]\d{0,15})$/.test(digits)) fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, 'malformed encBlockIndex placeholder');
  const decrypted = block.take(Number(digits), attribute);
  if (typeof decrypted !== 'string') fail(MsgReconstructFailReason.INVALID_INDEX_TO_ENCRYPTED_BLOCK, attribute, 'the encrypted value is not a string');
  return decrypted;
}

function rebuildHeaders(list: unknown, block: Substitution): HeaderField[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, '/headers', 'headers must be an array');
  return list.map((entry: unknown, i): HeaderField => {
    const at = `/headers/${i}`;
    if (!isJsonObject(entry)) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, at, 'a header entry must be an object');
    const { header } = entry;
    let value: unknown = entry['value'];
    if (isPlaceholder(value)) value = block.take(value.encBlockIndex, `${at}/value`);
    if (typeof header !== 'string') fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, `${at}/header`, 'the header name must be a string');
    const problem = headerFieldProblem(header, value);
    if (problem) fail(MsgReconstructFailReason.INVALID_HTTP_HEADER, problem.startsWith('the value') ? `${at}/value` : `${at}/header`, problem);
    return [header, value as string];
  });
}

/**
 * Replaces the placeholders inside a JSON value (not inside the values they bring in). The JSON
 * Pointer of a value is only spelled out for an error: `tokens` is the path below `base`, one
 * array shared by the whole walk.
 */
function substitute(value: unknown, base: string, tokens: string[], block: Substitution, depth: number): JsonValue {
  if (depth > MAX_AAD_VALUE_DEPTH) failWithoutDetail(`${pointerOf(base, tokens)} is nested too deeply`);
  if (isPlaceholder(value)) return block.take(value.encBlockIndex, pointerOf(base, tokens)) as JsonValue;
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) {
      tokens.push(String(i));
      out[i] = substitute(value[i], base, tokens, block, depth + 1);
      tokens.pop();
    }
    return out;
  }
  if (isJsonObject(value)) {
    const out: { [key: string]: JsonValue } = {};
    for (const key of Object.keys(value)) {
      tokens.push(key);
      setOwn(out, key, substitute(value[key], base, tokens, block, depth + 1));
      tokens.pop();
    }
    return out;
  }
  return value as JsonValue;
}

function pointerOf(base: string, tokens: readonly string[]): string {
  let pointer = base;
  for (const token of tokens) pointer += `/${escapeToken(token)}`;
  return pointer;
}

function rebuildBody(list: unknown, block: Substitution): Buffer | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) fail(MsgReconstructFailReason.INVALID_JSON_POINTER, '/payload', 'payload must be an array');
  if (list.length === 0) return undefined;

  const entries = list.map((entry: unknown, i) => {
    const at = `/payload/${i}`;
    if (!isJsonObject(entry) || !hasOwn(entry, 'value')) fail(MsgReconstructFailReason.INVALID_JSON_POINTER, at, 'a payload entry needs iePath, ieValueLocation and value');
    const { iePath, ieValueLocation } = entry;
    if (typeof iePath !== 'string') fail(MsgReconstructFailReason.INVALID_JSON_POINTER, `${at}/iePath`, 'iePath must be a string');
    if (ieValueLocation !== IeLocation.BODY && ieValueLocation !== IeLocation.MULTIPART_BINARY) {
      failWithoutDetail(`${at}/ieValueLocation: a payload entry must be BODY or MULTIPART_BINARY`);
    }
    return { at, iePath, ieValueLocation, value: entry['value'] };
  });

  const binary = entries.find((entry) => entry.ieValueLocation === IeLocation.MULTIPART_BINARY);
  if (binary) {
    // We send a non-JSON body as a single entry; anything else has no agreed meaning.
    if (entries.length !== 1) fail(MsgReconstructFailReason.INVALID_JSON_POINTER, `${binary.at}/iePath`, 'a MULTIPART_BINARY body must be the only payload entry');
    const value = isPlaceholder(binary.value) ? block.take(binary.value.encBlockIndex, `${binary.at}/value`) : binary.value;
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) failWithoutDetail(`${binary.at}/value: a MULTIPART_BINARY value must be base64`);
    return Buffer.from(value, 'base64');
  }

  let document: JsonValue | undefined;
  for (const { at, iePath, value } of entries) {
    const tokens = parsePointer(iePath);
    if (tokens === null) fail(MsgReconstructFailReason.INVALID_JSON_POINTER, `${at}/iePath`, 'iePath is not a JSON Pointer');
    const member = substitute(value, `${at}/value`, [], block, 0);
    if (tokens.length === 0) {
      if (entries.length !== 1) fail(MsgReconstructFailReason.INVALID_JSON_POINTER, `${at}/iePath`, 'a whole-body entry ("") must be the only payload entry');
      document = member;
      continue;
    }
    document ??= {};
    if (tokens.length === 1 && isJsonObject(document)) {
      if (hasOwn(document, tokens[0]!)) fail(MsgReconstructFailReason.INVALID_JSON_POINTER, `${at}/iePath`, 'iePath repeats an earlier entry');
      setOwn(document, tokens[0]!, member);
    } else if (!addAtPointer(document, tokens, member)) {
      fail(MsgReconstructFailReason.INVALID_JSON_POINTER, `${at}/iePath`, 'iePath names no place in the body');
    }
  }
  return Buffer.from(JSON.stringify(document), 'utf8');
}
