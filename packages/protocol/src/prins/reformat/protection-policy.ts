/**
 * The PRINS protection policy a SEPP applies at run time (33.501 13.2.3; N32-DIGEST §3.5):
 *
 * - the **data-type encryption policy**: which IeTypes are encrypted on N32-f;
 * - the **NF API data-type placement mapping** (TS 29.573 ApiIeMapping list): where, in each API
 *   operation, IEs of each type sit (header name, query parameter, path variable, JSON Pointer).
 *
 * Its shape is the wire ProtectionPolicy, so the same object is sent in exchange-params
 * (`protectionPolicyInfo` / `selProtectionPolicyInfo`) and compared with the peer's
 * ({@link policyMismatches}).
 */
import type { InvalidParam } from '../../models/common-data';
import type { ApiIeMappingData, CallbackNameData, IeInfoData, ProtectionPolicyData } from '../messages/bodies';
import { HTTP_METHODS, IeLocation, IeType, type IeTypeValue } from '../messages/enums';

/** The IeTypes to encrypt, in canonical order. */
export type DataTypeEncryptionPolicy = readonly IeTypeValue[];

/**
 * 33.501 5.9.3.3: "shall be confidentiality protected ... irrespective of the Data-type Encryption
 * Policy": authentication vectors, cryptographic material, location data, authorization tokens
 * (and SMS content over SBI, which has no IeType of its own and no API in our mappings). 13.2.3.6
 * puts these defaults below every configured policy: configuration can only add to them, so they
 * are encrypted whatever a policy object says ({@link encryptsIeType}).
 */
export const MANDATORY_ENCRYPTED_IE_TYPES: DataTypeEncryptionPolicy = Object.freeze([
  IeType.LOCATION,
  IeType.KEY_MATERIAL,
  IeType.AUTHENTICATION_MATERIAL,
  IeType.AUTHORIZATION_TOKEN,
]);

/**
 * Our default: the mandatory set plus `UEID`. 5.9.3.3 says SUPI "should additionally" be
 * protected, and 13.2.3.2 lists SUPI first among the policy's data types; a carrier encrypts it
 * unless a roaming agreement says otherwise, and the policies of both SEPPs must be equal
 * (13.2.3.2), which holds when both run this default.
 */
export const DEFAULT_DATA_TYPE_ENC_POLICY: DataTypeEncryptionPolicy = Object.freeze([IeType.UEID, ...MANDATORY_ENCRYPTED_IE_TYPES]);

const KNOWN_ORDER: readonly string[] = Object.values(IeType);

/** The effective policy: the mandatory types plus `configured` (default: UEID), canonical order. */
export function dataTypeEncryptionPolicy(configured: readonly string[] = DEFAULT_DATA_TYPE_ENC_POLICY): DataTypeEncryptionPolicy {
  const all = new Set<string>([...MANDATORY_ENCRYPTED_IE_TYPES, ...configured]);
  const rank = (type: string): number => (KNOWN_ORDER.includes(type) ? KNOWN_ORDER.indexOf(type) : KNOWN_ORDER.length);
  return Object.freeze([...all].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)));
}

export interface PrinsProtectionPolicy {
  readonly dataTypeEncPolicy: DataTypeEncryptionPolicy;
  readonly apiIeMappingList: readonly ApiIeMappingData[];
}

/** Whether IEs of this type are encrypted: the mandatory set always is (13.2.3.6). */
export function encryptsIeType(policy: Pick<PrinsProtectionPolicy, 'dataTypeEncPolicy'>, type: IeTypeValue): boolean {
  return MANDATORY_ENCRYPTED_IE_TYPES.includes(type) || policy.dataTypeEncPolicy.includes(type);
}

// ---------------------------------------------------------------------------------------------
// API signatures
// ---------------------------------------------------------------------------------------------

/**
 * **Non-standard** template segment: `**` as the last segment matches any number of remaining
 * segments, so `/**` names every API. TS 29.573 has no wildcard; we need one for rules that hold
 * for every API (the `authorization` header). Both SEPPs are ours; a peer that does not know it
 * sees a mapping that matches nothing.
 */
export const ANY_SUFFIX_SEGMENT = '**';
export const EVERY_API_SIGNATURE = `/${ANY_SUFFIX_SEGMENT}`;

const VARIABLE_SEGMENT = /^\{([^{}]+)\}$/;
const API_ROOT_PREFIX = '{apiRoot}';

