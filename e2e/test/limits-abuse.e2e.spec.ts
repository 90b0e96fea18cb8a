import { connect as h2connect, constants } from 'node:http2';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml, type SeppYaml } from './support/configs';
import { abuseCount, samples, FLAG, frame, FRAME, frameHeader, H2_PREFACE, openRawH2, openTcp, openTls, RawH2Socket, requestBlock, within } from './support/abuse';
import { connections, expectProblemAnswer, mapLimit, n32fInitiatorYaml, n32fResponderYaml, NfClient, splitByBudget, TappedProducer, TARGET_HEADER, udmApiRoot, type NfAnswer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { N32C_PATHS } from '@sepp/protocol';
import { H2Client, tlsHandshake } from './support/h2-client';
import { SeppProcess } from './support/sepp-process';
import { sleep, waitFor } from './support/wait-for';

jest.setTimeout(120_000);

/** A SEPP certificate of a PLMN nobody configured: trusted by the CA, so it gets past TLS. */
const PLMN_C = { mcc: '003', mnc: '03' };
const FQDN_C = 'sepp.5gc.mnc003.mcc003.3gppnetwork.org';
const AM_DATA = '/nudm-sdm/v2/imsi-001010000000001/am-data';

/** Short enough for a test to watch them expire; everything else keeps its default. */
const RESPONDER_LIMITS = { handshakeTimeoutMs: 500, headersTimeoutMs: 500 };
const INITIATOR_LIMITS = { streamIdleMs: 500 };

/**
 * The HTTP/2 and TLS limits of the listeners (`limits`), through the real processes: floods
 * (RST_STREAM "rapid reset", SETTINGS, PING), a TLS handshake that never comes, a header block
 * trickled byte by byte, a request body that stalls, and a peer over its N32-f rate. Each time
 * the offending connection, stream or request is closed, reset or refused, logged in one warn
 * line and counted in sepp_abuse_events_total{listener,kind}, while an honest initiator goes on
 * forwarding on its one N32 connection.
 */
describe('TC_SYSTEM_HANDLING_OF_OVERLOAD_SITUATIONS (limits): abuse is closed, logged and counted, every other peer keeps being served', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let certC: CertFiles;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let responderConfig: SeppYaml;
  let responderFile: string;
  let initiatorConfig: SeppYaml;
  let nf: NfClient;
  let n32Port: number;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    certC = await pki.sepp(PLMN_C);
    producer = await TappedProducer.start('udm1');
    responderConfig = n32fResponderYaml(certA, pki, producer.port);
    responderConfig.limits = RESPONDER_LIMITS;
    responderFile = writeYaml(pki.dir, 'responder', responderConfig);
    responder = await SeppProcess.ready('responder', responderFile);
    n32Port = responder.port('n32');
    initiatorConfig = n32fInitiatorYaml(certB, pki, n32Port);
    initiatorConfig.limits = INITIATOR_LIMITS;
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', initiatorConfig));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
  });

  afterAll(async () => {
    nf?.close();
    await initiator?.stop();
    await responder?.stop();
    await producer?.close();
  });

  const get = (query: string, timeoutMs = 10_000): Promise<NfAnswer> =>
    nf.request({ path: `${AM_DATA}?${query}`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs });

  /** NF requests through the pair, 4 at a time, until `done()`; every one must be answered 200. */
  async function honestTraffic(done: () => boolean): Promise<{ count: number; failures: string[] }> {
    let count = 0;
    const failures: string[] = [];
    const worker = async (w: number): Promise<void> => {
      while (!done()) {
        const i = count++;
        try {
          const answer = await get(`honest=${w}-${i}`);
          if (answer.status !== 200) failures.push(`#${i}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
        } catch (error) {
          failures.push(`#${i}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    return { count, failures };
  }

  /** The responder's connection of the honest initiator (N32, bound to its agreement). */
  async function initiatorConnection(): Promise<number> {
    const mine = (await connections(responder)).filter((c) => c.peer === FQDN_B);
    expect(mine).toHaveLength(1);
    return mine[0]!.id;
  }

  /** Writes the responder's configuration with RESPONDER_LIMITS and `extra`, and reloads it (200). */
  async function reloadLimits(extra: Record<string, number> = {}): Promise<{ status: number; body: { changed: string[] } }> {
    responderConfig.limits = { ...RESPONDER_LIMITS, ...extra };
    writeYaml(pki.dir, 'responder', responderConfig);
    const reload = await responder.admin<{ changed: string[] }>('/admin/reload', { method: 'POST' });
    expect(reload.status).toBe(200);
    return reload;
  }

  /** The same for the initiator, with INITIATOR_LIMITS and `extra`. */
  async function reloadInitiatorLimits(extra: Record<string, number> = {}): Promise<void> {
    initiatorConfig.limits = { ...INITIATOR_LIMITS, ...extra };
    writeYaml(pki.dir, 'initiator', initiatorConfig);
    expect((await initiator.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
  }

  /** Rewrites keys of the initiator's `n32f` section (`undefined`: maxConcurrentPerPeer back to its default) and reloads it. */
  async function reloadInitiatorN32f(n32f: Record<string, number> | undefined): Promise<void> {
    if (n32f) initiatorConfig['n32f'] = { ...(initiatorConfig['n32f'] as Record<string, unknown> | undefined), ...n32f };
    else delete (initiatorConfig['n32f'] as Record<string, unknown> | undefined)?.['maxConcurrentPerPeer'];
    writeYaml(pki.dir, 'initiator', initiatorConfig);
    expect((await initiator.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
  }

  /** `count` NF requests the producer holds 3 s (query `<tag>=1..count`); resolves once all are in flight there. */
  async function holdAtProducer(tag: string, count = 2): Promise<Promise<NfAnswer>[]> {
    const target = { [TARGET_HEADER]: udmApiRoot(producer.port) };
    const paths = Array.from({ length: count }, (_, i) => `/nudm-sdm/v2/slow/3000?${tag}=${i + 1}`);
    const held = paths.map((path) => nf.request({ path, headers: target, timeoutMs: 15_000 }));
    await waitFor(`${tag}: held at the producer`, () => paths.every((path) => producer.byPath(path).length === 1), 10_000);
    return held;
  }

  const abuseLines = (app: SeppProcess, kind: string, from = 0) => app.lines.slice(from).filter((l) => l.msg === 'abuse' && l['kind'] === kind);

  /**
   * Opens a connection with a client certificate of PLMN C and writes `unit(i)` (one abusive
   * unit: frames) 100 at a time, letting the event loop run in between, until the server closes
   * the connection or `max` were sent. Returns the client and how many units went out.
   */
  async function flood(unit: (i: number) => Buffer, max = 20_000): Promise<{ client: RawH2Socket; sent: number }> {
    const client = await RawH2Socket.open(n32Port, FQDN_A, pki.clientTls(certC));
    let sent = 0;
    while (!client.isClosed && sent < max) {
      const batch: Buffer[] = [];
      for (let i = 0; i < 100; i++) batch.push(unit(sent++));
      client.send(Buffer.concat(batch));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await within(client.closed, 5_000);
    return { client, sent };
  }

  it('RST_STREAM, SETTINGS and PING floods on the N32 port: each flooding connection gets GOAWAY ENHANCE_YOUR_CALM and is closed; the initiator forwards throughout on its one connection', async () => {
    const before = {
      rst: await abuseCount(responder, 'n32', 'rst-flood'),
      settings: await abuseCount(responder, 'n32', 'settings-flood'),
      ping: await abuseCount(responder, 'n32', 'ping-flood'),
    };
    const fromLine = responder.lines.length;
    const connectionId = await initiatorConnection();
    const negotiations = (): number => initiator.lines.filter((l) => l.msg === 'sending exchange-capability').length;
    const negotiationsBefore = negotiations();
    let flooding = true;
    const honest = honestTraffic(() => !flooding);
    let rst: RawH2Socket, settings: RawH2Socket, pinger: RawH2Socket;
    let streamsSent: number, settingsSent: number, pingsSent: number, floodMs: number;
    try {
      await sleep(200);
      // The initiator negotiates again while the floods hit the responder.
      expect((await initiator.admin('/admin/peers/renegotiate', { method: 'POST' })).status).toBeLessThan(300);
      const started = performance.now();

      // Rapid reset: a request, reset at once (RST_STREAM CANCEL), thousands of times.
      const cancel = Buffer.alloc(4);
      cancel.writeUInt32BE(constants.NGHTTP2_CANCEL);
      ({ client: rst, sent: streamsSent } = await flood((i) =>
        Buffer.concat([frame(FRAME.HEADERS, FLAG.END_STREAM | FLAG.END_HEADERS, 2 * i + 1, requestBlock(FQDN_A, `${AM_DATA}?rst=${i}`)), frame(FRAME.RST_STREAM, 0, 2 * i + 1, cancel)]),
      ));
      // SETTINGS flood: SETTINGS_INITIAL_WINDOW_SIZE again and again.
      ({ client: settings, sent: settingsSent } = await flood(() => frame(FRAME.SETTINGS, 0, 0, Buffer.from([0x00, 0x04, 0x00, 0x00, 0xff, 0xff]))));
      // PING flood.
      ({ client: pinger, sent: pingsSent } = await flood((i) => frame(FRAME.PING, 0, 0, Buffer.from(String(i % 100_000_000).padStart(8, '0')))));
      floodMs = performance.now() - started;
      await sleep(300);
    } finally {
      // Also when a step above failed: the honest workers must not go on after the test.
      flooding = false;
    }
    const traffic = await honest;

    for (const client of [rst, settings, pinger]) {
      expect(client.isClosed).toBe(true);
      // Our GOAWAY: ENHANCE_YOUR_CALM (nghttp2's own limit would say INTERNAL_ERROR). The responder
      // closes the connection right after it with the flood still unread, which TCP turns into a
      // reset: a client that had not read the GOAWAY when the reset came loses it (a loaded machine),
      // and sees the reset on its next read (ECONNRESET) or its next write of the flood (EPIPE).
      if (client.goaways.length > 0) expect(client.goaways.map((g) => g.code)).toEqual([constants.NGHTTP2_ENHANCE_YOUR_CALM]);
      else expect(['ECONNRESET', 'EPIPE']).toContain(client.errorCode);
    }
    // The last stream the responder took: the reset budget (limits.streamResetBurst, default 500)
    // and a little more, well before nghttp2's own limit of 1000 resets.
    const lastStream = rst.goaways[0]?.lastStreamId;
    if (lastStream !== undefined) {
      expect(lastStream).toBeGreaterThanOrEqual(2 * 500 + 1);
      expect(lastStream).toBeLessThan(2 * 1_000);
    }
    if (settings.goaways[0]) expect(settings.goaways[0].lastStreamId).toBe(0);
    expect(traffic.failures).toEqual([]);
    expect(traffic.count).toBeGreaterThanOrEqual(20);

    // Counted and logged once per connection: listener, remote address, peer, kind.
    expect(await abuseCount(responder, 'n32', 'rst-flood')).toBe(before.rst + 1);
    expect(await abuseCount(responder, 'n32', 'settings-flood')).toBe(before.settings + 1);
    expect(await abuseCount(responder, 'n32', 'ping-flood')).toBe(before.ping + 1);
    for (const kind of ['rst-flood', 'settings-flood', 'ping-flood']) {
      const lines = abuseLines(responder, kind, fromLine);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', listener: 'n32', kind, action: 'connection closed', remoteAddress: '127.0.0.1', peer: FQDN_C });
    }

    // The honest initiator renegotiated meanwhile, and never lost its connection nor its agreement.
    await initiator.waitForPeer(FQDN_A, 'renegotiated', (p) => p.state === 'tls-established' && negotiations() > negotiationsBefore);
    expect(await initiatorConnection()).toBe(connectionId);
    // The flooding connections are gone from the responder (none lingers half-closed).
    await waitFor('no connection of PLMN C left', async () => (await connections(responder)).every((c) => !c.certificate.includes(FQDN_C)), 3_000);
    expect(initiator.lines.filter((l) => l.msg === 'N32 connection up')).toHaveLength(1);
    expect((await initiator.peer(FQDN_A))?.state).toBe('tls-established');
    console.log(
      `floods: ${streamsSent} reset streams (the responder took ${lastStream === undefined ? '? (its GOAWAY lost to the reset)' : (lastStream + 1) / 2}), ${settingsSent} SETTINGS, ${pingsSent} PINGs written before each connection was closed (${Math.round(floodMs)} ms in all); ${traffic.count} honest NF requests answered 200 meanwhile`,
    );
  });

  it('every listener announces limits.maxConcurrentStreams and limits.maxHeaderListSize; a header list over it is refused, the session goes on', async () => {
    const remote = (session: { remoteSettings: { maxConcurrentStreams?: number; maxHeaderListSize?: number } }) => ({
      maxConcurrentStreams: session.remoteSettings.maxConcurrentStreams,
      maxHeaderListSize: session.remoteSettings.maxHeaderListSize,
    });
    const defaults = { maxConcurrentStreams: 256, maxHeaderListSize: 16_384 };
    expect(remote(nf.session)).toEqual(defaults);
    const n32 = await openRawH2(n32Port, FQDN_A, pki.clientTls(certB));
    try {
      await waitFor('the SETTINGS of the N32 listener', () => n32.session.remoteSettings.maxHeaderListSize !== undefined && n32.session.remoteSettings.maxHeaderListSize < 65_536, 3_000);
      expect(remote(n32.session)).toEqual(defaults);
    } finally {
      n32.session.destroy();
    }
    const seenBefore = producer.seen.length;
    const refused = nf.request({ path: `${AM_DATA}?big-header=1`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port), 'x-padding': 'a'.repeat(20_000) }, timeoutMs: 5_000 });
    await expect(refused).rejects.toThrow(/stream/);
    expect(producer.seen.length).toBe(seenBefore);
    expect((await get('after-big-header')).status).toBe(200);
  });

  it('a TLS handshake that does not finish within limits.handshakeTimeoutMs: the connection is closed and counted', async () => {
    const before = await abuseCount(responder, 'n32', 'tls-handshake-timeout');
    const fromLine = responder.lines.length;
    const { closed } = await openTcp(n32Port);
    const ms = await within(closed, 5_000);
    expect(ms).toBeDefined();
    expect(ms!).toBeGreaterThanOrEqual(400);
    await waitFor('the handshake timeout counted', async () => (await abuseCount(responder, 'n32', 'tls-handshake-timeout')) === before + 1, 3_000);
    expect(abuseLines(responder, 'tls-handshake-timeout', fromLine)[0]).toMatchObject({ level: 'warn', listener: 'n32', remoteAddress: '127.0.0.1', action: 'connection closed' });
    expect((await get('after-handshake-timeout')).status).toBe(200);
  });

  it('a header block trickled byte by byte (slow headers): closed after limits.headersTimeoutMs without a frame and without a PING ACK, counted', async () => {
    const before = await abuseCount(responder, 'n32', 'slow-headers');
    const fromLine = responder.lines.length;
    const { socket, closed } = await openTls(n32Port, FQDN_A, pki.clientTls(certC));
    // Valid HPACK (:method GET, :scheme http, :path /, then `x-a: b` over and over) in a HEADERS
    // frame without END_HEADERS, whose 400 bytes come one every 50 ms: 20 s if it were let be.
    const block = Buffer.concat([Buffer.from([0x82, 0x86, 0x84]), ...Array.from({ length: 57 }, () => Buffer.from([0x40, 0x03, 0x78, 0x2d, 0x61, 0x01, 0x62]))]);
    socket.write(Buffer.concat([H2_PREFACE, frameHeader(block.length, 0x1, 0x1, 1)]));
    let next = 0;
    const trickle = setInterval(() => {
      if (next < block.length && !socket.destroyed) socket.write(block.subarray(next, ++next));
    }, 50);
    try {
      const ms = await within(closed, 8_000);
      expect(ms).toBeDefined();
      // Two liveness periods: the first sends a PING, the second finds it unanswered.
      expect(ms!).toBeGreaterThanOrEqual(900);
      expect(next).toBeLessThan(block.length);
    } finally {
      clearInterval(trickle);
      socket.destroy();
    }
    expect(await abuseCount(responder, 'n32', 'slow-headers')).toBe(before + 1);
    expect(abuseLines(responder, 'slow-headers', fromLine)[0]).toMatchObject({ level: 'warn', listener: 'n32', peer: FQDN_C, action: 'connection closed' });
    // The idle initiator connection answers the PINGs and stays.
    expect(await within(sleep(1_500), 2_000)).toBeUndefined();
    expect(initiator.lines.filter((l) => l.msg === 'N32 connection up')).toHaveLength(1);
    expect((await get('after-slow-headers')).status).toBe(200);
  });

  it('a request body that stalls for limits.streamIdleMs is reset (CANCEL) and counted; the NF session goes on', async () => {
    const before = await abuseCount(initiator, 'sbi', 'stream-idle');
    const responderBefore = await abuseCount(responder, 'n32', 'stream-idle');
    const fromLine = initiator.lines.length;
    const stream = nf.session.request(
      { ':method': 'POST', ':path': '/nudm-sdm/v2/imsi-001010000000001/stalled', 'content-type': 'application/json', [TARGET_HEADER]: udmApiRoot(producer.port) },
      { endStream: false },
    );
    stream.on('error', () => undefined);
    stream.on('data', () => undefined);
    const started = performance.now();
    stream.write('{"partial":');
    const closedAfter = await within(new Promise<number>((resolve) => stream.once('close', () => resolve(performance.now() - started))), 5_000);
    expect(closedAfter).toBeDefined();
    expect(closedAfter!).toBeGreaterThanOrEqual(400);
    expect(stream.rstCode).toBe(constants.NGHTTP2_CANCEL);
    expect(await abuseCount(initiator, 'sbi', 'stream-idle')).toBe(before + 1);
    expect(abuseLines(initiator, 'stream-idle', fromLine)[0]).toMatchObject({ level: 'warn', listener: 'sbi', kind: 'stream-idle', action: 'stream reset', remoteAddress: '127.0.0.1' });
    // The reset reached the responder as a cancellation by the initiator: nothing to count there.
    expect(await abuseCount(responder, 'n32', 'stream-idle')).toBe(responderBefore);
    expect((await get('after-stalled-body')).status).toBe(200);
  });

  it('N32-f over limits.rateLimitPerPeer (set by a reload): 429 NF_CONGESTION_RISK with retry-after, counted per request, logged per peer; served again a second later', async () => {
    const reload = await reloadLimits({ rateLimitPerPeer: 20, rateLimitBurst: 20 });
    expect(JSON.stringify(reload.body)).toContain('limits');
    const before = await abuseCount(responder, 'n32', 'rate-limited');
    const fromLine = responder.lines.length;
    const seenBefore = producer.seen.length;
    try {
      const answers = await mapLimit(
        Array.from({ length: 60 }, (_, i) => i),
        60,
        (i) => get(`burst=${i}`),
      );
      const ok = answers.filter((a) => a.status === 200);
      const limited = answers.filter((a) => a.status === 429);
      expect(ok.length + limited.length).toBe(60);
      expect(ok.length).toBeGreaterThanOrEqual(20);
      expect(ok.length).toBeLessThanOrEqual(30);
      for (const answer of limited) {
        const body = expectProblemAnswer(answer, 429, 'NF_CONGESTION_RISK');
        expect(body.detail).toContain(FQDN_B);
        expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      // A refused request reaches no NF.
      expect(producer.seen.length - seenBefore).toBe(ok.length);
      expect(await abuseCount(responder, 'n32', 'rate-limited')).toBe(before + limited.length);
      // One line at once, then the rest of that second in one line, per peer.
      await waitFor('the refusals logged', () => abuseLines(responder, 'rate-limited', fromLine).reduce((sum, l) => sum + Number(l['refused']), 0) === limited.length, 3_000);
      const lines = abuseLines(responder, 'rate-limited', fromLine);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line).toMatchObject({ level: 'warn', listener: 'n32', peer: FQDN_B, action: 'request refused', rateLimitPerPeer: 20 });
      await sleep(1_100);
      expect((await get('after-rate-limit')).status).toBe(200);
      console.log(`rate limit 20/s, burst 20: ${ok.length} of 60 concurrent requests forwarded, ${limited.length} refused with 429`);
    } finally {
      await reloadLimits();
    }
  });

  it('N32-c over limits.n32cRateLimitPerPeer (set by a reload): 429 NF_CONGESTION_RISK with retry-after before any N32-c handler, counted per request, logged per peer; N32-f and other peers have budgets of their own; served again a second later', async () => {
    const reload = await reloadLimits({ n32cRateLimitPerPeer: 5, n32cRateLimitBurst: 5 });
    expect(JSON.stringify(reload.body)).toContain('limits');
    const before = await abuseCount(responder, 'n32', 'n32c-rate-limited');
    const n32fBefore = await abuseCount(responder, 'n32', 'rate-limited');
    const fromLine = responder.lines.length;
    // PLMN B's certificate (a configured peer) on a connection of its own, and PLMN C's (nobody's peer).
    const peerB = await H2Client.open(n32Port, FQDN_A, pki.clientTls(certB));
    const peerC = await H2Client.open(n32Port, FQDN_A, pki.clientTls(certC));
    try {
      // exchange-params without any member: refused for what it is (no state changes), and
      // counted in the budget all the same, as every request under /n32c-handshake/ is.
      const answers = await Promise.all(Array.from({ length: 12 }, () => peerB.postJson(N32C_PATHS.exchangeParams, {})));
      const { handled, limited } = splitByBudget(answers, 400, `${FQDN_B} sends more than 5 N32-c requests per second (burst 5)`);
      // Five in the bucket; the twelve go out at once, well within the 200 ms a token takes to come back.
      expect(handled.length).toBeGreaterThanOrEqual(5);
      expect(handled.length).toBeLessThanOrEqual(6);
      // Any N32-c resource counts: another one of B's is refused for the rate too.
      expectProblemAnswer(await peerB.request('GET', N32C_PATHS.exchangeCapability), 429, 'NF_CONGESTION_RISK');
      // N32-f has a budget of its own: B's initiator forwards at once.
      expect((await get('n32c-rate-limited')).status).toBe(200);
      // So has every other peer: C is refused for who it is, not for B's rate.
      const fromC = await peerC.postJson(N32C_PATHS.exchangeParams, {});
      expect(fromC.status).not.toBe(429);
      expect(fromC.status).toBeGreaterThanOrEqual(400);
      expect(fromC.status).toBeLessThan(500);
      expect(await abuseCount(responder, 'n32', 'n32c-rate-limited')).toBe(before + limited.length + 1);
      expect(await abuseCount(responder, 'n32', 'rate-limited')).toBe(n32fBefore);
      // One line at once, then the rest of that second in one line, per peer.
      await waitFor('the refusals logged', () => abuseLines(responder, 'n32c-rate-limited', fromLine).reduce((sum, l) => sum + Number(l['refused']), 0) === limited.length + 1, 3_000);
      const lines = abuseLines(responder, 'n32c-rate-limited', fromLine);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line).toMatchObject({ level: 'warn', listener: 'n32', peer: FQDN_B, action: 'request refused', n32cRateLimitPerPeer: 5, n32cRateLimitBurst: 5 });
      // The status page's refusal list has them, as a rate limit.
      const status = await responder.admin<{ refusals: { category: string; cause: string; peer: string | null }[] }>('/admin/status');
      expect(status.body.refusals).toEqual(expect.arrayContaining([expect.objectContaining({ category: 'rate-limit', cause: 'n32c-rate-limited', peer: FQDN_B })]));
      await sleep(1_100);
      expectProblemAnswer(await peerB.postJson(N32C_PATHS.exchangeParams, {}), 400);
      console.log(`N32-c rate limit 5/s, burst 5: ${handled.length} of 12 concurrent exchange-params handled, ${limited.length} refused with 429`);
    } finally {
      peerB.close();
      peerC.close();
      await reloadLimits();
    }
  });

  it('connections past limits.maxConnectionsPerAddress from one address, then past limits.maxConnections on the listener (set by reloads): closed as they arrive, before TLS, logged and counted; the connections held, other addresses and the initiator go on', async () => {
    await reloadLimits({ maxConnectionsPerAddress: 3 });
    const before = await abuseCount(responder, 'n32', 'connection-limit');
    const fromLine = responder.lines.length;
    // Loopback addresses of their own: the initiator's connection comes from 127.0.0.1.
    const from2 = { ...pki.clientTls(certC), localAddress: '127.0.0.2' };
    const from3 = { ...pki.clientTls(certC), localAddress: '127.0.0.3' };
    const answered = async (client: H2Client): Promise<number> => (await client.request('GET', N32C_PATHS.exchangeCapability)).status;
    const held: H2Client[] = [];
    try {
      for (let i = 0; i < 3; i++) held.push(await H2Client.open(n32Port, FQDN_A, from2));
      // A fourth from 127.0.0.2: closed before any TLS.
      const fourth = await tlsHandshake(n32Port, FQDN_A, from2);
      expect(fourth.ok).toBe(false);
      // The three held are served (an HTTP answer on each), so is another address and the initiator.
      for (const client of held) expect(await answered(client)).toBeGreaterThanOrEqual(400);
      expect((await tlsHandshake(n32Port, FQDN_A, from3)).ok).toBe(true);
      expect((await get('connection-limit')).status).toBe(200);
      expect(await abuseCount(responder, 'n32', 'connection-limit')).toBe(before + 1);
      const perAddress = await responder.waitForLog('the refusal', (l) => l.msg === 'abuse' && l['kind'] === 'connection-limit', 5_000, fromLine);
      expect(perAddress).toMatchObject({ level: 'warn', listener: 'n32', action: 'connection closed', remoteAddress: '127.0.0.2', refused: 1, fromAddress: 3, maxConnectionsPerAddress: 3 });
      // One of them closed: room for one more from 127.0.0.2 (once the responder has seen it go).
      held.pop()!.close();
      held.push(await waitFor('a connection from 127.0.0.2 again', () => H2Client.open(n32Port, FQDN_A, from2), 5_000));
      expect(await answered(held[held.length - 1]!)).toBeGreaterThanOrEqual(400);

      // The listener's bound: with the initiator's connection and the three held, 4 are open.
      const fromTotal = responder.lines.length;
      const beforeTotal = await abuseCount(responder, 'n32', 'connection-limit');
      await reloadLimits({ maxConnections: 4 });
      expect((await tlsHandshake(n32Port, FQDN_A, from3)).ok).toBe(false);
      const total = await responder.waitForLog('the refusal', (l) => l.msg === 'abuse' && l['kind'] === 'connection-limit', 5_000, fromTotal);
      expect(total).toMatchObject({ level: 'warn', listener: 'n32', action: 'connection closed', remoteAddress: '127.0.0.3', refused: 1, maxConnections: 4 });
      expect(total['connections']).toBeGreaterThanOrEqual(4);
      expect(await abuseCount(responder, 'n32', 'connection-limit')).toBe(beforeTotal + 1);
      // What is open goes on: the initiator forwards, the held connections are answered.
      expect((await get('connection-limit-total')).status).toBe(200);
      for (const client of held) expect(await answered(client)).toBeGreaterThanOrEqual(400);
    } finally {
      for (const client of held) client.close();
      await reloadLimits();
    }
  });

  it('new connections from one address over limits.connectionRatePerAddress (set by a reload): closed as they arrive, before TLS, logged with both keys and counted each; another address and the initiator go on; the address is let in again as its rate allows', async () => {
    await reloadLimits({ connectionRatePerAddress: 1, connectionRateBurst: 3 });
    const before = await abuseCount(responder, 'n32', 'connection-rate-limited');
    const fromLine = responder.lines.length;
    const from4 = { ...pki.clientTls(certC), localAddress: '127.0.0.4' };
    const from5 = { ...pki.clientTls(certC), localAddress: '127.0.0.5' };
    try {
      // Eight handshakes at once from 127.0.0.4: the burst's three complete; the others are closed
      // before any TLS, but for one more per second the connections took to arrive (a slow machine).
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 8 }, () => tlsHandshake(n32Port, FQDN_A, from4)));
      const seconds = (performance.now() - started) / 1000;
      const refused = results.filter((r) => !r.ok);
      expect(results.length - refused.length).toBeGreaterThanOrEqual(3);
      expect(refused.length).toBeGreaterThanOrEqual(5 - Math.floor(seconds));
      expect(refused.map((r) => r.error)).not.toContain('closed by server after handshake');
      expect(await abuseCount(responder, 'n32', 'connection-rate-limited')).toBe(before + refused.length);
      const line = await responder.waitForLog('the refusal', (l) => l.msg === 'abuse' && l['kind'] === 'connection-rate-limited', 5_000, fromLine);
      expect(line).toMatchObject({
        level: 'warn',
        listener: 'n32',
        action: 'connection closed',
        remoteAddress: '127.0.0.4',
        refused: 1,
        connectionRatePerAddress: 1,
        connectionRateBurst: 3,
        detail: 'more than 1 new connections per second from 127.0.0.4 (burst 3)',
      });
      // Another address has a rate of its own; the initiator's connection is open and forwards.
      expect((await tlsHandshake(n32Port, FQDN_A, from5)).ok).toBe(true);
      expect((await get('connection-rate')).status).toBe(200);
      // A refused connection takes no token: within about a second 127.0.0.4 handshakes again.
      await waitFor(
        '127.0.0.4 let in again',
        async () => {
          const again = await tlsHandshake(n32Port, FQDN_A, from4);
          if (!again.ok) throw new Error(`refused: ${again.error}`);
          return true;
        },
        5_000,
      );
    } finally {
      await reloadLimits();
    }
  });

  it('past limits.maxRequestsInFlight on the NF-facing listener (set by a reload): a new request is answered 503 NF_CONGESTION with retry-after at once and never forwarded; listed, counted and logged; the requests in flight are answered, and new ones served again after them', async () => {
    await reloadInitiatorLimits({ maxRequestsInFlight: 2 });
    const fromLine = initiator.lines.length;
    try {
      // Both in flight (at the producer, which holds them 3 s): the listener is at its bound.
      const slow = await holdAtProducer('held');
      const refused = await get('overloaded');
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['content-type']).toBe('application/problem+json');
      expect(refused.json).toMatchObject({ status: 503, cause: 'NF_CONGESTION', detail: '2 requests in flight on the sbi listener (limits.maxRequestsInFlight 2)' });
      // TS 29.500 overload control information, this SEPP's scope.
      const fqdnPattern = FQDN_B.replace(/\./g, '\\.');
      expect(refused.headers['3gpp-sbi-oci']).toMatch(new RegExp(`^Timestamp: "[0-9T:.Z-]+"; Period-of-Validity: 1s; Overload-Reduction-Metric: ([1-9][0-9]?|100)%; SEPP-FQDN: ${fqdnPattern}$`));
      expect(producer.byPath(`${AM_DATA}?overloaded`)).toEqual([]);
      const line = await initiator.waitForLog('the overload line', (l) => l.msg === 'overload: requests refused', 5_000, fromLine);
      expect(line).toMatchObject({ level: 'warn', listener: 'sbi', cause: 'NF_CONGESTION', refused: 1, inFlight: 2, maxRequestsInFlight: 2 });
      const status = await initiator.admin<{ refusals: { category: string; cause: string; listener?: string }[] }>('/admin/status');
      expect(status.body.refusals).toEqual(expect.arrayContaining([expect.objectContaining({ category: 'unavailable', cause: 'OVERLOADED', listener: 'sbi' })]));
      const metrics = samples(await (await fetch(`http://127.0.0.1:${initiator.port('admin')}/metrics`)).text(), 'sepp_refusals_total');
      expect(metrics.find((s) => s.labels['category'] === 'unavailable' && s.labels['cause'] === 'OVERLOADED')?.value).toBe(1);
      // What was in flight is answered; then there is room again.
      expect((await Promise.all(slow)).map((answer) => answer.status)).toEqual([200, 200]);
      expect((await get('after-overload')).status).toBe(200);
    } finally {
      await reloadInitiatorLimits();
    }
  });

  it('n32f.maxConcurrentPerPeer at the initiator (set by a reload): past it an NF request toward that peer is answered 429 NF_CONGESTION_RISK with retry-after at once, never forwarded; the requests in flight are answered, then there is room again', async () => {
    await reloadInitiatorN32f({ maxConcurrentPerPeer: 2 });
    const fromLine = initiator.lines.length;
    try {
      const slow = await holdAtProducer('toward-peer');
      const refused = await get('peer-bound');
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json).toMatchObject({ status: 429, cause: 'NF_CONGESTION_RISK', detail: `2 NF requests in flight toward ${FQDN_A} (limit 2)` });
      expect(producer.byPath(`${AM_DATA}?peer-bound`)).toEqual([]);
      const line = await initiator.waitForLog('the refusal line', (l) => l.msg === 'NF request refused' && l['code'] === 'PEER_CONCURRENCY_EXCEEDED', 5_000, fromLine);
      expect(line).toMatchObject({ status: 429, cause: 'NF_CONGESTION_RISK' });
      expect((await Promise.all(slow)).map((answer) => answer.status)).toEqual([200, 200]);
      expect((await get('after-peer-bound')).status).toBe(200);
    } finally {
      await reloadInitiatorN32f(undefined);
    }
  });

  it('N32-c under overload of the N32 listener: with one request held past limits.maxRequestsInFlight 1, a renegotiation still gets through (the N32-c priority of the reserve), while an ordinary N32-f request is refused', async () => {
    await reloadLimits({ maxRequestsInFlight: 1, priorityReserve: 1 });
    const fromLine = responder.lines.length;
    try {
      const [slow] = await holdAtProducer('n32c-priority', 1);
      const refused = await get('ordinary-while-held');
      expect(refused.status).toBe(503);
      expect(refused.json).toMatchObject({ cause: 'NF_CONGESTION', detail: '1 requests in flight on the n32 listener (limits.maxRequestsInFlight 1)' });
      const handshakeBefore = (await initiator.peer(FQDN_A))?.negotiation?.handshakeId;
      expect((await initiator.admin('/admin/peers/renegotiate', { method: 'POST' })).status).toBeLessThan(300);
      await initiator.waitForPeer(FQDN_A, 'renegotiated under overload', (p) => p.state === 'tls-established' && p.negotiation?.handshakeId !== undefined && p.negotiation.handshakeId !== handshakeBefore);
      const line = await responder.waitForLog('the priority line', (l) => l.msg === 'overload: priority requests admitted past the bound' && l['listener'] === 'n32', 5_000, fromLine);
      expect(line).toMatchObject({ level: 'warn', maxRequestsInFlight: 1, priorityReserve: 1 });
      expect((await slow!).status).toBe(200);
    } finally {
      await reloadLimits();
    }
    expect((await get('after-n32c-priority')).status).toBe(200);
  });

  it('priority under overload (TS 29.500 6.8): past limits.maxRequestsInFlight a request of 3gpp-Sbi-Message-Priority limits.priorityReserveUpTo or higher still goes through, into limits.priorityReserve; ordinary and lower-priority ones are refused, and priority ones too once the reserve is used; counted and logged', async () => {
    await reloadInitiatorLimits({ maxRequestsInFlight: 2, priorityReserve: 1, priorityReserveUpTo: 7 });
    const fromLine = initiator.lines.length;
    const target = { [TARGET_HEADER]: udmApiRoot(producer.port) };
    const priority = (value: string) => ({ ...target, '3gpp-sbi-message-priority': value });
    const urgent = '/nudm-sdm/v2/slow/3000?urgent';
    try {
      const slow = await holdAtProducer('ordinary');
      // At the bound: a priority-3 request is taken into the reserve and forwarded (its priority with it).
      const urgentAnswer = nf.request({ path: urgent, headers: priority('3'), timeoutMs: 15_000 });
      await waitFor('the priority request at the producer', () => producer.byPath(urgent).length === 1, 10_000);
      expect(producer.byPath(urgent)[0]!.headers['3gpp-sbi-message-priority']).toBe('3');
      // Ordinary, lower priority (8) and malformed: refused as before.
      for (const headers of [target, priority('8'), priority('03')]) {
        const refused = await nf.request({ path: `${AM_DATA}?refused`, headers, timeoutMs: 10_000 });
        expect(refused.status).toBe(503);
        expect(refused.json).toMatchObject({ cause: 'NF_CONGESTION', detail: '3 requests in flight on the sbi listener (limits.maxRequestsInFlight 2)' });
      }
      // The reserve used: the next priority request is refused too, the detail naming both keys.
      const past = await nf.request({ path: `${AM_DATA}?past-reserve`, headers: priority('0'), timeoutMs: 10_000 });
      expect(past.status).toBe(503);
      expect(past.headers['retry-after']).toBe('1');
      expect(past.json).toMatchObject({ cause: 'NF_CONGESTION', detail: '3 requests in flight on the sbi listener (limits.maxRequestsInFlight 2, limits.priorityReserve 1)' });
      expect(producer.byPath(`${AM_DATA}?refused`)).toEqual([]);
      expect(producer.byPath(`${AM_DATA}?past-reserve`)).toEqual([]);
      const line = await initiator.waitForLog('the priority line', (l) => l.msg === 'overload: priority requests admitted past the bound', 5_000, fromLine);
      expect(line).toMatchObject({ level: 'warn', listener: 'sbi', admitted: 1, inFlight: 2, maxRequestsInFlight: 2, priorityReserve: 1 });
      const text = await (await fetch(`http://127.0.0.1:${initiator.port('admin')}/metrics`)).text();
      expect(samples(text, 'sepp_overload_priority_admitted_total').find((s) => s.labels['listener'] === 'sbi')?.value).toBe(1);
      // Every request held is answered.
      expect((await Promise.all([...slow, urgentAnswer])).map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect((await get('after-priority')).status).toBe(200);
    } finally {
      await reloadInitiatorLimits();
    }
  });

  /**
   * Opens a connection with a client certificate of PLMN C, writes `frames` and waits until the
   * responder closes it; returns the GOAWAYs it sent, the abuse lines of `kind` and the counter.
   */
  async function closedFor(kind: string, frames: Buffer): Promise<{ goaways: { code: number }[]; line: Record<string, unknown>; counted: number }> {
    const before = await abuseCount(responder, 'n32', kind);
    const fromLine = responder.lines.length;
    const client = await RawH2Socket.open(n32Port, FQDN_A, pki.clientTls(certC));
    try {
      client.send(frames);
      expect(await within(client.closed.then(() => 'closed'), 5_000)).toBe('closed');
    } finally {
      client.close();
    }
    const line = await responder.waitForLog(`the ${kind} event`, (l) => l.msg === 'abuse' && l['kind'] === kind, 5_000, fromLine);
    expect(abuseLines(responder, kind, fromLine)).toHaveLength(1);
    return { goaways: client.goaways, line, counted: (await abuseCount(responder, 'n32', kind)) - before };
  }

  it('load and overload control information of the responder (TS 29.500 6.3, 6.4; set by reloads): its LCI on the first answer of the initiator\'s connection within limits.lciPeriodMs; above limits.ociFromPercent its OCI asks for less before anything is refused; both reach the NF in TLS mode', async () => {
    const seppScope = `SEPP-FQDN: ${FQDN_A.replace(/\./g, '\\.')}$`;
    await reloadLimits({ lciPeriodMs: 600_000 });
    try {
      const first = await get('lci-first');
      expect(first.status).toBe(200);
      expect(String(first.headers['3gpp-sbi-lci'])).toMatch(new RegExp(`^Timestamp: "[0-9T:.Z-]+"; Load-Metric: ([1-9]?[0-9]|100)%; ${seppScope}`));
      const next = await get('lci-next');
      expect(next.status).toBe(200);
      expect(next.headers['3gpp-sbi-lci']).toBeUndefined();
      // From a quarter of a bound of 4: the second request in flight is asked about.
      await reloadLimits({ maxRequestsInFlight: 4, ociFromPercent: 25 });
      const ociAnswers = async (): Promise<number> =>
        samples(await (await fetch(`http://127.0.0.1:${responder.port('admin')}/metrics`)).text(), 'sepp_overload_oci_answers_total').find((sample) => sample.labels['listener'] === 'n32')?.value ?? 0;
      const refusedOverload = async (): Promise<number> =>
        samples(await (await fetch(`http://127.0.0.1:${responder.port('admin')}/metrics`)).text(), 'sepp_refusals_total').find((sample) => sample.labels['cause'] === 'OVERLOADED')?.value ?? 0;
      const [asksBefore, refusedBefore] = [await ociAnswers(), await refusedOverload()];
      const [held] = await holdAtProducer('oci', 1);
      const asked = await get('oci-while-held');
      expect(asked.status).toBe(200);
      expect(String(asked.headers['3gpp-sbi-oci'])).toMatch(new RegExp(`^Timestamp: "[0-9T:.Z-]+"; Period-of-Validity: 1s; Overload-Reduction-Metric: 50%; ${seppScope}`));
      expect((await held!).status).toBe(200);
      const calm = await get('oci-after');
      expect(calm.status).toBe(200);
      expect(calm.headers['3gpp-sbi-oci']).toBeUndefined();
      // One answer asked for less (earlier cases may have asked too: the counter is the process's), none refused.
      expect(await ociAnswers()).toBe(asksBefore + 1);
      expect(await refusedOverload()).toBe(refusedBefore);
    } finally {
      await reloadLimits();
    }
  });

  it('more invalid frames than limits.maxSessionInvalidFrames (100): the connection is closed, logged and counted as invalid-frames', async () => {
    // 150 requests whose header block carries an upper-case header name (invalid in HTTP/2): each
    // one is an invalid frame to nghttp2, which refuses the stream, then gives up on the session.
    const upper = Buffer.from('X-Upper', 'latin1');
    const block = Buffer.concat([requestBlock(FQDN_A, AM_DATA), Buffer.from([0x00, upper.length]), upper, Buffer.from([0x01, 0x76])]);
    const frames = Buffer.concat(Array.from({ length: 150 }, (_, i) => frame(FRAME.HEADERS, FLAG.END_STREAM | FLAG.END_HEADERS, 2 * i + 1, block)));
    const { line, counted } = await closedFor('invalid-frames', frames);
    expect(counted).toBe(1);
    expect(line).toMatchObject({ level: 'warn', listener: 'n32', kind: 'invalid-frames', action: 'connection closed', remoteAddress: '127.0.0.1', peer: FQDN_C });
    expect((await get('after-invalid-frames')).status).toBe(200);
  });

  it('an HTTP/2 protocol error that ends the session (a flow-control window beyond 2^31-1): closed, logged and counted as session-error', async () => {
    const increment = Buffer.from([0x7f, 0xff, 0xff, 0xff]);
    const { line, counted } = await closedFor('session-error', Buffer.concat([frame(0x8, 0, 0, increment), frame(0x8, 0, 0, increment)]));
    expect(counted).toBe(1);
    expect(line).toMatchObject({ level: 'warn', listener: 'n32', kind: 'session-error', action: 'connection closed', peer: FQDN_C, detail: expect.stringMatching(/ERR_HTTP2_ERROR: Flow control error/) });
    expect((await get('after-session-error')).status).toBe(200);
  });

  it('an answer the NF stops reading (no flow-control window) for limits.streamIdleMs: the stream is reset (CANCEL), logged and counted as slow-read; the session goes on', async () => {
    const before = await abuseCount(initiator, 'sbi', 'slow-read');
    const fromLine = initiator.lines.length;
    // A consumer that grants no window: the answer's headers arrive, its body cannot.
    const session = h2connect(`http://127.0.0.1:${initiator.port('sbi')}`, { settings: { initialWindowSize: 0 } });
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'GET', ':path': `${AM_DATA}?slow-read=1`, [TARGET_HEADER]: udmApiRoot(producer.port) });
      stream.on('error', () => undefined);
      const status = new Promise<number>((resolve) => stream.once('response', (h) => resolve(Number(h[':status']))));
      const closed = new Promise<number | undefined>((resolve) => stream.once('close', () => resolve(stream.rstCode)));
      expect(await within(status, 5_000)).toBe(200);
      expect(await within(closed, 5_000)).toBe(constants.NGHTTP2_CANCEL);
      const line = await initiator.waitForLog('the slow-read event', (l) => l.msg === 'abuse' && l['kind'] === 'slow-read', 5_000, fromLine);
      expect(line).toMatchObject({ level: 'warn', listener: 'sbi', kind: 'slow-read', action: 'stream reset', remoteAddress: '127.0.0.1' });
      expect(await abuseCount(initiator, 'sbi', 'slow-read')).toBe(before + 1);
      // The stream is reset, not the connection.
      expect(session.closed || session.destroyed).toBe(false);
    } finally {
      session.destroy();
    }
    expect((await get('after-slow-read')).status).toBe(200);
  });
});
