import type { OutgoingHttpHeaders } from 'node:http2';
import { N32C_PATHS } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_A, PLMN_B, responderYaml, writeYaml } from './support/configs';
import { H2Client, type H2Answer } from './support/h2-client';
import type { CertFiles, TestPki } from './support/pki';
import { expectInvalidParam, expectNoServerBanner, expectProblem } from './support/problem';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

const EXCHANGE = N32C_PATHS.exchangeCapability;
const JSON_TYPE = { 'content-type': 'application/json' };
/** The n32.bodyLimit of the responder under test. */
const BODY_LIMIT = 2048;

/** A request the responder would accept (PLMN B's SEPP, certified for it and configured). */
const VALID = {
  sender: FQDN_B,
  supportedSecCapabilityList: ['TLS'],
  plmnIdList: [PLMN_B],
  n32HandshakeId: '0123456789abcdef',
  supportedFeatures: '0',
};
/** VALID with `patch` applied (an `undefined` value removes the attribute). */
const valid = (patch: Record<string, unknown>): string => {
  const body: Record<string, unknown> = { ...VALID, ...patch };
  for (const [key, value] of Object.entries(patch)) if (value === undefined) delete body[key];
  return JSON.stringify(body);
};

interface BadRequest {
  readonly name: string;
  readonly method?: string;
  readonly path?: string;
  readonly body?: string | Buffer;
  /** Sent as they are (default: content-type application/json). */
  readonly headers?: OutgoingHttpHeaders;
  readonly status: number | readonly number[];
  /**
   * Body faults: invalidParams must be non-empty, all JSON Pointers, and (when a string) contain
   * exactly this pointer. `false`: not a body fault, invalidParams not required.
   */
  readonly param: string | null | false;
}

const nested = (depth: number, open: string, close: string, inner = '1'): string => open.repeat(depth) + inner + close.repeat(depth);
const longLabel = 'a'.repeat(63);
/** 4 labels of 63 characters: 255 characters, a syntactically fine name that is too long. */
const tooLongFqdn = `${longLabel}.${longLabel}.${longLabel}.${longLabel}.org`;