/** A template segment: a literal, a `{variable}`, or the final `**`. */
type TemplatePart = { readonly literal: string } | { readonly variable: string } | { readonly anySuffix: true };

/**
 * The path segments of an ApiSignature Uri: a resource URI template such as
 * `/nudm-sdm/v2/{supi}/am-data`, also written `{apiRoot}/nudm-sdm/...` or as an absolute URI.
 */
function templateSegments(signature: string): TemplatePart[] | null {
  let path = signature.trim();
  if (path.startsWith(API_ROOT_PREFIX)) path = path.slice(API_ROOT_PREFIX.length);
  else {
    const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*(\/.*)?$/.exec(path);
    if (absolute) path = absolute[1] ?? '/';
  }
  if (!path.startsWith('/')) return null;
  const parts = path.split('/').slice(1);
  return parts.map((part, i): TemplatePart => {
    if (part === ANY_SUFFIX_SEGMENT && i === parts.length - 1) return { anySuffix: true };
    const variable = VARIABLE_SEGMENT.exec(part);
    return variable ? { variable: variable[1]! } : { literal: part };
  });
}

/** Parsed templates (signatures come from policies: a bounded number in practice; bounded here). */
const templates = new Map<string, TemplatePart[] | null>();
const MAX_TEMPLATES = 4_096;

function templateOf(signature: string): TemplatePart[] | null {
  let template = templates.get(signature);
  if (template === undefined) {
    template = templateSegments(signature);
    if (templates.size >= MAX_TEMPLATES) templates.clear();
    templates.set(signature, template);
  }
  return template;
}

/**
 * Matches a request path (no query) against an ApiSignature template. `{name}` matches one
 * non-empty segment and binds it (raw, still percent-encoded); literal segments compare exactly.
 * Returns the bound variables, or null if the path does not match.
 */
export function matchApiSignature(signature: string, path: string): Map<string, string> | null {
  const segments = matchApiSignatureSegments(signature, path);
  return segments ? new Map([...segments].map(([name, { value }]) => [name, value])) : null;
}

/**
 * Like {@link matchApiSignature}, with where each variable sits: its index in `path.split('/')`
 * (the leading empty string is index 0, so the first segment is 1).
 */
export function matchApiSignatureSegments(signature: string, path: string): Map<string, { value: string; index: number }> | null {
  const template = templateOf(signature);
  return template && path.startsWith('/') ? matchTemplate(template, path.split('/')) : null;
}

/** `segments`: the path split at `/` (the first is the empty string before the leading slash). */
function matchTemplate(template: readonly TemplatePart[], segments: readonly string[]): Map<string, { value: string; index: number }> | null {
  // Checked first, bound after: most templates a path is tried against do not match it.
  let end = template.length;
  for (let i = 0; i < template.length; i++) {
    const part = template[i]!;
    if ('anySuffix' in part) {
      end = i;
      break;
    }
    const segment = segments[i + 1];
    if (segment === undefined) return null;
    if ('variable' in part ? segment === '' : part.literal !== segment) return null;
  }
  if (end === template.length && segments.length - 1 !== template.length) return null;
  const variables = new Map<string, { value: string; index: number }>();
  for (let i = 0; i < end; i++) {
    const part = template[i]!;
    if ('variable' in part) variables.set(part.variable, { value: segments[i + 1]!, index: i + 1 });
  }
  return variables;
}

export interface ApplicableIe {
  readonly ie: IeInfoData;
  /** Variables bound by the matching ApiSignature: their value and index in `path.split('/')`. */
  readonly pathVariables: ReadonlyMap<string, { readonly value: string; readonly index: number }>;
}

/** The mappings of a policy by upper-case method, each with the IEs the policy encrypts. */
type PolicyIndex = Map<string, Array<{ readonly template: readonly TemplatePart[]; readonly ies: readonly IeInfoData[] }>>;

/** Built on first use: a policy is not changed once a context uses it (its members are readonly). */
const indexes = new WeakMap<PrinsProtectionPolicy, PolicyIndex>();

