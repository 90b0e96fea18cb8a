import fc from 'fast-check';
import { N32fErrorType, type HttpRequestMessage } from '@sepp/protocol';

/**
 * fast-check generators for the fuzz cases: JSON bodies biased toward the TS 29.573 schemas (a
 * valid-looking body with fields mutated, of the wrong type, missing or extra), bodies that are
 * not JSON at all, huge or deep structures within the body limits, unicode, `__proto__`, and
 * header sets of valid HTTP/2 names and values (an invalid one never leaves the client library).
 */

/** One generated request. `body` may be built at send time (PRINS sealing needs the send order). */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | (() => Buffer);
  /** Which generator made it (for the statistics and for replaying a failure). */
  shape: string;
  /** Set at send time by a body builder (e.g. which sealed message a replay carries). */
  tag?: string;
  /** A large body (or answer) even though `body` is built at send time: sent a few at a time. */
  heavy?: boolean;
}

/** Headers a request must not carry on HTTP/2 (the client library refuses them) or that legitimately end in a 5xx. */
export const EXCLUDED_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'te',
  'content-length',
  'http2-settings',
  // The NF may ask for a shorter answer time: a 504 after it is the right answer, not a fault.
  '3gpp-sbi-max-rsp-time',
]);

const HEX = '0123456789abcdef';
export const hexString = (length: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...HEX), minLength: length, maxLength: length });

/** Strings that tend to break things: empty, spaces, NUL, long, unicode, prototype names, near-miss enums. */
export const weirdString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '😀', '__proto__', 'constructor', 'prototype', 'toString', 'NONE', 'TLS', 'PRINS', 'ALS', 'tls', 'null', 'undefined', '-1', '1e309', 'NaN'),
  fc.integer({ min: 64, max: 4_000 }).map((n) => 'a'.repeat(n)),
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

/** A value of the right shape most of the time, otherwise something else entirely. */
export function mutated<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 1, arbitrary: weirdString },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    { weight: 1, arbitrary: fc.array(valid as fc.Arbitrary<unknown>, { maxLength: 3 }) },
    { weight: 1, arbitrary: anyJson },
  );
}

/**
 * An object with the keys of `model`: most of the time every `required` key and a random subset of
 * the others, otherwise any subset; sometimes a few unknown keys (`__proto__` included, as an own
 * property) on top.
 */
