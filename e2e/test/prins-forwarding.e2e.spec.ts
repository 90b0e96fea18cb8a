import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http2';
import { createPkiAB, FQDN_A, FQDN_B } from './support/configs';
import { expectProblemAnswer, holdAtProducer, NfClient, TappedProducer, TARGET_HEADER, UDM1_FQDN, withoutDate, type NfAnswer, type SeenRequest } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { contextsOf, metricBy, metricsOf, PrinsPair, writeTls12ClientPreload, type ContextView, type PrinsPairOptions } from './support/prins';
import type { LogLine, SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const SUPI = 'imsi-001010000000001';
const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYxIiwic2NvcGUiOiJudWRtLXNkbSJ9.c2lnbmF0dXJl';
/** End-to-end headers of a consumer NF (no content-length: HTTP/2 frames the body). */
const NF_HEADERS: OutgoingHttpHeaders = {
  accept: 'application/json, application/problem+json',
  'user-agent': 'AMF-amf1.5gc.mnc002.mcc002.3gppnetwork.org',
  'x-e2e-trace': 'prins-7',
  '3gpp-sbi-sender-timestamp': 'Fri, 27 Nov 2026 17:37:21.123 GMT',
  '3gpp-sbi-originating-network-id': '002-02',
};
const N32F_DURATION = 'sepp_n32f_request_duration_seconds_count';

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;
/** The test's own h2c connection to the producer (the reference answers). */
let direct: NfClient;

beforeAll(async () => {
  ({ pki, certA, certB } = await createPkiAB());
  producer = await TappedProducer.start('udm1');
  direct = await NfClient.connect(producer.port);
});

afterAll(async () => {
  direct?.close();
  await producer?.close();
});

/** Starts a pair for one describe block and stops it after; `get()` is the running pair. */
function usePair(options: () => PrinsPairOptions): { get: () => PrinsPair } {
  let pair: PrinsPair | undefined;
  beforeAll(async () => {
    pair = await PrinsPair.start(pki, certA, certB, producer, options());
  });
  afterAll(async () => {
    await pair?.stop();
  });
  return {
    get: () => {
      if (!pair) throw new Error('the SEPP pair did not start');
      return pair;
    },
  };
}

/** The one context each side holds: swapped IDs, same enc, same key check. Returns both. */
async function expectMatchingContexts(pair: PrinsPair, enc = 'A128GCM'): Promise<{ initiator: ContextView; responder: ContextView }> {
  const [atInitiator, atResponder] = await Promise.all([contextsOf(pair.initiator), contextsOf(pair.responder)]);
  expect(atInitiator).toHaveLength(1);
  expect(atResponder).toHaveLength(1);
  const initiator = atInitiator[0]!;
  const responder = atResponder[0]!;
  expect(initiator).toMatchObject({ peer: FQDN_A, role: 'initiator', enc });
  expect(responder).toMatchObject({ peer: FQDN_B, role: 'responder', enc });
  expect(initiator.localContextId).toMatch(/^[0-9a-f]{16}$/);
  expect(responder.localContextId).toMatch(/^[0-9a-f]{16}$/);
  expect(initiator.localContextId).not.toBe(responder.localContextId);
  expect(initiator.localContextId).toBe(responder.remoteContextId);
  expect(initiator.remoteContextId).toBe(responder.localContextId);
  expect(initiator.keyCheck).toMatch(/^[0-9a-f]{16}$/);
  expect(initiator.keyCheck).toBe(responder.keyCheck);
  return { initiator, responder };
}

function logs(sepp: SeppProcess, msg: string, from = 0): LogLine[] {
  return sepp.lines.slice(from).filter((line) => line.msg === msg);
}

/** Streams that reached the producer through the responder (not on the test's direct connection). */
const viaSepp = (): SeenRequest[] => producer.seen.filter((seen) => seen.remotePort !== direct.localPort);

/** Sends an NF request through the pair; returns the answer and the one stream the producer saw for it. */
async function throughPair(pair: PrinsPair, method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<{ answer: NfAnswer; seen: SeenRequest }> {
  const before = viaSepp().length;
  const answer = await pair.nf!.request({ method, path, body, headers: { ...headers, [TARGET_HEADER]: producer.apiRoot } });
  const arrived = viaSepp().slice(before);
  expect(arrived).toHaveLength(1);
  return { answer, seen: arrived[0]! };
}

/** The same request straight to the producer. */
function straight(method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<NfAnswer> {
  return direct.request({ method, path, body, headers: { ':authority': `${UDM1_FQDN}:${producer.port}`, ...headers } });
}

const compact = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe.each([
  ['TLS 1.3', 'TLSv1.3'],
  ['TLS 1.2', 'TLSv1.2'],
] as const)('exchange-params over %s', (_name, version) => {
  const pair = usePair(() => {
    if (version === 'TLSv1.3') return { name: 'tls13' };
    // tls.minVersion is TLSv1.2 on both sides; the config has no maxVersion (the TLS profile fixes
    // TLSv1.3), so the initiator's TLS is capped at 1.2 by a preload.
    return {
      name: 'tls12',
      responder: { minVersion: 'TLSv1.2' },
      initiator: { minVersion: 'TLSv1.2', env: { NODE_OPTIONS: `--require ${writeTls12ClientPreload(pki.dir)}` } },
    };
  });

  it(`the N32-c connection runs ${version}`, async () => {
    const up = await pair.get().initiator.waitForLog('N32 connection up', (line) => line.msg === 'N32 connection up');
    expect(up['tlsVersion']).toBe(version);
  });

  it('both sides reach prins-established with one context each: swapped IDs, the same enc and the SAME key check', async () => {
    const { initiator, responder } = await expectMatchingContexts(pair.get());
    const atInitiator = await pair.get().initiator.peer(FQDN_A);
    const atResponder = await pair.get().responder.peer(FQDN_B);
    expect(atInitiator).toMatchObject({ state: 'prins-established', mechanism: 'PRINS' });
    expect(atResponder).toMatchObject({ state: 'prins-established', mechanism: 'PRINS' });
    expect(atInitiator!.negotiation).toMatchObject({ n32fContextIds: { local: initiator.localContextId, remote: responder.localContextId }, jweCipherSuite: 'A128GCM' });
    expect(atResponder!.negotiation).toMatchObject({ n32fContextIds: { local: responder.localContextId, remote: initiator.localContextId }, jweCipherSuite: 'A128GCM' });
    // Exactly one exchange on each side.
    for (const sepp of [pair.get().initiator, pair.get().responder]) {
      await sepp.waitForLog('N32-f context established', (line) => line.msg === 'N32-f context established');
      expect(logs(sepp, 'N32-f context established')).toHaveLength(1);
    }
  });

  it('an NF request crosses with those keys', async () => {
    const { answer, seen } = await throughPair(pair.get(), 'GET', `/nudm-sdm/v2/${SUPI}/am-data?dataset=${version}`, { ...NF_HEADERS, authorization: TOKEN });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ supi: SUPI, query: { dataset: version }, servedBy: 'udm1' });
    expect(seen.headers['authorization']).toBe(TOKEN);
  });
});

describe('NF requests and answers in PRINS mode', () => {
  const pair = usePair(() => ({ name: 'traffic' }));
  /** NF requests sent through the pair in this block (the n32f-process count must match). */
  let sent = 0;
  let metricsBefore: { responder: Record<string, number>; initiator: Record<string, number> };

  beforeAll(async () => {
    metricsBefore = {
      responder: metricBy(await metricsOf(pair.get().responder), N32F_DURATION, { mechanism: 'PRINS', direction: 'inbound' }, 'status'),
      initiator: metricBy(await metricsOf(pair.get().initiator), N32F_DURATION, { mechanism: 'PRINS', direction: 'outbound' }, 'status'),
    };
  });

  const nested = {
    nfInstanceId: '8d7e1c6a-4c07-4f3b-9d5e-2b3a6c1f0e11',
    callbackReference: `https://amf1.5gc.mnc002.mcc002.3gppnetwork.org/namf-callback/v1/${SUPI}/sdm-notify`,
    monitoredResourceUris: [`/nudm-sdm/v2/${SUPI}/am-data`, `/nudm-sdm/v2/${SUPI}/smf-select-data`],
    plmnId: { mcc: '002', mnc: '02' },
    singleNssai: { sst: 1, sd: '000001' },
    expires: '2026-11-28T17:37:21Z',
    implicitUnsubscribe: true,
    dataRestorationCallbackUri: null,
    extra: { levels: [{ a: 1, b: [true, false, null, 1.5, -2] }, { c: { d: { e: 'deep' } } }], empty: {}, list: [] },
  };
  const registration = {
    amfInstanceId: '25cf2d3c-5a9e-4c5e-9a9b-3a2b1c0d9e8f',
    supi: SUPI,
    deregCallbackUri: `https://amf1.5gc.mnc002.mcc002.3gppnetwork.org/namf-callback/v1/${SUPI}/dereg`,
    guami: { plmnId: { mcc: '002', mnc: '02' }, amfId: 'cafe00' },
    ratType: 'NR',
    backupAmfInfo: [{ backupAmf: 'amf2.5gc.mnc002.mcc002.3gppnetwork.org', guamiList: [{ plmnId: { mcc: '002', mnc: '02' }, amfId: 'cafe01' }] }],
  };

  describe.each([
    ['GET am-data with a query and an authorization header', 'GET', `/nudm-sdm/v2/${SUPI}/am-data?dataset-names=AM,SMF_SEL&plmn-id=%7B%22mcc%22%3A%22002%22%2C%22mnc%22%3A%2202%22%7D`, undefined, { authorization: TOKEN }, 200],
    ['POST with a nested JSON body (201 and location)', 'POST', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions?supported-features=a1`, compact(nested), { 'content-type': 'application/json', authorization: TOKEN }, 201],
    ['PUT with a nested JSON body', 'PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, compact(registration), { 'content-type': 'application/json' }, 200],
    ['PATCH with a merge-patch body', 'PATCH', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, compact({ purgeFlag: true, pei: 'imeisv-4370816125816151', backupAmfInfo: null }), { 'content-type': 'application/merge-patch+json' }, 200],
    ['POST with a binary body (100000 bytes back)', 'POST', '/nudm-sdm/v2/bytes/100000', randomBytes(50_000), { 'content-type': 'application/octet-stream' }, 200],
    ['DELETE (204, no body)', 'DELETE', `/nudm-sdm/v2/${SUPI}/sdm-subscriptions/sub-1?cause=x`, undefined, {}, 204],
    ['a 404 problem+json of the producer', 'GET', '/nudm-sdm/v2/status/404', undefined, {}, 404],
    ['a 503 problem+json of the producer', 'POST', '/nudm-sdm/v2/status/503?retry=1', compact({ a: 1 }), { 'content-type': 'application/json' }, 503],
  ] as const)('%s', (_name, method, path, body, extra, status) => {
    const headers: OutgoingHttpHeaders = { ...NF_HEADERS, ...extra };
    let answer: NfAnswer;
    let seen: SeenRequest;

    beforeAll(async () => {
      ({ answer, seen } = await throughPair(pair.get(), method, path, headers, body));
      sent += 1;
    });

    it('reaches the producer with the method, path, query, headers and body the NF sent', () => {
      expect(seen.headers[':method']).toBe(method);
      expect(seen.headers[':path']).toBe(path);
      expect(seen.headers[':scheme']).toBe('http');
      expect(seen.headers[':authority']).toBe(`${UDM1_FQDN}:${producer.port}`);
      const received = Object.fromEntries(Object.entries(seen.headers).filter(([name]) => !name.startsWith(':')));
      expect(received).toEqual(Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, String(value)])));
      expect(received[TARGET_HEADER]).toBeUndefined();
      expect(seen.ended).toBe(true);
      expect(producer.body(seen).equals(body ?? Buffer.alloc(0))).toBe(true);
    });

    it('answers the NF with the status, headers and body the producer gives when asked directly', async () => {
      const reference = await straight(method, path, headers, body);
      expect(reference.status).toBe(status);
      expect(answer.status).toBe(status);
      expect(withoutDate(answer.headers)).toEqual(withoutDate(reference.headers));
      expect(answer.body.equals(reference.body)).toBe(true);
      if (status >= 400) expectProblemAnswer(answer, status, `DEMO_${status}`);
      if (status === 204) expect(answer.body).toHaveLength(0);
    });
  });

  it('a JSON body that is not compact arrives equal as JSON, re-serialised compactly (rebuild.ts: bodies are rebuilt with JSON.stringify)', async () => {
    const pretty = Buffer.from(JSON.stringify(registration, null, 2));
    const { answer, seen } = await throughPair(pair.get(), 'PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, { 'content-type': 'application/json' }, pretty);
    sent += 1;
    expect(answer.status).toBe(200);
    expect(JSON.parse(producer.body(seen).toString('utf8'))).toEqual(registration);
    expect(producer.body(seen).equals(compact(registration))).toBe(true);
  });

  it('every NF status travelled inside the JWE: the responder answered every n32f-process with HTTP 200', async () => {
    const responder = metricBy(await metricsOf(pair.get().responder), N32F_DURATION, { mechanism: 'PRINS', direction: 'inbound' }, 'status');
    const initiator = metricBy(await metricsOf(pair.get().initiator), N32F_DURATION, { mechanism: 'PRINS', direction: 'outbound' }, 'status');
    const delta = (now: Record<string, number>, before: Record<string, number>): Record<string, number> =>
      Object.fromEntries(Object.entries(now).map(([key, value]) => [key, value - (before[key] ?? 0)]).filter(([, value]) => value !== 0));
    expect(delta(responder, metricsBefore.responder)).toEqual({ '200': sent });
    // The initiator counts what its NFs got: the producer's statuses.
    expect(delta(initiator, metricsBefore.initiator)).toEqual({ '200': 5, '201': 1, '204': 1, '404': 1, '503': 1 });
    expect(sent).toBe(9);
  });

  describe('n32f-terminate from the initiator (POST /admin/peers/<fqdn>/n32f-terminate)', () => {
    let old: { initiator: ContextView; responder: ContextView };
    let responderLogFrom = 0;

    beforeAll(async () => {
      old = await expectMatchingContexts(pair.get());
      responderLogFrom = pair.get().responder.lines.length;
    });

    it('is acknowledged by the responder, and both sides drop the context (prins-selected, no context)', async () => {
      const answer = await pair.get().initiator.admin<{ terminated: string; acknowledged: boolean }>(`/admin/peers/${FQDN_A}/n32f-terminate`, { method: 'POST' });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ terminated: old.initiator.localContextId, acknowledged: true });
      await pair.get().initiator.waitForPeerState(FQDN_A, 'prins-selected');
      await pair.get().responder.waitForPeerState(FQDN_B, 'prins-selected');
      expect(await contextsOf(pair.get().initiator)).toEqual([]);
      expect(await contextsOf(pair.get().responder)).toEqual([]);
      const terminated = await pair.get().responder.waitForLog('context terminated', (line) => line.msg === 'N32-f context terminated', 5_000, responderLogFrom);
      expect(terminated).toMatchObject({ localContextId: old.responder.localContextId, reason: 'n32f-terminate from the peer' });
    });

    it('a second terminate finds no context: 404 CONTEXT_NOT_FOUND', async () => {
      const answer = await pair.get().initiator.admin<{ status: number; cause: string }>(`/admin/peers/${FQDN_A}/n32f-terminate`, { method: 'POST' });
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ status: 404, cause: 'CONTEXT_NOT_FOUND' });
    });

    it('the next NF request sets up a NEW context (new exchange-params, new IDs, same keys on both sides) and succeeds', async () => {
      const { answer } = await throughPair(pair.get(), 'GET', `/nudm-sdm/v2/${SUPI}/am-data`, { ...NF_HEADERS, authorization: TOKEN });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ supi: SUPI });
      await pair.get().waitEstablished();
      const fresh = await expectMatchingContexts(pair.get());
      expect(fresh.initiator.localContextId).not.toBe(old.initiator.localContextId);
      expect(fresh.responder.localContextId).not.toBe(old.responder.localContextId);
      expect(fresh.initiator.keyCheck).not.toBe(old.initiator.keyCheck);
      await pair.get().initiator.waitForLines('N32-f context established', (line) => line.msg === 'N32-f context established', 2);
      expect(logs(pair.get().initiator, 'N32-f context established')).toHaveLength(2);
    });
  });
});

describe('prins.jweCipherSuites: [A256GCM] on both sides', () => {
  const pair = usePair(() => ({ name: 'a256', responder: { prins: { jweCipherSuites: ['A256GCM'] } }, initiator: { prins: { jweCipherSuites: ['A256GCM'] } } }));

  it('both contexts use A256GCM (same key check) and NF traffic works', async () => {
    await expectMatchingContexts(pair.get(), 'A256GCM');
    expect((await pair.get().initiator.peer(FQDN_A))!.negotiation).toMatchObject({ jweCipherSuite: 'A256GCM' });
    const body = compact({ supi: SUPI, deep: { x: [1, 2, { y: 'z' }] } });
    const { answer, seen } = await throughPair(pair.get(), 'PUT', `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`, { 'content-type': 'application/json' }, body);
    expect(answer.status).toBe(200);
    expect(producer.body(seen).equals(body)).toBe(true);
    expect(answer.json).toMatchObject({ method: 'PUT', json: { supi: SUPI, deep: { x: [1, 2, { y: 'z' }] } } });
  });
});

describe('no JWE cipher suite in common (initiator [A128GCM], responder [A256GCM])', () => {
  const pair = usePair(() => ({ name: 'nosuite', waitEstablished: false, responder: { prins: { jweCipherSuites: ['A256GCM'] } }, initiator: { prins: { jweCipherSuites: ['A128GCM'] } } }));

  it('the initiator fails with PARAMETER_EXCHANGE_FAILED (the responder refused exchange-params with 400), and no context exists anywhere', async () => {
    const failed = await pair.get().initiator.waitForPeer(FQDN_A, 'failed with a reason', (peer) => peer.state === 'failed' && peer.lastError !== null);
    expect(failed.lastError!.reason).toBe('PARAMETER_EXCHANGE_FAILED');
    expect(failed.lastError!.detail).toMatch(/^exchange-params: HTTP 400 .*no JWE cipher suite in common/);
    expect(await contextsOf(pair.get().initiator)).toEqual([]);
    expect(await contextsOf(pair.get().responder)).toEqual([]);
    expect((await pair.get().responder.peer(FQDN_B))!.state).not.toBe('prins-established');
    expect(logs(pair.get().initiator, 'N32-f context established')).toEqual([]);
    expect(logs(pair.get().responder, 'N32-f context established')).toEqual([]);
  });

  it('an NF request gets an error answer and reaches nobody', async () => {
    const before = viaSepp().length;
    const answer = await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(String(answer.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect(viaSepp().length).toBe(before);
  });
});

describe('protection policy mismatch (responder dataTypeEncPolicy without UEID)', () => {
  /** The responder encrypts only the mandatory types; the initiator runs the default (UEID too). */
  const RESPONDER_POLICY = { dataTypeEncPolicy: ['LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN'] };

  describe('policyMismatch: reject on both sides', () => {
    const pair = usePair(() => ({
      name: 'policy-reject',
      waitEstablished: false,
      responder: { prins: { ...RESPONDER_POLICY, policyMismatch: 'reject' } },
      initiator: { prins: { policyMismatch: 'reject' } },
    }));

    it('the responder refuses exchange-params with 403 POLICY_MISMATCH; the initiator fails with POLICY_MISMATCH; no context', async () => {
      const failed = await pair.get().initiator.waitForPeer(FQDN_A, 'failed with a reason', (peer) => peer.state === 'failed' && peer.lastError !== null);
      expect(failed.lastError!.reason).toBe('POLICY_MISMATCH');
      expect(failed.lastError!.detail).toMatch(/^exchange-params: HTTP 403 .*POLICY_MISMATCH/);
      const warning = await pair.get().responder.waitForLog('policy warning', (line) => line.msg === 'the peer protection policy differs from ours');
      expect(warning).toMatchObject({ level: 'warn', mode: 'reject' });
      expect(warning['mismatches']).toEqual(expect.arrayContaining([expect.objectContaining({ param: expect.stringMatching(/^\/dataTypeEncPolicy/) })]));
      expect(await contextsOf(pair.get().initiator)).toEqual([]);
      expect(await contextsOf(pair.get().responder)).toEqual([]);
      // The responder refused first: the initiator never compared and sent no n32f-error.
      expect(logs(pair.get().responder, 'N32-f error reported by the peer')).toEqual([]);
    });
  });

  describe('policyMismatch: reject at the initiator, warn at the responder', () => {
    const pair = usePair(() => ({
      name: 'policy-initiator-rejects',
      waitEstablished: false,
      responder: { prins: { ...RESPONDER_POLICY, policyMismatch: 'warn' } },
      initiator: { prins: { policyMismatch: 'reject' } },
    }));

    it('the initiator reports n32f-error POLICY_MISMATCH (policyMismatchList) to the responder, which logs it; the initiator fails with POLICY_MISMATCH', async () => {
      const failed = await pair.get().initiator.waitForPeer(FQDN_A, 'failed with a reason', (peer) => peer.state === 'failed' && peer.lastError !== null);
      expect(failed.lastError!.reason).toBe('POLICY_MISMATCH');
      const report = await pair.get().responder.waitForLog('the n32f-error report', (line) => line.msg === 'N32-f error reported by the peer');
      expect(report).toMatchObject({ level: 'warn', peer: FQDN_B, n32fErrorType: 'POLICY_MISMATCH' });
      expect(report['policyMismatches']).toEqual(expect.arrayContaining([expect.objectContaining({ param: expect.stringMatching(/^\/dataTypeEncPolicy/) })]));
      const sent = await pair.get().initiator.waitForLog('report sent', (line) => line.msg === 'N32-f error reported to the peer');
      expect(sent).toMatchObject({ n32fErrorType: 'POLICY_MISMATCH', status: 204 });
      expect(await contextsOf(pair.get().initiator)).toEqual([]);
    });

    it('the responder drops the context the report names (it had set it up before the initiator compared policies)', async () => {
      const responder = pair.get().responder;
      const report = await responder.waitForLog('the n32f-error report', (line) => line.msg === 'N32-f error reported by the peer');
      const terminated = await responder.waitForLog('the refused context dropped', (line) => line.msg === 'N32-f context terminated' && line['localContextId'] === report['n32fContextId']);
      expect(terminated['reason']).toMatch(/POLICY_MISMATCH/);
      // The initiator keeps retrying (and failing); every context the responder set up for it goes.
      await waitFor('a few retries', () => logs(responder, 'N32-f error reported by the peer').length >= 3, 10_000);
      const established = logs(responder, 'N32-f context established').map((line) => line['localContextId'] as string);
      const dropped = new Set(logs(responder, 'N32-f context terminated').map((line) => line['localContextId'] as string));
      // All but possibly the newest (its report may still be on the way) are gone.
      expect(established.slice(0, -1).filter((id) => !dropped.has(id))).toEqual([]);
      expect((await contextsOf(responder)).length).toBeLessThanOrEqual(1);
    });
  });

  describe('policyMismatch: warn on both sides', () => {
    const pair = usePair(() => ({
      name: 'policy-warn',
      responder: { prins: { ...RESPONDER_POLICY, policyMismatch: 'warn' } },
      initiator: { prins: { policyMismatch: 'warn' } },
    }));

    it('both reach prins-established, each logs a warning, and NF traffic works', async () => {
      await expectMatchingContexts(pair.get());
      for (const sepp of [pair.get().initiator, pair.get().responder]) {
        const warning = logs(sepp, 'the peer protection policy differs from ours');
        expect(warning).toHaveLength(1);
        expect(warning[0]).toMatchObject({ level: 'warn', mode: 'warn' });
      }
      expect(logs(pair.get().responder, 'N32-f error reported by the peer')).toEqual([]);
      const { answer, seen } = await throughPair(pair.get(), 'GET', `/nudm-sdm/v2/${SUPI}/am-data?policy=warn`, { authorization: TOKEN });
      expect(answer.status).toBe(200);
      expect(seen.headers[':path']).toBe(`/nudm-sdm/v2/${SUPI}/am-data?policy=warn`);
      expect(seen.headers['authorization']).toBe(TOKEN);
    });
  });
});

describe('re-keying: prins.maxMessagesPerContext: 4', () => {
  const pair = usePair(() => ({ name: 'rekey', responder: { prins: { maxMessagesPerContext: 4 } }, initiator: { prins: { maxMessagesPerContext: 4 } } }));

  it('after a few NF requests the initiator negotiates fresh contexts, every request succeeds, and the old contexts are retired', async () => {
    const first = await expectMatchingContexts(pair.get());
    const requests = 12;
    for (let i = 0; i < requests; i++) {
      const answer = await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?n=${i}`, headers: { [TARGET_HEADER]: producer.apiRoot, authorization: TOKEN } });
      expect({ i, status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({ i, status: 200, text: '' });
      expect(answer.json).toMatchObject({ supi: SUPI, query: { n: String(i) } });
    }

    // (log lines reach the test asynchronously)
    await waitFor('a log line per request', () => logs(pair.get().initiator, 'PRINS request protected').length >= requests, 5_000);
    const established = logs(pair.get().initiator, 'N32-f context established');
    // 4 nonces per direction: at least one new context per 4 requests.
    expect(established.length).toBeGreaterThanOrEqual(Math.ceil(requests / 4));
    const ids = established.map((line) => line['localContextId'] as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe(first.initiator.localContextId);
    // No context carried more than 4 requests (the initiator logs which context each request went on).
    const perContext: Record<string, number> = {};
    for (const line of logs(pair.get().initiator, 'PRINS request protected')) perContext[line['contextId'] as string] = (perContext[line['contextId'] as string] ?? 0) + 1;
    expect(Object.values(perContext).reduce((a, b) => a + b, 0)).toBe(requests);
    for (const count of Object.values(perContext)) expect(count).toBeLessThanOrEqual(4);
    expect(logs(pair.get().responder, 'PRINS message refused')).toEqual([]);

    // The replaced contexts go after their grace period (10 s): one context left on each side, the
    // newest (the 12th request may itself have triggered one more exchange, after the loop).
    await pair.get().waitEstablished();
    await waitFor('the old contexts retired', async () => {
      const [a, b] = await Promise.all([contextsOf(pair.get().initiator), contextsOf(pair.get().responder)]);
      return a.length === 1 && b.length === 1;
    }, 15_000, 250);
    const all = logs(pair.get().initiator, 'N32-f context established');
    expect((await contextsOf(pair.get().initiator))[0]!.localContextId).toBe(all[all.length - 1]!['localContextId']);
    const last = await expectMatchingContexts(pair.get());
    expect(last.initiator.localContextId).not.toBe(first.initiator.localContextId);
    expect(last.initiator.keyCheck).not.toBe(first.initiator.keyCheck);
  });

  it('a concurrent burst across the end of a context: every request waits for the fresh context instead of failing', async () => {
    await pair.get().waitEstablished();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?burst=${i}`, headers: { [TARGET_HEADER]: producer.apiRoot, authorization: TOKEN } }),
      ),
    );
    expect(answers.map((answer, i) => ({ i, status: answer.status }))).toEqual(answers.map((_, i) => ({ i, status: 200 })));
    answers.forEach((answer, i) => expect(answer.json).toMatchObject({ supi: SUPI, query: { burst: String(i) } }));
    expect(logs(pair.get().responder, 'PRINS message refused')).toEqual([]);
  });
});

describe('the peer too busy to take a protected request (responder limits.maxRequestsInFlight: 1, its LCI every 2 s per connection)', () => {
  const pair = usePair(() => ({ name: 'busy', responder: { limits: { maxRequestsInFlight: 1, lciPeriodMs: 2_000 } } }));

  it("the peer's load control information on its n32f-process answer reaches the NF (TS 29.500 6.3, SEPP scope), at most once per period on the connection", async () => {
    await pair.get().waitEstablished();
    const ask = (query: string) => pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?${query}`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expect((await ask('lci-before')).status).toBe(200);
    // A period after the last answer on the connection, whatever carried the last LCI: the next answer carries one.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const reported = await ask('lci-reported');
    expect(reported.status).toBe(200);
    expect(reported.json).toMatchObject({ supi: SUPI, query: { 'lci-reported': '' } });
    expect(String(reported.headers['3gpp-sbi-lci'])).toMatch(new RegExp(`^Timestamp: "[0-9T:.Z-]+"; Load-Metric: ([1-9]?[0-9]|100)%; SEPP-FQDN: ${FQDN_A.replace(/\./g, '\\.')}$`));
    // Within the period, none.
    expect((await ask('lci-within')).headers['3gpp-sbi-lci']).toBeUndefined();
  });

  it("its 503 NF_CONGESTION reaches the NF as it came, with retry-after and the peer's overload control information; not a protection failure; served again once it is free", async () => {
    const { initiator } = pair.get();
    // Held at the producer: the responder's N32 listener has its one request in flight.
    const { answer: slow } = await holdAtProducer(pair.get().nf!, producer, 'prins');
    const fromLine = initiator.lines.length;
    const busy = await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?busy=1`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expectProblemAnswer(busy, 503);
    expect(busy.json).toMatchObject({ status: 503, cause: 'NF_CONGESTION', detail: '1 requests in flight on the n32 listener (limits.maxRequestsInFlight 1)' });
    expect(busy.headers['retry-after']).toBe('1');
    expect(String(busy.headers['3gpp-sbi-oci'])).toMatch(new RegExp(`; Period-of-Validity: 1s; Overload-Reduction-Metric: \\d+%; SEPP-FQDN: ${FQDN_A.replace(/\./g, '\\.')}$`));
    expect(producer.byPath(`/nudm-sdm/v2/${SUPI}/am-data?busy=1`)).toEqual([]);
    // Congestion, not tampering: no verification failure, no n32f-error, the context goes on.
    expect(initiator.lines.slice(fromLine).filter((line) => line.msg === 'PRINS answer refused' || String(line.msg).startsWith('N32-f error report'))).toEqual([]);
    expect((await slow).status).toBe(200);
    const after = await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?after=1`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expect(after.status).toBe(200);
    await expectMatchingContexts(pair.get());
  });
  it("priority under its overload: the NF's 3gpp-Sbi-Message-Priority travels on the n32f-process POST, so a priority request takes the peer's reserve and is served while a lower one is refused", async () => {
    const { responder } = pair.get();
    const { answer: slow } = await holdAtProducer(pair.get().nf!, producer, 'prins-priority');
    const ask = (query: string, priority: string) =>
      pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?${query}`, headers: { [TARGET_HEADER]: producer.apiRoot, '3gpp-sbi-message-priority': priority } });
    // The responder's reserve (a sixteenth of 1, at least 1) takes priority 7 and higher.
    const lower = await ask('lower=1', '9');
    expectProblemAnswer(lower, 503);
    expect(lower.json).toMatchObject({ cause: 'NF_CONGESTION', detail: '1 requests in flight on the n32 listener (limits.maxRequestsInFlight 1)' });
    const urgent = await ask('urgent=1', '2');
    expect(urgent.status).toBe(200);
    expect(urgent.json).toMatchObject({ supi: SUPI, query: { urgent: '1' } });
    // Taken with 2 in flight against the overload control threshold of 1 (80 % of the bound):
    // the responder asks for half the load away on its n32f-process answer, which reaches the NF.
    expect(String(urgent.headers['3gpp-sbi-oci'])).toMatch(new RegExp(`^Timestamp: "[0-9T:.Z-]+"; Period-of-Validity: 1s; Overload-Reduction-Metric: 50%; SEPP-FQDN: ${FQDN_A.replace(/\./g, '\\.')}$`));
    // The producer gets the NF's header as it was protected.
    expect(producer.byPath(`/nudm-sdm/v2/${SUPI}/am-data?urgent=1`)[0]!.headers['3gpp-sbi-message-priority']).toBe('2');
    const text = await (await fetch(`http://127.0.0.1:${responder.port('admin')}/metrics`)).text();
    expect(text).toMatch(/^sepp_overload_priority_admitted_total\{listener="n32"[^}]*\} 1$/m);
    expect(text).toMatch(/^sepp_overload_oci_answers_total\{listener="n32"[^}]*\} 1$/m);
    expect((await slow).status).toBe(200);
    await expectMatchingContexts(pair.get());
  });
});

