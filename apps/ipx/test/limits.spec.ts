import type { ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { N32F_PROCESS_PATH } from '@sepp/protocol';
import { startIpxApp, type RunningIpx } from '../src/bootstrap/run-ipx-app';
import { loadIpxConfig } from '../src/config/load-ipx-config';
import { createIpxLogger } from '../src/logging/logger';
import { FakeNextHop, type NextHopAnswer } from './support/fake-next-hop';
import { h2Request, h2Session, type H2Answer } from './support/h2';
import { createRig, IPX_FQDN, LogLines, protectedAnswers, protectRequest, SEPP_A, SEPP_B, until, writeConfig, type Rig } from './support/rig';

const POST = { ':method': 'POST', ':path': N32F_PROCESS_PATH, 'content-type': 'application/json' };
/** The client preface and an empty SETTINGS frame. */
const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

/** A TLS connection to the relay's N32-f listener that speaks no HTTP/2 by itself. */
function rawTls(rig: Rig, port: number): Promise<{ socket: TLSSocket; secured: boolean; closed: Promise<number> }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = tlsConnect({ host: '127.0.0.1', port, ca: rig.pki.ca.certPem, cert: rig.seppA.certPem, key: rig.seppA.keyPem, servername: IPX_FQDN, ALPNProtocols: ['h2'] });
    const closed = new Promise<number>((done) => socket.once('close', () => done(Date.now() - started)));
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('secureConnect', () => resolve({ socket, secured: true, closed }));
    socket.once('close', () => resolve({ socket, secured: false, closed }));
  });
}