export function partialRecord(model: Record<string, fc.Arbitrary<unknown>>, required: string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const withRequired = fc.record(model, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
  const anySubset = fc.record(model, { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
  return fc
    .tuple(
      fc.oneof({ weight: 3, arbitrary: withRequired }, { weight: 1, arbitrary: anySubset }),
      fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(weirdString, anyJson, { maxKeys: 3 }) }),
    )
    .map(([known, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(extra)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      for (const [key, value] of Object.entries(known)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      return out;
    });
}

const nest = (depth: number, kind: 'array' | 'object', inner: string): string =>
  kind === 'array' ? '['.repeat(depth) + inner + ']'.repeat(depth) : '{"a":'.repeat(depth) + inner + '}'.repeat(depth);

/**
 * Bodies for an endpoint whose schema-biased objects come from `schema`: mostly those, as JSON;
 * then JSON of any kind, raw bytes, deep nesting and big structures kept within `limit` bytes,
 * `__proto__`/`constructor` payloads, truncated JSON, and unicode escapes (lone surrogates too).
 */
export function jsonBodies(schema: fc.Arbitrary<Record<string, unknown>>, limit: number): fc.Arbitrary<{ body: Buffer; shape: string }> {
  const text = (shape: string) => (s: string) => ({ body: Buffer.from(s), shape });
  return fc.oneof(
    { weight: 12, arbitrary: schema.map((o) => JSON.stringify(o)).map(text('schema')) },
    { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)).map(text('json')) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ body: Buffer.from(bytes), shape: 'bytes' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 50, max: Math.floor((limit - 16) / 6) }), fc.constantFrom('array' as const, 'object' as const), schema)
        .map(([depth, kind, inner]) => nest(kind === 'array' ? Math.min(depth * 3, (limit - 16) >> 1) : depth, kind, JSON.stringify(inner)))
        .filter((s) => s.length < limit)
        .map(text('deep')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(schema, fc.integer({ min: 1_000, max: limit - 2_000 }), fc.constantFrom('string', 'array', 'object'))
        .map(([o, size, kind]) => {
          const big = kind === 'string' ? 'x'.repeat(size) : kind === 'array' ? new Array<number>(size >> 1).fill(1) : Object.fromEntries(Array.from({ length: size >> 4 }, (_, i) => [`k${i}`, i]));
          return JSON.stringify({ ...o, supportedSecCapabilityList: kind === 'array' ? big : o['supportedSecCapabilityList'], padding: big });
        })
        .filter((s) => s.length < limit)
        .map(text('big')),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(schema, fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.boolean())
        .map(([o, key, nested]) => {
          const json = JSON.stringify(o);
          const payload = key === 'constructor' ? '{"prototype":{"polluted":true,"sender":"x"}}' : `{"polluted":true,"isAdmin":true,"selectedSecCapability":"TLS"}`;
          return nested && json.length > 2 ? `${json.slice(0, -1)},"nested":{"${key}":${payload}}}` : `{"${key}":${payload}${json.length > 2 ? `,${json.slice(1)}` : '}'}`;
        })
        .map(text('proto')),
    },
    { weight: 1, arbitrary: fc.tuple(schema, fc.nat()).map(([o, n]) => JSON.stringify(o).slice(0, n % Math.max(1, JSON.stringify(o).length))).map(text('truncated')) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(schema, fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('\\ud800', '\\udfff', '\\u0000', '\\uffff', ''))
        .map(([o, s, escape]) => `${JSON.stringify({ ...o, [s]: s }).slice(0, -1)},"esc":"${escape}"}`)
        .map(text('unicode')),
    },
  );
}

/** A valid HTTP/2 header name (lower case token) that is not excluded. */
export const headerName: fc.Arbitrary<string> = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((name) => !EXCLUDED_HEADERS.has(name));

/** A field value HTTP/2 accepts: printable ASCII, no leading or trailing white space. */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => s.trim()) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3_000 }).map((n) => 'v'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom('', '0', '-1', 'null', 'application/json', 'gzip', 'Bearer x.y.z', '*/*', '999999999999999999999') },
);

/** Total size of a generated header set (RFC 9113 accounting: name + value + 32 per field). */
export const MAX_HEADER_BYTES = 8_192;

/** SBI headers with fuzzed values (names the SEPPs and NFs look at). */
const SBI_HEADER_NAMES = [
  '3gpp-sbi-originating-network-id',
  '3gpp-sbi-sender-timestamp',
  '3gpp-sbi-message-priority',
  '3gpp-sbi-callback',
  '3gpp-sbi-routing-binding',
  '3gpp-sbi-binding',
  '3gpp-sbi-discovery-target-plmn-list',
  '3gpp-sbi-correlation-info',
  'authorization',
  'accept',
  'accept-encoding',
  'content-encoding',
  'via',
  'forwarded',
  'x-forwarded-for',
  'user-agent',
  'cookie',
  'expect',
  'if-match',
  'location',
  'trailer',
  'proxy-authorization',
];

/** A random header set (0 to 12 fields) without the content type, which endpoints choose themselves. */
export const headerSet: fc.Arbitrary<Record<string, string>> = fc
  .array(fc.tuple(fc.oneof({ weight: 2, arbitrary: headerName }, { weight: 1, arbitrary: fc.constantFrom(...SBI_HEADER_NAMES) }), headerValue), { maxLength: 12 })
  .map((pairs) => {
    const out: Record<string, string> = {};
    // Within the header list size the listeners announce (SETTINGS_MAX_HEADER_LIST_SIZE 16 KB;
    // a client that ignores the setting gets its stream reset, rightly): at most 8 KB here.
    let size = 0;
    for (const [name, value] of pairs) {
      if (name === 'content-type' || size + name.length + value.length + 32 > MAX_HEADER_BYTES) continue;
      size += name.length + value.length + 32;
      out[name] = value;
    }
    return out;
  });

