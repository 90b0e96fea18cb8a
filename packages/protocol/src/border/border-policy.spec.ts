import { BorderPolicy, type BorderRequest, type BorderResponse, type BorderRuleSet, type HeaderAccess } from './border-policy';
import { HiddenNameTable } from './hidden-names';
import { DEFAULT_HIDING_PLACES } from './rules/hiding-places';
import { DEFAULT_NETWORK_ID_PLACES } from './rules/network-id-places';
import { DEFAULT_SERVICE_RULES } from './rules/service-rules';
import { SchemaCatalog } from './schema/openapi-catalog';
import type { BorderMode } from './types';

const US = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const PEER = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';
const UDM = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
const SUPI = 'imsi-001010000000001';

/** A tiny OpenAPI document in the 3GPP style (server path, $ref to components, a query parameter). */
const MINI = {
  openapi: '3.0.0',
  servers: [{ url: '{apiRoot}/nausf-auth/v1' }],
  paths: {
    '/ue-authentications': {
      post: {
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 5 } }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AuthenticationInfo' } } } },
        responses: {},
      },
    },
  },
  components: {
    schemas: {
      AuthenticationInfo: {
        type: 'object',
        required: ['supiOrSuci', 'servingNetworkName'],
        properties: { supiOrSuci: { type: 'string', pattern: '^(imsi-[0-9]{5,15}|suci-.+)$' }, servingNetworkName: { type: 'string' }, count: { type: 'integer', nullable: true } },
      },
    },
  },
};
const catalog = SchemaCatalog.compile([{ file: 'MINI.yaml', document: MINI }], [{ api: 'nausf-auth', file: 'MINI.yaml', spec: 'test' }]);

function rules(modes: Partial<Record<'topologyHiding' | 'serviceAllowList' | 'networkId' | 'schemaValidation', BorderMode>> = {}, details: 'verbose' | 'terse' = 'verbose'): BorderRuleSet {
  return {
    details,
    topologyHiding: { mode: modes.topologyHiding ?? 'off', places: DEFAULT_HIDING_PLACES, internalDomains: [], hideIpAddresses: true },
    serviceAllowList: { mode: modes.serviceAllowList ?? 'off', services: DEFAULT_SERVICE_RULES, status: 403, cause: 'SERVICE_NOT_ALLOWED' },
    networkId: { mode: modes.networkId ?? 'off', places: DEFAULT_NETWORK_ID_PLACES, status: 403, cause: 'PLMN_ID_MISMATCH' },
    schemaValidation: { mode: modes.schemaValidation ?? 'off', apis: ['nausf-auth'], queryParameters: true },
  };
}

function policy(set: BorderRuleSet, names = new HiddenNameTable()): BorderPolicy {
  return new BorderPolicy(set, { ourPlmns: [{ mcc: '001', mnc: '01' }], peerPlmns: [{ mcc: '002', mnc: '02' }], seppFqdn: US, peerSeppFqdn: PEER, names }, catalog);
}

function headers(initial: Record<string, string> = {}): HeaderAccess & { all: Record<string, string> } {
  const all = { ...initial };
  return { all, get: (name) => all[name], set: (name, value) => (all[name] = value) };
}

function request(method: string, path: string, options: { query?: string; target?: string; headers?: Record<string, string>; json?: unknown; body?: string; contentType?: string } = {}): BorderRequest {
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
  return {
    method,
    path,
    query: options.query,
    target: options.target,
    headers: headers(options.headers),
    body: body === undefined ? undefined : Buffer.from(body),
    contentType: body === undefined ? undefined : (options.contentType ?? 'application/json'),
  };
}

function response(method: string, path: string, status: number, json: unknown, h: Record<string, string> = {}): BorderResponse & { headers: ReturnType<typeof headers> } {
  return { method, path, status, headers: headers(h), body: Buffer.from(JSON.stringify(json)), contentType: 'application/json' };
}