describe("apps/ipx: the N32-f listener's protections (limits) and its graceful stop", () => {
  let rig: Rig;
  let nextHop: FakeNextHop;
  let ipx: RunningIpx | undefined;
  let logs: LogLines;
  const clients: ClientHttp2Session[] = [];
  /** Answers the next hop holds until the test lets them go. */
  let held: (() => void)[] = [];
  let holding = false;

  async function start(limits: Record<string, unknown>, more: Record<string, unknown> = {}): Promise<RunningIpx> {
    logs = new LogLines();
    ipx = await startIpxApp(loadIpxConfig(writeConfig(rig, nextHop.port, { limits, ...more })), createIpxLogger('info', logs));
    return ipx;
  }

  /** A sending SEPP's connection (A's certificate unless another is given). */
  async function client(as: { certPem: string; keyPem: string } = rig.seppA): Promise<ClientHttp2Session> {
    const session = await h2Session(ipx!.addresses.n32f.port, { ca: rig.pki.ca.certPem, cert: as.certPem, key: as.keyPem, servername: IPX_FQDN });
    session.on('error', () => undefined);
    clients.push(session);
    return session;
  }

  const relay = (session: ClientHttp2Session, headers: Record<string, string> = {}): Promise<H2Answer> =>
    h2Request(session, { ...POST, ...headers }, JSON.stringify(protectRequest().body));
  const admin = (path: string): Promise<Response> => fetch(`http://127.0.0.1:${ipx!.addresses.admin.port}${path}`);
  const metric = async (series: RegExp): Promise<number> => {
    const line = (await (await admin('/metrics')).text()).split('\n').find((l) => series.test(l));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  const statusDocument = async (): Promise<{ load: Record<string, Record<string, number>>; refusals: { cause: string; count: number }[]; relay: { senders: { peer: string; traffic: { refused: Record<string, number>; answered: number; inFlight: number } }[] } }> =>
    (await (await admin('/admin/status')).json()) as never;

  beforeAll(async () => {
    rig = await createRig();
    const answer = protectedAnswers();
    nextHop = await FakeNextHop.start(rig.seppB, rig.pki.ca.certPem, (request) =>
      holding ? new Promise<NextHopAnswer>((resolve) => held.push(() => resolve(answer(request)))) : answer(request),
    );
  });

  afterEach(async () => {
    holding = false;
    for (const release of held) release();
    held = [];
    for (const session of clients.splice(0)) session.destroy();
    await ipx?.close();
    ipx = undefined;
  });

  afterAll(async () => {
    await nextHop.close();
  });

  it('past limits.maxRequestsInFlight a message is answered 503 NF_CONGESTION with retry-after at once, without an OCI (the relay is no SEPP); a priority one takes the reserve; counted on /metrics and the status page; the held ones are relayed once the next hop answers', async () => {
    await start({ maxRequestsInFlight: 2, priorityReserve: 1 });
    const session = await client();
    holding = true;
    const first = [relay(session), relay(session)];
    await until('two messages held at the next hop', () => held.length === 2);

    const refused = await relay(session);
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ status: 503, cause: 'NF_CONGESTION' });
    expect((refused.json as { detail: string }).detail).toContain('2 requests in flight on the n32f listener (limits.maxRequestsInFlight 2)');
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['3gpp-sbi-oci']).toBeUndefined();

    // A priority message (the sending SEPP copies the NF's 3gpp-Sbi-Message-Priority) takes the reserve.
    const priority = relay(session, { '3gpp-sbi-message-priority': '2' });
    await until('the priority message held at the next hop', () => held.length === 3);
    expect(nextHop.received.at(-1)!.headers['3gpp-sbi-message-priority']).toBe('2');
    expect((await relay(session, { '3gpp-sbi-message-priority': '2' })).status).toBe(503);

    const { load } = await statusDocument();
    expect(load['n32f']).toMatchObject({ inFlight: 3, maxRequestsInFlight: 2, priorityReserve: 1, refused: 2, priorityTaken: 1 });
    expect(await metric(/^sepp_refusals_total\{.*category="unavailable".*cause="OVERLOADED".*app="ipx"/)).toBe(2);
    expect(await metric(/^sepp_overload_priority_admitted_total\{listener="n32f",app="ipx"\}/)).toBe(1);
    expect(logs.with('overload: requests refused')[0]).toMatchObject({ level: 'warn', listener: 'n32f', maxRequestsInFlight: 2 });

    holding = false;
    for (const release of held.splice(0)) release();
    for (const answer of await Promise.all([...first, priority])) expect(answer.status).toBe(200);
    expect((await relay(session)).status).toBe(200);
  });

  it('a sender over limits.rateLimitPerPeer gets 429 NF_CONGESTION_RISK with retry-after before the relay reads the message; counted as abuse and for the sender', async () => {
    await start({ rateLimitPerPeer: 1, rateLimitBurst: 2 });
    const session = await client();
    const answers = await Promise.all([relay(session), relay(session), relay(session)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.json).toMatchObject({ status: 429, cause: 'NF_CONGESTION_RISK' });
    expect((limited.json as { detail: string }).detail).toContain(`${SEPP_A} sends more than 1 N32-f requests per second (burst 2)`);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(nextHop.received.length).toBeGreaterThanOrEqual(2);

    expect(await metric(/^sepp_abuse_events_total\{listener="n32f",kind="rate-limited",app="ipx"\}/)).toBe(1);
    const sender = (await statusDocument()).relay.senders.find((s) => s.peer === SEPP_A)!;
    expect(sender.traffic.refused).toEqual({ RATE_LIMITED: 1 });
    await until('the warn line', () => logs.with('abuse').some((l) => l['kind'] === 'rate-limited'));
    expect(logs.with('abuse').find((l) => l['kind'] === 'rate-limited')).toMatchObject({ listener: 'n32f', peer: SEPP_A, rateLimitPerPeer: 1, rateLimitBurst: 2 });
  });

  it('maxConcurrentPerSender: a sender whose messages stall at the next hop holds that many, the next is 429 with retry-after at once (a priority one may use limits.priorityReserve), while another sender is relayed', async () => {
    await start({ priorityReserve: 1 }, { maxConcurrentPerSender: 2 });
    const fromA = await client();
    const fromB = await client(rig.seppB);
    holding = true;
    const stalled = [relay(fromA), relay(fromA)];
    await until('two messages of A held at the next hop', () => held.length === 2);

    const refused = await relay(fromA);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ status: 429, cause: 'NF_CONGESTION_RISK' });
    expect((refused.json as { detail: string }).detail).toContain(`${SEPP_A} has 2 messages in flight through the relay (limit 2)`);
    expect(refused.headers['retry-after']).toBe('1');
    const priority = relay(fromA, { '3gpp-sbi-message-priority': '2' });
    await until('the priority message held at the next hop', () => held.length === 3);
    expect((await relay(fromA, { '3gpp-sbi-message-priority': '2' })).status).toBe(429);

    // B is not held up by A: its message reaches the next hop (held there too, then answered).
    const other = relay(fromB);
    await until("B's message at the next hop", () => held.length === 4);
    const { relay: view, refusals } = await statusDocument();
    expect(view.senders.find((s) => s.peer === SEPP_A)!.traffic).toMatchObject({ inFlight: 3, refused: { PEER_CONCURRENCY_EXCEEDED: 2 } });
    expect(view.senders.find((s) => s.peer === SEPP_B)!.traffic).toMatchObject({ inFlight: 1 });
    expect(refusals.find((r) => r.cause === 'PEER_CONCURRENCY_EXCEEDED')).toMatchObject({ count: 2 });
    expect(await metric(new RegExp(`^sepp_n32f_peer_in_flight\\{peer="${SEPP_A.replace(/\./g, '\\.')}",direction="inbound",app="ipx"\\}`))).toBe(3);

    holding = false;
    for (const release of held.splice(0)) release();
    for (const answer of await Promise.all([...stalled, priority, other])) expect(answer.status).toBe(200);
    // Released as their streams closed: room again for A.
    await until('the counts back to zero', async () => (await statusDocument()).relay.senders.every((s) => s.traffic.inFlight === 0));
    expect((await relay(fromA)).status).toBe(200);
  });

  it('a connection past limits.maxConnectionsPerAddress is closed as it arrives, before TLS; the ones held go on', async () => {
    await start({ maxConnectionsPerAddress: 2 });
    const held = [await client(), await client()];
    const third = await rawTls(rig, ipx!.addresses.n32f.port);
    expect(third.secured).toBe(false);
    expect(await metric(/^sepp_abuse_events_total\{listener="n32f",kind="connection-limit",app="ipx"\}/)).toBe(1);
    for (const session of held) expect((await relay(session)).status).toBe(200);
  });

  it('a header block trickled byte by byte (slow headers) is PINGed after limits.headersTimeoutMs and closed when the ACK does not come', async () => {
    await start({ headersTimeoutMs: 300 });
    const { socket, secured, closed } = await rawTls(rig, ipx!.addresses.n32f.port);
    expect(secured).toBe(true);
    // Valid HPACK (:method GET, :scheme http, :path /, then `x-a: b` over and over) in a HEADERS
    // frame of 402 bytes with END_HEADERS, one byte every 20 ms: 8 s if it were let be.
    const block = Buffer.concat([Buffer.from([0x82, 0x86, 0x84]), ...Array.from({ length: 57 }, () => Buffer.from([0x40, 0x03, 0x78, 0x2d, 0x61, 0x01, 0x62]))]);
    socket.write(Buffer.concat([H2_PREFACE, Buffer.from([0x00, block.length >> 8, block.length & 0xff, 0x01, 0x04, 0x00, 0x00, 0x00, 0x01])]));
    let next = 0;
    const trickle = setInterval(() => {
      if (next < block.length && !socket.destroyed) socket.write(block.subarray(next, ++next));
    }, 20);
    try {
      // Two liveness periods: the first sends a PING, the second finds it unanswered.
      expect(await closed).toBeGreaterThanOrEqual(550);
      expect(next).toBeLessThan(block.length);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(await metric(/^sepp_abuse_events_total\{listener="n32f",kind="slow-headers",app="ipx"\}/)).toBe(1);
    expect(logs.with('abuse').find((l) => l['kind'] === 'slow-headers')).toMatchObject({ listener: 'n32f', peer: SEPP_A, action: 'connection closed' });
  });

  it('graceful stop: not ready, no new connection, the message in flight relayed and answered, then closed', async () => {
    await start({});
    const session = await client();
    holding = true;
    const inFlight = relay(session);
    await until('the message held at the next hop', () => held.length === 1);
    const closing = ipx!.close();
    await until('the drain started', () => logs.with('listeners closed to new connections, draining').length === 1);
    expect(logs.with('listeners closed to new connections, draining')[0]).toMatchObject({ inFlight: { n32f: 1 } });
    expect((await admin('/readyz')).status).toBe(503);
    expect((await rawTls(rig, ipx!.addresses.n32f.port)).secured).toBe(false);
    held.shift()!();
    expect((await inFlight).status).toBe(200);
    await closing;
    expect(logs.with('drained')).toHaveLength(1);
    expect(logs.with('stopped')).toHaveLength(1);
  });

  it('graceful stop: a message still in flight after limits.drainTimeoutMs is cut, and the stop goes on', async () => {
    await start({ drainTimeoutMs: 300, closeGraceMs: 100 });
    const session = await client();
    holding = true;
    const inFlight = relay(session).then(
      (answer) => answer.status,
      (error: Error) => error.message,
    );
    await until('the message held at the next hop', () => held.length === 1);
    await ipx!.close();
    expect(logs.with('drain timed out: closing the connections left')[0]).toMatchObject({ left: { n32f: 1 }, drainTimeoutMs: 300 });
    expect(await inFlight).not.toBe(200);
    expect(logs.with('stopped')).toHaveLength(1);
  });
});
