import { createPkiAB, FQDN_A, writeYaml } from '../test/support/configs';
import { n32fInitiatorYaml, n32fResponderYaml, TappedProducer, udmApiRoot } from '../test/support/n32f';
import { PrinsPair } from '../test/support/prins';
import { SeppProcess } from '../test/support/sepp-process';
import { sleep } from '../test/support/wait-for';
import { account, errorKinds, NfLoad, type NfRequestSpec } from './support/nf-load';
import { memoryProbeEnv, memorySamples } from './support/memory-probe';
import { median, ProcSampler, theilSen } from './support/proc-stats';
import { runCase } from './support/results';

/**
 * A bounded soak: SEPP_SOAK_MS (default 60 s) of mixed NF traffic through a TLS-mode pair and a
 * PRINS pair at once (GET, POST, PUT, DELETE; small and 64 KB bodies; answers of the producer and
 * refusals of the SEPPs), with the RSS and the open descriptors of the four apps sampled every
 * second. Every app runs a full GC every 2 s (support/memory-probe.ts), so that RSS follows what
 * the app keeps rather than how far V8 lets its heap grow before collecting; the heap surviving
 * each of those GCs is sampled too.
 *
 * No growth trend, judged on the samples after a WARMUP_MS warm-up split in thirds: the median of
 * the last third may exceed the median of the first third by at most RSS_GROWTH (relative) plus
 * RSS_SLACK_MB (heap after GC: HEAP_SLACK_MB), descriptors by FD_SLACK. Medians of thirds rather
 * than first and last samples or a least-squares slope: the GC sawtooth and single spikes move
 * neither, a steady leak moves both (~0.4 KB kept per request, ~20 MB over the run, breaks the RSS
 * bound; ~0.2 KB breaks the heap bound). The Theil–Sen slope is reported as the trend estimate.
 */
jest.setTimeout(180_000);

const SOAK_MS = Number(process.env['SEPP_SOAK_MS'] ?? 60_000);
const WARMUP_MS = Math.min(15_000, SOAK_MS / 4);
const RSS_GROWTH = 0.1;
const RSS_SLACK_MB = 8;
const HEAP_SLACK_MB = 4;
const FD_SLACK = 4;

/** The traffic mix, by request number. */
function mixed(refusals: { unknownPlmn: string; notAllowed: string }) {
  return (i: number, tag: string): NfRequestSpec => {
    const q = `run=${tag}&n=${i}`;
    switch (i % 20) {
      case 0:
      case 1:
      case 2:
        return { method: 'POST', path: `/nudm-uecm/v1/imsi-00101000000${i % 1000}/registrations?${q}`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ amfInstanceId: `amf-${i}`, guami: { plmnId: { mcc: '002', mnc: '02' }, amfId: '010203' }, ratType: 'NR' }) };
      case 3:
        return { method: 'PUT', path: `/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions/${i}?${q}`, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(64 * 1024, i & 0xff) };
      case 4:
        return { path: `/nudm-sdm/v2/status/404?${q}`, expect: (s) => s === 404 };
      case 5:
        return { path: `/nudm-sdm/v2/imsi-001010000000001/am-data?run=${tag}-refused&n=${i}`, headers: { '3gpp-sbi-target-apiroot': refusals.unknownPlmn }, expect: (s) => s === 404, reachesProducer: false };
      case 6:
        return { path: `/nudm-sdm/v2/imsi-001010000000001/am-data?run=${tag}-refused&n=${i}`, headers: { '3gpp-sbi-target-apiroot': refusals.notAllowed }, expect: (s) => s === 403, reachesProducer: false };
      case 7:
        return { method: 'DELETE', path: `/nudm-uecm/v1/imsi-001010000000001/registrations/${i}?${q}` };
      default:
        return { path: `/nudm-sdm/v2/imsi-0010100000${String(i % 100_000).padStart(5, '0')}/am-data?${q}` };
    }
  };
}

/** First-third and last-third medians of a series after the warm-up, and its Theil–Sen slope per minute. */
interface Trend {
  samples: number;
  first: number;
  last: number;
  slopePerMin: number;
}

function trendOf(series: readonly { t: number; y: number }[]): Trend {
  const after = series.filter((s) => s.t >= WARMUP_MS);
  const third = Math.max(1, Math.floor(after.length / 3));
  return {
    samples: after.length,
    first: median(after.slice(0, third).map((s) => s.y)),
    last: median(after.slice(after.length - third).map((s) => s.y)),
    slopePerMin: theilSen(after.map((s) => ({ x: s.t / 60_000, y: s.y }))),
  };
}

const fmt = (t: Trend, unit: string, digits = 1): string =>
  `${t.first.toFixed(digits)} -> ${t.last.toFixed(digits)} ${unit} (Theil–Sen ${t.slopePerMin >= 0 ? '+' : ''}${t.slopePerMin.toFixed(2)} ${unit}/min)`;