/** The content type of a JSON endpoint: mostly right, sometimes with parameters, wrong, or missing. */
export const jsonContentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json;charset=latin1',
      'application/problem+json',
      'application/merge-patch+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/related; boundary=x',
      'application/octet-stream',
      'application/json; boundary=',
      '*/*',
    ),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z]{1,8}\/[a-z0-9.+-]{1,12}$/) },
);

/** Methods: mostly `main`, then the other HTTP methods and random tokens (never CONNECT, whose HTTP/2 form has no path). */
export function methods(main: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant(main) },
    { weight: 3, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE') },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Z][A-Z-]{0,11}$/).filter((m) => m !== 'CONNECT') },
  );
}

/** The endpoint's path, mostly as is, sometimes with a query, a trailing slash, doubled slashes, upper case or a dot segment. */
export function pathVariants(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(path) },
    { weight: 1, arbitrary: fc.webQueryParameters().map((q) => `${path}?${q}`) },
    { weight: 1, arbitrary: fc.constantFrom(`${path}/`, path.replace('/v1/', '//v1//'), path.toUpperCase(), path.replace('/v1/', '/v1/./'), path.replace('/v1/', '/v2/'), `${path}%00`, `${path}/..`, `${path};x=1`) },
  );
}

/** A request to a JSON endpoint: method, path variants, content type, header set, body. */
export function jsonEndpoint(path: string, schema: fc.Arbitrary<Record<string, unknown>>, limit: number): fc.Arbitrary<FuzzRequest> {
  return fc.record({ method: methods('POST'), path: pathVariants(path), contentType: jsonContentType, headers: headerSet, body: jsonBodies(schema, limit) }).map(({ method, path: p, contentType, headers, body }) => ({
    method,
    path: p,
    headers: contentType === undefined ? headers : { ...headers, 'content-type': contentType },
    body: body.body,
    shape: body.shape,
  }));
}

// --- TS 29.573 bodies, schema-biased ---------------------------------------------------------------

/**
 * A schema body: a valid one (deeper code runs: state checks, selection, crypto), the valid one
 * with one to three targeted edits (a member removed, replaced by a value of another type, or an
 * unknown member added), or a loose record of mutated fields.
 */
export function schemaBiased(valid: fc.Arbitrary<Record<string, unknown>>, loose: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Record<string, unknown>> {
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 4, arbitrary: valid.chain((v) => mutatedJson(v)).map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { value: v })) },
    { weight: 2, arbitrary: loose },
  );
}

const validPlmn = (mcc: string, mnc: string) => fc.constant({ mcc, mnc });
const plmnId = (mcc: string, mnc: string) => mutated(partialRecord({ mcc: mutated(fc.constantFrom(mcc, '001', '999', '0a1', '')), mnc: mutated(fc.constantFrom(mnc, '01', '001', '0', '0001')) }, ['mcc', 'mnc']));
const fqdnLike = (own: string) => fc.oneof({ weight: 4, arbitrary: fc.constant(own) }, { weight: 1, arbitrary: fc.domain() }, { weight: 1, arbitrary: weirdString }, { weight: 1, arbitrary: fc.constant(own.toUpperCase()) }, { weight: 1, arbitrary: fc.constant(`${own}.`) });
const contextId = (known: () => readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: hexString(16) },
    { weight: 3, arbitrary: fc.nat().map((n) => known()[n % Math.max(1, known().length)] ?? '0000000000000000') },
    { weight: 1, arbitrary: fc.oneof(hexString(15), hexString(17), hexString(16).map((s) => s.toUpperCase()), weirdString) },
  );
const mechanisms = fc.array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom('TLS', 'PRINS') }, { weight: 1, arbitrary: fc.constantFrom('NONE', 'ALS', 'tls', '') }), { minLength: 1, maxLength: 5 });
const purposes = fc.array(fc.record({ usagePurpose: fc.constantFrom('ROAMING', 'INTER_PLMN_MOBILITY', 'SMS_INTERCONNECT', 'ROAMING_TEST', 'OTHER') }), { minLength: 1, maxLength: 3 });

