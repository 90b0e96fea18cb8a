/**
 * The modification policy a receiving SEPP enforces on an RI's JSON Patch (TS 33.501 13.2.3.4,
 * 13.2.4.7 step 4; N32-DIGEST §5.8; TS 33.517 4.2.2.8 TC_NO_ENCRYPTED_IE_MISPLACEMENT).
 *
 * What an RI may write is named by the ProtectionPolicy's IeInfo entries of the message's API
 * operation (ApiIeMapping matched by method and path, as for encryption): an IE is modifiable by RI
 * `X` when `isModifiableByIpx[X]` says so, otherwise when `isModifiable` is true, and never when its
 * IeType is one the data-type encryption policy encrypts (it must not travel in clear). Reading
 * (`test`, the `from` of `copy`) is allowed anywhere except at encrypted IEs.
 *
 * How an IeInfo maps onto the DataToIntegrityProtectBlock (the encoding of `reformat.ts`):
 * - HEADER `name`: the entries of `/headers` whose `header` is `name` (case-insensitive): their
 *   `value`, the entry as a whole, and new entries `{header: name, value: "<string>"}`;
 * - BODY `pointer`: inside the `/payload` entry that holds it, `/payload/<i>/value/<rest>`, at the
 *   pointer or below it; whole entries whose `iePath` is at or below the pointer; new `BODY` entries
 *   whose `iePath` is at or below it; an entry's `iePath` when both old and new are;
 * - MULTIPART_BINARY: the `value` of a MULTIPART_BINARY entry;
 * - URI_PATH `variable`: `/requestLine/path`, when the new path matches the same ApiSignature and
 *   only modifiable variables differ;
 * - URI_PARAM `name`: `/requestLine/queryFragment`, when only modifiable parameters differ.
 * Nothing else is modifiable: not `metaData`, `statusLine`, the method, scheme, authority or
 * protocol version, not a whole list, not `ieValueLocation`.
 *
 * Encrypted IEs are the placeholders in the AAD: objects with an `encBlockIndex` member (at any
 * depth, so lookalikes count too) and the request-line path or query holding a placeholder
 * (`{"encBlockIndex":n}` in it, or the legacy `"encBlockIndex/<n>"`), as a whole. No operation
 * may touch one: its `path` or `from` must not be the placeholder, inside it, one of its containers
 * (which would move, copy, overwrite or remove it) or next to it (a member of the same parent, e.g.
 * the `header` name of an encrypted header value or the `iePath` of an encrypted body entry, which
 * would relocate it; `pathQueryProtectInd` is next to the path). No operation may write an object
 * with an `encBlockIndex` member, a string holding a placeholder, or a pointer token
 * `encBlockIndex`; and the placeholders must be
 * exactly the same after every operation. Values written must not contain any decrypted
 * confidential value (33.501 13.2.4.1).
 *
 * The operations are checked one by one against the document as the earlier ones left it
 * (simulated on a copy), so an insert that shifts a list cannot hide a later operation.
 */
import type { ApiIeMappingData, DataToIntegrityProtectBlockData, IeInfoData, JsonValue } from '../messages/bodies';
import { IeLocation } from '../messages/enums';
import { normalizeFqdn } from '../../identifiers/plmn';
import type { RequestContext } from '../reformat/http-message';
import { formatPointer, isJsonObject, parsePointer, resolvePointer } from '../reformat/json-pointer';
import { dataTypeEncryptionPolicy, matchApiSignature } from '../reformat/protection-policy';
import { hasUriPlaceholder, MIN_SUBSTRING_SECRET } from '../reformat/reformat';
import { applyOperation, patchError, pointerProblem, pointerTokens } from './apply';
import { cloneJson, describeOperation } from './operations';
import type { MessageDirection, PatchItem, PatchOp } from './types';

export const ENC_BLOCK_INDEX = 'encBlockIndex';

/** The part of a protection policy that says what RIs may modify (and what is encrypted). */
export interface ModificationPolicy {
  readonly apiIeMappingList: readonly ApiIeMappingData[];
  /** The data-type encryption policy; IEs of these types (and the mandatory ones) are never modifiable. */
  readonly dataTypeEncPolicy?: readonly string[];
}

