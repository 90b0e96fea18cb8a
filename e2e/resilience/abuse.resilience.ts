import { constants } from 'node:http2';
import { N32C_PATHS } from '@sepp/protocol';
import { createPkiAB, FQDN_A, writeYaml, type SeppYaml } from '../test/support/configs';
import { n32fInitiatorYaml, n32fResponderYaml, TappedProducer, udmApiRoot } from '../test/support/n32f';
import type { CertFiles, TestPki } from '../test/support/pki';
import { metricsOf } from '../test/support/prins';
import { SeppProcess } from '../test/support/sepp-process';
import { sleep, waitFor } from '../test/support/wait-for';
import { connectionFlood, rstFlood, settingsFlood, slowHeaders, slowTlsHandshake, stalledBodies, type AttackReport, type Target } from './support/attacks';
import { account, errorKinds, NfLoad } from './support/nf-load';
import { ProcSampler } from './support/proc-stats';
import { countError, runCase, type CaseRow } from './support/results';
import { SimPeer } from './support/sim-peer';

/**
 * Abuse while an honest initiator forwards NF traffic through the responder: RST_STREAM and
 * SETTINGS floods, TLS handshakes that never finish, a header block trickled byte by byte and
 * request bodies that stall, against the responder's N32 listener (and the floods against the
 * initiator's NF-facing listener). Asserted per case, as the README states it: every honest NF
 * request is answered by the producer (100%, none hung, none failed), a new honest peer can still
 * connect and negotiate during the attack, both apps stay up, and every offending connection is
 * closed by the SEPP (stalled bodies: every stream reset) and counted, once, under its own kind in
 * sepp_abuse_events_total of the listener attacked.
 */
jest.setTimeout(120_000);

/** Short limits so a case sees them fire within its few seconds (defaults: 10 s, 10 s, 30 s). */
const LIMITS = { handshakeTimeoutMs: 1_500, headersTimeoutMs: 1_000, streamIdleMs: 1_500 };

type Metrics = Record<string, number>;

/** What a case expects of the offending connections (or streams): all closed, each counted once under `kind`. */
interface Expected {
  readonly listener: 'n32' | 'sbi';
  readonly kind: string;
  /** GOAWAY code the SEPP sends before closing (floods: ENHANCE_YOUR_CALM). */
  readonly goawayCode?: number;
  /** Events counted per offending connection (stalled bodies: one per stream). */
  readonly perConnection?: number;
  /** Events counted under `kind` when not one per connection (a connection flood: those closed at once), from the attack's report. */
  readonly events?: (report: AttackReport) => number;
  /** Other counters the attack must move, by `listener/kind`, with how much (from the attack's report). */
  readonly also?: (report: AttackReport) => Metrics;
}