describe('service allow-list', () => {
  const p = policy(rules({ serviceAllowList: 'enforce' }));
  it.each([
    ['GET', `/nudm-sdm/v2/${SUPI}/am-data`, true],
    ['POST', '/nausf-auth/v1/ue-authentications', true],
    ['PUT', '/nausf-auth/v1/ue-authentications/ctx1/5g-aka-confirmation', true],
    ['POST', '/oauth2/token', true],
    ['GET', '/nnrf-disc/v1/nf-instances', true],
    ['PUT', '/nnrf-nfm/v1/nf-instances/x', false],
    ['DELETE', `/nudm-sdm/v2/${SUPI}/am-data`, false],
    ['GET', '/nudm-sdm/v2/slow/1000/x', false],
    ['POST', '/echo', false],
  ])('inbound %s %s allowed: %s', (method, path, allowed) => {
    const verdict = p.evaluateRequest('inbound', request(method, path));
    expect(verdict.refusal === null).toBe(allowed);
    if (!allowed) expect(verdict.refusal).toMatchObject({ category: 'serviceAllowList', rule: 'allow-list', status: 403, cause: 'SERVICE_NOT_ALLOWED', dryRun: false });
    expect(verdict.outcomes['serviceAllowList']).toBe(allowed ? 'passed' : 'refused');
  });

  it('allows notifications only to our hidden names inbound, and outbound to the peer hidden names or with 3gpp-Sbi-Callback', () => {
    const names = new HiddenNameTable();
    const both = policy(rules({ serviceAllowList: 'enforce', topologyHiding: 'enforce' }), names);
    const hidden = `http://${names.hide('amf1.5gc.mnc001.mcc001.3gppnetwork.org:9000')}.${US}`;
    expect(both.evaluateRequest('inbound', request('POST', '/callbacks/dereg', { target: hidden })).refusal).toBeNull();
    expect(both.evaluateRequest('inbound', request('POST', '/callbacks/dereg', { target: `http://amf1.5gc.mnc001.mcc001.3gppnetwork.org:9000`, headers: { '3gpp-sbi-callback': 'Nudm_UECM_DeregistrationNotification' } })).refusal?.category).toBe('serviceAllowList');
    expect(both.evaluateRequest('outbound', request('POST', '/cb', { target: `http://amf.5gc.mnc002.mcc002.3gppnetwork.org` })).refusal?.category).toBe('serviceAllowList');
    expect(both.evaluateRequest('outbound', request('POST', '/cb', { target: `http://h-0abcdefghijklmnopqrstuvwxyz.${PEER}` })).refusal).toBeNull();
    expect(both.evaluateRequest('outbound', request('POST', '/cb', { headers: { '3gpp-sbi-callback': 'Nudm_SDM_Notification' } })).refusal).toBeNull();
  });

  it('in dry-run, finds but refuses nothing', () => {
    const verdict = policy(rules({ serviceAllowList: 'dry-run' })).evaluateRequest('inbound', request('POST', '/echo'));
    expect(verdict.refusal).toBeNull();
    expect(verdict.findings).toEqual([expect.objectContaining({ category: 'serviceAllowList', dryRun: true })]);
    expect(verdict.outcomes['serviceAllowList']).toBe('dry-run');
  });

  it('terse details name neither the rule nor the reason', () => {
    const verdict = policy(rules({ serviceAllowList: 'enforce' }, 'terse')).evaluateRequest('inbound', request('POST', '/echo'));
    expect(verdict.refusal!.detail).toBe("refused by the SEPP's border protection (serviceAllowList)");
    expect(verdict.refusal!.invalidParams).toEqual([{ param: ':path' }]);
  });
});