export interface ModificationPolicyInput {
  /** The DataToIntegrityProtectBlock the operations apply to, placeholders still in. */
  readonly aad: DataToIntegrityProtectBlockData;
  /** For the sender-side RI: the policy received on N32-c; for our own RI: our configured policy. */
  readonly policy: ModificationPolicy;
  /** The RI whose operations these are (its FQDN). */
  readonly identity: string;
  /** Default: `request` when the AAD has a requestLine, else `response`. */
  readonly direction?: MessageDirection;
  /**
   * The API operation (method and clear path) whose mapping applies. Default: the AAD's
   * requestLine when its path is in clear. Needed for responses (their AAD has no requestLine) and
   * for requests whose path is encrypted: without it nothing is modifiable.
   */
  readonly request?: RequestContext;
  /**
   * Extra pointers (into `aad`) to treat as encrypted, besides the placeholders, which are always
   * found by scanning. They are protected where they are; an operation that would shift them (an
   * insert into or removal from a list holding one) is refused.
   */
  readonly encryptedPointers?: readonly string[];
  /**
   * The decrypted `dataToEncrypt` values (and any other string that must stay confidential): no
   * operation may write one in clear. Strings of 8+ characters also count inside longer strings,
   * and so do the path segments and query values of an encrypted path or query.
   */
  readonly confidentialValues?: readonly unknown[];
}

/** One operation as logged: what, where, which IE, by whom. Never the value. */
export interface ModificationChange {
  readonly identity: string;
  readonly op: PatchOp;
  readonly path: string;
  readonly from?: string;
  /** The IE written (`header x-foo`, `body /a/b`, `multipart body`, `path`, `query`), or `read` for test. */
  readonly ie: string;
}

/**
 * Checks one RI's operations against the modification policy and the encrypted IEs (see the file
 * comment). Returns the changes for the log. Throws PrinsError MODIFICATIONS_INSTRUCTIONS_FAILED
 * (`failedModifications: [{ipxId: identity, ...}]`) for an operation the policy does not allow or
 * that would misplace an encrypted IE; an operation that cannot even be applied (bad pointer, failed
 * `test`) throws what {@link applyModifications} would.
 */
export function checkModificationPolicy(operations: readonly PatchItem[], input: ModificationPolicyInput): ModificationChange[] {
  return checkAndApplyModifications(operations, input).changes;
}

/**
 * {@link checkModificationPolicy}, also returning the block as the operations leave it: the
 * check applies them one by one to a copy (with {@link applyOperation}, as applyModifications
 * does), so that copy is the patched block and need not be built a second time.
 */
export function checkAndApplyModifications(operations: readonly PatchItem[], input: ModificationPolicyInput): { changes: ModificationChange[]; aad: DataToIntegrityProtectBlockData } {
  const identity = normalizeFqdn(input.identity);
  const direction = input.direction ?? (input.aad.requestLine ? 'request' : 'response');
  const api = input.request ?? clearRequestOf(input.aad);
  const { changes, document } = simulate(operations, input.aad, identity, {
    modifiable: modifiableIes(input.policy, identity, direction, api),
    secrets: confidentialStrings(input.confidentialValues ?? []),
    encryptedPointers: input.encryptedPointers ?? [],
  });
  return { changes, aad: document as unknown as DataToIntegrityProtectBlockData };
}

/**
 * The encrypted-IE rules alone (no modification policy, no confidential values), for an RI
 * checking its own rules before it signs them: returns the AAD as the operations leave it, or
 * throws like {@link checkModificationPolicy}.
 */
export function checkEncryptedIeSafety(operations: readonly PatchItem[], aad: DataToIntegrityProtectBlockData | JsonValue, identity: string): JsonValue {
  return simulate(operations, aad as DataToIntegrityProtectBlockData, normalizeFqdn(identity), { modifiable: null, secrets: confidentialStrings([]), encryptedPointers: [] }).document;
}

interface SimulationOptions {
  /** null: every clear IE is writable (the RI's own self-check). */
  readonly modifiable: ModifiableIes | null;
  readonly secrets: Secrets;
  readonly encryptedPointers: readonly string[];
}