describe(`soak: ${SOAK_MS / 1000} s of mixed traffic through a TLS pair and a PRINS pair`, () => {
  it('no growth trend in RSS or open descriptors, every request accounted for', async () => {
    await runCase('soak', `${SOAK_MS / 1000} s mixed TLS + PRINS traffic`, async (row) => {
      const { pki, certA, certB } = await createPkiAB();
      const producer = await TappedProducer.start('udm1');
      const tlsResponderConfig = n32fResponderYaml(certA, pki, producer.port);
      tlsResponderConfig.logging = { level: 'info' };
      // A full GC every 2 s and the memory after it (see memory-probe.ts).
      const env = memoryProbeEnv(pki.dir, 2_000);
      const tlsResponder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'soak-tls-responder', tlsResponderConfig), env);
      const tlsInitiatorConfig = n32fInitiatorYaml(certB, pki, tlsResponder.port('n32'));
      tlsInitiatorConfig.logging = { level: 'info' };
      const tlsInitiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'soak-tls-initiator', tlsInitiatorConfig), env);
      const prins = await PrinsPair.start(pki, certA, certB, producer, { name: 'soak-prins', responder: { env }, initiator: { env } });
      const apps: Record<string, SeppProcess> = { 'TLS responder': tlsResponder, 'TLS initiator': tlsInitiator, 'PRINS responder': prins.responder, 'PRINS initiator': prins.initiator };
      const origin = Date.now();
      const sampler = new ProcSampler(Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, app.child.pid])), 1_000);
      try {
        await tlsInitiator.waitForPeerState(FQDN_A, 'tls-established');
        const target = udmApiRoot(producer.port);
        const refusals = { unknownPlmn: 'http://udm1.5gc.mnc999.mcc999.3gppnetwork.org', notAllowed: `http://udm7.5gc.mnc001.mcc001.3gppnetwork.org:${producer.port}` };
        const loads = [
          NfLoad.start({ sbiPort: tlsInitiator.port('sbi'), target, concurrency: 4, paceMs: 2, timeoutMs: 10_000, tag: 'soak-tls', request: mixed(refusals) }),
          NfLoad.start({ sbiPort: prins.initiator.port('sbi'), target, concurrency: 4, paceMs: 2, timeoutMs: 10_000, tag: 'soak-prins', request: mixed(refusals) }),
        ];
        await sleep(SOAK_MS);
        const [tlsOutcomes, prinsOutcomes] = await Promise.all(loads.map((l) => l.stop()));
        sampler.stop();
        const accounts = [account(tlsOutcomes!, producer, 'soak-tls'), account(prinsOutcomes!, producer, 'soak-prins')];

        row.requests = tlsOutcomes!.length + prinsOutcomes!.length;
        errorKinds([...tlsOutcomes!, ...prinsOutcomes!], row.errors);
        row.rss = sampler.overall().rss;
        row.fds = sampler.overall().fds;
        const trends = Object.entries(apps).map(([name, app]) => {
          const samples = sampler.of(name);
          return {
            name,
            rss: trendOf(samples.map((x) => ({ t: x.t, y: x.rssMb }))),
            fds: trendOf(samples.map((x) => ({ t: x.t, y: x.fds }))),
            heap: trendOf(memorySamples(app).map((x) => ({ t: x.at - origin, y: x.heapMb }))),
          };
        });
        for (const t of trends) {
          row.notes.push(`${t.name}: RSS ${fmt(t.rss, 'MB')}, heap after full GC ${fmt(t.heap, 'MB')}, fds ${fmt(t.fds, '', 0)} — medians of the first and last third after ${WARMUP_MS / 1000} s warm-up (${t.rss.samples} samples)`);
        }
        row.notes.push(`TLS pair: ${accounts[0]!.ok}/${accounts[0]!.sent} as expected; PRINS pair: ${accounts[1]!.ok}/${accounts[1]!.sent} as expected; ${(row.requests / (SOAK_MS / 1000)).toFixed(0)} req/s overall`);

        for (const acc of accounts) {
          expect(acc.failures).toBe(0);
          expect(acc.problems).toBe(0);
          expect(acc.duplicated).toEqual([]);
          expect(acc.okNotAtProducer).toBe(0);
          expect(acc.producerCompleted).toBe(acc.okFromProducer);
        }
        for (const t of trends) {
          expect({ app: t.name, heapSamples: t.heap.samples > 3 }).toEqual({ app: t.name, heapSamples: true });
          expect({ app: t.name, rssLastThirdMb: t.rss.last }).toEqual({ app: t.name, rssLastThirdMb: expect.any(Number) });
          expect(t.rss.last).toBeLessThanOrEqual(t.rss.first * (1 + RSS_GROWTH) + RSS_SLACK_MB);
          expect(t.heap.last).toBeLessThanOrEqual(t.heap.first * (1 + RSS_GROWTH) + HEAP_SLACK_MB);
          expect(t.fds.last).toBeLessThanOrEqual(t.fds.first + FD_SLACK);
        }
        expect([tlsResponder, tlsInitiator, prins.responder, prins.initiator].every((p) => p.running)).toBe(true);
      } finally {
        sampler.stop();
        await prins.stop();
        await tlsInitiator.stop();
        await tlsResponder.stop();
        await producer.close();
      }
    });
  });
});
