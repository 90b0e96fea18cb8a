import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BorderPolicy,
  OPENAPI_3GPP_DIR,
  DEFAULT_HIDING_PLACES,
  DEFAULT_NETWORK_ID_PLACES,
  DEFAULT_SERVICE_RULES,
  HiddenNameTable,
  SCHEMA_APIS,
  SchemaCatalog,
  apiOfPath,
  type BorderRuleSet,
} from '@sepp/protocol';
import { schemaCatalog, threeGppDocuments } from './openapi-documents';

const SUPI = 'imsi-001010000000001';
const catalog = schemaCatalog(SCHEMA_APIS.map((api) => api.api));

describe('the vendored 3GPP Rel-19 OpenAPI documents', () => {
  it('are the files the folder README lists, byte for byte (git blob hash)', () => {
    const readme = readFileSync(join(OPENAPI_3GPP_DIR, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([^`]+\.yaml)` \|.*\| ([0-9a-f]{40}) \|$/gm)];
    const files = threeGppDocuments().map((d) => d.file);
    expect(rows.map((row) => row[1]).sort()).toEqual(files);
    for (const [, file, blob] of rows) {
      const bytes = readFileSync(join(OPENAPI_3GPP_DIR, file!));
      expect(createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')).toBe(blob);
    }
  });

  it('compile for every API the border validates, each with its operations, every $ref resolving among them', () => {
    const eager = SchemaCatalog.compile(threeGppDocuments(), SCHEMA_APIS, { eager: true });
    for (const api of SCHEMA_APIS) expect(eager.listOperations(api.api).length).toBeGreaterThan(0);
    expect(catalog.listOperations('nudm-sdm')).toContain('GET /nudm-sdm/v2/{supi}/am-data');
    expect(catalog.listOperations('nnrf-oauth2')).toContain('POST /oauth2/token');
  });

  it('define every operation of the default allow-list (its path templates are the specifications\')', () => {
    for (const rule of DEFAULT_SERVICE_RULES.filter((r) => r.when !== 'callback')) {
      for (const operation of rule.operations) {
        const [method, path] = operation.split(' ') as [string, string];
        const api = apiOfPath(path);
        expect({ operation, defined: catalog.listOperations(api).includes(`${method} ${path}`) }).toEqual({ operation, defined: true });
      }
    }
  });

  it('define the paths the default network-ID and hiding places are scoped to', () => {
    const templates = (api: string): string[] => catalog.listOperations(api).map((op) => op.split(' ')[1]!);
    for (const place of [...DEFAULT_NETWORK_ID_PLACES, ...DEFAULT_HIDING_PLACES].filter((p) => p.path !== undefined && p.api !== '*')) {
      const path = place.path!;
      // `/nudm-uecm/v1/{ueId}/**`: some operation lies under the prefix; otherwise the template is an operation's.
      const defined = path.endsWith('/**') ? templates(place.api).some((t) => t.startsWith(`${path.slice(0, -3)}/`)) : templates(place.api).includes(path);
      expect({ place: place.name, defined }).toEqual({ place: place.name, defined: true });
    }
  });
});

describe('schema validation against the real documents', () => {
  const rules: BorderRuleSet = {
    details: 'verbose',
    topologyHiding: { mode: 'off', places: [], internalDomains: [], hideIpAddresses: true },
    serviceAllowList: { mode: 'off', services: [], status: 403, cause: 'X' },
    networkId: { mode: 'off', places: [], status: 403, cause: 'X' },
    schemaValidation: { mode: 'enforce', apis: SCHEMA_APIS.map((a) => a.api), queryParameters: true },
  };
  const policy = new BorderPolicy(rules, { ourPlmns: [], peerPlmns: [], seppFqdn: 'a.invalid', peerSeppFqdn: 'b.invalid', names: new HiddenNameTable() }, catalog);
  const check = (method: string, path: string, options: { query?: string; json?: unknown; body?: string; contentType?: string } = {}) => {
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
    return policy.evaluateRequest('inbound', {
      method,
      path,
      query: options.query,
      target: undefined,
      headers: { get: () => undefined, set: () => undefined },
      body: body === undefined ? undefined : Buffer.from(body),
      contentType: body === undefined ? undefined : (options.contentType ?? 'application/json'),
    }).refusal;
  };

  it.each([
    ['AuthenticationInfo', 'POST', '/nausf-auth/v1/ue-authentications', { json: { supiOrSuci: SUPI, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' } }, null],
    ['AuthenticationInfo without servingNetworkName', 'POST', '/nausf-auth/v1/ue-authentications', { json: { supiOrSuci: SUPI } }, { cause: 'MANDATORY_IE_MISSING', invalidParams: [{ param: '/servingNetworkName', reason: 'is mandatory' }] }],
    ['AuthenticationInfo with a SUPI that is no SUPI', 'POST', '/nausf-auth/v1/ue-authentications', { json: { supiOrSuci: 'imsi-12', servingNetworkName: 'x' } }, { cause: 'MANDATORY_IE_INCORRECT' }],
    ['SdmSubscription', 'POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, { json: { nfInstanceId: '8b3c1a34-0000-4000-8000-000000000001', callbackReference: 'http://amf.example/cb', monitoredResourceUris: ['http://udm.example/x'] } }, null],
    ['SdmSubscription with an unknown attribute', 'POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, { json: { nfInstanceId: '8b3c1a34-0000-4000-8000-000000000001', callbackReference: 'http://amf.example/cb', monitoredResourceUris: ['http://udm.example/x'], vendorX: 1 } }, null],
    ['SdmSubscription without callbackReference', 'POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, { json: { nfInstanceId: '8b3c1a34-0000-4000-8000-000000000001', monitoredResourceUris: ['x'] } }, { cause: 'MANDATORY_IE_MISSING' }],
    ['am-data with a supported-features query', 'GET', `/nudm-sdm/v2/${SUPI}/am-data`, { query: 'supported-features=1f' }, null],
    ['am-data with a plmn-id that is no PlmnId', 'GET', `/nudm-sdm/v2/${SUPI}/am-data`, { query: `plmn-id=${encodeURIComponent('{"mcc":"1"}')}` }, { cause: 'INVALID_QUERY_PARAM', invalidParams: [{ param: 'plmn-id' }] }],
    ['discovery without target-nf-type', 'GET', '/nnrf-disc/v1/nf-instances', { query: 'requester-nf-type=AMF' }, { cause: 'MANDATORY_QUERY_PARAM_MISSING', invalidParams: [{ param: 'target-nf-type', reason: 'is mandatory' }] }],
    ['discovery', 'GET', '/nnrf-disc/v1/nf-instances', { query: 'target-nf-type=UDM&requester-nf-type=AMF&limit=5' }, null],
    ['discovery with a limit that is no integer', 'GET', '/nnrf-disc/v1/nf-instances', { query: 'target-nf-type=UDM&requester-nf-type=AMF&limit=five' }, { cause: 'INVALID_QUERY_PARAM' }],
    ['an access token request (form)', 'POST', '/oauth2/token', { body: 'grant_type=client_credentials&nfInstanceId=8b3c1a34-0000-4000-8000-000000000001&scope=nudm-sdm', contentType: 'application/x-www-form-urlencoded' }, null],
    ['an access token request without scope', 'POST', '/oauth2/token', { body: 'grant_type=client_credentials&nfInstanceId=8b3c1a34-0000-4000-8000-000000000001', contentType: 'application/x-www-form-urlencoded' }, { cause: 'MANDATORY_IE_MISSING' }],
    ['a PDU session creation that is not JSON', 'POST', '/nsmf-pdusession/v1/pdu-sessions', { body: '{"supi":', contentType: 'application/json' }, { cause: 'INVALID_MSG_FORMAT' }],
    ['a multipart PDU session creation (N1/N2 parts are not parsed)', 'POST', '/nsmf-pdusession/v1/pdu-sessions', { body: '--b\r\n\r\n--b--', contentType: 'multipart/related; boundary=b' }, null],
  ])('%s', (_name, method, path, options, expected) => {
    const refusal = check(method, path, options);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatchObject({ category: 'schemaValidation', status: 400, ...expected });
  });
});