function simulate(operations: readonly PatchItem[], aad: DataToIntegrityProtectBlockData, identity: string, options: SimulationOptions): { changes: ModificationChange[]; document: JsonValue } {
  const original = aad as unknown as JsonValue;
  const { modifiable, secrets } = options;
  const explicit = options.encryptedPointers.map((pointer) => {
    const tokens = parsePointer(pointer);
    if (tokens === null || resolvePointer(original, tokens) === undefined) throw new TypeError(`encryptedPointers: ${pointer} names nothing in the AAD`);
    return tokens;
  });

  const document = cloneJson(original);
  const placeholders = placeholderSignature(document);
  const changes: ModificationChange[] = [];
  operations.forEach((item, index) => {
    const refuse = (reason: string): never => {
      throw patchError({ kind: 'instruction', reason }, identity, index, item);
    };
    const path = pointerTokens(item.path);
    if (!Array.isArray(path)) throw patchError(path, identity, index, item);
    let from: string[] | null = null;
    if (item.op === 'copy' || item.op === 'move') {
      const tokens = pointerTokens(item.from!);
      if (!Array.isArray(tokens)) throw patchError(tokens, identity, index, item);
      from = tokens;
    }

    const unusable = pointerProblem(document, item);
    if (unusable) throw patchError(unusable, identity, index, item);

    // Encrypted IEs: never touched, never written, never relocated.
    if ([path, from].some((tokens) => tokens?.includes(ENC_BLOCK_INDEX))) refuse(`a pointer names an ${ENC_BLOCK_INDEX} member`);
    const encrypted = [...encryptedPointers(document), ...explicit];
    for (const tokens of [path, from]) {
      if (!tokens) continue;
      const hit = encrypted.find((enc) => related(tokens, enc));
      if (hit) refuse(`${formatPointer(tokens)} touches the encrypted IE at ${formatPointer(hit)} (it, its container or next to it)`);
    }
    if (explicit.length > 0) {
      const shifted = shiftedList(document, item, path, from);
      if (shifted && explicit.some((enc) => isPrefix(shifted, enc) && enc.length > shifted.length)) refuse(`${item.op} would shift the encrypted IE in ${formatPointer(shifted)}`);
    }
    if (item.op === 'add' || item.op === 'replace') {
      const problem = valueProblem(item.value!, secrets);
      if (problem) refuse(problem);
    }

    // The policy, for what is written.
    let ie = item.op === 'test' ? 'read' : 'clear IE';
    if (modifiable && item.op !== 'test') {
      const value = from ? resolvePointer(document, from) : item.value;
      if (item.op === 'move') {
        const source = writable(document, from!, 'remove', undefined, modifiable);
        if (typeof source !== 'string') refuse(`${item.from} is not modifiable by ${identity}: ${source.refused}`);
      }
      const kind: WriteKind = item.op === 'remove' ? 'remove' : item.op === 'replace' ? 'set' : isListSlot(document, path) ? 'insert' : 'set';
      const target = writable(document, path, kind, value, modifiable);
      if (typeof target !== 'string') refuse(`${item.path} is not modifiable by ${identity}: ${target.refused}`);
      ie = target as string;
    }

    const failure = applyOperation(document, item);
    if (failure) throw patchError(failure, identity, index, item);
    if (placeholderSignature(document) !== placeholders) refuse('the encrypted IE placeholders would change');
    changes.push({ identity, op: item.op, path: item.path, ...(item.from !== undefined ? { from: item.from } : {}), ie });
  });
  return { changes, document };
}

/** One line per change for the security log: `replace /headers/1/value (header x-foo)`. */
export function describeChanges(changes: readonly ModificationChange[]): string[] {
  return changes.map((change) => `${describeOperation(change)} (${change.ie})`);
}

// ---------------------------------------------------------------------------------------------
// Encrypted IEs
// ---------------------------------------------------------------------------------------------

/**
 * The pointers of the encrypted IEs of an AAD: every object with an `encBlockIndex` member (at any
 * depth outside metaData) and every request-line string holding a placeholder.
 */
