import { randomBytes } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http2';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml } from './support/configs';
import {
  connections,
  expectProblemAnswer,
  n32fInitiatorYaml,
  n32fResponderYaml,
  NfClient,
  TappedProducer,
  TARGET_HEADER,
  UDM1_FQDN,
  udmApiRoot,
  withoutDate,
  type NfAnswer,
  type SeenRequest,
} from './support/n32f';
import type { TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

/** An FQDN too long for a direct telescopic label: it gets an opaque `m-0…` label. */
const LONG_FQDN = 'nf-instance-with-a-long-name.region-a.5gc.mnc001.mcc001.3gppnetwork.org';

/** End-to-end headers every NF request carries, and connection-specific ones a proxy must drop. */
const END_TO_END: OutgoingHttpHeaders = {
  accept: 'application/json, application/problem+json',
  'user-agent': 'AMF-amf1.5gc.mnc002.mcc002.3gppnetwork.org',
  'x-e2e-trace': 'trace-7',
  '3gpp-sbi-sender-timestamp': 'Fri, 27 Nov 2026 17:37:21.123 GMT',
  '3gpp-sbi-originating-network-id': '002-02',
};
const HOP_BY_HOP: OutgoingHttpHeaders = { te: 'trailers', 'proxy-authorization': 'Basic c2VjcmV0', trailer: 'x-checksum' };

describe('N32-f in TLS mode through the two SEPPs (shared connection)', () => {
  let pki: TestPki;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let nf: NfClient;
  let direct: NfClient;

  beforeAll(async () => {
    const { pki: created, certA, certB } = await createPkiAB();
    pki = created;
    producer = await TappedProducer.start('udm1');
    responder = await SeppProcess.ready(
      'responder',
      writeYaml(
        pki.dir,
        'responder',
        n32fResponderYaml(certA, pki, producer.port, {
          allowedTargets: [udmApiRoot(producer.port), udmApiRoot(producer.port, LONG_FQDN)],
          hosts: { [LONG_FQDN]: '127.0.0.1' },
        }),
      ),
    );
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    await responder.waitForPeerState(FQDN_B, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
    direct = await NfClient.connect(producer.port);
  });

  afterAll(async () => {
    nf?.close();
    direct?.close();
    await initiator?.stop();
    await responder?.stop();
    await producer?.close();
  });

  /** Streams that reached the producer through the responder (not the test's direct connection). */
  const viaSepp = (): SeenRequest[] => producer.seen.filter((s) => s.remotePort !== direct.localPort);

  /** Sends through the SEPPs; returns the answer and the one stream the producer saw for it. */
  async function throughSepps(method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<{ answer: NfAnswer; seen: SeenRequest }> {
    const before = producer.seen.length;
    const answer = await nf.request({ method, path, body, headers: { ...headers, [TARGET_HEADER]: udmApiRoot(producer.port) } });
    const arrived = producer.seen.slice(before);
    expect(arrived).toHaveLength(1);
    return { answer, seen: arrived[0]! };
  }

  /** The same request straight to the producer, as the pSEPP should have sent it. */
  function straight(method: string, path: string, headers: OutgoingHttpHeaders, body?: Buffer): Promise<NfAnswer> {
    return direct.request({ method, path, body, headers: { ':authority': `${UDM1_FQDN}:${producer.port}`, ...headers } });
  }

  const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

  describe.each([
    ['GET am-data with a JSON query', 'GET', '/nudm-sdm/v2/imsi-001010000000001/am-data?dataset-names=AM&plmn-id=%7B%22mcc%22%3A%22002%22%2C%22mnc%22%3A%2202%22%7D', undefined, 200],
    ['PUT with a JSON body and content-length', 'PUT', '/nudm-uecm/v1/imsi-001010000000001/registrations/amf-3gpp-access?supported-features=1', json({ amfInstanceId: 'a1', deregCallbackUri: 'https://amf1/cb' }), 200],
    ['POST with a JSON body and no content-length', 'POST', '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions?x=%20y', json({ nfInstanceId: 'n1', monitoredResourceUris: ['/a'] }), 201],
    ['PATCH with a merge-patch body', 'PATCH', '/nudm-uecm/v1/imsi-001010000000001/registrations/amf-3gpp-access', json({ purgeFlag: true }), 200],
    ['DELETE with a query (204, no body)', 'DELETE', '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions/sub-1?cause=x', undefined, 204],
    ['a 4xx problem+json of the producer', 'GET', '/nudm-sdm/v2/status/404', undefined, 404],
    ['a 5xx problem+json of the producer', 'POST', '/nudm-sdm/v2/status/503?retry=1', json({ a: 1 }), 503],
    ['a binary answer of 100000 bytes to a binary body', 'POST', '/nudm-sdm/v2/bytes/100000', randomBytes(70_000), 200],
  ] as const)('%s', (_name, method, path, body, status) => {
    const contentType = method === 'PATCH' ? 'application/merge-patch+json' : body && body.length > 1000 ? 'application/octet-stream' : 'application/json';
    const e2e: OutgoingHttpHeaders = { ...END_TO_END, ...(body ? { 'content-type': contentType } : {}), ...(method === 'PUT' ? { 'content-length': body.length } : {}) };
    let answer: NfAnswer;
    let seen: SeenRequest;

    beforeAll(async () => {
      ({ answer, seen } = await throughSepps(method, path, { ...e2e, ...HOP_BY_HOP }, body));
    });

    it('reaches the producer with method, path, query and body bytes unchanged', () => {
      expect(seen.headers[':method']).toBe(method);
      expect(seen.headers[':path']).toBe(path);
      expect(seen.ended).toBe(true);
      expect(producer.body(seen).equals(body ?? Buffer.alloc(0))).toBe(true);
    });

    it('with :authority = the producer host:port, the end-to-end headers kept, hop-by-hop and the target header dropped', () => {
      expect(seen.headers[':authority']).toBe(`${UDM1_FQDN}:${producer.port}`);
      expect(seen.headers[':scheme']).toBe('http');
      const received = Object.fromEntries(Object.entries(seen.headers).filter(([name]) => !name.startsWith(':')));
      const expected = Object.fromEntries(Object.entries(e2e).map(([name, value]) => [name, String(value)]));
      expect(received).toEqual(expected);
      expect(received[TARGET_HEADER]).toBeUndefined();
    });

    it('answers with the bytes and headers the producer gives when asked directly', async () => {
      const reference = await straight(method, path, e2e, body);
      expect(reference.status).toBe(status);
      expect(answer.status).toBe(reference.status);
      expect(withoutDate(answer.headers)).toEqual(withoutDate(reference.headers));
      expect(answer.body.equals(reference.body)).toBe(true);
      if (status >= 400) expectProblemAnswer(answer, status, `DEMO_${status}`);
      if (status === 204) expect(answer.body).toHaveLength(0);
      if (path.includes('/bytes/')) {
        expect(answer.headers['content-type']).toBe('application/octet-stream');
        expect(answer.body).toHaveLength(100_000);
        expect(answer.body.every((byte, i) => byte === (i & 0xff))).toBe(true);
      }
      if (method === 'POST' && status === 201) {
        // The producer builds `location` from :scheme and :authority: what it saw, relayed back.
        expect(answer.headers['location']).toMatch(new RegExp(`^http://${UDM1_FQDN.replace(/\./g, '\\.')}:${producer.port}/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions/[0-9a-f]{16}$`));
      }
    });
  });

  it('100 concurrent requests on one NF session are all answered correctly, on the ONE N32 connection of the negotiation', async () => {
    const supis = Array.from({ length: 100 }, (_, i) => `imsi-0010100000${String(i).padStart(5, '0')}`);
    const answers = await Promise.all(
      supis.map((supi, i) => nf.request({ path: `/nudm-sdm/v2/${supi}/am-data?n=${i}`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } })),
    );
    answers.forEach((answer, i) => {
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ supi: supis[i], query: { n: String(i) }, servedBy: 'udm1' });
    });

    // Shared mode: the pSEPP has exactly one N32 connection, the one N32-c ran on, and it carried
    // every N32-f request that reached the producer.
    const open = await connections(responder);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ listener: 'n32', peer: FQDN_B, n32cRequests: 1, n32fRequests: viaSepp().length });
    expect(open[0]!.certificate).toContain(FQDN_B);
    expect(viaSepp().length).toBeGreaterThanOrEqual(100 + 8);
    expect(initiator.lines.filter((l) => l.msg === 'N32 connection up')).toHaveLength(1);
  });

  it('a slow request does not hold up fast ones sent after it', async () => {
    const target = { [TARGET_HEADER]: udmApiRoot(producer.port) };
    const slow = nf.request({ path: '/nudm-sdm/v2/slow/1500', headers: target });
    await waitFor('the slow request at the producer', () => producer.byPath('/nudm-sdm/v2/slow/1500').length > 0, 5_000, 10);
    const fast = await Promise.all(Array.from({ length: 10 }, (_, i) => nf.request({ path: `/nudm-sdm/v2/imsi-00101000000000${i}/am-data`, headers: target })));
    const slowAnswer = await slow;
    expect(slowAnswer.status).toBe(200);
    expect(slowAnswer.ms).toBeGreaterThanOrEqual(1_400);
    for (const answer of fast) {
      expect(answer.status).toBe(200);
      expect(answer.ms).toBeLessThan(1_000);
      expect(answer.endedAt).toBeLessThan(slowAnswer.endedAt);
    }
  });

  describe('telescopic FQDNs', () => {
    const mapping = (query: string): Promise<NfAnswer> => nf.request({ path: `/nsepp-telescopic/v1/mapping?${query}` });

    it('the mapping API gives the label of a foreign FQDN, and the label maps back', async () => {
      const forward = await mapping(`foreign-fqdn=${UDM1_FQDN}`);
      expect(forward.status).toBe(200);
      expect(forward.json).toEqual({ telescopicLabel: 'udm1--5gc--mnc001--mcc001--3gppnetwork--org', seppDomain: FQDN_B, foreignFqdn: UDM1_FQDN });
      const back = await mapping(`telescopic-label=udm1--5gc--mnc001--mcc001--3gppnetwork--org`);
      expect(back.status).toBe(200);
      expect(back.json).toEqual({ telescopicLabel: 'udm1--5gc--mnc001--mcc001--3gppnetwork--org', seppDomain: FQDN_B, foreignFqdn: UDM1_FQDN });
    });

    it('a request to <label>.<our SEPP domain>:<port> without a target header reaches the producer', async () => {
      const { telescopicLabel } = (await mapping(`foreign-fqdn=${UDM1_FQDN}`)).json as { telescopicLabel: string };
      const before = producer.seen.length;
      const path = '/nudm-sdm/v2/imsi-001010000000042/am-data?via=telescopic';
      const answer = await nf.request({ path, headers: { ':authority': `${telescopicLabel}.${FQDN_B}:${producer.port}`, ...END_TO_END } });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ supi: 'imsi-001010000000042', query: { via: 'telescopic' }, servedBy: 'udm1' });
      const arrived = producer.seen.slice(before);
      expect(arrived).toHaveLength(1);
      expect(arrived[0]!.headers).toMatchObject({ ':authority': `${UDM1_FQDN}:${producer.port}`, ':path': path, ':method': 'GET' });
      expect(arrived[0]!.headers[TARGET_HEADER]).toBeUndefined();
      const reference = await straight('GET', path, END_TO_END);
      expect(answer.body.equals(reference.body)).toBe(true);
    });

    it('a long FQDN gets an opaque m-0… label that resolves through the table and routes', async () => {
      const forward = await mapping(`foreign-fqdn=${LONG_FQDN}`);
      expect(forward.status).toBe(200);
      const { telescopicLabel } = forward.json as { telescopicLabel: string };
      expect(telescopicLabel).toMatch(/^m-0[a-z2-7]{26}$/);
      expect(forward.json).toEqual({ telescopicLabel, seppDomain: FQDN_B, foreignFqdn: LONG_FQDN });
      const back = await mapping(`telescopic-label=${telescopicLabel}`);
      expect(back.status).toBe(200);
      expect(back.json).toEqual({ telescopicLabel, seppDomain: FQDN_B, foreignFqdn: LONG_FQDN });

      const before = producer.seen.length;
      const answer = await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000043/am-data', headers: { ':authority': `${telescopicLabel}.${FQDN_B}:${producer.port}` } });
      expect(answer.status).toBe(200);
      const arrived = producer.seen.slice(before);
      expect(arrived).toHaveLength(1);
      expect(arrived[0]!.headers[':authority']).toBe(`${LONG_FQDN}:${producer.port}`);
    });

    it('an unknown label is a 404 problem+json, from the mapping API and as a request authority', async () => {
      const unknown = 'm-0aaaaaaaaaaaaaaaaaaaaaaaaaa';
      expectProblemAnswer(await mapping(`telescopic-label=${unknown}`), 404, 'UNKNOWN_TELESCOPIC_LABEL');
      const before = producer.seen.length;
      const answer = await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000044/am-data', headers: { ':authority': `${unknown}.${FQDN_B}:${producer.port}` } });
      expectProblemAnswer(answer, 404, 'UNKNOWN_TELESCOPIC_LABEL');
      expect(producer.seen.length).toBe(before);
    });
  });
});