const TABLE: readonly BadRequest[] = [
  // Not JSON, or not a JSON object.
  { name: 'invalid JSON text', body: '{sender: sepp, "supportedSecCapabilityList": [TLS]}', status: 400, param: '/' },
  { name: 'truncated JSON', body: valid({}).slice(0, 40), status: 400, param: '/' },
  { name: 'empty body with content-type json', body: '', status: 400, param: '/' },
  { name: 'a JSON array as the body', body: JSON.stringify([VALID]), status: 400, param: '/' },
  { name: 'a JSON string as the body', body: JSON.stringify(valid({})), status: 400, param: '/' },
  { name: 'a JSON number as the body', body: '42', status: 400, param: '/' },
  { name: 'JSON null as the body', body: 'null', status: 400, param: '/' },
  { name: 'JSON true as the body', body: 'true', status: 400, param: '/' },
  { name: 'a __proto__ payload', body: `{"__proto__":{"sender":"${FQDN_B}","polluted":true},"supportedSecCapabilityList":["TLS"]}`, status: 400, param: null },
  { name: 'a nested __proto__ payload', body: `{"sender":"${FQDN_B}","supportedSecCapabilityList":["TLS"],"plmnIdList":[{"__proto__":{"mcc":"002","mnc":"02"}}]}`, status: 400, param: null },
  { name: 'a constructor.prototype payload', body: `{"sender":"${FQDN_B}","supportedSecCapabilityList":["TLS"],"constructor":{"prototype":{"polluted":true}}}`, status: 400, param: null },

  // Mandatory attributes.
  { name: 'missing sender', body: valid({ sender: undefined }), status: 400, param: '/sender' },
  { name: 'missing supportedSecCapabilityList', body: valid({ supportedSecCapabilityList: undefined }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'empty supportedSecCapabilityList', body: valid({ supportedSecCapabilityList: [] }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'supportedSecCapabilityList not an array', body: valid({ supportedSecCapabilityList: 'TLS' }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'supportedSecCapabilityList as an object', body: valid({ supportedSecCapabilityList: { 0: 'TLS' } }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'supportedSecCapabilityList with a number', body: valid({ supportedSecCapabilityList: ['TLS', 1] }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'supportedSecCapabilityList null', body: valid({ supportedSecCapabilityList: null }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'sender a number', body: valid({ sender: 42 }), status: 400, param: '/sender' },
  { name: 'sender null', body: valid({ sender: null }), status: 400, param: '/sender' },
  { name: 'sender not an FQDN', body: valid({ sender: 'not a domain name' }), status: 400, param: '/sender' },
  { name: 'sender a single label', body: valid({ sender: 'sepp' }), status: 400, param: '/sender' },
  { name: 'sender longer than 253 characters', body: valid({ sender: tooLongFqdn }), status: 400, param: '/sender' },

  // Optional attributes with values the schema does not allow.
  { name: 'plmnIdList mcc with letters', body: valid({ plmnIdList: [{ mcc: '0a2', mnc: '02' }] }), status: 400, param: '/plmnIdList/0/mcc' },
  { name: 'plmnIdList mnc of 1 digit', body: valid({ plmnIdList: [{ mcc: '002', mnc: '2' }] }), status: 400, param: '/plmnIdList/0/mnc' },
  { name: 'plmnIdList mnc of 4 digits', body: valid({ plmnIdList: [{ mcc: '002', mnc: '0002' }] }), status: 400, param: '/plmnIdList/0/mnc' },
  { name: 'plmnIdList mcc of 4 digits', body: valid({ plmnIdList: [{ mcc: '0002', mnc: '02' }] }), status: 400, param: '/plmnIdList/0/mcc' },
  { name: 'plmnIdList mcc and mnc as numbers', body: valid({ plmnIdList: [{ mcc: 2, mnc: 2 }] }), status: 400, param: '/plmnIdList/0/mcc' },
  { name: 'plmnIdList second entry missing mnc', body: valid({ plmnIdList: [PLMN_B, { mcc: '002' }] }), status: 400, param: '/plmnIdList/1/mnc' },
  { name: 'plmnIdList empty', body: valid({ plmnIdList: [] }), status: 400, param: '/plmnIdList' },
  { name: 'plmnIdList with a string item', body: valid({ plmnIdList: ['00202'] }), status: 400, param: '/plmnIdList' },
  { name: 'plmnIdList with an empty array item', body: valid({ plmnIdList: [[]] }), status: 400, param: '/plmnIdList' },
  { name: 'plmnIdList with an array item holding a PLMN', body: valid({ plmnIdList: [[PLMN_B]] }), status: 400, param: '/plmnIdList' },
  { name: 'intendedUsagePurpose with an array item', body: valid({ intendedUsagePurpose: [[]] }), status: 400, param: '/intendedUsagePurpose' },
  { name: 'targetPlmnId an array holding a PLMN', body: valid({ targetPlmnId: [PLMN_A] }), status: 400, param: '/targetPlmnId' },
  { name: 'supportedFeatures not hex', body: valid({ supportedFeatures: 'xyz' }), status: 400, param: '/supportedFeatures' },
  { name: 'n32HandshakeId of the wrong length', body: valid({ n32HandshakeId: '0123456789abcde' }), status: 400, param: '/n32HandshakeId' },
  { name: 'senderN32fPortList with a negative port', body: valid({ senderN32fPortList: [443, -1] }), status: 400, param: '/senderN32fPortList' },
  { name: 'intendedUsagePurpose without usagePurpose', body: valid({ intendedUsagePurpose: [{ additionalInfo: 'roaming' }] }), status: 400, param: '/intendedUsagePurpose/0/usagePurpose' },
  { name: '3GppSbiTargetApiRootSupported as a string', body: valid({ '3GppSbiTargetApiRootSupported': 'true' }), status: 400, param: '/3GppSbiTargetApiRootSupported' },
  { name: 'targetPlmnId not an object', body: valid({ targetPlmnId: '00101' }), status: 400, param: '/targetPlmnId' },

  // Media type.
  { name: 'content-type text/plain', body: valid({}), headers: { 'content-type': 'text/plain' }, status: 415, param: false },
  { name: 'content-type application/xml', body: '<SecNegotiateReqData/>', headers: { 'content-type': 'application/xml' }, status: 415, param: false },
  { name: 'no content-type', body: valid({}), headers: {}, status: 415, param: false },
  {
    name: 'a request that would be valid as application/x-www-form-urlencoded',
    body: `sender=${FQDN_B}&supportedSecCapabilityList=TLS&supportedSecCapabilityList=PRINS`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    param: false,
  },
  { name: 'content-type application/problem+json', body: valid({}), headers: { 'content-type': 'application/problem+json' }, status: 415, param: false },
  { name: 'expect: something other than 100-continue', body: valid({}), headers: { 'content-type': 'application/json', expect: 'x-please' }, status: 417, param: false },

  // Size.
  { name: '~10 KB body over the limit', body: valid({ padding: 'x'.repeat(10 * 1024) }), status: 413, param: false },
  { name: '~1 MB body over the limit', body: valid({ padding: 'x'.repeat(1024 * 1024) }), status: 413, param: false },
  { name: 'a huge array over the limit', body: valid({ supportedSecCapabilityList: new Array(200_000).fill('TLS') }), status: 413, param: false },
  { name: 'a large array of numbers within the limit', body: valid({ supportedSecCapabilityList: new Array(900).fill(1) }), status: 400, param: '/supportedSecCapabilityList' },
  { name: '10k levels of nesting (over the limit)', body: nested(10_000, '[', ']'), status: 413, param: false },
  { name: '1000 levels of nesting as the body (within the limit)', body: nested(1_000, '[', ']'), status: 400, param: '/' },

  // Routing.
  { name: 'unknown path', path: '/n32c-handshake/v1/no-such-resource', body: valid({}), status: 404, param: false },
  // Outside the SEPP's own APIs every request is N32-f, which needs an agreed mechanism first (the
  // responders here do not renegotiate themselves: n32.renegotiation.enabled false).
  { name: 'unknown API (N32-f without an agreement)', path: '/nsepp-nope/v1/exchange-capability', body: valid({}), status: 403, param: false },
  { name: 'another version of the N32-c API', path: '/n32c-handshake/v2/exchange-capability', body: valid({}), status: 404, param: false },
  { name: 'GET on exchange-capability', method: 'GET', headers: {}, status: [404, 405], param: false },
  { name: 'PUT on exchange-capability', method: 'PUT', body: valid({}), status: [404, 405], param: false },
];

/** Nesting that must not crash the parser or the validator (needs a larger body limit). */
const DEEP = 10_000;
const DEEP_TABLE: readonly BadRequest[] = [
  { name: `${DEEP} levels of arrays as the body`, body: nested(DEEP, '[', ']'), status: 400, param: '/' },
  { name: `${DEEP} levels of objects as the body`, body: nested(DEEP, '{"a":', '}'), status: 400, param: null },
  { name: `${DEEP} levels of objects in sender`, body: valid({ sender: '@' }).replace('"@"', nested(DEEP, '{"a":', '}')), status: 400, param: '/sender' },
  { name: `${DEEP} levels of arrays in supportedSecCapabilityList`, body: valid({ supportedSecCapabilityList: '@' }).replace('"@"', nested(DEEP, '[', ']')), status: 400, param: '/supportedSecCapabilityList' },
  { name: `${DEEP} levels of objects in plmnIdList[0].mcc`, body: valid({ plmnIdList: [{ mcc: '@', mnc: '02' }] }).replace('"@"', nested(DEEP, '{"a":', '}')), status: 400, param: '/plmnIdList/0/mcc' },
  { name: `${DEEP} levels of objects in targetPlmnId`, body: valid({ targetPlmnId: '@' }).replace('"@"', nested(DEEP, '{"mcc":', '}')), status: 400, param: '/targetPlmnId/mcc' },
  { name: `${DEEP} levels of arrays in intendedUsagePurpose`, body: valid({ intendedUsagePurpose: '@' }).replace('"@"', nested(DEEP, '[', ']')), status: 400, param: '/intendedUsagePurpose' },
  { name: `${DEEP} levels in an unknown attribute (ignored) plus a bad sender`, body: valid({ sender: 7, extra: '@' }).replace('"@"', nested(DEEP, '{"a":[', ']}')), status: 400, param: '/sender' },
  { name: 'a huge array of numbers within the limit', body: valid({ supportedSecCapabilityList: new Array(100_000).fill(1) }), status: 400, param: '/supportedSecCapabilityList' },
  { name: 'a huge plmnIdList within the limit, last item bad', body: valid({ plmnIdList: [...new Array(20_000).fill(PLMN_B), { mcc: 'x', mnc: '02' }] }), status: 400, param: '/plmnIdList/20000/mcc' },
];

describe('bad input to POST exchange-capability over mutual-TLS HTTP/2', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;
  let roomy: SeppProcess;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    [responder, roomy] = await Promise.all([
      SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderYaml(certA, pki, { bodyLimit: BODY_LIMIT, renegotiation: { enabled: false } }))),
      SeppProcess.ready('responder', writeYaml(pki.dir, 'roomy', responderYaml(certA, pki, { bodyLimit: 4 * 1024 * 1024, renegotiation: { enabled: false } }))),
    ]);
  });

  afterAll(async () => {
    await Promise.all([responder?.stop(), roomy?.stop()]);
  });

  /** One request on a fresh connection from PLMN B's SEPP (its real, configured identity). */
  async function send(target: SeppProcess, bad: BadRequest): Promise<H2Answer> {
    const client = await H2Client.open(target.port('n32'), FQDN_A, pki.clientTls(certB));
    try {
      return await client.request(bad.method ?? 'POST', bad.path ?? EXCHANGE, bad.body, bad.headers ?? JSON_TYPE);
    } finally {
      client.close();
    }
  }

  function check(answer: H2Answer, bad: BadRequest): void {
    const body = expectProblem(answer, bad.status);
    if (bad.param !== false) expectInvalidParam(body, bad.param ?? undefined);
  }

  it('the valid request the table is derived from is accepted by a responder (control)', async () => {
    // A third responder, so the two under test never see a good request.
    const control = await SeppProcess.ready('responder', writeYaml(pki.dir, 'control', responderYaml(certA, pki, { bodyLimit: BODY_LIMIT })));
    try {
      const answer = await send(control, { name: 'valid', body: valid({}), status: 200, param: false });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ sender: FQDN_A, selectedSecCapability: 'TLS' });
      expectNoServerBanner(answer);
      expect(Buffer.byteLength(valid({}))).toBeLessThan(BODY_LIMIT);
    } finally {
      await control.stop();
    }
  });

  it(`has at least 25 malformed requests`, () => {
    expect(TABLE.length).toBeGreaterThanOrEqual(25);
  });

  it.each(TABLE.map((bad) => [bad.name, bad] as const))('%s -> 4xx problem+json', async (_name, bad) => {
    check(await send(responder, bad), bad);
  });

  it.each(DEEP_TABLE.map((bad) => [bad.name, bad] as const))('%s -> 4xx problem+json (body limit 4 MiB)', async (_name, bad) => {
    check(await send(roomy, bad), bad);
  });

  it('after all of it both responders still run, are ready, and no peer state changed', async () => {
    for (const sepp of [responder, roomy]) {
      expect(sepp.running).toBe(true);
      expect((await sepp.admin('/readyz')).status).toBe(200);
      const peers = await sepp.peers();
      expect(peers).toHaveLength(1);
      expect(peers[0]).toMatchObject({ fqdn: FQDN_B, configured: true, state: 'idle', mechanism: null, attempts: 0, lastError: null, negotiation: null });
      expect(sepp.lines.filter((l) => l.msg === 'security capability negotiation')).toHaveLength(0);
      // Bad input is the peer's fault: nothing is logged as our failure.
      expect(sepp.lines.filter((l) => l.msg === 'request failed' || l.level === 'error' || l.level === 'fatal')).toEqual([]);
    }
  });
});
