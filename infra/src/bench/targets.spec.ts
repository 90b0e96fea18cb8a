import type { BenchReport, ScenarioResult } from './context';
import { h2loadErrors, parseH2loadOutput } from './h2load';
import { summarize } from './load';
import { computeRatios } from './report';
import { evaluateTargets, h2loadRatioTarget, idleRssTarget, latencyTarget, noErrorsTarget, peakRssTarget, ratioTarget } from './targets';

const MIB = 1024 * 1024;

function scenario(id: string, extra: Partial<ScenarioResult> = {}): ScenarioResult {
  return { id, title: id, ran: true, cpu: [], cpuMsPerRequest: null, rss: [], idleRss: [], ...extra };
}

function load(reqPerSec: number, errorCount = 0): ScenarioResult['load'] {
  return { durationS: 10, ok: reqPerSec * 10, reqPerSec, latency: summarize(new Float64Array([1, 2]), 2), errors: errorCount ? { 'status 502': errorCount } : {}, errorCount, inFlightAtEnd: 0, warmupAnswered: 0, bytesIn: 0 };
}

function report(scenarios: ScenarioResult[]): Omit<BenchReport, 'targets'> {
  const specs = [{ numerator: 'c', denominator: 'b', target: 0.9 }];
  return {
    startedAt: '',
    node: 'v20',
    platform: 'linux',
    cpus: { count: 2, model: 'x' },
    params: { durationS: 10, warmupS: 2, concurrency: 64, connections: 4, method: 'GET', path: '/', bodyBytes: 0, requestTimeoutMs: 10_000, seppLogLevel: 'warn', h2load: [], negotiations: 10 },
    scenarios,
    ratios: computeRatios(specs, scenarios),
    producer: { process: 'producer', peakRssBytes: null },
  };
}

describe('bench targets', () => {
  it('judges a ratio by the same run, and says n/a when a side did not run', () => {
    const spec = ratioTarget({ numerator: 'c', denominator: 'b', target: 0.9 });
    expect(evaluateTargets([spec], report([scenario('b', { load: load(1000) }), scenario('c', { load: load(950) })]))[0]).toMatchObject({ value: '0.95', pass: true });
    expect(evaluateTargets([spec], report([scenario('b', { load: load(1000) }), scenario('c', { load: load(850) })]))[0]).toMatchObject({ value: '0.85', pass: false });
    expect(evaluateTargets([spec], report([scenario('b', { load: load(1000) }), scenario('c', { ran: false })]))[0]).toMatchObject({ pass: null });
  });

  it('compares h2load throughput of two scenarios', () => {
    const h2 = (reqPerSec: number): ScenarioResult['h2load'] => ({ clients: 10, streams: 10, durationS: 10, reqPerSec, succeeded: reqPerSec * 10, errors: 0, meanMs: 1, cpuMsPerRequest: 0.2 });
    const spec = h2loadRatioTarget('c', 'b', 0.9);
    expect(evaluateTargets([spec], report([scenario('b', { h2load: h2(4000) }), scenario('c', { h2load: h2(3500) })]))[0]).toMatchObject({ value: '0.88', pass: false });
    expect(evaluateTargets([spec], report([scenario('b', { h2load: h2(4000) }), scenario('c')]))[0]!.pass).toBeNull();
  });

  it('holds each SEPP to the bare proxy of its role, and the idle RSS to a bound', () => {
    const rss = (list: Record<string, number>) => Object.entries(list).map(([process, mib]) => ({ process, peakRssBytes: mib * MIB }));
    const b = scenario('b', { rss: rss({ 'proxy-a': 130, 'proxy-b': 128 }) });
    const peak = peakRssTarget('c', 'b', { initiator: 'proxy-a', responder: 'proxy-b' });
    expect(evaluateTargets([peak], report([b, scenario('c', { rss: rss({ initiator: 120, responder: 127 }) })]))[0]!.pass).toBe(true);
    expect(evaluateTargets([peak], report([b, scenario('c', { rss: rss({ initiator: 120, responder: 129 }) })]))[0]!.pass).toBe(false);
    const idle = idleRssTarget('c', ['initiator', 'responder'], 80);
    expect(evaluateTargets([idle], report([scenario('c', { idleRss: rss({ initiator: 79, responder: 80 }) })]))[0]).toMatchObject({ value: '79.0 MiB, 80.0 MiB', pass: true });
    expect(evaluateTargets([idle], report([scenario('c', { idleRss: rss({ initiator: 81, responder: 70 }) })]))[0]!.pass).toBe(false);
  });

  it('reads latency percentiles of a measuring scenario', () => {
    const series = { whole: summarize(new Float64Array([4, 5, 6, 30]), 4) };
    expect(evaluateTargets([latencyTarget('n', 'whole', 'p50', 5.5)], report([scenario('n', { latency: series })]))[0]).toMatchObject({ value: '5.00 ms', pass: true });
    expect(evaluateTargets([latencyTarget('n', 'whole', 'p99', 15)], report([scenario('n', { latency: series })]))[0]!.pass).toBe(false);
  });

  it('fails on any error of any load run', () => {
    expect(evaluateTargets([noErrorsTarget()], report([scenario('b', { load: load(10) }), scenario('c', { load: load(10) })]))[0]!.pass).toBe(true);
    expect(evaluateTargets([noErrorsTarget()], report([scenario('b', { load: load(10) }), scenario('c', { load: load(10, 3) })]))[0]).toMatchObject({ value: '(c) 3', pass: false });
  });
});

describe('h2load summary', () => {
  it('reads the counts and the mean request time', () => {
    const counts = parseH2loadOutput(`finished in 10.00s, 4233.70 req/s, 2.53MB/s
requests: 42337 total, 42437 started, 42337 done, 42330 succeeded, 7 failed, 2 errored, 1 timeout
status codes: 42330 2xx, 0 3xx, 0 4xx, 7 5xx
traffic: 25.33MB (26555427) total
                     min         max         mean         sd        +/- sd
time for request:      1.20ms     80.11ms     23.42ms      6.10ms    70.00%
`);
    expect(counts).toMatchObject({ seconds: 10, done: 42337, succeeded: 42330, status2xx: 42330, errored: 2, timeout: 1, meanMs: 23.42 });
    expect(h2loadErrors(counts)).toBe(10);
  });

  it('does not count the 2xx answers of streams still in flight when -D ended (status 2xx above done)', () => {
    const counts = parseH2loadOutput(`finished in 10.00s, 4929.00 req/s, 2.90MB/s
requests: 49390 total, 49390 started, 49290 done, 49290 succeeded, 0 failed, 0 errored, 0 timeout
status codes: 49390 2xx, 0 3xx, 0 4xx, 0 5xx
`);
    expect(h2loadErrors(counts)).toBe(0);
  });

  it('refuses output without a summary', () => {
    expect(() => parseH2loadOutput('connect error')).toThrow(/no summary/);
  });
});
