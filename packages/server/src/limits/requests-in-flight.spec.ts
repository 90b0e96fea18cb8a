import { once } from 'node:events';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { readLimits } from '../config/limits-config';
import { createJsonLogger } from '../logging/logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { dispatchingServerFactory, type SeppHttp2Server } from '../n32f/dispatching-server';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { boundRequestsInFlight, claimsPriority, overloadControlInformation, PeakWindow, perPeerBound } from './requests-in-flight';

/** TS 29.500's 3gpp-Sbi-Oci with the SEPP scope (TS29500_CustomHeaders.abnf: oci-element, seppScope). */
const SEPP_OCI = /^Timestamp: "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"; Period-of-Validity: (\d+)s; Overload-Reduction-Metric: (100|[1-9]\d|\d)%; SEPP-FQDN: ([!#$%&'*+.^_`|~0-9A-Za-z-]+)$/;
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

  beforeEach(async () => {
    inFlight = 0;
    handled = 0;
    lines = [];
    metrics = new SeppMetrics('initiator');
    const logger = createJsonLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const config = { current: { limits: readLimits({ maxRequestsInFlight: 3, streamIdleMs: 200 }), sepp: { fqdn: FQDN } } };
    setLimits = (limits) => (config.current.limits = limits);
    server = dispatchingServerFactory(null, 0)((_request, response) => {
      handled += 1;
      response.end('handled');
    });
    // One second of the OCI's window for the whole test, however slow the machine.
    boundRequestsInFlight(server, 'sbi', { logger, metrics, config } as unknown as SeppRuntime, () => inFlight, { servesN32c: true, clock: () => 0 });
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
    expect(metrics.loadView()).toEqual({ sbi: { inFlight: 2, peakInFlight: 4, maxRequestsInFlight: 3, priorityReserve: 1, refused: 6, priorityTaken: 3 } });
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