describe('abuse: the honest peer keeps being served', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let attacker: SimPeer;
  let newcomer: SimPeer;
  let sampler: ProcSampler;
  let initiatorConfig: SeppYaml;
  /** Starts an app with the short LIMITS: a configuration that does not take them fails the suite. */
  const startWithLimits = (role: 'responder' | 'initiator', name: string, config: SeppYaml): Promise<SeppProcess> =>
    SeppProcess.ready(role, writeYaml(pki.dir, name, { ...config, limits: LIMITS }));

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    [attacker, newcomer] = await Promise.all([SimPeer.mint(pki, { mcc: '320', mnc: '01' }, 'none'), SimPeer.mint(pki, { mcc: '321', mnc: '01' }, 'none')]);
    producer = await TappedProducer.start('udm1');
    const responderConfig = n32fResponderYaml(certA, pki, producer.port);
    responderConfig.n32.peers.push(attacker.entry(), newcomer.entry());
    responderConfig.logging = { level: 'info' };
    responder = await startWithLimits('responder', 'abuse-responder', responderConfig);
    initiatorConfig = n32fInitiatorYaml(certB, pki, responder.port('n32'));
    initiatorConfig.logging = { level: 'info' };
    initiator = await startWithLimits('initiator', 'abuse-initiator', initiatorConfig);
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    sampler = new ProcSampler({ responder: responder.child.pid, initiator: initiator.child.pid }, 250);
  });

  afterAll(async () => {
    sampler?.stop();
    await initiator?.stop();
    await responder?.stop();
    await producer?.close();
  });

  const n32Target = (): Target => ({ port: responder.port('n32'), tls: { ...pki.clientTls(attacker.cert), servername: FQDN_A } });
  const sbiTarget = (): Target => ({ port: initiator.port('sbi') });

  /** sepp_abuse_events_total of an app by `listener/kind`. */
  async function abuseMetrics(app: SeppProcess): Promise<Metrics> {
    const out: Metrics = {};
    for (const sample of await metricsOf(app)) {
      if (sample.name === 'sepp_abuse_events_total') out[`${sample.labels['listener']}/${sample.labels['kind']}`] = sample.value;
    }
    return out;
  }
  const delta = (before: Metrics, after: Metrics): Metrics =>
    Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));

  /**
   * Runs `attack` against `victim` with honest NF traffic flowing and a newcomer peer negotiating
   * in the middle of it; records and checks the row.
   */
  async function underAttack(row: CaseRow, name: string, victim: SeppProcess, attack: () => Promise<AttackReport>, expected: Expected): Promise<void> {
    const tag = `abuse-${name}`;
    const before = await abuseMetrics(victim);
    const from = sampler.of(victim === responder ? 'responder' : 'initiator').at(-1)?.t ?? 0;
    const load = NfLoad.start({ sbiPort: initiator.port('sbi'), target: udmApiRoot(producer.port), concurrency: 8, paceMs: 5, timeoutMs: 10_000, tag });
    let report: AttackReport;
    let negotiation: { status: number };
    let newcomerMs: number;
    try {
      await sleep(300);
      const attacking = attack();
      // A peer that was never connected before can still get in and negotiate during the attack.
      await sleep(500);
      const newcomerStarted = performance.now();
      const client = await newcomer.connect(responder.port('n32'));
      negotiation = await newcomer.negotiate(client, ['TLS']);
      newcomerMs = performance.now() - newcomerStarted;
      client.close();
      report = await attacking;
      await sleep(300);
    } finally {
      await load.stop();
    }
    const outcomes = load.outcomes;
    const acc = account(outcomes, producer, tag);
    // Every offending connection was closed by the SEPP and counted: wait for the last count.
    const counter = `${expected.listener}/${expected.kind}`;
    const events = expected.events?.(report) ?? report.connections * (expected.perConnection ?? 1);
    const also = expected.also?.(report) ?? {};
    const counted = await waitFor(`${events} ${counter} counted`, async () => {
      const now = delta(before, await abuseMetrics(victim));
      return (now[counter] ?? 0) >= events && Object.entries(also).every(([k, v]) => (now[k] ?? 0) >= v) ? now : undefined;
    }, 10_000).catch(async () => delta(before, await abuseMetrics(victim)));

    row.requests = outcomes.length;
    errorKinds(outcomes, row.errors);
    const samples = sampler.of(victim === responder ? 'responder' : 'initiator').filter((s) => s.t >= from);
    row.rss = samples.length ? { min: Math.min(...samples.map((s) => s.rssMb)), max: Math.max(...samples.map((s) => s.rssMb)) } : null;
    row.fds = samples.length ? { min: Math.min(...samples.map((s) => s.fds)), max: Math.max(...samples.map((s) => s.fds)) } : null;
    row.notes.push(`attack: ${report.sent}; offending connection(s) closed by the server: ${report.closedByServer}/${report.connections}${report.firstClosedAfterMs !== null ? ` (${report.connections > 1 ? 'median' : 'first'} after ${(report.firstClosedAfterMs / 1000).toFixed(2)} s)` : ''}${report.goawayCode !== undefined ? `, GOAWAY code ${report.goawayCode}` : ''}`);
    row.notes.push(`counted: ${Object.keys(counted).length ? Object.entries(counted).map(([k, v]) => `${k} +${v}`).join(', ') : 'nothing'}`);
    row.notes.push(`honest: ${acc.ok}/${acc.sent} NF requests answered by the producer (${((acc.ok / Math.max(1, acc.sent)) * 100).toFixed(2)}%); newcomer peer negotiated ${negotiation.status === 200 ? 'TLS' : `HTTP ${negotiation.status}`} in ${newcomerMs.toFixed(0)} ms`);
    if (report.closedByServer !== report.connections) countError(row.errors, 'offender not closed', report.connections - report.closedByServer);
    if ((counted[counter] ?? 0) !== events) countError(row.errors, `${counter} counted ${counted[counter] ?? 0} times for ${events}`);

    // The honest peer: every request answered by the producer, nothing lost, nothing hung.
    expect(acc.sent).toBeGreaterThan(20);
    expect({ ok: acc.ok, problems: acc.problems, failures: acc.failures, okNotAtProducer: acc.okNotAtProducer, duplicated: acc.duplicated }).toEqual({ ok: acc.sent, problems: 0, failures: 0, okNotAtProducer: 0, duplicated: [] });
    expect(negotiation.status).toBe(200);
    expect(responder.running && initiator.running).toBe(true);
    // The offender: every connection (stream) closed by the SEPP, each counted once under its kind, nothing else counted.
    expect(report.connections).toBeGreaterThan(0);
    expect(report.closedByServer).toBe(report.connections);
    expect(counted).toEqual({ [counter]: events, ...also });
    // Any GOAWAY the attacker read says why (one lost to the connection reset that follows it is not an error).
    if (expected.goawayCode !== undefined && report.goawayCode !== undefined) expect(report.goawayCode).toBe(expected.goawayCode);
  }

  const ENHANCE_YOUR_CALM = constants.NGHTTP2_ENHANCE_YOUR_CALM;

  it('RST_STREAM flood (rapid reset) on the N32 listener', async () => {
    await runCase('abuse', 'RST_STREAM flood @responder N32', (row) => underAttack(row, 'rst-n32', responder, () => rstFlood(n32Target(), '/nudm-sdm/v2/x', 4_000), { listener: 'n32', kind: 'rst-flood', goawayCode: ENHANCE_YOUR_CALM }));
  });

  it('SETTINGS flood on the N32 listener', async () => {
    await runCase('abuse', 'SETTINGS flood @responder N32', (row) => underAttack(row, 'settings-n32', responder, () => settingsFlood(n32Target(), 4_000), { listener: 'n32', kind: 'settings-flood' }));
  });

  it('TLS handshakes that never finish (50 connections) on the N32 listener', async () => {
    await runCase('abuse', 'slow TLS handshake ×50 @responder N32', (row) => underAttack(row, 'slow-tls', responder, () => slowTlsHandshake(responder.port('n32'), 50, 8_000), { listener: 'n32', kind: 'tls-handshake-timeout' }));
  });

  it('a connection flood from one address (400 connections at once that send nothing) on the N32 listener', async () => {
    // limits.connectionRatePerAddress at its default (100 a second, burst 100): past the burst (and
    // what the rate adds while they arrive) closed as they come; those let in held until
    // limits.handshakeTimeoutMs (1.5 s here), never more than limits.maxConnectionsPerAddress (256)
    // at once; peers from other addresses get in meanwhile.
    const burst = 100;
    const perAddress = 256;
    let flood: Awaited<ReturnType<typeof connectionFlood>> | undefined;
    const closedAtOnce = (): number => flood?.closedWithin ?? 0;
    await runCase('abuse', 'connection flood ×400 from one address @responder N32', (row) =>
      underAttack(
        row,
        'connection-flood',
        responder,
        async () => (flood = await connectionFlood(responder.port('n32'), '127.0.0.9', 400, 8_000, 500)),
        { listener: 'n32', kind: 'connection-rate-limited', events: closedAtOnce, also: () => ({ 'n32/tls-handshake-timeout': 400 - closedAtOnce() }) },
      ),
    );
    // At least the burst got in (to be closed at the handshake timeout), never more than the per-address bound.
    expect(closedAtOnce()).toBeLessThanOrEqual(400 - burst);
    expect(closedAtOnce()).toBeGreaterThanOrEqual(400 - perAddress);
  });

  it('header block trickled byte by byte (10 connections) on the N32 listener', async () => {
    await runCase('abuse', 'slow headers ×10 @responder N32', (row) => underAttack(row, 'slow-headers', responder, () => slowHeaders(n32Target(), 10, 150, 8_000), { listener: 'n32', kind: 'slow-headers' }));
  });

  it('stalled request bodies (100 streams) on the N32 listener', async () => {
    await runCase('abuse', 'stalled bodies ×100 @responder N32', (row) => underAttack(row, 'stalled-body', responder, () => stalledBodies(n32Target(), N32C_PATHS.exchangeCapability, 100, 8_000), { listener: 'n32', kind: 'stream-idle', perConnection: 100 }));
  });

  it('RST_STREAM flood on the NF-facing listener', async () => {
    await runCase('abuse', 'RST_STREAM flood @initiator NF-facing', (row) => underAttack(row, 'rst-sbi', initiator, () => rstFlood(sbiTarget(), '/nudm-sdm/v2/x', 4_000), { listener: 'sbi', kind: 'rst-flood', goawayCode: ENHANCE_YOUR_CALM }));
  });

  it('SETTINGS flood on the NF-facing listener', async () => {
    await runCase('abuse', 'SETTINGS flood @initiator NF-facing', (row) => underAttack(row, 'settings-sbi', initiator, () => settingsFlood(sbiTarget(), 4_000), { listener: 'sbi', kind: 'settings-flood' }));
  });
  it('NF load over limits.maxRequestsInFlight on the NF-facing listener (overload)', async () => {
    // The initiator takes 40 requests in flight; the NF asks for far more (open loop, 600 a second
    // of requests the producer holds 300 ms: about 180 wanted in flight). What is over the bound
    // is answered 503 NF_CONGESTION at once and never forwarded; everything else is answered by
    // the producer; nothing hangs, nothing is lost or delivered twice; afterwards all is served.
    // One request in ten carries 3gpp-Sbi-Message-Priority 2 (about 18 in flight): the priority
    // reserve of 30 takes them all past the bound, so none of them is refused (TS 29.500 6.8).
    const max = 40;
    const reserve = 30;
    const urgent = (i: number): boolean => i % 10 === 0;
    const reloadInitiator = async (extra: Record<string, number>): Promise<void> => {
      writeYaml(pki.dir, 'abuse-initiator', { ...initiatorConfig, limits: { ...LIMITS, ...extra } });
      expect((await initiator.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
    };
    await runCase('abuse', `overload: 1,800 NF requests at 600/s, each held 300 ms, over maxRequestsInFlight ${max} (a tenth at priority 2, reserve ${reserve}) @initiator NF-facing`, async (row) => {
      await reloadInitiator({ maxRequestsInFlight: max, priorityReserve: reserve });
      const tag = 'overload';
      const total = 1_800;
      const from = sampler.of('initiator').at(-1)?.t ?? 0;
      try {
        const load = NfLoad.start({
          sbiPort: initiator.port('sbi'),
          target: udmApiRoot(producer.port),
          concurrency: 400,
          ratePerSecond: 600,
          limit: total,
          timeoutMs: 10_000,
          tag,
          request: (i, t) => ({ path: `/nudm-sdm/v2/slow/300?run=${t}&n=${i}`, ...(urgent(i) ? { headers: { '3gpp-sbi-message-priority': '2' } } : {}) }),
        });
        await waitFor('every request answered', () => load.outcomes.length >= total, 60_000);
        const outcomes = await load.stop();
        const acc = account(outcomes, producer, tag);
        row.requests = outcomes.length;
        errorKinds(outcomes, row.errors);
        const samples = sampler.of('initiator').filter((s) => s.t >= from);
        row.rss = samples.length ? { min: Math.min(...samples.map((s) => s.rssMb)), max: Math.max(...samples.map((s) => s.rssMb)) } : null;
        const causes = [...new Set(outcomes.flatMap((o) => (o.kind === 'problem' ? [`${o.status} ${o.cause}`] : [])))];
        const refusedMs = outcomes.flatMap((o) => (o.kind === 'problem' ? [o.endedAt - o.startedAt] : [])).sort((a, b) => a - b);
        const priority = outcomes.filter((o) => urgent(o.i));
        const priorityRefused = priority.filter((o) => o.kind !== 'ok').length;
        row.notes.push(`answered by the producer: ${acc.okFromProducer}; refused at once: ${acc.problems} (${causes.join(', ') || 'none'}; p50 ${(refusedMs[Math.floor(refusedMs.length / 2)] ?? 0).toFixed(1)} ms); failures: ${acc.failures}; priority 2: ${priority.length - priorityRefused} of ${priority.length} served`);
        expect(acc.failures).toBe(0);
        expect(acc.problems).toBeGreaterThan(0);
        expect(causes).toEqual(['503 NF_CONGESTION']);
        expect(acc.okFromProducer).toBeGreaterThan(max);
        expect({ priority: priority.length, priorityRefused }).toEqual({ priority: total / 10, priorityRefused: 0 });
        expect({ okNotAtProducer: acc.okNotAtProducer, lostAnswers: acc.lostAnswers, duplicated: acc.duplicated }).toEqual({ okNotAtProducer: 0, lostAnswers: 0, duplicated: [] });
      } finally {
        await reloadInitiator({});
      }
      // Afterwards everything is served again.
      const after = NfLoad.start({ sbiPort: initiator.port('sbi'), target: udmApiRoot(producer.port), concurrency: 4, limit: 40, timeoutMs: 10_000, tag: 'after-overload' });
      await waitFor('the requests after the overload', () => after.outcomes.length >= 40, 30_000);
      const afterAcc = account(await after.stop(), producer, 'after-overload');
      expect({ ok: afterAcc.ok, sent: afterAcc.sent }).toEqual({ ok: 40, sent: 40 });
    });
  });
});