export function encryptedPointers(aad: DataToIntegrityProtectBlockData | JsonValue): string[][] {
  const out: string[][] = [];
  if (!isJsonObject(aad)) return out;
  const line = aad['requestLine'];
  if (isJsonObject(line)) {
    for (const key of Object.keys(line)) {
      const value = line[key];
      if (typeof value === 'string' && hasUriPlaceholder(value)) out.push(['requestLine', key]);
    }
  }
  // Depth first, last member first (a stack); a value's pointer is a chain of tokens up to the top,
  // spelled out as an array only for the placeholders found.
  const values: JsonValue[] = [];
  const paths: PathLink[] = [];
  for (const key of Object.keys(aad)) {
    if (key === 'metaData' || key === 'requestLine') continue;
    values.push(aad[key]!);
    paths.push({ parent: null, token: key });
  }
  while (values.length) {
    const value = values.pop()!;
    const path = paths.pop()!;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        values.push(value[i]!);
        paths.push({ parent: path, token: String(i) });
      }
    } else if (isJsonObject(value)) {
      if (Object.prototype.hasOwnProperty.call(value, ENC_BLOCK_INDEX)) out.push(tokensOf(path));
      else {
        for (const key of Object.keys(value)) {
          values.push(value[key]!);
          paths.push({ parent: path, token: key });
        }
      }
    }
  }
  return out;
}

interface PathLink {
  readonly parent: PathLink | null;
  readonly token: string;
}

function tokensOf(path: PathLink): string[] {
  const tokens: string[] = [];
  for (let link: PathLink | null = path; link; link = link.parent) tokens.push(link.token);
  return tokens.reverse();
}

/** The placeholders as a canonical text, to compare before and after an operation. */
function placeholderSignature(document: JsonValue): string {
  return encryptedPointers(document)
    .map((tokens) => canonicalJson(resolvePointer(document, tokens)!))
    .sort()
    .join('\n');
}

function isPrefix(prefix: readonly string[], tokens: readonly string[]): boolean {
  return prefix.length <= tokens.length && prefix.every((token, i) => token === tokens[i]);
}

/** `a` is `b`, inside it, one of its containers, or a member of the same parent. */
function related(a: readonly string[], b: readonly string[]): boolean {
  if (isPrefix(a, b) || isPrefix(b, a)) return true;
  return a.length === b.length && isPrefix(a.slice(0, -1), b);
}

/** The list whose later elements an operation shifts (insert, remove or move of an element), if any. */
function shiftedList(document: JsonValue, item: PatchItem, path: string[], from: string[] | null): string[] | null {
  for (const tokens of [item.op === 'add' || item.op === 'remove' || item.op === 'move' || item.op === 'copy' ? path : null, item.op === 'move' ? from : null]) {
    if (!tokens) continue;
    const parent = tokens.slice(0, -1);
    if (Array.isArray(resolvePointer(document, parent)) && tokens[tokens.length - 1] !== '-') return parent;
  }
  return null;
}

function isListSlot(document: JsonValue, tokens: readonly string[]): boolean {
  return Array.isArray(resolvePointer(document, tokens.slice(0, -1)));
}

// ---------------------------------------------------------------------------------------------
// Values written
// ---------------------------------------------------------------------------------------------

interface Secrets {
  readonly strings: ReadonlySet<string>;
  /** Long enough to be searched inside other strings. */
  readonly long: readonly string[];
  /** Canonical JSON of structured confidential values. */
  readonly structured: ReadonlySet<string>;
}

function confidentialStrings(values: readonly unknown[]): Secrets {
  const strings = new Set<string>();
  const structured = new Set<string>();
  const addString = (text: string): void => {
    if (text === '') return;
    strings.add(text);
    // An encrypted path or query (`/nudm-sdm/v2/imsi-.../am-data`, `supi=imsi-...`) holds the IE
    // as a segment or a parameter value: those count on their own. Only parts with a digit (an
    // identifier), not the API's own words (`nudm-sdm`, `am-data`), which NFs repeat in clear.
    if (text.startsWith('/') || text.includes('=')) {
      for (const part of text.split(/[/&=]/)) {
        for (const variant of [part, decode(part)]) if (variant.length >= MIN_SUBSTRING_SECRET && /\d/.test(variant)) strings.add(variant);
      }
    }
  };
  for (const value of values) {
    if (value !== null && typeof value === 'object') structured.add(canonicalJson(value as JsonValue));
    const stack: unknown[] = [value];
    while (stack.length) {
      const item = stack.pop();
      if (typeof item === 'string') addString(item);
      else if (Array.isArray(item)) stack.push(...(item as unknown[]));
      else if (item !== null && typeof item === 'object') stack.push(...(Object.values(item) as unknown[]));
    }
  }
  return { strings, long: [...strings].filter((text) => text.length >= MIN_SUBSTRING_SECRET), structured };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Why a value must not be written, or null. */
function valueProblem(value: JsonValue, secrets: Secrets): string | null {
  const stack: [JsonValue, string][] = [[value, '']];
  while (stack.length) {
    const [item, at] = stack.pop()!;
    const where = at === '' ? 'the value' : `the value at ${at}`;
    if (typeof item === 'string') {
      if (hasUriPlaceholder(item)) return `${where} holds an encBlockIndex placeholder`;
      if (isSecret(item, secrets)) return `${where} holds an encrypted value in clear`;
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (secrets.structured.size > 0 && secrets.structured.has(canonicalJson(item))) return `${where} holds an encrypted value in clear`;
    if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, `${at}/${i}`]));
      continue;
    }
    for (const [key, child] of Object.entries(item)) {
      if (key === ENC_BLOCK_INDEX) return `${where} has an ${ENC_BLOCK_INDEX} member (an encrypted IE reference)`;
      if (isSecret(key, secrets)) return `${where} holds an encrypted value in clear (as a member name)`;
      stack.push([child, `${at}/${key}`]);
    }
  }
  return null;
}

