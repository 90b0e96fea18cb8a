import { randomBytes } from 'node:crypto';
import { validateBody } from '../../validation/validate-body';
import type { ApiIeMappingData, DataToIntegrityProtectBlockData } from '../messages/bodies';
import { DataToIntegrityProtectAndCipherBlock, DataToIntegrityProtectBlock } from '../messages/n32f-forward';
import { PrinsError } from '../n32f-error';
import { headerValue, type HeaderField, type HttpRequestMessage, type HttpResponseMessage, type RequestContext } from './http-message';
import { defaultProtectionPolicy, protectionPolicy, type PrinsProtectionPolicy } from './protection-policy';
import { rebuildRequest, rebuildResponse } from './rebuild';
import { ReformatError, reformatRequest, reformatResponse, type N32fMessageMeta } from './reformat';

const meta: N32fMessageMeta = { n32fContextId: 'ABCDEF0123456789', messageId: '00000000000000a1', authorizedIpxId: 'NULL' };
const SUPI = 'imsi-001010000000001';
const SUCI = 'suci-0-001-01-0000-0-0-0123456789';
const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYxIn0.c2lnbmF0dXJlLXZhbHVl';
const AUTHORITY = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const jsonHeaders = (body: Buffer, type = 'application/json'): HeaderField[] => [
  ['content-type', type],
  ['content-length', String(body.length)],
];

const defaults = defaultProtectionPolicy();
/** Extra mappings for what the demo APIs do not exercise: an encrypted query, nested values. */
const extra: ApiIeMappingData[] = [
  { apiSignature: '/ngmlc-loc/v1/provide-location', apiMethod: 'GET', IeList: [{ ieLoc: 'URI_PARAM', ieType: 'UEID', reqIe: 'supi' }] },
  {
    apiSignature: '/namf-loc/v1/{ueContextId}/provide-loc-info',
    apiMethod: 'POST',
    IeList: [
      { ieLoc: 'URI_PATH', ieType: 'UEID', reqIe: '{ueContextId}' },
      { ieLoc: 'BODY', ieType: 'LOCATION', rspIe: '/ueLocation/nrLocation' },
      { ieLoc: 'BODY', ieType: 'LOCATION', rspIe: '/ueLocation/nrLocation/ncgi' },
      { ieLoc: 'BODY', ieType: 'KEY_MATERIAL', rspIe: '/keys/1/value' },
      { ieLoc: 'BODY', ieType: 'KEY_MATERIAL', rspIe: '/absent/member' },
      { ieLoc: 'BODY', ieType: 'LOCATION', reqIe: '/list/0/cell' },
      { ieLoc: 'HEADER', ieType: 'LOCATION', reqIe: 'x-cell-id' },
    ],
  },
];
const policy: PrinsProtectionPolicy = protectionPolicy({ apiIeMappingList: [...defaults.apiIeMappingList, ...extra] });

function request(partial: Partial<HttpRequestMessage> & Pick<HttpRequestMessage, 'method' | 'path'>): HttpRequestMessage {
  return { scheme: 'https', authority: AUTHORITY, headers: [], ...partial };
}

/** What the receiver sees: both blocks went through JSON (the JWE carries them as JSON text). */
function overTheWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Strings that must not be in the AAD in clear (searched in its serialized JSON, as is and JSON-escaped). */
function expectAbsent(aad: DataToIntegrityProtectBlockData, secrets: readonly string[]): void {
  const text = JSON.stringify(aad);
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
  }
}

type BodyIdentity = 'bytes' | 'json';

interface RequestCase {
  name: string;
  message: HttpRequestMessage;
  /** `bytes`: the rebuilt body is byte-identical; `json`: semantically identical JSON. */
  identity?: BodyIdentity;
  encrypted: string[];
  secrets?: string[];
}

const ausfBody = json({ supiOrSuci: SUCI, servingNetworkName: '5G:mnc001.mcc001.3gppnetwork.org', resynchronizationInfo: { rand: 'a1'.repeat(16), auts: 'b2'.repeat(14) } });
const uecmBody = json({ amfInstanceId: 'a1', supi: SUPI, deregCallbackUri: `https://amf1.example.org/namf-callback/v1/${SUPI}/dereg-notify`, guami: { plmnId: { mcc: '001', mnc: '01' }, amfId: 'cafe00' } });
const nestedBody = json({ list: [{ cell: { nrCellId: '000000010', tac: 'abc' } }, { other: 1 }], plain: true, nested: { deeper: [1, 2, { x: null }] } });
const binary = randomBytes(4096);
const text = Buffer.from('hello, N32\r\n', 'utf8');
const multipart = Buffer.from('--b1\r\nContent-Type: application/json\r\n\r\n{"a":1}\r\n--b1\r\nContent-Type: application/vnd.3gpp.5gnas\r\n\r\n\x7e\x00\x41\r\n--b1--\r\n', 'latin1');
const pretty = Buffer.from('{\n  "nfInstanceId": "n1",\n  "ratio": 1.0,\n  "10": "ten",\n  "2": "two",\n  "name": "\\u0041MF"\n}', 'utf8');
const protoBody = Buffer.from('{"__proto__":{"polluted":true},"constructor":"c","a":1}', 'utf8');