describe('network-ID validation', () => {
  const p = policy(rules({ networkId: 'enforce' }));
  const auth = (servingNetworkName: string, supiOrSuci = SUPI) => request('POST', '/nausf-auth/v1/ue-authentications', { json: { supiOrSuci, servingNetworkName } });
  it.each([
    ['inbound serving network of the peer', 'inbound', auth('5G:mnc002.mcc002.3gppnetwork.org'), null],
    ['inbound serving network of a third PLMN', 'inbound', auth('5G:mnc003.mcc003.3gppnetwork.org'), 'ausf-serving-network-name'],
    ['inbound SUPI of another home', 'inbound', auth('5G:mnc002.mcc002.3gppnetwork.org', 'imsi-003030000000001'), 'ausf-supi-or-suci'],
    ['outbound serving network must be ours', 'outbound', auth('5G:mnc002.mcc002.3gppnetwork.org', 'imsi-002020000000001'), 'ausf-serving-network-name'],
    ['outbound, ours, subscriber of the peer', 'outbound', auth('5G:mnc001.mcc001.3gppnetwork.org', 'imsi-002020000000001'), null],
    ['originating network of the peer', 'inbound', request('GET', `/nudm-sdm/v2/${SUPI}/am-data`, { headers: { '3gpp-sbi-originating-network-id': '002-02' } }), null],
    ['spoofed originating network', 'inbound', request('GET', `/nudm-sdm/v2/${SUPI}/am-data`, { headers: { '3gpp-sbi-originating-network-id': '001-01' } }), 'originating-network-id'],
    ['SUPI in the path of another home', 'inbound', request('GET', '/nudm-sdm/v2/imsi-003030000000001/am-data'), 'sdm-supi'],
    ['a path segment that is no identity', 'inbound', request('GET', '/nudm-sdm/v2/shared-data'), null],
    ['guami of the peer', 'inbound', request('PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, { json: { guami: { plmnId: { mcc: '002', mnc: '02' }, amfId: '010203' } } }), null],
    ['guami of a third PLMN', 'inbound', request('PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, { json: { guami: { plmnId: { mcc: '003', mnc: '03' }, amfId: '010203' } } }), 'uecm-guami-plmn'],
    ['discovery requester of a third PLMN', 'inbound', request('GET', '/nnrf-disc/v1/nf-instances', { query: `requester-plmn-list=${encodeURIComponent('[{"mcc":"003","mnc":"03"}]')}` }), 'disc-requester-plmn-list'],
    ['NSSF tai of the peer', 'inbound', request('GET', '/nnssf-nsselection/v2/network-slice-information', { query: `tai=${encodeURIComponent('{"plmnId":{"mcc":"002","mnc":"02"},"tac":"000001"}')}` }), null],
    ['NSSF tai of us (spoofed)', 'inbound', request('GET', '/nnssf-nsselection/v2/network-slice-information', { query: `tai=${encodeURIComponent('{"plmnId":{"mcc":"001","mnc":"01"},"tac":"000001"}')}` }), 'nssf-tai-plmn'],
    ['token request of the peer (form)', 'inbound', request('POST', '/oauth2/token', { body: `grant_type=client_credentials&requesterPlmn=${encodeURIComponent('{"mcc":"002","mnc":"02"}')}`, contentType: 'application/x-www-form-urlencoded' }), null],
    ['token request claiming our PLMN (form)', 'inbound', request('POST', '/oauth2/token', { body: `grant_type=client_credentials&requesterPlmn=${encodeURIComponent('{"mcc":"001","mnc":"01"}')}`, contentType: 'application/x-www-form-urlencoded' }), 'oauth2-requester-plmn'],
  ] as const)('%s', (_name, direction, message, rule) => {
    const verdict = p.evaluateRequest(direction, message);
    expect(verdict.refusal?.rule ?? null).toBe(rule);
    if (rule) expect(verdict.refusal).toMatchObject({ category: 'networkId', status: 403, cause: 'PLMN_ID_MISMATCH' });
  });
});

describe('schema validation', () => {
  const p = policy(rules({ schemaValidation: 'enforce' }));
  const auth = (json: unknown, query?: string) => request('POST', '/nausf-auth/v1/ue-authentications', { json, query });
  it.each([
    ['a valid body', auth({ supiOrSuci: SUPI, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' }), null],
    ['unknown attributes (TS 29.500 extensibility)', auth({ supiOrSuci: SUPI, servingNetworkName: 'x', vendorExtension: { a: 1 } }), null],
    ['nullable', auth({ supiOrSuci: SUPI, servingNetworkName: 'x', count: null }), null],
    ['a missing mandatory IE', auth({ supiOrSuci: SUPI }), { cause: 'MANDATORY_IE_MISSING', invalidParams: [{ param: '/servingNetworkName', reason: 'is mandatory' }] }],
    ['a wrong pattern', auth({ supiOrSuci: 'bob', servingNetworkName: 'x' }), { cause: 'MANDATORY_IE_INCORRECT', invalidParams: [{ param: '/supiOrSuci', reason: expect.stringContaining('pattern') }] }],
    ['a query parameter out of range', auth({ supiOrSuci: SUPI, servingNetworkName: 'x' }, 'limit=9'), { cause: 'INVALID_QUERY_PARAM', invalidParams: [{ param: 'limit', reason: expect.any(String) }] }],
    ['a query parameter in range', auth({ supiOrSuci: SUPI, servingNetworkName: 'x' }, 'limit=4'), null],
    ['not JSON', request('POST', '/nausf-auth/v1/ue-authentications', { body: '{', contentType: 'application/json' }), { cause: 'INVALID_MSG_FORMAT' }],
    ['no body', request('POST', '/nausf-auth/v1/ue-authentications'), { cause: 'MANDATORY_IE_MISSING' }],
    ['an operation the document does not define', request('POST', '/nausf-auth/v1/other', { body: '{' }), null],
  ])('%s', (_name, message, expected) => {
    const verdict = p.evaluateRequest('inbound', message);
    if (expected === null) expect(verdict.refusal).toBeNull();
    else expect(verdict.refusal).toMatchObject({ category: 'schemaValidation', status: 400, rule: 'nausf-auth', ...expected });
  });
});

describe('topology hiding', () => {
  const searchResult = {
    validityPeriod: 60,
    nfInstances: [
      {
        nfInstanceId: '8b3c1a34-0000-4000-8000-000000000001',
        nfType: 'UDM',
        nfStatus: 'REGISTERED',
        fqdn: UDM,
        ipv4Addresses: ['10.10.0.5', '10.10.0.6'],
        nfServices: [{ serviceInstanceId: 's1', serviceName: 'nudm-sdm', fqdn: UDM, ipEndPoints: [{ ipv4Address: '10.10.0.5', port: 8081 }], defaultNotificationSubscriptions: [{ callbackUri: `http://${UDM}:8081/notify`, notificationType: 'N1_MESSAGES' }] }],
      },
    ],
  };

  it('hides every name and address of ours in an nnrf-disc SearchResult and a Location, and recovers them', () => {
    const names = new HiddenNameTable();
    const pSepp = policy(rules({ topologyHiding: 'enforce' }), names);
    const answer = response('GET', '/nnrf-disc/v1/nf-instances', 200, searchResult, { location: `http://${UDM}:8081/nudm-sdm/v2/${SUPI}/sdm-subscriptions/1` });
    expect(pSepp.responseNeeds('outbound', 'GET', '/nnrf-disc/v1/nf-instances')).toBe('body');
    const verdict = pSepp.evaluateResponse('outbound', answer);
    expect(verdict.refusal).toBeNull();
    const text = verdict.body!.toString() + JSON.stringify(answer.headers.all);
    expect(text).not.toMatch(/udm1|10\.10\.0\./);
    const hidden = JSON.parse(verdict.body!.toString());
    expect(hidden.nfInstances[0].ipv4Addresses).toBeUndefined();
    expect(hidden.nfInstances[0].nfServices[0].ipEndPoints).toEqual([{ port: 8081 }]);
    expect(hidden.nfInstances[0].fqdn).toMatch(new RegExp(`^h-0[a-z2-7]{26}\\.${US.replace(/\./g, '\\.')}$`));
    expect(verdict.outcomes['topologyHiding']).toBe('rewritten');
    // A follow-up request addressed to the hidden Location reaches the real NF.
    const location = new URL(answer.headers.all['location']!);
    const followUp = pSepp.evaluateRequest('inbound', request('DELETE', location.pathname, { target: `${location.protocol}//${location.host}` }));
    expect(followUp.target).toBe(`http://${UDM}:8081`);
  });

  it('hides the callback our NF sends out, and recovers it when the answer echoes it', () => {
    const cSepp = policy(rules({ topologyHiding: 'enforce' }));
    const subscription = { nfInstanceId: 'x', callbackReference: 'http://10.20.0.9:9000/cb', monitoredResourceUris: [`http://${UDM}:8081/nudm-sdm/v2/${SUPI}/am-data`] };
    const sent = cSepp.evaluateRequest('outbound', request('POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, { json: subscription }));
    const out = JSON.parse(sent.body!.toString());
    expect(out.callbackReference).toMatch(/^http:\/\/h-0[a-z2-7]{26}\.sepp\.5gc\.mnc001\.mcc001\.3gppnetwork\.org\/cb$/);
    const back = cSepp.evaluateResponse('inbound', response('POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, 201, out));
    expect(JSON.parse(back.body!.toString())).toEqual(subscription);
  });

  it('refuses an answer it cannot hide, and a hidden name it never handed out', () => {
    const p = policy(rules({ topologyHiding: 'enforce' }));
    const broken: BorderResponse = { method: 'GET', path: '/nnrf-disc/v1/nf-instances', status: 200, headers: headers(), body: Buffer.from(`{"fqdn":"${UDM}"`), contentType: 'application/json' };
    expect(p.evaluateResponse('outbound', broken).refusal).toMatchObject({ category: 'topologyHiding', status: 502, cause: 'TOPOLOGY_HIDING_FAILED' });
    const unknown = p.evaluateRequest('inbound', request('GET', `/nudm-sdm/v2/${SUPI}/am-data`, { target: `http://h-0aaaaaaaaaaaaaaaaaaaaaaaaaa.${US}` }));
    expect(unknown.refusal).toMatchObject({ category: 'topologyHiding', rule: 'target', status: 404, cause: 'UNKNOWN_HIDDEN_NAME' });
  });

  it('in dry-run changes nothing and counts what it would have hidden', () => {
    const p = policy(rules({ topologyHiding: 'dry-run' }));
    const answer = response('GET', '/nnrf-disc/v1/nf-instances', 200, searchResult, { location: `http://${UDM}/x` });
    const verdict = p.evaluateResponse('outbound', answer);
    expect(verdict.body).toBeUndefined();
    expect(answer.headers.all['location']).toBe(`http://${UDM}/x`);
    expect(verdict.rewrites).toBeGreaterThan(5);
    expect(verdict.outcomes['topologyHiding']).toBe('dry-run');
  });

  it('keeps the streaming path open: only the bodies of APIs with body places are read', () => {
    const p = policy(rules({ topologyHiding: 'enforce', serviceAllowList: 'enforce', networkId: 'enforce', schemaValidation: 'enforce' }));
    expect(p.requestNeeds('inbound', 'GET', `/nudm-sdm/v2/${SUPI}/am-data`)).toBe('headers');
    expect(p.responseNeeds('outbound', 'GET', `/nudm-sdm/v2/${SUPI}/am-data`)).toBe('headers');
    expect(p.responseHeaders('GET', `/nudm-sdm/v2/${SUPI}/am-data`)).toEqual(['location']);
    expect(p.requestNeeds('outbound', 'POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`)).toBe('body');
    expect(p.requestNeeds('inbound', 'POST', '/nausf-auth/v1/ue-authentications')).toBe('body');
    expect(policy(rules()).active).toBe(false);
    expect(policy(rules()).requestNeeds('inbound', 'POST', '/nausf-auth/v1/ue-authentications')).toBe('nothing');
  });
});