/** SecNegotiateReqData from a peer `sender` of PLMN mcc/mnc, to a responder of PLMN 001/01. */
export function secNegotiateReq(sender: string, mcc: string, mnc: string): fc.Arbitrary<Record<string, unknown>> {
  const valid = fc.record(
    {
      sender: fc.constant(sender),
      supportedSecCapabilityList: mechanisms,
      n32HandshakeId: hexString(16),
      '3GppSbiTargetApiRootSupported': fc.boolean(),
      plmnIdList: fc.constant([{ mcc, mnc }]),
      targetPlmnId: validPlmn('001', '01'),
      intendedUsagePurpose: purposes,
      supportedFeatures: fc.oneof(hexString(1), hexString(4)),
    },
    { requiredKeys: ['sender', 'supportedSecCapabilityList'] },
  ) as fc.Arbitrary<Record<string, unknown>>;
  const loose = partialRecord(
    {
      sender: fqdnLike(sender),
      supportedSecCapabilityList: mutated(fc.array(fc.oneof(fc.constantFrom('TLS', 'PRINS', 'NONE'), weirdString), { maxLength: 6 })),
      n32HandshakeId: mutated(hexString(16)),
      '3GppSbiTargetApiRootSupported': mutated(fc.boolean()),
      plmnIdList: mutated(fc.array(plmnId(mcc, mnc), { minLength: 1, maxLength: 3 })),
      targetPlmnId: plmnId('001', '01'),
      intendedUsagePurpose: mutated(fc.array(partialRecord({ usagePurpose: mutated(fc.constantFrom('ROAMING', 'OTHER')), additionalInfo: mutated(fc.string()) }, ['usagePurpose']), { maxLength: 3 })),
      supportedFeatures: mutated(hexString(8)),
      senderN32fFqdn: fqdnLike(sender),
      senderN32fPortList: mutated(fc.array(fc.integer({ min: -1, max: 70_000 }), { maxLength: 3 })),
    },
    ['sender', 'supportedSecCapabilityList'],
  );
  return schemaBiased(valid, loose);
}

/** SecParamExchReqData from `sender`; `policy` is the valid protection policy. */
export function secParamExchReq(sender: string, policy: Record<string, unknown>, contextIds: () => readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const suites = fc.subarray(['A256GCM', 'A128GCM', 'A192GCM'], { minLength: 1 });
  const valid = fc
    .record({
      n32fContextId: fc.oneof(hexString(16), fc.nat().map((n) => contextIds()[n % Math.max(1, contextIds().length)] ?? 'abcdefabcdef0123')),
      step: fc.constantFrom('suites', 'policy', 'both'),
      jweCipherSuiteList: suites,
      secProfiles: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
      sender: fc.option(fc.constant(sender), { nil: undefined }),
    })
    .map(({ step, jweCipherSuiteList, secProfiles, sender: s, n32fContextId }) => {
      const body: Record<string, unknown> = { n32fContextId };
      if (step !== 'policy') Object.assign(body, { jweCipherSuiteList, jwsCipherSuiteList: ['ES256'] });
      if (step !== 'suites') body['protectionPolicyInfo'] = policy;
      if (secProfiles) body['secProfiles'] = secProfiles;
      if (s) body['sender'] = s;
      return body;
    });
  const loose = partialRecord(
    {
      n32fContextId: contextId(contextIds),
      jweCipherSuiteList: mutated(fc.array(fc.oneof(fc.constantFrom('A128GCM', 'A256GCM', 'dir', 'none'), weirdString), { maxLength: 4 })),
      jwsCipherSuiteList: mutated(fc.array(fc.constantFrom('ES256', 'RS256', 'none', 'HS256'), { maxLength: 3 })),
      protectionPolicyInfo: fc.oneof(mutatedJson(policy), anyJson),
      secProfiles: mutated(fc.array(fc.string({ maxLength: 8 }), { maxLength: 300 })),
      ipxProviderSecInfoList: mutated(fc.array(partialRecord({ ipxProviderId: fqdnLike('ipx.example.org'), rawPublicKeyList: mutated(fc.array(fc.base64String())), certificateList: mutated(fc.array(fc.string())) }, ['ipxProviderId']), { maxLength: 2 })),
      sender: fqdnLike(sender),
    },
    ['n32fContextId'],
  );
  return schemaBiased(valid, loose);
}