const requestCases: RequestCase[] = [
  {
    name: 'GET am-data: SUPI path, JSON query, authorization header',
    message: request({
      method: 'GET',
      path: `/nudm-sdm/v2/${SUPI}/am-data`,
      query: 'plmn-id=%7B%22mcc%22%3A%22001%22%2C%22mnc%22%3A%2201%22%7D&supported-features=1',
      headers: [
        ['accept', 'application/json'],
        ['authorization', TOKEN],
        ['user-agent', 'AMF-amf1'],
      ],
    }),
    encrypted: ['header authorization', 'path'],
    secrets: [SUPI, TOKEN],
  },
  {
    name: 'repeated headers, a bare "?" (empty query), nothing mapped',
    message: request({
      method: 'GET',
      path: '/nnrf-disc/v1/nf-instances',
      query: '',
      headers: [
        ['accept', 'application/json'],
        ['via', '2.0 scp1'],
        ['x-extra', 'one'],
        ['via', '2.0 scp2'],
        ['x-extra', 'two'],
        ['cache-control', ''],
      ],
    }),
    encrypted: [],
  },
  {
    name: 'POST ue-authentications: JSON body, supiOrSuci and nested resynchronizationInfo',
    message: request({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', headers: jsonHeaders(ausfBody), body: ausfBody, contentType: 'application/json' }),
    identity: 'bytes',
    encrypted: ['/supiOrSuci', '/resynchronizationInfo'],
    secrets: [SUCI, 'a1'.repeat(16), 'b2'.repeat(14)],
  },
  {
    name: 'PUT uecm registration: path, body supi and a callback URI holding the SUPI; query',
    message: request({
      method: 'PUT',
      path: `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`,
      query: 'supported-features=1',
      headers: [...jsonHeaders(uecmBody), ['authorization', TOKEN]],
      body: uecmBody,
    }),
    identity: 'bytes',
    encrypted: ['header authorization', 'path', '/supi', '/deregCallbackUri'],
    secrets: [SUPI, TOKEN],
  },
  {
    name: 'encrypted query (URI_PARAM)',
    message: request({ method: 'GET', path: '/ngmlc-loc/v1/provide-location', query: `supi=${SUPI}&accuracy=10` }),
    encrypted: ['query'],
    secrets: [SUPI],
  },
  {
    name: 'encrypted path segment named with braces, nested JSON value inside an array, encrypted header',
    message: request({
      method: 'POST',
      path: '/namf-loc/v1/5g-guti-00101cafe000000001/provide-loc-info',
      headers: [['x-cell-id', 'cell-4711-secret'], ...jsonHeaders(nestedBody, 'application/merge-patch+json')],
      body: nestedBody,
    }),
    identity: 'bytes',
    encrypted: ['header x-cell-id', 'path', '/list/0/cell'],
    secrets: ['cell-4711-secret', '5g-guti-00101cafe000000001', '000000010'],
  },
  {
    name: 'binary body (application/octet-stream)',
    message: request({ method: 'POST', path: '/nudm-sdm/v2/bytes/4096', headers: [['content-type', 'application/octet-stream']], body: binary }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'text/plain body',
    message: request({ method: 'POST', path: '/x/text', headers: [['content-type', 'text/plain; charset=utf-8']], body: text }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'multipart/related body (one MULTIPART_BINARY entry)',
    message: request({ method: 'POST', path: '/x/n1', headers: [['content-type', 'multipart/related; boundary=b1']], body: multipart }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'binary body on an operation whose mapping has body IEs: encrypted whole',
    message: request({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', headers: [['content-type', 'application/octet-stream']], body: binary }),
    identity: 'bytes',
    encrypted: ['body'],
    secrets: [binary.toString('base64')],
  },
  {
    name: 'JSON content type but invalid JSON: carried as binary',
    message: request({ method: 'POST', path: '/x/bad-json', headers: [['content-type', 'application/json']], body: Buffer.from('{"a":', 'utf8') }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'JSON with an integer beyond 2^53: carried as binary, not rounded',
    message: request({ method: 'POST', path: '/x/big', headers: [['content-type', 'application/json']], body: Buffer.from('{"n":12345678901234567890}', 'utf8') }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'JSON array body (json-patch): one whole-body entry',
    message: request({ method: 'PATCH', path: '/x/patch', headers: [['content-type', 'application/json-patch+json']], body: json([{ op: 'replace', path: '/a', value: 1 }]) }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'empty JSON object body',
    message: request({ method: 'PUT', path: '/x/empty-object', headers: [['content-type', 'application/json']], body: json({}) }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'JSON scalar body',
    message: request({ method: 'PUT', path: '/x/scalar', headers: [['content-type', 'application/json']], body: json('just a string') }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'members named __proto__ and constructor stay members',
    message: request({ method: 'POST', path: '/x/proto', headers: [['content-type', 'application/problem+json']], body: protoBody }),
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: 'pretty-printed JSON: semantically identical, content-length recomputed',
    message: request({ method: 'POST', path: '/x/pretty', headers: jsonHeaders(pretty), body: pretty }),
    identity: 'json',
    encrypted: [],
  },
  {
    name: 'no body',
    message: request({ method: 'DELETE', path: `/nudm-sdm/v2/${SUPI}/sdm-subscriptions/sub-1`, query: 'cause=x' }),
    encrypted: ['path'],
    secrets: [SUPI],
  },
];

function expectSameHeaders(rebuilt: readonly HeaderField[], original: readonly HeaderField[], body: Buffer | undefined): void {
  const expected = original.map(([name, value]): HeaderField => [name, name === 'content-length' ? String(body?.length ?? 0) : value]);
  expect(rebuilt.map(([n, v]) => [n, v])).toEqual(expected.map(([n, v]) => [n, v]));
}

function expectSameBody(rebuilt: Buffer | undefined, original: Buffer | undefined, identity: BodyIdentity | undefined): void {
  if (!original || original.length === 0) {
    expect(rebuilt).toBeUndefined();
    return;
  }
  expect(rebuilt).toBeDefined();
  if (identity === 'json') {
    expect(JSON.parse(rebuilt!.toString('utf8'))).toEqual(JSON.parse(original.toString('utf8')));
    expect(rebuilt!.equals(original)).toBe(false);
  } else {
    expect(rebuilt!.equals(original)).toBe(true);
  }
}

describe('reformatRequest -> rebuildRequest is the identity', () => {
  it.each(requestCases.map((c) => [c.name, c] as const))('%s', (_name, { message, identity, encrypted, secrets }) => {
    const result = reformatRequest(message, meta, policy);
    expect(result.encrypted).toEqual(encrypted);
    expect(result.dataToEncrypt).toHaveLength(encrypted.length);
    expectAbsent(result.aad, secrets ?? []);
    // The AAD and the plaintext are valid TS 29.573 documents.
    expect(validateBody(DataToIntegrityProtectBlock, overTheWire(result.aad)).ok).toBe(true);
    if (result.dataToEncrypt.length) expect(validateBody(DataToIntegrityProtectAndCipherBlock, overTheWire({ dataToEncrypt: result.dataToEncrypt })).ok).toBe(true);

    const rebuilt = rebuildRequest(overTheWire(result.aad), overTheWire(result.dataToEncrypt));
    expect(rebuilt.method).toBe(message.method);
    expect(rebuilt.scheme).toBe(message.scheme);
    expect(rebuilt.authority).toBe(message.authority);
    expect(rebuilt.path).toBe(message.path);
    expect(rebuilt.query).toBe(message.query);
    expectSameBody(rebuilt.body, message.body, identity);
    expectSameHeaders(rebuilt.headers, message.headers, rebuilt.body);
    expect(rebuilt.contentType).toBe(headerValue(message.headers, 'content-type'));
  });

  it('an empty body buffer is rebuilt as no body', () => {
    const result = reformatRequest(request({ method: 'POST', path: '/x', headers: [['content-length', '0']], body: Buffer.alloc(0) }), meta, policy);
    expect(result.aad.payload).toBeUndefined();
    const rebuilt = rebuildRequest(overTheWire(result.aad), []);
    expect(rebuilt.body).toBeUndefined();
    expect(rebuilt.headers).toEqual([['content-length', '0']]);
  });

  it('keeps own __proto__ members as data and pollutes nothing', () => {
    const result = reformatRequest(request({ method: 'POST', path: '/x/proto', headers: [['content-type', 'application/json']], body: protoBody }), meta, policy);
    expect(result.aad.payload?.map((p) => p.iePath)).toEqual(['/__proto__', '/constructor', '/a']);
    const rebuilt = rebuildRequest(JSON.parse(JSON.stringify(result.aad)) as DataToIntegrityProtectBlockData, []);
    expect(rebuilt.body?.toString()).toBe(protoBody.toString());
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('the AAD of a request (N32-DIGEST §5.3)', () => {
  it('request line, metaData, one header entry each, placeholders; the SUPI segment of the path encrypted in place (pathQueryProtectInd)', () => {
    const { aad, dataToEncrypt } = reformatRequest(requestCases[0]!.message, meta, policy);
    expect(aad).toEqual({
      metaData: { n32fContextId: 'ABCDEF0123456789', messageId: '00000000000000a1', authorizedIpxId: 'NULL' },
      requestLine: {
        method: 'GET',
        scheme: 'https',
        authority: AUTHORITY,
        path: '/nudm-sdm/v2/{"encBlockIndex":1}/am-data',
        protocolVersion: 'HTTP/2',
        queryFragment: 'plmn-id=%7B%22mcc%22%3A%22001%22%2C%22mnc%22%3A%2201%22%7D&supported-features=1',
        pathQueryProtectInd: ['URI_PATH'],
      },
      headers: [
        { header: 'accept', value: 'application/json' },
        { header: 'authorization', value: { encBlockIndex: 0 } },
        { header: 'user-agent', value: 'AMF-amf1' },
      ],
    });
    expect(dataToEncrypt).toEqual([TOKEN, SUPI]);
  });

  it('payload: one BODY entry per top-level member; nested encrypted values replaced in place', () => {
    const { aad, dataToEncrypt } = reformatRequest(requestCases[2]!.message, meta, policy);
    expect(aad.payload).toEqual([
      { iePath: '/supiOrSuci', ieValueLocation: 'BODY', value: { encBlockIndex: 0 } },
      { iePath: '/servingNetworkName', ieValueLocation: 'BODY', value: '5G:mnc001.mcc001.3gppnetwork.org' },
      { iePath: '/resynchronizationInfo', ieValueLocation: 'BODY', value: { encBlockIndex: 1 } },
    ]);
    expect(dataToEncrypt).toEqual([SUCI, { rand: 'a1'.repeat(16), auts: 'b2'.repeat(14) }]);

    const nested = reformatRequest(requestCases[5]!.message, meta, policy);
    expect(nested.aad.payload?.[0]).toEqual({ iePath: '/list', ieValueLocation: 'BODY', value: [{ cell: { encBlockIndex: 2 } }, { other: 1 }] });
  });

  it('index order: headers, then path, then query, then payload', () => {
    const everything: PrinsProtectionPolicy = protectionPolicy({
      apiIeMappingList: [
        {
          apiSignature: '/x/{id}',
          apiMethod: 'POST',
          IeList: [
            { ieLoc: 'BODY', ieType: 'UEID', reqIe: '/supi' },
            { ieLoc: 'URI_PARAM', ieType: 'UEID', reqIe: 'gpsi' },
            { ieLoc: 'URI_PATH', ieType: 'UEID', reqIe: 'id' },
            { ieLoc: 'HEADER', ieType: 'AUTHORIZATION_TOKEN', reqIe: 'Authorization' },
          ],
        },
      ],
    });
    const body = json({ supi: SUPI });
    const result = reformatRequest(
      request({ method: 'POST', path: '/x/id-1234567', query: 'gpsi=msisdn-123456789', headers: [['authorization', TOKEN], ['content-type', 'application/json']], body }),
      meta,
      everything,
    );
    expect(result.encrypted).toEqual(['header authorization', 'path', 'query', '/supi']);
    expect(result.dataToEncrypt).toEqual([TOKEN, 'id-1234567', 'msisdn-123456789', SUPI]);
    expect(result.aad.requestLine).toMatchObject({ path: '/x/{"encBlockIndex":1}', queryFragment: 'gpsi={"encBlockIndex":2}', pathQueryProtectInd: ['URI_PATH', 'URI_PARAM'] });
  });

  it('an encrypted value that contains another one is encrypted once, whole', () => {
    const body = json({ ueLocation: { nrLocation: { ncgi: { nrCellId: '000000010' }, tai: { tac: '000001' } } }, keys: [{ value: 'k0' }, { value: 'key-material-1' }] });
    const result = reformatResponse({ status: 200, headers: [['content-type', 'application/json']], body }, meta, policy, {
      method: 'POST',
      path: '/namf-loc/v1/imsi-1/provide-loc-info',
    });
    expect(result.encrypted).toEqual(['/ueLocation/nrLocation', '/keys/1/value']);
    expect(result.aad.payload).toEqual([
      { iePath: '/ueLocation', ieValueLocation: 'BODY', value: { nrLocation: { encBlockIndex: 0 } } },
      { iePath: '/keys', ieValueLocation: 'BODY', value: [{ value: 'k0' }, { value: { encBlockIndex: 1 } }] },
    ]);
  });

  it('MULTIPART_BINARY: one entry, base64 of the body, content type kept in the headers', () => {
    const { aad } = reformatRequest(requestCases[8]!.message, meta, policy);
    expect(aad.payload).toEqual([{ iePath: '', ieValueLocation: 'MULTIPART_BINARY', value: multipart.toString('base64') }]);
    expect(aad.headers).toEqual([{ header: 'content-type', value: 'multipart/related; boundary=b1' }]);
  });
});

interface ResponseCase {
  name: string;
  message: HttpResponseMessage;
  request: RequestContext;
  identity?: BodyIdentity;
  encrypted: string[];
  secrets?: string[];
}

const authCtx = json({ authType: '5G_AKA', '5gAuthData': { rand: 'c3'.repeat(16), hxresStar: 'd4'.repeat(16), autn: 'e5'.repeat(16) }, _links: { '5g-aka': { href: 'https://ausf1/nausf-auth/v1/ue-authentications/ctx-1/5g-aka-confirmation' } } });
const confirmation = json({ authResult: 'AUTHENTICATION_SUCCESS', supi: SUPI, kseaf: 'f6'.repeat(32) });
const subscription = json({ nfInstanceId: 'n1', callbackReference: `https://amf1/namf-callback/v1/${SUPI}/sdmsubscription-notify`, monitoredResourceUris: [`/nudm-sdm/v2/${SUPI}/am-data`], subscriptionId: 's1' });
const problem = json({ status: 404, cause: 'USER_NOT_FOUND' });

const responseCases: ResponseCase[] = [
  {
    name: '200 am-data, nothing to encrypt',
    message: { status: 200, headers: jsonHeaders(json({ gpsis: ['msisdn-1'] })), body: json({ gpsis: ['msisdn-1'] }) },
    request: { method: 'GET', path: `/nudm-sdm/v2/${SUPI}/am-data` },
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: '201 ue-authentications: 5gAuthData (AUTHENTICATION_MATERIAL) encrypted, location in clear',
    message: { status: 201, headers: [['location', 'https://ausf1/nausf-auth/v1/ue-authentications/ctx-1'], ...jsonHeaders(authCtx, 'application/3gppHal+json')], body: authCtx },
    request: { method: 'POST', path: '/nausf-auth/v1/ue-authentications' },
    identity: 'bytes',
    encrypted: ['/5gAuthData'],
    secrets: ['c3'.repeat(16), 'd4'.repeat(16), 'e5'.repeat(16)],
  },
  {
    name: '200 5g-aka-confirmation: supi (UEID) and kseaf (KEY_MATERIAL) encrypted',
    message: { status: 200, headers: [['content-type', 'application/json']], body: confirmation },
    request: { method: 'PUT', path: '/nausf-auth/v1/ue-authentications/ctx-1/5g-aka-confirmation' },
    identity: 'bytes',
    encrypted: ['/supi', '/kseaf'],
    secrets: [SUPI, 'f6'.repeat(32)],
  },
  {
    name: '201 sdm-subscriptions: location header and body URIs holding the SUPI encrypted',
    message: { status: 201, headers: [['location', `https://udm1/nudm-sdm/v2/${SUPI}/sdm-subscriptions/s1`], ['content-type', 'application/json']], body: subscription },
    request: { method: 'POST', path: `/nudm-sdm/v2/${SUPI}/sdm-subscriptions` },
    identity: 'bytes',
    encrypted: ['header location', '/callbackReference', '/monitoredResourceUris'],
    secrets: [SUPI],
  },
  {
    name: '204 without body',
    message: { status: 204, headers: [['date', 'Mon, 01 Jan 2024 00:00:00 GMT']] },
    request: { method: 'DELETE', path: `/nudm-sdm/v2/${SUPI}/sdm-subscriptions/s1` },
    encrypted: [],
  },
  {
    name: '404 problem+json',
    message: { status: 404, headers: jsonHeaders(problem, 'application/problem+json'), body: problem },
    request: { method: 'GET', path: '/nudm-sdm/v2/imsi-9/am-data' },
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: '200 binary, repeated headers',
    message: { status: 200, headers: [['content-type', 'application/octet-stream'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']], body: binary },
    request: { method: 'GET', path: '/x/bytes' },
    identity: 'bytes',
    encrypted: [],
  },
  {
    name: '503 with no headers at all',
    message: { status: 503, headers: [] },
    request: { method: 'GET', path: '/x' },
    encrypted: [],
  },
];

describe('reformatResponse -> rebuildResponse is the identity', () => {
  it.each(responseCases.map((c) => [c.name, c] as const))('%s', (_name, { message, request: context, identity, encrypted, secrets }) => {
    const result = reformatResponse(message, meta, policy, context);
    expect(result.aad.statusLine).toBe(String(message.status));
    expect(result.aad.requestLine).toBeUndefined();
    expect(result.encrypted).toEqual(encrypted);
    expectAbsent(result.aad, secrets ?? []);
    expect(validateBody(DataToIntegrityProtectBlock, overTheWire(result.aad)).ok).toBe(true);

    const rebuilt = rebuildResponse(overTheWire(result.aad), overTheWire(result.dataToEncrypt));
    expect(rebuilt.status).toBe(message.status);
    expectSameBody(rebuilt.body, message.body, identity);
    expectSameHeaders(rebuilt.headers, message.headers, rebuilt.body);
  });

  it.each([
    ['200', 200],
    ['HTTP/2 200', 200],
    ['HTTP/2 404 Not Found', 404],
    ['HTTP/1.1 503 Service Unavailable', 503],
  ])('accepts statusLine %j', (statusLine, status) => {
    expect(rebuildResponse({ metaData: meta, statusLine }, []).status).toBe(status);
  });
});

describe('self-check: an encrypted value never also goes in clear (33.501 13.2.4.1)', () => {
  function refusal(run: () => unknown): ReformatError {
    try {
      run();
    } catch (error) {
      if (error instanceof ReformatError) return error;
      throw error;
    }
    throw new Error('no ReformatError');
  }

  it('body supi encrypted while the path with the same SUPI is not: refused, the SUPI not in the error', () => {
    const bodyOnly = protectionPolicy({ apiIeMappingList: [{ apiSignature: '/nudm-uecm/v1/{ueId}/registrations/amf-3gpp-access', apiMethod: 'PUT', IeList: [{ ieLoc: 'BODY', ieType: 'UEID', reqIe: '/supi' }] }] });
    const error = refusal(() => reformatRequest(requestCases[3]!.message, meta, bodyOnly));
    expect(error.reason).toBe('ENCRYPTED_IE_IN_CLEAR');
    expect(error.detail).toBe('/supi is encrypted but also appears in clear at /requestLine/path');
    expect(error.message).not.toContain(SUPI);
  });

  it('the encrypted path SUPI in a clear header', () => {
    const message = request({ method: 'GET', path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: [['3gpp-sbi-discovery-supi', SUPI]] });
    expect(refusal(() => reformatRequest(message, meta, policy)).detail).toBe('path is encrypted but also appears in clear at /headers/0/value');
  });

  it('the encrypted path SUPI inside a clear JSON member name', () => {
    const body = json({ [SUPI]: { x: 1 } });
    const message = request({ method: 'GET', path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: [['content-type', 'application/json']], body });
    const error = refusal(() => reformatRequest(message, meta, policy));
    expect(error.detail).toMatch(/^path is encrypted but also appears in clear at \/payload\/0\/iePath$/);
  });

  it('the encrypted path SUPI inside a clear binary body', () => {
    const message = request({ method: 'DELETE', path: `/nudm-sdm/v2/${SUPI}/sdm-subscriptions/s1`, headers: [['content-type', 'text/plain']], body: Buffer.from(`ue ${SUPI} gone`) });
    expect(refusal(() => reformatRequest(message, meta, policy)).detail).toBe('path is encrypted but also appears in clear in the body at /payload/0/value');
  });

  it('the authorization token echoed in a clear body member', () => {
    const body = json({ note: `token was ${TOKEN}` });
    const message = request({ method: 'POST', path: '/x', headers: [['authorization', TOKEN], ['content-type', 'application/json']], body });
    expect(refusal(() => reformatRequest(message, meta, policy)).detail).toBe('header authorization is encrypted but also appears in clear at /payload/0/value');
  });

  it('short leaves of an encrypted object (an MCC, a TAC) may repeat in clear', () => {
    const body = json({ ueLocation: { nrLocation: { tai: { plmnId: { mcc: '001', mnc: '01' }, tac: '000001' } } }, servingPlmn: { mcc: '001', mnc: '01' }, tac: '000001' });
    const result = reformatResponse({ status: 200, headers: [['content-type', 'application/json']], body }, meta, policy, { method: 'POST', path: '/namf-loc/v1/imsi-1/provide-loc-info' });
    expect(result.encrypted).toEqual(['/ueLocation/nrLocation']);
  });
});

describe('reformat refuses what it cannot encode faithfully', () => {
  it.each<[string, HttpRequestMessage, string]>([
    ['upper-case header name', request({ method: 'GET', path: '/x', headers: [['Accept', 'a']] }), 'INVALID_HTTP_HEADER'],
    ['pseudo-header', request({ method: 'GET', path: '/x', headers: [[':path', '/x']] }), 'INVALID_HTTP_HEADER'],
    ['connection-specific header', request({ method: 'GET', path: '/x', headers: [['transfer-encoding', 'chunked']] }), 'INVALID_HTTP_HEADER'],
    ['3gpp-sbi-target-apiroot left in', request({ method: 'GET', path: '/x', headers: [['3gpp-sbi-target-apiroot', 'https://udm1']] }), 'INVALID_HTTP_HEADER'],
    ['header value with CR LF', request({ method: 'GET', path: '/x', headers: [['x-a', 'a\r\nb: c']] }), 'INVALID_HTTP_HEADER'],
    ['path with a query', request({ method: 'GET', path: '/x?y=1' }), 'INVALID_MESSAGE_LINE'],
    ['relative path', request({ method: 'GET', path: 'x' }), 'INVALID_MESSAGE_LINE'],
    ['method with a space', request({ method: 'GE T', path: '/x' }), 'INVALID_MESSAGE_LINE'],
    ['query that reads as a legacy placeholder', request({ method: 'GET', path: '/x', query: 'encBlockIndex/0' }), 'AMBIGUOUS_PLACEHOLDER'],
    ['query with a percent-encoded placeholder', request({ method: 'GET', path: '/x', query: 'a=%7B%22encBlockIndex%22%3A0%7D' }), 'AMBIGUOUS_PLACEHOLDER'],
    ['path with a percent-encoded placeholder', request({ method: 'GET', path: '/x/%7b%22encBlockIndex%22%3a0%7d' }), 'AMBIGUOUS_PLACEHOLDER'],
    ['body with a placeholder look-alike', request({ method: 'POST', path: '/x', headers: [['content-type', 'application/json']], body: json({ a: [{ encBlockIndex: 0 }] }) }), 'AMBIGUOUS_PLACEHOLDER'],
  ])('%s', (_name, message, reason) => {
    expect(() => reformatRequest(message, meta, policy)).toThrow(expect.objectContaining({ reason }));
  });

  it('a status that is not final', () => {
    expect(() => reformatResponse({ status: 101, headers: [] }, meta, policy, { method: 'GET', path: '/x' })).toThrow(expect.objectContaining({ reason: 'INVALID_MESSAGE_LINE' }));
  });
});

describe('rebuild refuses a bad AAD or dataToEncrypt: MESSAGE_RECONSTRUCTION_FAILED', () => {
  // A request with an encrypted header (0), path (1) and body members (2: supi, 3: deregCallbackUri).
  const good = reformatRequest(requestCases[3]!.message, meta, policy);
  const aad = (): DataToIntegrityProtectBlockData => overTheWire(good.aad);
  const plain = (): unknown[] => overTheWire(good.dataToEncrypt);
  const at = (aadIn: DataToIntegrityProtectBlockData, edit: (a: Record<string, any>) => void): DataToIntegrityProtectBlockData => {
    edit(aadIn as Record<string, any>);
    return aadIn;
  };
  const authorization = good.aad.headers!.findIndex((h) => h.header === 'authorization');
  const supiEntry = good.aad.payload!.findIndex((p) => p.iePath === '/supi');

  const cases: [string, DataToIntegrityProtectBlockData, unknown[], string, string][] = [
    ['header index out of range', at(aad(), (a) => (a.headers[authorization].value = { encBlockIndex: 9 })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/headers/${authorization}/value`],
    ['header index negative', at(aad(), (a) => (a.headers[authorization].value = { encBlockIndex: -1 })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/headers/${authorization}/value`],
    ['header index fractional', at(aad(), (a) => (a.headers[authorization].value = { encBlockIndex: 0.5 })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/headers/${authorization}/value`],
    ['header index a string', at(aad(), (a) => (a.headers[authorization].value = { encBlockIndex: '0' })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/headers/${authorization}/value`],
    ['dataToEncrypt empty', aad(), [], 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/headers/${authorization}/value`],
    ['path index out of range', at(aad(), (a) => (a.requestLine.path = '/nudm-uecm/v1/{"encBlockIndex":4}/registrations/amf-3gpp-access')), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['path index with a leading zero', at(aad(), (a) => (a.requestLine.path = '/nudm-uecm/v1/{"encBlockIndex":01}/registrations/amf-3gpp-access')), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['path index names a number', aad(), plain().map((v, i) => (i === 1 ? 5 : v)), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['path index used twice', at(aad(), (a) => (a.requestLine.path = '/nudm-uecm/v1/{"encBlockIndex":1}/{"encBlockIndex":1}')), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['pathQueryProtectInd names the path, which holds no placeholder', at(aad(), (a) => (a.requestLine.path = '/nudm-uecm/v1/x/registrations/amf-3gpp-access')), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['a placeholder in a path pathQueryProtectInd does not name', at(aad(), (a) => delete a.requestLine.pathQueryProtectInd), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['pathQueryProtectInd not a list', at(aad(), (a) => (a.requestLine.pathQueryProtectInd = 'URI_PATH')), plain(), 'INVALID_HTTP_HEADER', '/requestLine/pathQueryProtectInd'],
    ['pathQueryProtectInd empty', at(aad(), (a) => (a.requestLine.pathQueryProtectInd = [])), plain(), 'INVALID_HTTP_HEADER', '/requestLine/pathQueryProtectInd'],
    ['legacy whole-path placeholder without prins.acceptLegacyUriPlaceholder', at(aad(), (a) => (a.requestLine.path = 'encBlockIndex/1')), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/path'],
    ['legacy whole-query placeholder without prins.acceptLegacyUriPlaceholder', at(aad(), (a) => (a.requestLine.queryFragment = 'encBlockIndex/1')), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/queryFragment'],
    ['query placeholder out of range', at(aad(), (a) => ((a.requestLine.queryFragment = 'x={"encBlockIndex":99}'), (a.requestLine.pathQueryProtectInd = ['URI_PATH', 'URI_PARAM']))), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', '/requestLine/queryFragment'],
    ['body index out of range', at(aad(), (a) => (a.payload[supiEntry].value = { encBlockIndex: 4 })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/payload/${supiEntry}/value`],
    ['nested body index malformed', at(aad(), (a) => (a.payload[supiEntry].value = { x: [{ encBlockIndex: null }] })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/payload/${supiEntry}/value/x/0`],
    ['index referenced twice', at(aad(), (a) => (a.payload[0].value = { encBlockIndex: 2 })), plain(), 'INVALID_INDEX_TO_ENCRYPTED_BLOCK', `/payload/${supiEntry}/value`],
    ['header entry not an object', at(aad(), (a) => (a.headers[0] = 'content-type: application/json')), plain(), 'INVALID_HTTP_HEADER', '/headers/0'],
    ['header without a name', at(aad(), (a) => delete a.headers[0].header), plain(), 'INVALID_HTTP_HEADER', '/headers/0/header'],
    ['header name upper case', at(aad(), (a) => (a.headers[0].header = 'Content-Type')), plain(), 'INVALID_HTTP_HEADER', '/headers/0/header'],
    ['pseudo-header among the headers', at(aad(), (a) => (a.headers[0].header = ':authority')), plain(), 'INVALID_HTTP_HEADER', '/headers/0/header'],
    ['connection-specific header', at(aad(), (a) => (a.headers[0].header = 'connection')), plain(), 'INVALID_HTTP_HEADER', '/headers/0/header'],
    ['target apiRoot header', at(aad(), (a) => (a.headers[0].header = '3gpp-sbi-target-apiroot')), plain(), 'INVALID_HTTP_HEADER', '/headers/0/header'],
    ['header value with CR LF', at(aad(), (a) => (a.headers[0].value = 'x\r\nevil: 1')), plain(), 'INVALID_HTTP_HEADER', '/headers/0/value'],
    ['header value a number', at(aad(), (a) => (a.headers[0].value = 7)), plain(), 'INVALID_HTTP_HEADER', '/headers/0/value'],
    ['decrypted header value not a string', aad(), plain().map((v, i) => (i === 0 ? { token: 'x' } : v)), 'INVALID_HTTP_HEADER', `/headers/${authorization}/value`],
    ['headers not an array', at(aad(), (a) => (a.headers = { accept: 'x' })), plain(), 'INVALID_HTTP_HEADER', '/headers'],
    ['no requestLine', at(aad(), (a) => delete a.requestLine), plain(), 'INVALID_HTTP_HEADER', '/requestLine'],
    ['method with a space', at(aad(), (a) => (a.requestLine.method = 'P UT')), plain(), 'INVALID_HTTP_HEADER', '/requestLine/method'],
    ['authority with a slash', at(aad(), (a) => (a.requestLine.authority = 'udm1/x')), plain(), 'INVALID_HTTP_HEADER', '/requestLine/authority'],
    ['decrypted path segment with a space', aad(), plain().map((v, i) => (i === 1 ? 'imsi 1' : v)), 'INVALID_HTTP_HEADER', '/requestLine/path'],
    ['query with a space', at(aad(), (a) => (a.requestLine.queryFragment = 'a b')), plain(), 'INVALID_HTTP_HEADER', '/requestLine/queryFragment'],
    ['iePath without a leading slash', at(aad(), (a) => (a.payload[0].iePath = 'amfInstanceId')), plain(), 'INVALID_JSON_POINTER', '/payload/0/iePath'],
    ['iePath with a bad escape', at(aad(), (a) => (a.payload[0].iePath = '/a~2b')), plain(), 'INVALID_JSON_POINTER', '/payload/0/iePath'],
    ['iePath repeated', at(aad(), (a) => (a.payload[1].iePath = a.payload[0].iePath)), plain(), 'INVALID_JSON_POINTER', '/payload/1/iePath'],
    ['iePath whose parent is missing', at(aad(), (a) => (a.payload[1].iePath = '/nothing/here')), plain(), 'INVALID_JSON_POINTER', '/payload/1/iePath'],
    ['whole-body entry next to others', at(aad(), (a) => (a.payload[1].iePath = '')), plain(), 'INVALID_JSON_POINTER', '/payload/1/iePath'],
    ['binary entry next to JSON entries', at(aad(), (a) => (a.payload[1].ieValueLocation = 'MULTIPART_BINARY')), plain(), 'INVALID_JSON_POINTER', '/payload/1/iePath'],
    ['payload entry without value', at(aad(), (a) => delete a.payload[0].value), plain(), 'INVALID_JSON_POINTER', '/payload/0'],
    ['payload not an array', at(aad(), (a) => (a.payload = {})), plain(), 'INVALID_JSON_POINTER', '/payload'],
  ];

  it.each(cases)('%s', (_name, badAad, badPlain, reason, attribute) => {
    let error: unknown;
    try {
      rebuildRequest(badAad, badPlain);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PrinsError);
    expect(error).toMatchObject({ type: 'MESSAGE_RECONSTRUCTION_FAILED', errorDetails: [{ attribute, msgReconstructFailReason: reason }] });
  });

  it('the good blocks rebuild (the table edits one thing each)', () => {
    expect(aad().requestLine).toMatchObject({ path: '/nudm-uecm/v1/{"encBlockIndex":1}/registrations/amf-3gpp-access', pathQueryProtectInd: ['URI_PATH'] });
    expect(rebuildRequest(aad(), plain()).path).toBe(`/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`);
  });

  it.each<[string, string]>([
    ['with spaces', '/nudm-uecm/v1/{ "encBlockIndex" : 1 }/registrations/amf-3gpp-access'],
    ['percent-encoded (upper case)', '/nudm-uecm/v1/%7B%22encBlockIndex%22%3A1%7D/registrations/amf-3gpp-access'],
    ['percent-encoded (lower case)', '/nudm-uecm/v1/%7b%22encBlockIndex%22%3a1%7d/registrations/amf-3gpp-access'],
  ])('reads a placeholder written another way: %s', (_name, path) => {
    expect(rebuildRequest(at(aad(), (a) => (a.requestLine.path = path)), plain()).path).toBe(`/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`);
  });

  it('reads a path encrypted whole (the field is one placeholder), a query value, and ignores IeLocations that name no request-line field', () => {
    const values = [...plain(), `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, 'msisdn-123456789'];
    const edited = at(aad(), (a) => {
      a.requestLine.path = '{"encBlockIndex":4}';
      a.requestLine.queryFragment = 'gpsi={"encBlockIndex":5}&x=1';
      a.requestLine.pathQueryProtectInd = ['URI_PATH', 'URI_PARAM', 'HEADER'];
      a.headers[authorization].value = { encBlockIndex: 0 };
    });
    // Index 1 (the segment) is no longer referenced: that is allowed, the block only forbids a second use.
    const rebuilt = rebuildRequest(edited, values);
    expect({ path: rebuilt.path, query: rebuilt.query }).toEqual({ path: `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, query: 'gpsi=msisdn-123456789&x=1' });
  });

  it('with acceptLegacyUriPlaceholder: the pre-Release-19 "encBlockIndex/<n>" path and query are read', () => {
    const values = [...plain(), `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, 'gpsi=msisdn-123456789'];
    const legacy = at(aad(), (a) => {
      a.requestLine.path = 'encBlockIndex/4';
      a.requestLine.queryFragment = 'encBlockIndex/5';
      delete a.requestLine.pathQueryProtectInd;
    });
    const rebuilt = rebuildRequest(legacy, values, { acceptLegacyUriPlaceholder: true });
    expect({ path: rebuilt.path, query: rebuilt.query }).toEqual({ path: `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, query: 'gpsi=msisdn-123456789' });
    for (const [path, detail] of [
      ['encBlockIndex/x', /malformed/],
      ['encBlockIndex/01', /malformed/],
      ['encBlockIndex/9', /out of range/],
    ] as const) {
      expect(() => rebuildRequest(at(aad(), (a) => (a.requestLine.path = path)), plain(), { acceptLegacyUriPlaceholder: true })).toThrow(
        expect.objectContaining({ type: 'MESSAGE_RECONSTRUCTION_FAILED', detail: expect.stringMatching(detail), errorDetails: [{ attribute: '/requestLine/path', msgReconstructFailReason: 'INVALID_INDEX_TO_ENCRYPTED_BLOCK' }] }),
      );
    }
  });

  it.each<[string, DataToIntegrityProtectBlockData]>([
    ['no statusLine', { metaData: meta }],
    ['statusLine not a code', { statusLine: 'OK' }],
    ['statusLine 1xx', { statusLine: '100' }],
    ['statusLine a number', { statusLine: 200 as unknown as string }],
  ])('response: %s -> INVALID_HTTP_HEADER /statusLine', (_name, badAad) => {
    expect(() => rebuildResponse(badAad, [])).toThrow(
      expect.objectContaining({ type: 'MESSAGE_RECONSTRUCTION_FAILED', errorDetails: [{ attribute: '/statusLine', msgReconstructFailReason: 'INVALID_HTTP_HEADER' }] }),
    );
  });

  it.each<[string, DataToIntegrityProtectBlockData]>([
    ['a binary value that is not base64', { statusLine: '200', payload: [{ iePath: '', ieValueLocation: 'MULTIPART_BINARY', value: 'not base64!' }] }],
    ['an ieValueLocation no body has', { statusLine: '200', payload: [{ iePath: '/a', ieValueLocation: 'HEADER', value: 1 }] }],
  ])('%s: MESSAGE_RECONSTRUCTION_FAILED without a FailureReason that fits', (_name, badAad) => {
    expect(() => rebuildResponse(badAad, [])).toThrow(expect.objectContaining({ type: 'MESSAGE_RECONSTRUCTION_FAILED', errorDetails: [] }));
  });
});