function isSecret(text: string, secrets: Secrets): boolean {
  return secrets.strings.has(text) || secrets.long.some((secret) => text.includes(secret));
}

/** JSON with object members in sorted order, for comparing values. */
function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------------------------
// What the policy lets this RI modify
// ---------------------------------------------------------------------------------------------

interface ModifiableIes {
  readonly headers: ReadonlySet<string>;
  readonly body: readonly string[][];
  readonly multipart: boolean;
  readonly queryParams: ReadonlySet<string>;
  /** Per matching ApiSignature, the path variables that may change. */
  readonly pathVariables: readonly { signature: string; variables: ReadonlySet<string> }[];
}

function clearRequestOf(aad: DataToIntegrityProtectBlockData): RequestContext | undefined {
  const line = aad.requestLine;
  if (!line || typeof line.method !== 'string' || typeof line.path !== 'string' || !line.path.startsWith('/')) return undefined;
  return { method: line.method, path: line.path };
}

/** Whether RI `identity` may modify this IE. */
export function isModifiableBy(info: IeInfoData, identity: string, encrypted: ReadonlySet<string>): boolean {
  if (encrypted.has(info.ieType)) return false;
  const byIpx = info.isModifiableByIpx ? Object.entries(info.isModifiableByIpx).find(([ri]) => normalizeFqdn(ri) === identity)?.[1] : undefined;
  return (typeof byIpx === 'boolean' ? byIpx : info.isModifiable) === true;
}

/**
 * What an RI may write in one API operation, per policy: the same few (RI, direction, method,
 * path) come back on every message. Bounded per policy (a path carries a SUPI, so it varies).
 */
const modifiableCache = new WeakMap<ModificationPolicy, Map<string, ModifiableIes>>();
const MODIFIABLE_CACHE_SIZE = 1_024;

function modifiableIes(policy: ModificationPolicy, identity: string, direction: MessageDirection, api: RequestContext | undefined): ModifiableIes {
  let cache = modifiableCache.get(policy);
  if (!cache) {
    cache = new Map();
    modifiableCache.set(policy, cache);
  }
  const key = api ? `${identity} ${direction} ${api.method} ${api.path}` : `${identity} ${direction}`;
  let ies = cache.get(key);
  if (!ies) {
    ies = computeModifiableIes(policy, identity, direction, api);
    if (cache.size >= MODIFIABLE_CACHE_SIZE) cache.clear();
    cache.set(key, ies);
  }
  return ies;
}

