import { FQDN_A, FQDN_B } from './support/configs';
import { BorderPair, borderCounts, borderLines, throughAndDirect, waitBorderLines, type Mechanism } from './support/border';
import { expectProblemAnswer, type TappedProducer, TARGET_HEADER, UDM1_FQDN, type NfAnswer, type NfRequest, withPkiAndProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { waitFor } from './support/wait-for';

/**
 * Border protection through the real processes (README "Border protection"): each category lets
 * an allowed message through unchanged and refuses a violating one with its documented status and
 * cause, nothing of it reaching the producer, in TLS mode and PRINS mode, in both directions:
 * outbound, the initiator (cSEPP) refuses what its NF sends; inbound, the responder (pSEPP)
 * refuses what the peer sends (the initiator's rules are then reloaded in dry-run, so that it
 * logs the message and lets it cross).
 */
jest.setTimeout(120_000);

const SUPI = 'imsi-001010000000001';
const AM_DATA = `/nudm-sdm/v2/${SUPI}/am-data`;
const ALL_ON = { serviceAllowList: {}, networkId: {}, schemaValidation: {}, topologyHiding: {} };
const ALL_DRY = { mode: 'dry-run', ...ALL_ON };

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;

withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

interface Violation {
  category: 'serviceAllowList' | 'networkId' | 'schemaValidation' | 'topologyHiding';
  rule: string;
  status: number;
  cause: string;
  request: () => NfRequest;
  invalidParam?: string;
}

describe.each<Mechanism>(['TLS', 'PRINS'])('border protection, N32-f in %s mode', (mechanism) => {
  let pair: BorderPair;
  const target = (): Record<string, string> => ({ [TARGET_HEADER]: producer.apiRoot });
  const json = (body: unknown, extra: Record<string, string> = {}): Pick<NfRequest, 'body' | 'headers'> => ({
    body: JSON.stringify(body),
    headers: { ...target(), 'content-type': 'application/json', ...extra },
  });

  beforeAll(async () => {
    pair = await BorderPair.start(pki, certA, certB, {
      name: `border-${mechanism}`,
      mechanism,
      responderBorder: ALL_ON,
      initiatorBorder: ALL_ON,
      producers: [{ apiRoot: producer.apiRoot, fqdn: UDM1_FQDN }],
    });
  });

  afterAll(async () => {
    await pair?.stop();
  });

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) process.stdout.write(pair.dump().slice(-20_000));
  });

  /** Sends a request that must be refused; checks the answer, the one log line, and that nothing reached the producer. */
  async function expectRefused(refuser: 'initiator' | 'responder', violation: Violation): Promise<NfAnswer> {
    const sepp = pair[refuser];
    const other = refuser === 'initiator' ? pair.responder : pair.initiator;
    const from = { sepp: sepp.lines.length, other: other.lines.length, seen: producer.seen.length };
    const before = await borderCounts(sepp, violation.category);
    const answer = await pair.nf.request(violation.request());
    const problem = expectProblemAnswer(answer, violation.status, violation.cause) as { invalidParams?: { param: string }[] };
    if (violation.invalidParam) expect(problem.invalidParams).toEqual([expect.objectContaining({ param: violation.invalidParam })]);
    // Logged once, by the refusing SEPP only, with peer, category, rule and message id.
    const line = await sepp.waitForLog('border refusal', (l) => l.msg === 'border refusal', 5_000, from.sepp);
    expect(line).toMatchObject({ peer: refuser === 'initiator' ? FQDN_A : FQDN_B, category: violation.category, rule: violation.rule, messageId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(await waitBorderLines(sepp, from.sepp)).toHaveLength(1);
    expect(borderLines(other, from.other)).toHaveLength(0);
    if (refuser === 'responder' && mechanism === 'PRINS') {
      // After PRINS decryption: the id is the one the initiator protected the message under.
      const protectedLine = pair.initiator.lines.slice(from.other).find((l) => l.msg === 'PRINS request protected');
      expect(line['messageId']).toBe(protectedLine?.['messageId']);
    }
    const after = await borderCounts(sepp, violation.category);
    expect((after['refused'] ?? 0) - (before['refused'] ?? 0)).toBe(1);
    // And listed among the status page's refusals (GET /admin/status), with its category and rule.
    const status = await sepp.admin<{ refusals: { category: string; cause: string; peer: string | null }[] }>('/admin/status');
    expect(status.body.refusals).toContainEqual(expect.objectContaining({ category: 'border', cause: `${violation.category}/${violation.rule}`, peer: line['peer'] }));
    // Nothing reached the NF.
    expect(producer.seen.slice(from.seen)).toHaveLength(0);
    return answer;
  }

  const violations: Violation[] = [
    { category: 'serviceAllowList', rule: 'allow-list', status: 403, cause: 'SERVICE_NOT_ALLOWED', request: () => ({ method: 'DELETE', path: AM_DATA, headers: target() }), invalidParam: ':path' },
    { category: 'serviceAllowList', rule: 'allow-list', status: 403, cause: 'SERVICE_NOT_ALLOWED', request: () => ({ method: 'POST', path: '/nudm-sdm/v2/echo/anything', ...json({ a: 1 }) }) },
    {
      category: 'networkId',
      rule: 'originating-network-id',
      status: 403,
      cause: 'PLMN_ID_MISMATCH',
      request: () => ({ path: AM_DATA, headers: { ...target(), '3gpp-sbi-originating-network-id': '001-01' } }),
      invalidParam: 'header 3gpp-sbi-originating-network-id',
    },
    {
      category: 'networkId',
      rule: 'ausf-serving-network-name',
      status: 403,
      cause: 'PLMN_ID_MISMATCH',
      request: () => ({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', ...json({ supiOrSuci: SUPI, servingNetworkName: '5G:mnc003.mcc003.3gppnetwork.org' }) }),
      invalidParam: '/servingNetworkName',
    },
    {
      category: 'schemaValidation',
      rule: 'nausf-auth',
      status: 400,
      cause: 'MANDATORY_IE_MISSING',
      request: () => ({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', ...json({ supiOrSuci: SUPI }) }),
      invalidParam: '/servingNetworkName',
    },
    {
      category: 'schemaValidation',
      rule: 'nudm-sdm',
      status: 400,
      cause: 'INVALID_QUERY_PARAM',
      request: () => ({ path: `${AM_DATA}?supported-features=xyz`, headers: target() }),
      invalidParam: 'supported-features',
    },
  ];

  describe('outbound: the initiator (cSEPP) refuses what its NF sends', () => {
    it.each(violations.map((v) => [`${v.category} ${v.rule} ${v.status} ${v.cause}`, v] as const))('%s', async (_name, violation) => {
      await expectRefused('initiator', violation);
    });

    it('topologyHiding: a callback URI naming our host that is no URI it can rewrite is refused (400 TOPOLOGY_HIDING_FAILED), never sent in clear', async () => {
      await expectRefused('initiator', {
        category: 'topologyHiding',
        rule: 'sdm-callback-reference',
        status: 400,
        cause: 'TOPOLOGY_HIDING_FAILED',
        request: () => ({ method: 'POST', path: `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, ...json(sdmSubscription('amf1.5gc.mnc002.mcc002.3gppnetwork.org:9000/cb')) }),
        invalidParam: '/callbackReference',
      });
    });
  });

  describe('allowed messages pass every category unchanged', () => {
    it('an inter-PLMN GET: the request and the answer byte for byte', async () => {
      const { through, direct, seen } = await throughAndDirect(pair, producer, { path: `${AM_DATA}?supported-features=1f`, headers: { ...target(), '3gpp-sbi-originating-network-id': '002-02', 'x-trace': 'a1' } });
      expect(seen.headers[':method']).toBe('GET');
      expect(seen.headers[':path']).toBe(`${AM_DATA}?supported-features=1f`);
      expect(seen.headers['3gpp-sbi-originating-network-id']).toBe('002-02');
      expect(seen.headers['x-trace']).toBe('a1');
      expect(through.status).toBe(200);
      expect(through.body.equals(direct.body)).toBe(true);
      expect(through.headers['content-type']).toBe(direct.headers['content-type']);
    });

    it('a valid AUSF authentication request of the peer PLMN: the body byte for byte', async () => {
      const body = JSON.stringify({ supiOrSuci: SUPI, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org', vendorExtension: { keep: true } });
      const before = producer.seen.length;
      const answer = await pair.nf.request({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', body, headers: { ...target(), 'content-type': 'application/json' } });
      expect(answer.status).toBe(201);
      const seen = producer.seen.slice(before);
      expect(seen).toHaveLength(1);
      expect(producer.body(seen[0]!).toString()).toBe(body);
      expect((answer.json as { body: string }).body).toBe(body);
    });

    it('topology hiding: our callback leaves hidden, the created resource comes back hidden, and a follow-up to it reaches the producer', async () => {
      const before = producer.seen.length;
      const callback = 'http://amf1.5gc.mnc002.mcc002.3gppnetwork.org:9000/cb';
      const answer = await pair.nf.request({ method: 'POST', path: `/nudm-sdm/v2/${SUPI}/sdm-subscriptions`, ...json(sdmSubscription(callback)) });
      expect(answer.status).toBe(201);
      const seen = producer.seen.slice(before);
      expect(seen).toHaveLength(1);
      const received = JSON.parse(producer.body(seen[0]!).toString()) as { callbackReference: string };
      expect(received.callbackReference).toMatch(/^http:\/\/h-0[a-z2-7]{26}\.sepp\.5gc\.mnc002\.mcc002\.3gppnetwork\.org\/cb$/);
      expect(producer.body(seen[0]!).toString()).not.toContain('amf1');
      const location = String(answer.headers['location']);
      expect(location).toMatch(/^http:\/\/h-0[a-z2-7]{26}\.sepp\.5gc\.mnc001\.mcc001\.3gppnetwork\.org\/nudm-sdm\/v2\//);
      expect(location).not.toContain('udm1');
      const url = new URL(location);
      const followUp = await pair.nf.request({ method: 'DELETE', path: url.pathname, headers: { [TARGET_HEADER]: url.origin } });
      expect(followUp.status).toBe(204);
      const deleted = producer.seen.slice(before + 1);
      expect(deleted.map((s) => [s.headers[':method'], s.headers[':path'], s.headers[':authority']])).toEqual([['DELETE', url.pathname, `${UDM1_FQDN}:${producer.port}`]]);
    });
  });

  describe('inbound: the responder (pSEPP) refuses what the peer sends (the initiator in dry-run lets it cross)', () => {
    beforeAll(async () => {
      expect(await pair.reloadBorder('initiator', ALL_DRY)).toEqual(['border']);
    });

    it.each(violations.map((v) => [`${v.category} ${v.rule} ${v.status} ${v.cause}`, v] as const))('%s', async (_name, violation) => {
      const from = pair.initiator.lines.length;
      await expectRefused('responder', violation);
      // The initiator logged what it would have refused, and let it cross.
      expect(await waitBorderLines(pair.initiator, from, 'border rule broken (dry-run, not refused)')).toEqual([expect.objectContaining({ category: violation.category, rule: violation.rule, dryRun: true })]);
    });

    it('topologyHiding: a request addressed to a hidden name the responder never handed out is refused (404 UNKNOWN_HIDDEN_NAME)', async () => {
      await expectRefused('responder', {
        category: 'topologyHiding',
        rule: 'target',
        status: 404,
        cause: 'UNKNOWN_HIDDEN_NAME',
        request: () => ({ path: AM_DATA, headers: { [TARGET_HEADER]: `http://h-0abcdefghijklmnopqrstuvwxyz.${FQDN_A}:${producer.port}` } }),
        invalidParam: `header ${TARGET_HEADER}`,
      });
    });

    it('the allowed GET still crosses byte for byte', async () => {
      const { through, direct } = await throughAndDirect(pair, producer, { path: AM_DATA, headers: target() });
      expect(through.status).toBe(200);
      expect(through.body.equals(direct.body)).toBe(true);
    });

    it('counts passed messages per category, peer and direction', async () => {
      await waitFor('counters', async () => ((await borderCounts(pair.responder, 'serviceAllowList', 'inbound'))['passed'] ?? 0) > 0);
      for (const category of ['serviceAllowList', 'networkId', 'schemaValidation']) {
        const counts = await borderCounts(pair.responder, category, 'inbound');
        expect(counts['passed']).toBeGreaterThan(0);
        expect(counts['refused']).toBeGreaterThan(0);
      }
      expect((await borderCounts(pair.responder, 'topologyHiding', 'outbound'))['rewritten']).toBeGreaterThan(0);
      expect((await borderCounts(pair.initiator, 'serviceAllowList', 'outbound'))['dry-run']).toBeGreaterThan(0);
    });
  });
});

function sdmSubscription(callbackReference: string): Record<string, unknown> {
  return { nfInstanceId: '8b3c1a34-0000-4000-8000-000000000001', callbackReference, monitoredResourceUris: [`http://${UDM1_FQDN}/nudm-sdm/v2/${SUPI}/am-data`] };
}