describe('the peer over its rate limit for us (responder limits.rateLimitPerPeer: 1, burst 2)', () => {
  const pair = usePair(() => ({ name: 'ratelimited', responder: { limits: { rateLimitPerPeer: 1, rateLimitBurst: 2 } } }));

  it('its 429 NF_CONGESTION_RISK reaches the NF as it came, with retry-after; not a protection failure; the context goes on', async () => {
    const { initiator } = pair.get();
    const fromLine = initiator.lines.length;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?limited=${i}`, headers: { [TARGET_HEADER]: producer.apiRoot } })),
    );
    const limited = answers.filter((answer) => answer.status === 429);
    // Two in the burst, at most one more per second the six took: some are over the rate.
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status !== 429).map((answer) => answer.status)).toEqual(expect.arrayContaining([200, 200]));
    for (const answer of answers) expect([200, 429]).toContain(answer.status);
    for (const answer of limited) {
      expectProblemAnswer(answer, 429);
      expect(answer.json).toMatchObject({ status: 429, cause: 'NF_CONGESTION_RISK' });
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(initiator.lines.slice(fromLine).filter((line) => line.msg === 'PRINS answer refused' || String(line.msg).startsWith('N32-f error report'))).toEqual([]);
    await expectMatchingContexts(pair.get());
  });
});

describe('n32f.maxConcurrentPerPeer in PRINS mode (responder 1, initiator 2)', () => {
  const pair = usePair(() => ({ name: 'concurrency', responder: { n32f: { maxConcurrentPerPeer: 1 } }, initiator: { n32f: { maxConcurrentPerPeer: 2 } } }));

  it("the responder takes one request of the peer at a time: the next is 429 NF_CONGESTION_RISK with retry-after, before any verification, relayed to the NF as it came; the context goes on", async () => {
    const { initiator, responder } = pair.get();
    const { answer: slow } = await holdAtProducer(pair.get().nf!, producer, 'concurrency');
    const fromLine = initiator.lines.length;
    const busy = await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?concurrent=1`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expectProblemAnswer(busy, 429);
    expect(busy.json).toMatchObject({ status: 429, cause: 'NF_CONGESTION_RISK', detail: `${FQDN_B} has 1 N32-f requests in flight (limit 1)` });
    expect(busy.headers['retry-after']).toBe('1');
    expect(producer.byPath(`/nudm-sdm/v2/${SUPI}/am-data?concurrent=1`)).toEqual([]);
    expect(responder.lines.filter((line) => line.msg === 'PRINS message refused')).toEqual([]);
    expect(initiator.lines.slice(fromLine).filter((line) => line.msg === 'PRINS answer refused' || String(line.msg).startsWith('N32-f error report'))).toEqual([]);
    // A priority request (its priority on the n32f-process POST) may go limits.priorityReserve beyond the bound.
    const urgent = await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?urgent-concurrency=1`, headers: { [TARGET_HEADER]: producer.apiRoot, '3gpp-sbi-message-priority': '1' } });
    expect(urgent.status).toBe(200);
    expect((await slow).status).toBe(200);
    expect((await pair.get().nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?after-concurrency=1`, headers: { [TARGET_HEADER]: producer.apiRoot } })).status).toBe(200);
    await expectMatchingContexts(pair.get());
  });
});