function computeModifiableIes(policy: ModificationPolicy, identity: string, direction: MessageDirection, api: RequestContext | undefined): ModifiableIes {
  const headers = new Set<string>();
  const body: string[][] = [];
  const queryParams = new Set<string>();
  const pathVariables: { signature: string; variables: Set<string> }[] = [];
  let multipart = false;
  if (api) {
    const encrypted = new Set<string>(dataTypeEncryptionPolicy(policy.dataTypeEncPolicy ?? []));
    const side = direction === 'request' ? 'reqIe' : 'rspIe';
    const method = api.method.toUpperCase();
    for (const mapping of policy.apiIeMappingList) {
      if (typeof mapping.apiSignature !== 'string' || mapping.apiMethod.toUpperCase() !== method) continue;
      if (!matchApiSignature(mapping.apiSignature, api.path)) continue;
      const variables = new Set<string>();
      for (const info of mapping.IeList) {
        if (!isModifiableBy(info, identity, encrypted)) continue;
        if (info.ieLoc === IeLocation.MULTIPART_BINARY) multipart = true;
        const name = info[side];
        if (name === undefined) continue;
        switch (info.ieLoc) {
          case IeLocation.HEADER:
            headers.add(name.toLowerCase());
            break;
          case IeLocation.BODY: {
            const tokens = parsePointer(name);
            if (tokens) body.push(tokens);
            break;
          }
          case IeLocation.URI_PARAM:
            if (direction === 'request') queryParams.add(name);
            break;
          case IeLocation.URI_PATH:
            if (direction === 'request') variables.add(name.replace(/^\{(.*)\}$/, '$1'));
            break;
          default:
            // MULTIPART_BINARY (above) names no part; unknown locations grant nothing.
            break;
        }
      }
      if (variables.size > 0) pathVariables.push({ signature: mapping.apiSignature, variables });
    }
  }
  return { headers, body, multipart, queryParams, pathVariables };
}

type WriteKind = 'set' | 'insert' | 'remove';

/** The IE a write at `tokens` changes when the policy allows it, else why not. */
function writable(document: JsonValue, tokens: readonly string[], kind: WriteKind, value: JsonValue | undefined, ies: ModifiableIes): string | { refused: string } {
  const [top, index, member, ...rest] = tokens;
  switch (top) {
    case 'headers':
      return headerWrite(document, index, member, rest, kind, value, ies);
    case 'payload':
      return payloadWrite(document, index, member, rest, kind, value, ies);
    case 'requestLine':
      return requestLineWrite(document, tokens, kind, value, ies);
    default:
      return { refused: `${top === undefined ? 'the document' : `"${top}"`} is never modifiable` };
  }
}

function headerWrite(
  document: JsonValue,
  index: string | undefined,
  member: string | undefined,
  rest: readonly string[],
  kind: WriteKind,
  value: JsonValue | undefined,
  ies: ModifiableIes,
): string | { refused: string } {
  if (index === undefined) return { refused: 'the whole header list is not an IE' };
  const allowed = (name: unknown): name is string => typeof name === 'string' && ies.headers.has(name.toLowerCase());
  const newEntry = (entry: JsonValue | undefined): string | null =>
    isJsonObject(entry) && allowed(entry['header']) && typeof entry['value'] === 'string' && Object.keys(entry).length === 2 ? entry['header'] : null;
  if (member === undefined && kind === 'insert') {
    const name = newEntry(value);
    return name !== null ? `header ${name}` : { refused: 'a new entry must be {header, value} with a header the policy lets this RI modify' };
  }
  const entry = resolvePointer(document, ['headers', index]);
  const name = isJsonObject(entry) ? entry['header'] : undefined;
  if (!allowed(name)) return { refused: `header ${typeof name === 'string' ? name : '?'} is not modifiable` };
  if (member === undefined) {
    if (kind === 'remove') return `header ${name}`;
    return newEntry(value) !== null ? `header ${name}` : { refused: 'the new entry must be {header, value} with a modifiable header' };
  }
  if (rest.length > 0) return { refused: 'a header value is a string' };
  if (member === 'value' && kind === 'set') return `header ${name}`;
  if (member === 'header' && kind === 'set') return allowed(value) ? `header ${name}` : { refused: 'the new header name is not modifiable' };
  return { refused: `${kind} of a header entry's ${member} is not allowed` };
}