/** N32fContextInfo (n32f-terminate). */
export function n32fContextInfo(contextIds: () => readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  return schemaBiased(fc.record({ n32fContextId: contextId(contextIds) }), partialRecord({ n32fContextId: mutated(contextId(contextIds)) }, ['n32fContextId']));
}

/** N32fErrorInfo (n32f-error). */
export function n32fErrorInfo(contextIds: () => readonly string[]): fc.Arbitrary<Record<string, unknown>> {
  const types = fc.constantFrom(...Object.values(N32fErrorType));
  const valid = fc.record(
    {
      n32fMessageId: hexString(16),
      n32fErrorType: types,
      n32fContextId: contextId(contextIds),
      failedModificationList: fc.array(fc.record({ ipxId: fc.constant('ipx.example.org'), n32fErrorType: types }), { minLength: 1, maxLength: 2 }),
      errorDetailsList: fc.array(fc.record({ attribute: fc.string({ maxLength: 20 }), msgReconstructFailReason: fc.constantFrom('INVALID_JSON_POINTER', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', 'INVALID_HTTP_HEADER') }), { minLength: 1, maxLength: 2 }),
      policyMismatchList: fc.array(fc.record({ param: fc.constantFrom('/apiIeMappingList', '/dataTypeEncPolicy'), reason: fc.string({ maxLength: 20 }) }), { minLength: 1, maxLength: 2 }),
      riErrorInformation: fc.record({ n32fConnectionRelInd: fc.constantFrom('RELEASE_REESTABLISHMENT_ALLOWED', 'REESTABLISH') }),
    },
    { requiredKeys: ['n32fMessageId', 'n32fErrorType'] },
  ) as fc.Arbitrary<Record<string, unknown>>;
  const loose = partialRecord(
    {
      n32fMessageId: mutated(fc.oneof(hexString(16), fc.string())),
      n32fErrorType: mutated(fc.oneof(types, weirdString)),
      n32fContextId: mutated(contextId(contextIds)),
      failedModificationList: mutated(fc.array(partialRecord({ ipxId: fqdnLike('ipx.example.org'), n32fErrorType: mutated(types) }, ['ipxId', 'n32fErrorType']), { maxLength: 3 })),
      errorDetailsList: mutated(fc.array(partialRecord({ attribute: mutated(fc.string()), msgReconstructFailReason: mutated(fc.constantFrom('INVALID_JSON_POINTER', 'X')) }, ['attribute', 'msgReconstructFailReason']), { maxLength: 3 })),
      policyMismatchList: mutated(fc.array(partialRecord({ param: mutated(fc.string()), reason: mutated(fc.string()) }, ['param']), { maxLength: 3 })),
      riErrorInformation: mutated(partialRecord({ n32fConnectionRelInd: mutated(fc.constantFrom('RELEASE_REESTABLISHMENT_ALLOWED', 'REESTABLISH')), n32fContextRelInd: mutated(fc.string()), alternativeRi: fqdnLike('ri.example.org') })),
    },
    ['n32fMessageId', 'n32fErrorType'],
  );
  return schemaBiased(valid, loose);
}

/**
 * A JSON value with one or a few changes at random places: a member replaced by something of
 * another type, removed, or a new member added.
 */
export function mutatedJson(value: unknown): fc.Arbitrary<unknown> {
  return fc.array(fc.tuple(fc.nat(), fc.nat(3), mutated(anyJson)), { minLength: 1, maxLength: 3 }).map((edits) => {
    const copy = JSON.parse(JSON.stringify(value)) as unknown;
    for (const [where, op, replacement] of edits) applyEdit(copy, where, op, replacement);
    return copy;
  });
}

function applyEdit(root: unknown, where: number, op: number, replacement: unknown): void {
  // Collect the containers, pick one, then one of its members.
  const containers: (Record<string, unknown> | unknown[])[] = [];
  const walk = (node: unknown): void => {
    if (node && typeof node === 'object') {
      containers.push(node as Record<string, unknown>);
      for (const child of Object.values(node)) walk(child);
    }
  };
  walk(root);
  if (containers.length === 0) return;
  const container = containers[where % containers.length]!;
  const keys = Object.keys(container);
  const key = keys.length ? keys[(where >> 3) % keys.length]! : '0';
  if (op === 0 && !Array.isArray(container)) delete container[key];
  else if (op === 1 && Array.isArray(container)) container.splice(Number(key), 1);
  else if (op === 2) (container as Record<string, unknown>)[`x${where % 7}`] = replacement;
  else (container as Record<string, unknown>)[key] = replacement;
}

// --- N32-f and NF-facing requests -------------------------------------------------------------------

/** Producer paths answered with a 5xx or a delay on purpose (infra/src/nf/producer.ts): never generated. */
export const PRODUCER_SPECIAL = /\/(status\/5\d\d|slow\/\d+|bytes\/\d+)$/;

/** A path an NF might use: API-like or random, with or without a query; never one the producer answers with a 5xx on purpose. */
export const nfPath: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('/nudm-sdm/v2/imsi-001010000000001/am-data', '/nudm-uecm/v1/imsi-001010000000001/registrations', '/nausf-auth/v1/ue-authentications', '/namf-comm/v1/ue-contexts/x', '/status/404', '/status/200', '/status/418') },
      { weight: 3, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
      { weight: 1, arbitrary: fc.array(fc.webSegment(), { minLength: 1, maxLength: 6 }).map((s) => `/${s.join('/')}`) },
      { weight: 1, arbitrary: fc.constantFrom('/', '//', '/..', '/%2e%2e/admin', '/n32f-forward/v1/other', '/n32c-handshake/v1/unknown', '/nsepp-telescopic/v1/other', '/metrics', '/admin/peers') },
    ),
    fc.option(fc.webQueryParameters(), { freq: 3 }),
  )
  .map(([path, query]) => (path === '' ? '/' : path) + (query !== null ? `?${query}` : ''))
  .filter((path) => !PRODUCER_SPECIAL.test(path.split('?')[0]!));

/** NF bodies: none, JSON, bytes, occasionally large. */
export const nfBody: fc.Arbitrary<{ body?: Buffer; contentType?: string }> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: anyJson.map((v) => ({ body: Buffer.from(JSON.stringify(v)), contentType: 'application/json' })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_048 }).map((b) => ({ body: Buffer.from(b), contentType: 'application/octet-stream' })) },
  { weight: 1, arbitrary: fc.tuple(fc.uint8Array({ maxLength: 64 }), jsonContentType).map(([b, contentType]) => ({ body: Buffer.from(b), contentType })) },
  { weight: 1, arbitrary: fc.integer({ min: 16_000, max: 200_000 }).map((n) => ({ body: Buffer.alloc(n, 0x61), contentType: 'text/plain' })) },
);

/** The PRINS HttpRequestMessage an NF request becomes, for the sealed n32f-process cases. */
export function httpRequestMessage(authority: string): fc.Arbitrary<HttpRequestMessage> {
  return fc
    .record({
      method: methods('GET'),
      scheme: fc.constantFrom('http', 'http', 'https'),
      authority: fc.oneof({ weight: 6, arbitrary: fc.constant(authority) }, { weight: 1, arbitrary: fc.domain() }, { weight: 1, arbitrary: fc.constant('udm9.5gc.mnc001.mcc001.3gppnetwork.org:80') }),
      path: nfPath.map((p) => p.split('?')[0]!),
      query: fc.option(fc.webQueryParameters(), { freq: 2, nil: undefined }),
      headers: headerSet.map((h) => Object.entries(h).filter(([name]) => name !== '3gpp-sbi-target-apiroot')),
      body: nfBody,
    })
    .map(({ body, ...rest }) => ({
      ...rest,
      headers: body.contentType ? [...rest.headers, ['content-type', body.contentType] as const] : rest.headers,
      ...(body.body ? { body: body.body } : {}),
    }));
}