function indexOf(policy: PrinsProtectionPolicy): PolicyIndex {
  let index = indexes.get(policy);
  if (!index) {
    index = new Map();
    for (const mapping of policy.apiIeMappingList) {
      if (typeof mapping.apiSignature !== 'string') continue;
      const template = templateSegments(mapping.apiSignature);
      if (!template) continue;
      const method = mapping.apiMethod.toUpperCase();
      const list = index.get(method) ?? [];
      list.push({ template, ies: mapping.IeList.filter((ie) => encryptsIeType(policy, ie.ieType)) });
      index.set(method, list);
    }
    indexes.set(policy, index);
  }
  return index;
}

/**
 * The IeInfo entries of every ApiIeMapping that matches `method` and `path` whose IeType the
 * policy encrypts. Every matching mapping contributes (a generic `/**` one and a specific one).
 * CallbackName signatures never match here: a callback is addressed to a URI the consumer chose,
 * which says nothing about the callback type (phase 1 does not protect callbacks by mapping).
 */
export function encryptedIes(policy: PrinsProtectionPolicy, method: string, path: string): ApplicableIe[] {
  const out: ApplicableIe[] = [];
  if (!path.startsWith('/')) return out;
  const segments = path.split('/');
  for (const { template, ies } of indexOf(policy).get(method.toUpperCase()) ?? []) {
    if (ies.length === 0) continue;
    const pathVariables = matchTemplate(template, segments);
    if (!pathVariables) continue;
    for (const ie of ies) out.push({ ie, pathVariables });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Built-in mapping
// ---------------------------------------------------------------------------------------------

const ie = (ieLoc: string, ieType: string, where: { reqIe?: string; rspIe?: string }): IeInfoData => ({ ieLoc, ieType, ...where });

/** SDM data sets read with GET `/nudm-sdm/v2/{supi}/<set>` (TS 29.503); `` is the whole record. */
const SDM_DATA_SETS = ['', 'am-data', 'nssai', 'smf-select-data', 'sm-data', 'ue-context-in-smf-data', 'ue-context-in-smsf-data', 'sms-data', 'sms-mng-data', 'trace-data'];

/**
 * Callback URIs an NF puts in a body often carry the SUPI (Open5GS's AMF writes
 * `/namf-callback/v1/{supi}/...`). The path holding the SUPI is encrypted, so these must be too:
 * otherwise the self-check refuses the message (a SUPI in clear next to an encrypted one).
 */
const callbackUris = (...pointers: string[]): IeInfoData[] =>
  pointers.flatMap((pointer) => [ie(IeLocation.BODY, IeType.UEID, { reqIe: pointer }), ie(IeLocation.BODY, IeType.UEID, { rspIe: pointer })]);

/**
 * The built-in NF API data-type placement mapping, for the APIs of our demo:
 *
 * - every API, every method: header `authorization` is an AUTHORIZATION_TOKEN (`/**`, non-standard);
 * - nudm-sdm GET `/{supi}` and its data sets (am-data, ...): the `{supi}` path segment is UEID;
 * - nudm-sdm POST `/{supi}/sdm-subscriptions`: path UEID, the callback URIs in the body, and the
 *   `location` of the 201 (it repeats the SUPI); DELETE `/{supi}/sdm-subscriptions/{subscriptionId}`;
 * - nausf-auth POST `/ue-authentications`: `supiOrSuci` UEID, `resynchronizationInfo`
 *   AUTHENTICATION_MATERIAL; response `5gAuthData` AUTHENTICATION_MATERIAL;
 * - nausf-auth PUT `/ue-authentications/{authCtxId}/5g-aka-confirmation`: `resStar`
 *   AUTHENTICATION_MATERIAL; response `supi` UEID and `kseaf` KEY_MATERIAL;
 * - nudm-uecm PUT/PATCH/GET `/{ueId}/registrations/amf-3gpp-access`: path UEID; PUT body `supi`
 *   and callback URIs, response `supi`, callback URIs and `location`.
 */
export const DEFAULT_API_IE_MAPPINGS: readonly ApiIeMappingData[] = deepFreeze([
  ...HTTP_METHODS.map(
    (apiMethod): ApiIeMappingData => ({
      apiSignature: EVERY_API_SIGNATURE,
      apiMethod,
      IeList: [
        ie(IeLocation.HEADER, IeType.AUTHORIZATION_TOKEN, { reqIe: 'authorization' }),
        // The one IE our default policy lets intermediaries modify: the TS 29.500 message
        // priority (an IPX may re-prioritise traffic it carries); in requests and responses.
        { ...ie(IeLocation.HEADER, IeType.NONSENSITIVE, { reqIe: '3gpp-sbi-message-priority', rspIe: '3gpp-sbi-message-priority' }), isModifiable: true },
      ],
    }),
  ),
  ...SDM_DATA_SETS.map(
    (set): ApiIeMappingData => ({
      apiSignature: `/nudm-sdm/v2/{supi}${set ? `/${set}` : ''}`,
      apiMethod: 'GET',
      IeList: [ie(IeLocation.URI_PATH, IeType.UEID, { reqIe: 'supi' })],
    }),
  ),
  {
    apiSignature: '/nudm-sdm/v2/{supi}/sdm-subscriptions',
    apiMethod: 'POST',
    IeList: [
      ie(IeLocation.URI_PATH, IeType.UEID, { reqIe: 'supi' }),
      ...callbackUris('/callbackReference', '/monitoredResourceUris'),
      ie(IeLocation.HEADER, IeType.UEID, { rspIe: 'location' }),
    ],
  },
  {
    apiSignature: '/nudm-sdm/v2/{supi}/sdm-subscriptions/{subscriptionId}',
    apiMethod: 'DELETE',
    IeList: [ie(IeLocation.URI_PATH, IeType.UEID, { reqIe: 'supi' })],
  },
  {
    apiSignature: '/nausf-auth/v1/ue-authentications',
    apiMethod: 'POST',
    IeList: [
      ie(IeLocation.BODY, IeType.UEID, { reqIe: '/supiOrSuci' }),
      ie(IeLocation.BODY, IeType.AUTHENTICATION_MATERIAL, { reqIe: '/resynchronizationInfo' }),
      ie(IeLocation.BODY, IeType.AUTHENTICATION_MATERIAL, { rspIe: '/5gAuthData' }),
    ],
  },
  {
    apiSignature: '/nausf-auth/v1/ue-authentications/{authCtxId}/5g-aka-confirmation',
    apiMethod: 'PUT',
    IeList: [
      ie(IeLocation.BODY, IeType.AUTHENTICATION_MATERIAL, { reqIe: '/resStar' }),
      ie(IeLocation.BODY, IeType.UEID, { rspIe: '/supi' }),
      ie(IeLocation.BODY, IeType.KEY_MATERIAL, { rspIe: '/kseaf' }),
    ],
  },
  {
    apiSignature: '/nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access',
    apiMethod: 'PUT',
    IeList: [
      ie(IeLocation.URI_PATH, IeType.UEID, { reqIe: 'ueId' }),
      ie(IeLocation.BODY, IeType.UEID, { reqIe: '/supi' }),
      ie(IeLocation.BODY, IeType.UEID, { rspIe: '/supi' }),
      ...callbackUris('/deregCallbackUri', '/pcscfRestorationCallbackUri', '/dataRestorationCallbackUri'),
      ie(IeLocation.HEADER, IeType.UEID, { rspIe: 'location' }),
    ],
  },
  ...['PATCH', 'GET'].map(
    (apiMethod): ApiIeMappingData => ({
      apiSignature: '/nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access',
      apiMethod,
      IeList: [ie(IeLocation.URI_PATH, IeType.UEID, { reqIe: 'ueId' })],
    }),
  ),
]);

/** Shared constants must not change under their users; copies ({@link protectionPolicy}) are mutable. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * A policy: the effective data-type policy ({@link dataTypeEncryptionPolicy}) and the mapping
 * (default: the built-in one). Deep copies, so a caller's later edits do not leak in.
 */
export function protectionPolicy(options: { dataTypeEncPolicy?: readonly string[]; apiIeMappingList?: readonly ApiIeMappingData[] } = {}): PrinsProtectionPolicy {
  return {
    dataTypeEncPolicy: dataTypeEncryptionPolicy(options.dataTypeEncPolicy),
    apiIeMappingList: structuredClone([...(options.apiIeMappingList ?? DEFAULT_API_IE_MAPPINGS)]),
  };
}

/** The built-in policy: mandatory types + UEID, built-in mapping. */
export function defaultProtectionPolicy(): PrinsProtectionPolicy {
  return protectionPolicy();
}

/** The wire form, for `protectionPolicyInfo` / `selProtectionPolicyInfo`. */
export function toProtectionPolicyData(policy: PrinsProtectionPolicy): ProtectionPolicyData {
  return { apiIeMappingList: structuredClone([...policy.apiIeMappingList]), dataTypeEncPolicy: [...policy.dataTypeEncPolicy] };
}

// ---------------------------------------------------------------------------------------------
// POLICY_MISMATCH detection
// ---------------------------------------------------------------------------------------------

function signatureKey(signature: string | CallbackNameData): string {
  return typeof signature === 'string' ? signature : `callback ${signature.callbackType}`;
}

function mappingKey(mapping: ApiIeMappingData): string {
  return `${mapping.apiMethod.toUpperCase()} ${signatureKey(mapping.apiSignature)}`;
}

/** Canonical text of an IeInfo: fixed attribute order, header names in lower case. */
function ieKey(info: IeInfoData): string {
  const header = info.ieLoc === IeLocation.HEADER;
  const name = (value: string | undefined): string | null => (value === undefined ? null : header ? value.toLowerCase() : value);
  const ipx = info.isModifiableByIpx ? Object.entries(info.isModifiableByIpx).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null;
  return JSON.stringify([info.ieLoc, info.ieType, name(info.reqIe), name(info.rspIe), info.isModifiable ?? null, ipx, info.ancestorIe ?? null]);
}

function describeIe(info: IeInfoData): string {
  const where = [info.reqIe !== undefined ? `request ${info.reqIe}` : '', info.rspIe !== undefined ? `response ${info.rspIe}` : ''].filter(Boolean).join(', ');
  return `${info.ieType} in ${info.ieLoc}${where ? ` (${where})` : ''}`;
}

/** An IE of a mapping, where it is in the body, and its comparison key (computed once). */
interface KeyedIe {
  readonly item: IeInfoData;
  readonly pointer: string;
  readonly key: string;
}

interface MappingGroup {
  readonly pointer: string;
  readonly ies: KeyedIe[];
  /** The keys of `ies`. */
  readonly keys: Set<string>;
}

function groupMappings(list: readonly ApiIeMappingData[], base: string): Map<string, MappingGroup> {
  const groups = new Map<string, MappingGroup>();
  list.forEach((mapping, i) => {
    const pointer = `${base}/apiIeMappingList/${i}`;
    const key = mappingKey(mapping);
    const group = groups.get(key) ?? { pointer, ies: [], keys: new Set<string>() };
    mapping.IeList.forEach((info, j) => {
      const ie = { item: info, pointer: `${pointer}/IeList/${j}`, key: ieKey(info) };
      group.ies.push(ie);
      group.keys.add(ie.key);
    });
    groups.set(key, group);
  });
  return groups;
}

export function policyMismatches(ours: ProtectionPolicyData | PrinsProtectionPolicy, theirs: ProtectionPolicyData, base = ''): InvalidParam[] {
  const out: InvalidParam[] = [];
  const ourTypes = new Set(dataTypeEncryptionPolicy(ours.dataTypeEncPolicy ?? []));
  const theirList = theirs.dataTypeEncPolicy ?? [];
  const theirTypes = new Set(dataTypeEncryptionPolicy(theirList));
  for (const type of ourTypes) {
    if (!theirTypes.has(type)) out.push({ param: `${base}/dataTypeEncPolicy`, reason: `lacks ${type}, which our data-type encryption policy encrypts` });
  }
  theirList.forEach((type, i) => {
    if (!ourTypes.has(type)) out.push({ param: `${base}/dataTypeEncPolicy/${i}`, reason: `${type} is not in our data-type encryption policy` });
  });

  const ourGroups = groupMappings(ours.apiIeMappingList, '');
  const theirGroups = groupMappings(theirs.apiIeMappingList, base);
  for (const [key, group] of ourGroups) {
    const theirGroup = theirGroups.get(key);
    if (!theirGroup) {
      out.push({ param: `${base}/apiIeMappingList`, reason: `no mapping for ${key}` });
      continue;
    }
    for (const { item, key: ie } of group.ies) {
      if (!theirGroup.keys.has(ie)) out.push({ param: `${theirGroup.pointer}/IeList`, reason: `${key}: lacks ${describeIe(item)}` });
    }
    for (const { item, pointer, key: ie } of theirGroup.ies) {
      if (!group.keys.has(ie)) out.push({ param: pointer, reason: `${key}: ${describeIe(item)} is not in our mapping` });
    }
  }
  for (const [key, group] of theirGroups) {
    if (!ourGroups.has(key)) out.push({ param: group.pointer, reason: `${key} is not in our mapping` });
  }
  return out;
}