function payloadWrite(
  document: JsonValue,
  index: string | undefined,
  member: string | undefined,
  rest: readonly string[],
  kind: WriteKind,
  value: JsonValue | undefined,
  ies: ModifiableIes,
): string | { refused: string } {
  if (index === undefined) return { refused: 'the whole payload list is not an IE' };
  const bodyAllowed = (pointer: readonly string[]): boolean => ies.body.some((allowed) => isPrefix(allowed, pointer));
  const entryIe = (entry: JsonValue | undefined, requireComplete: boolean): string | null => {
    if (!isJsonObject(entry) || typeof entry['iePath'] !== 'string') return null;
    if (requireComplete && (!Object.prototype.hasOwnProperty.call(entry, 'value') || Object.keys(entry).length !== 3)) return null;
    if (entry['ieValueLocation'] === IeLocation.MULTIPART_BINARY) return ies.multipart && entry['iePath'] === '' ? 'multipart body' : null;
    if (entry['ieValueLocation'] !== IeLocation.BODY) return null;
    const pointer = parsePointer(entry['iePath']);
    return pointer && bodyAllowed(pointer) ? `body ${entry['iePath'] || '(whole)'}` : null;
  };
  if (member === undefined && kind === 'insert') {
    return entryIe(value, true) ?? { refused: 'a new entry must be {iePath, ieValueLocation, value} for an IE the policy lets this RI modify' };
  }
  const entry = resolvePointer(document, ['payload', index]);
  if (!isJsonObject(entry)) return { refused: 'not a payload entry' };
  if (member === undefined) {
    const old = entryIe(entry, false);
    if (old === null) return { refused: `the payload entry ${JSON.stringify(entry['iePath'])} is not modifiable` };
    if (kind === 'remove') return old;
    return entryIe(value, true) !== null ? old : { refused: 'the new entry is not a modifiable IE' };
  }
  if (member === 'value') {
    if (entry['ieValueLocation'] === IeLocation.MULTIPART_BINARY) {
      return ies.multipart && rest.length === 0 && kind === 'set' ? 'multipart body' : { refused: 'the multipart body is not modifiable' };
    }
    const base = entry['ieValueLocation'] === IeLocation.BODY && typeof entry['iePath'] === 'string' ? parsePointer(entry['iePath']) : null;
    if (!base) return { refused: 'the payload entry is not a BODY entry' };
    const pointer = [...base, ...rest];
    if (kind === 'remove' && rest.length === 0) return { refused: 'remove the whole entry rather than its value' };
    return bodyAllowed(pointer) ? `body ${formatPointer(pointer) || '(whole)'}` : { refused: `body ${formatPointer(pointer) || '(whole)'} is not modifiable` };
  }
  if (member === 'iePath' && rest.length === 0 && kind === 'set') {
    const old = entryIe(entry, false);
    const moved = typeof value === 'string' ? entryIe({ ...entry, iePath: value }, false) : null;
    return old !== null && moved !== null ? old : { refused: 'the IE would move from or to a place that is not modifiable' };
  }
  return { refused: `${kind} of a payload entry's ${member} is not allowed` };
}

function requestLineWrite(document: JsonValue, tokens: readonly string[], kind: WriteKind, value: JsonValue | undefined, ies: ModifiableIes): string | { refused: string } {
  if (tokens.length !== 2) return { refused: 'only the path or the query of the request line can be modified' };
  const line = resolvePointer(document, ['requestLine']);
  if (!isJsonObject(line)) return { refused: 'there is no request line' };
  const field = tokens[1];
  if (field === 'path') {
    const old = line['path'];
    if (kind !== 'set' || typeof value !== 'string' || typeof old !== 'string') return { refused: 'the path can only be replaced by a path' };
    const ok = ies.pathVariables.some(({ signature, variables }) => {
      const before = matchApiSignature(signature, old);
      const after = matchApiSignature(signature, value);
      if (!before || !after) return false;
      return [...before].every(([name, segment]) => variables.has(name) || after.get(name) === segment);
    });
    return ok ? 'path' : { refused: 'only path variables the policy lets this RI modify may change' };
  }
  if (field === 'queryFragment') {
    if (ies.queryParams.size === 0) return { refused: 'no query parameter is modifiable' };
    const old = typeof line['queryFragment'] === 'string' ? line['queryFragment'] : undefined;
    const next = kind === 'remove' ? undefined : typeof value === 'string' ? value : null;
    if (next === null) return { refused: 'the query must be a string' };
    const fixed = (query: string | undefined): string[] =>
      query === undefined ? [] : query.split('&').filter((pair) => pair !== '' && !ies.queryParams.has(decode(pair.split('=')[0]!)));
    return JSON.stringify(fixed(old)) === JSON.stringify(fixed(next)) ? 'query' : { refused: 'only query parameters the policy lets this RI modify may change' };
  }
  return { refused: `requestLine ${field} is never modifiable` };
}
