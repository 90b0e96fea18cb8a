import { once } from 'node:events';
import { connect, type ClientHttp2Session, type Http2ServerResponse, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { readLimits } from '../config/limits-config';
import { createJsonLogger } from '../logging/logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { dispatchingServerFactory, type SeppHttp2Server } from '../n32f/dispatching-server';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { boundRequestsInFlight, claimsPriority, ociThreshold, overloadControlInformation, PeakWindow, perPeerBound, reductionAbove, withOverloadControlInformation } from './requests-in-flight';

/** TS 29.500's 3gpp-Sbi-Oci with the SEPP scope (TS29500_CustomHeaders.abnf: oci-element, seppScope). */
const SEPP_OCI = /^Timestamp: "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"; Period-of-Validity: (\d+)s; Overload-Reduction-Metric: (100|[1-9]\d|\d)%; SEPP-FQDN: ([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
/** TS 29.500's 3gpp-Sbi-Lci with the SEPP scope (TS29500_CustomHeaders.abnf: lc-element, seppScope). */
const SEPP_LCI = /^Timestamp: "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"; Load-Metric: (100|[1-9]\d|\d)%; SEPP-FQDN: ([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
const FQDN = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';

/**
 * The overload bound on a real dispatching server (cleartext HTTP/2 on loopback), with the count
 * of requests in flight set by each test; the e2e suite holds real requests in flight
 * (limits-abuse.e2e.spec.ts).
 */
describe('boundRequestsInFlight', () => {
  let server: SeppHttp2Server;
  let client: ClientHttp2Session;
  let inFlight: number;
  let handled: number;
  let lines: Record<string, unknown>[];
  let metrics: SeppMetrics;
  let setLimits: (limits: ReturnType<typeof readLimits>) => void;
  let config: { current: { limits: ReturnType<typeof readLimits>; sepp?: { fqdn: string } } };
  /** The requests in flight when the handler answers (the guard counts the answered stream too). */
  let atAnswer: number | undefined;
  /** What the handler adds to its answer. */
  let answerHeaders: Record<string, string>;
  /** The listener's clock (ms). */
  let now: number;
  /** This process's load as the LCI reports it (percent). */
  let loadPercent: number;

  beforeEach(async () => {
    inFlight = 0;
    handled = 0;
    atAnswer = undefined;
    answerHeaders = {};
    now = 0;
    loadPercent = 0;
    lines = [];
    metrics = new SeppMetrics('initiator');
    const logger = createJsonLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    config = { current: { limits: readLimits({ maxRequestsInFlight: 3, streamIdleMs: 200 }), sepp: { fqdn: FQDN } } };
    setLimits = (limits) => (config.current.limits = limits);
    server = dispatchingServerFactory(null, 0)((_request, response: Http2ServerResponse) => {
      handled += 1;
      if (atAnswer !== undefined) inFlight = atAnswer;
      for (const [name, value] of Object.entries(answerHeaders)) response.setHeader(name, value);
      response.end('handled');
    });
    // One second of the OCI's window for the whole test, however slow the machine.
    boundRequestsInFlight(server, 'sbi', { logger, metrics, config } as unknown as SeppRuntime, () => inFlight, { servesN32c: true, clock: () => now, load: { percent: () => loadPercent } });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    client.on('error', () => undefined);
  });

  afterEach(async () => {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  function request(method: string, body?: Buffer, extra: Record<string, string> = {}): Promise<{ headers: IncomingHttpHeaders; text: string; rstCode: number | undefined }> {
    return new Promise((resolve, reject) => {
      const stream = client.request({ ':method': method, ':path': '/nudm-sdm/v2/x', ...extra }, { endStream: body === undefined });
      let headers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (headers = h));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('close', () => resolve({ headers, text: Buffer.concat(chunks).toString(), rstCode: stream.rstCode }));
      stream.on('error', () => undefined);
      stream.setTimeout(5_000, () => reject(new Error('no answer')));
      if (body) stream.end(body);
    });
  }

  it('below the bound every request goes on; at it a new one is answered 503 NF_CONGESTION with retry-after, and no handler sees it', async () => {
    inFlight = 2;
    expect((await request('GET')).text).toBe('handled');
    inFlight = 3;
    const refused = await request('GET');
    expect(refused.headers).toMatchObject({ ':status': 503, 'content-type': 'application/problem+json', 'retry-after': '1' });
    // Overload control information, SEPP scope: one request of two refused in this second.
    const oci = SEPP_OCI.exec(String(refused.headers['3gpp-sbi-oci']));
    expect(oci?.slice(2)).toEqual(['1', '50', FQDN]);
    expect(Math.abs(Date.parse(oci![1]!) - Date.now())).toBeLessThan(5_000);
    expect(SEPP_OCI.exec(String((await request('GET')).headers['3gpp-sbi-oci']))?.[3]).toBe('67');
    expect(SEPP_OCI.exec(String((await request('GET')).headers['3gpp-sbi-oci']))?.[3]).toBe('75');
    expect(JSON.parse(refused.text)).toEqual({
      title: 'Service Unavailable',
      status: 503,
      cause: 'NF_CONGESTION',
      detail: '3 requests in flight on the sbi listener (limits.maxRequestsInFlight 3)',
    });
    expect(handled).toBe(1);
    expect(metrics.refusals.view()).toEqual([expect.objectContaining({ category: 'unavailable', cause: 'OVERLOADED', listener: 'sbi', count: 3 })]);
    expect(lines.filter((line) => line['msg'] === 'overload: requests refused')).toEqual([
      expect.objectContaining({ level: 'warn', listener: 'sbi', cause: 'NF_CONGESTION', refused: 1, inFlight: 3, maxRequestsInFlight: 3 }),
    ]);
  });

  it('a refused request with a body: the answer comes first, the body is read and dropped, the stream ends', async () => {
    inFlight = 5;
    const small = await request('POST', Buffer.alloc(1_000, 'a'));
    expect(small.headers[':status']).toBe(503);
    expect(small.rstCode).toBe(0);
    // Beyond what is read and dropped (64 KiB): after the answer, RST_STREAM(NO_ERROR).
    const large = await request('POST', Buffer.alloc(1 << 20, 'a'));
    expect(large.headers[':status']).toBe(503);
    expect(JSON.parse(large.text)).toMatchObject({ cause: 'NF_CONGESTION' });
    expect(handled).toBe(0);
  });

  it('a refused request whose body stalls after the answer is cancelled after limits.streamIdleMs (the listener guard never sees it)', async () => {
    inFlight = 5;
    const stream = client.request({ ':method': 'POST', ':path': '/nudm-sdm/v2/x' }, { endStream: false });
    stream.on('error', () => undefined);
    const status = new Promise((resolve) => stream.on('response', (h) => resolve(h[':status'])));
    stream.write(Buffer.alloc(100, 'a'));
    expect(await status).toBe(503);
    // Without the bound it would stay open (the sender never ends its body): CANCEL, not NO_ERROR.
    await once(stream, 'close');
    expect(stream.rstCode).toBe(8);
  });

  it('past the bound, limits.priorityReserve more are taken if they claim priority (N32-c, or a message priority of limits.priorityReserveUpTo or higher); counted and logged; past the reserve refused like the others', async () => {
    // maxRequestsInFlight 3: the reserve is a sixteenth of it, at least 1; reloaded to 2 below.
    inFlight = 3;
    const priority = (value: string) => request('GET', undefined, { '3gpp-sbi-message-priority': value });
    expect((await priority('7')).text).toBe('handled');
    expect((await priority('0')).text).toBe('handled');
    expect((await request('POST', Buffer.from('{}'), { ':path': '/n32c-handshake/v1/exchange-capability' })).text).toBe('handled');
    // Ordinary: no header, a lower priority, a malformed or repeated one.
    for (const refused of [await request('GET'), await priority('8'), await priority('31'), await priority('07'), await priority('high')]) {
      expect(refused.headers[':status']).toBe(503);
      expect(JSON.parse(refused.text)).toMatchObject({ detail: '3 requests in flight on the sbi listener (limits.maxRequestsInFlight 3)' });
    }
    expect(handled).toBe(3);
    // The reserve used up: a priority request is refused too, the detail naming both keys.
    inFlight = 4;
    const past = await priority('1');
    expect(past.headers).toMatchObject({ ':status': 503, 'retry-after': '1' });
    expect(JSON.parse(past.text)).toMatchObject({ cause: 'NF_CONGESTION', detail: '4 requests in flight on the sbi listener (limits.maxRequestsInFlight 3, limits.priorityReserve 1)' });
    expect(handled).toBe(3);
    expect(await metrics.registry.getSingleMetricAsString('sepp_overload_priority_admitted_total')).toContain('sepp_overload_priority_admitted_total{listener="sbi",app="sepp-initiator"} 3');
    expect(lines.filter((line) => line['msg'] === 'overload: priority requests admitted past the bound')).toEqual([
      expect.objectContaining({ level: 'warn', listener: 'sbi', admitted: 1, inFlight: 3, maxRequestsInFlight: 3, priorityReserve: 1 }),
    ]);
    expect(metrics.refusals.view()).toEqual([expect.objectContaining({ cause: 'OVERLOADED', count: 6 })]);
    // The status page's view of the listener: in flight now, the peak of the minute, the bound, the totals.
    inFlight = 2;
    expect(metrics.loadView()).toEqual({ sbi: { inFlight: 2, peakInFlight: 4, maxRequestsInFlight: 3, priorityReserve: 1, refused: 6, priorityTaken: 3, ociFrom: 3, signalled: 0 } });
  });

  it('limits.priorityReserve 0: no reserve, and limits.priorityReserveUpTo moves the line (a reload applies to the next request)', async () => {
    inFlight = 3;
    setLimits(readLimits({ maxRequestsInFlight: 3, priorityReserve: 0 }));
    expect((await request('GET', undefined, { '3gpp-sbi-message-priority': '0' })).headers[':status']).toBe(503);
    expect((await request('POST', Buffer.from('{}'), { ':path': '/n32c-handshake/v1/exchange-params' })).headers[':status']).toBe(503);
    setLimits(readLimits({ maxRequestsInFlight: 3, priorityReserve: 5, priorityReserveUpTo: 20 }));
    expect((await request('GET', undefined, { '3gpp-sbi-message-priority': '20' })).text).toBe('handled');
    expect((await request('GET', undefined, { '3gpp-sbi-message-priority': '21' })).headers[':status']).toBe(503);
    expect(handled).toBe(1);
  });

  it('above limits.ociFromPercent of the bound, the answers of requests taken carry the SEPP\'s OCI (the share of the load above the threshold), counted; none below it or once the load is back', async () => {
    // maxRequestsInFlight 4 at 50 %: from 2 in flight; this request makes the load.
    setLimits(readLimits({ maxRequestsInFlight: 4, ociFromPercent: 50 }));
    inFlight = 1;
    const calm = await request('GET');
    expect(calm.text).toBe('handled');
    expect(calm.headers['3gpp-sbi-oci']).toBeUndefined();
    inFlight = 2;
    atAnswer = 3;
    const busy = await request('GET');
    expect(busy.headers[':status']).toBe(200);
    const oci = SEPP_OCI.exec(String(busy.headers['3gpp-sbi-oci']));
    // 3 in flight against a threshold of 2: a third of the load asked away, for a second.
    expect(oci?.slice(2)).toEqual(['1', '33', FQDN]);
    expect(Math.abs(Date.parse(oci![1]!) - Date.now())).toBeLessThan(5_000);
    // Taken while busy, answered once the load is back under the threshold: nothing asked.
    inFlight = 2;
    atAnswer = 1;
    expect((await request('GET')).headers['3gpp-sbi-oci']).toBeUndefined();
    // A producer's OCI in the answer stays first; ours follows in the same field (a list, TS 29.500 5.2.3.3).
    inFlight = 3;
    atAnswer = 4;
    const producerOci = 'Timestamp: "2026-12-06T08:00:00.000Z"; Period-of-Validity: 30s; Overload-Reduction-Metric: 10%; NF-Instance: 54804518-4191-46b3-955c-ac631f953ed8';
    answerHeaders = { '3gpp-Sbi-Oci': producerOci };
    const both = String((await request('GET')).headers['3gpp-sbi-oci']);
    expect(both.startsWith(`${producerOci}, `)).toBe(true);
    expect(SEPP_OCI.exec(both.slice(producerOci.length + 2))?.slice(2)).toEqual(['1', '50', FQDN]);
    expect(handled).toBe(4);
    expect(await metrics.registry.getSingleMetricAsString('sepp_overload_oci_answers_total')).toContain('sepp_overload_oci_answers_total{listener="sbi",app="sepp-initiator"} 2');
    expect(metrics.loadView()['sbi']).toMatchObject({ ociFrom: 2, signalled: 2, refused: 0 });
  });

  it('limits.ociFromPercent 0: only refusals carry the OCI; a listener of no SEPP (the IPX relay) sends none', async () => {
    setLimits(readLimits({ maxRequestsInFlight: 4, ociFromPercent: 0 }));
    inFlight = 3;
    atAnswer = 4;
    expect((await request('GET')).headers['3gpp-sbi-oci']).toBeUndefined();
    expect(metrics.loadView()['sbi']).toMatchObject({ ociFrom: null, signalled: 0 });
    setLimits(readLimits({ maxRequestsInFlight: 4, ociFromPercent: 50 }));
    delete config.current.sepp;
    inFlight = 3;
    const relayed = await request('GET');
    expect(relayed.text).toBe('handled');
    expect(relayed.headers['3gpp-sbi-oci']).toBeUndefined();
    expect(metrics.loadView()['sbi']).toMatchObject({ ociFrom: null, signalled: 0 });
  });

  it('limits.lciPeriodMs: the first answer on a connection carries the SEPP\'s LCI (this process\'s load), then the first after each period; each connection its own; none when 0', async () => {
    expect((await request('GET')).headers['3gpp-sbi-lci']).toBeUndefined();
    setLimits(readLimits({ maxRequestsInFlight: 3, lciPeriodMs: 5_000 }));
    loadPercent = 37.4;
    const first = await request('GET');
    expect(first.text).toBe('handled');
    const lci = SEPP_LCI.exec(String(first.headers['3gpp-sbi-lci']));
    expect(lci?.slice(2)).toEqual(['37', FQDN]);
    expect(Math.abs(Date.parse(lci![1]!) - Date.now())).toBeLessThan(5_000);
    now = 4_999;
    expect((await request('GET')).headers['3gpp-sbi-lci']).toBeUndefined();
    // Another connection: its first answer carries it.
    const other = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      const answer = await new Promise<IncomingHttpHeaders>((resolve) => other.request({ ':path': '/nudm-sdm/v2/y' }).on('response', resolve).resume());
      expect(SEPP_LCI.exec(String(answer['3gpp-sbi-lci']))?.slice(2)).toEqual(['37', FQDN]);
    } finally {
      other.close();
    }
    // A period later, again; a producer's LCI stays first, ours after it in the same field.
    now = 5_000;
    loadPercent = 99.6;
    const producerLci = 'Timestamp: "2026-12-06T08:00:00.000Z"; Load-Metric: 10%; NF-Instance: 54804518-4191-46b3-955c-ac631f953ed8';
    answerHeaders = { '3gpp-sbi-lci': producerLci };
    const both = String((await request('GET')).headers['3gpp-sbi-lci']);
    expect(both.startsWith(`${producerLci}, `)).toBe(true);
    expect(SEPP_LCI.exec(both.slice(producerLci.length + 2))?.slice(2)).toEqual(['100', FQDN]);
    // A listener of no SEPP sends none.
    now = 20_000;
    delete config.current.sepp;
    expect((await request('GET')).headers['3gpp-sbi-lci']).toBe(producerLci);
  });

  it('ociThreshold, reductionAbove and withOverloadControlInformation', () => {
    expect(ociThreshold({ maxRequestsInFlight: 4_096, ociFromPercent: 80 })).toBe(3_277);
    expect(ociThreshold({ maxRequestsInFlight: 1, ociFromPercent: 80 })).toBe(1);
    expect(ociThreshold({ maxRequestsInFlight: 10, ociFromPercent: 1 })).toBe(1);
    expect(ociThreshold({ maxRequestsInFlight: 10, ociFromPercent: 100 })).toBe(10);
    expect(ociThreshold({ maxRequestsInFlight: 10, ociFromPercent: 0 })).toBe(Infinity);
    // At the bound of 4,096 with the default threshold, a fifth asked away.
    expect(reductionAbove(4_096, 3_277)).toBe(20);
    expect(reductionAbove(3_277, 3_277)).toBe(0);
    expect(reductionAbove(10, 20)).toBe(0);
    expect(reductionAbove(2, 1)).toBe(50);
    const headers = { ':status': 200, 'content-type': 'application/json' };
    expect(withOverloadControlInformation(headers, 'ours')).toEqual({ ...headers, '3gpp-sbi-oci': 'ours' });
    expect(headers).toEqual({ ':status': 200, 'content-type': 'application/json' });
    expect(withOverloadControlInformation({ '3gpp-sbi-oci': ['a', 'b'] }, 'ours')).toEqual({ '3gpp-sbi-oci': 'a, b, ours' });
    expect(withOverloadControlInformation(undefined, 'ours')).toEqual({ '3gpp-sbi-oci': 'ours' });
  });

  it('claimsPriority: an N32-c path only on a listener that serves N32-c (an NF cannot claim it on the NF-facing one); the message priority anywhere', () => {
    const limits = { priorityReserveUpTo: 7 };
    expect(claimsPriority({ ':path': '/n32c-handshake/v1/exchange-capability' }, limits, true)).toBe(true);
    expect(claimsPriority({ ':path': '/n32c-handshake/v1/exchange-capability' }, limits, false)).toBe(false);
    expect(claimsPriority({ ':path': '/nudm-sdm/v2/x', '3gpp-sbi-message-priority': '7' }, limits, false)).toBe(true);
    expect(claimsPriority({ ':path': '/nudm-sdm/v2/x', '3gpp-sbi-message-priority': '8' }, limits, true)).toBe(false);
  });

  it('perPeerBound: n32f.maxConcurrentPerPeer, and limits.priorityReserve beyond it for a priority request (never for an N32-c path)', () => {
    const limits = { priorityReserve: 3, priorityReserveUpTo: 7 };
    expect(perPeerBound(10, { ':path': '/nudm-sdm/v2/x' }, limits)).toBe(10);
    expect(perPeerBound(10, { ':path': '/nudm-sdm/v2/x', '3gpp-sbi-message-priority': '7' }, limits)).toBe(13);
    expect(perPeerBound(10, { ':path': '/nudm-sdm/v2/x', '3gpp-sbi-message-priority': '8' }, limits)).toBe(10);
    expect(perPeerBound(10, { ':path': '/n32c-handshake/v1/exchange-capability' }, limits)).toBe(10);
    expect(perPeerBound(10, { ':path': '/nudm-sdm/v2/x', '3gpp-sbi-message-priority': '0' }, { ...limits, priorityReserve: 0 })).toBe(10);
  });

  it('PeakWindow: the highest value of the last 60 whole seconds, a slot per second reused as time goes on', () => {
    const window = new PeakWindow(60);
    expect(window.peak(0)).toBe(0);
    window.note(5, 100);
    window.note(3, 900);
    window.note(9, 1_500);
    expect(window.peak(1_600)).toBe(9);
    // 60 s after second 1 it has left the window; second 0's 5 left a second earlier.
    expect(window.peak(60_999)).toBe(9);
    expect(window.peak(61_000)).toBe(0);
    // A slot of a second 60 s ago is taken over by the new second, not added to.
    window.note(2, 61_200);
    expect(window.peak(61_500)).toBe(2);
    window.note(7, 120_000);
    expect(window.peak(120_100)).toBe(7);
  });

  it('formats the OCI of TS 29.500 with the SEPP scope, the metric a whole percent within 0-100', () => {
    const at = new Date('2026-12-06T08:50:00.123Z');
    expect(overloadControlInformation(FQDN, 33.4, at, 2)).toBe(`Timestamp: "2026-12-06T08:50:00.123Z"; Period-of-Validity: 2s; Overload-Reduction-Metric: 33%; SEPP-FQDN: ${FQDN}`);
    for (const [share, metric] of [[0, '0'], [0.4, '0'], [99.6, '100'], [150, '100'], [-3, '0']] as const) {
      expect(SEPP_OCI.exec(overloadControlInformation(FQDN, share, at))?.[3]).toBe(metric);
    }
  });
});
