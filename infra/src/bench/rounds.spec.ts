import type { BenchReport, Scenario, ScenarioResult } from './context';
import { summarize } from './load';
import { renderReport } from './report';
import { evaluateTargets, h2loadRatioTarget } from './targets';
import { h2loadRatio, h2loadRatiosPerRound, medianRatios, medianRound, roundFigure, roundOrder } from './rounds';

function scenario(id: string, extra: Partial<ScenarioResult> = {}): ScenarioResult {
  return { id, title: id, ran: true, cpu: [], cpuMsPerRequest: null, rss: [], idleRss: [], ...extra };
}

function loaded(id: string, reqPerSec: number): ScenarioResult {
  return scenario(id, { load: { durationS: 10, ok: reqPerSec * 10, reqPerSec, latency: summarize(new Float64Array([1, 2]), 2), errors: {}, errorCount: 0, inFlightAtEnd: 0, warmupAnswered: 0, bytesIn: 0 } });
}

function measured(id: string, wholeMs: number): ScenarioResult {
  return scenario(id, { latency: { whole: summarize(new Float64Array([wholeMs]), 1) } });
}

describe('bench rounds', () => {
  it('runs every other round in reverse order', () => {
    const list = ['a', 'b', 'c'].map((id) => ({ id }) as Scenario);
    expect(roundOrder(list, 0).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(roundOrder(list, 1).map((s) => s.id)).toEqual(['c', 'b', 'a']);
    expect(roundOrder(list, 2).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    expect(list.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it("shows a scenario's median round: by req/s, by (n)'s whole p50, the lower middle of an even count, a round that did not run only when none did", () => {
    expect(medianRound([loaded('c', 3000), loaded('c', 4100), loaded('c', 3900)]).load!.reqPerSec).toBe(3900);
    expect(medianRound([loaded('c', 3000), loaded('c', 4100), loaded('c', 3900), loaded('c', 3500)]).load!.reqPerSec).toBe(3500);
    expect(roundFigure(medianRound([measured('n', 6.1), measured('n', 5.2), measured('n', 9.9)]))).toBe(6.1);
    expect(medianRound([scenario('c', { ran: false }), loaded('c', 10)]).load!.reqPerSec).toBe(10);
    expect(medianRound([scenario('c', { ran: false, error: 'x' })]).error).toBe('x');
    expect(roundFigure(undefined)).toBeNull();
  });

  it("takes each ratio as the median of the rounds' own ratios, leaving out rounds where it could not be computed", () => {
    const specs = [
      { numerator: 'c', denominator: 'b', target: 0.9 },
      { numerator: 'd', denominator: 'c' },
    ];
    const rounds = [
      [loaded('b', 4000), loaded('c', 3800), loaded('d', 1900)],
      // The machine slower for the whole round: the ratio holds.
      [loaded('b', 3000), loaded('c', 2850), scenario('d', { ran: false })],
      [loaded('b', 4400), loaded('c', 3520), loaded('d', 2112)],
    ];
    const { ratios, perRound } = medianRatios(specs, rounds);
    expect(perRound[0]).toEqual([0.95, 0.95, 0.8]);
    expect(perRound[1]).toEqual([0.5, null, 0.6]);
    expect(ratios[0]).toMatchObject({ value: 0.95, pass: true });
    expect(ratios[1]!.value).toBeCloseTo(0.55);
    expect(ratios[1]!.pass).toBeNull();
    // Not computable in any round: the first round's reason.
    expect(medianRatios([{ numerator: 'e', denominator: 'd' }], rounds).ratios[0]).toMatchObject({ value: null, note: 'e not selected' });
  });

  it('prints every round of every scenario and ratio under the ratios', () => {
    const report: BenchReport = {
      startedAt: '',
      node: 'v20',
      platform: 'linux',
      cpus: { count: 2, model: 'x' },
      params: { durationS: 10, warmupS: 2, concurrency: 64, connections: 4, method: 'GET', path: '/', bodyBytes: 0, requestTimeoutMs: 10_000, seppLogLevel: 'warn', h2load: [], negotiations: 10 },
      scenarios: [loaded('b', 4000), loaded('c', 3800), measured('n', 5.25)],
      ratios: [{ numerator: 'c', denominator: 'b', target: 0.9, value: 0.95, pass: true }],
      rounds: { count: 2, scenarios: { b: [4000, 3000], c: [3800, null], n: [5.25, 6.5] }, ratios: { 'c/b': [0.95, null] }, h2loadRatios: { 'c/b': [0.91, null], 'd/c': [null, null] } },
      targets: [{ id: 'ratio-c-b', label: 'c/b req/s >= 0.90', value: '0.95', pass: true }],
      producer: { process: 'producer', peakRssBytes: null },
    };
    const text = renderReport(report);
    expect(text).toContain("rounds: 2, every other one in reverse order; above, each scenario's median round (its h2load figures too) and each ratio's median over the rounds (h2load ratio targets too)");
    expect(text).toMatch(/\n {2}b +req\/s +4,000 +3,000\n/);
    expect(text).toMatch(/\n {2}c +req\/s +3,800 +-\n/);
    expect(text).toMatch(/\n {2}n +whole p50 ms +5\.25 +6\.50\n/);
    expect(text).toMatch(/\n {2}c\/b +ratio +0\.95 +-\n/);
    expect(text).toMatch(/\n {2}c\/b +h2load ratio +0\.91 +-\n/);
    expect(text).not.toMatch(/d\/c +h2load ratio/);
  });

  it("judges an h2load ratio target by the median of the rounds' own h2load ratios, not by the median rounds' figures", () => {
    const h2 = (id: string, reqPerSec: number, h2loadReqPerSec: number): ScenarioResult => ({ ...loaded(id, reqPerSec), h2load: { clients: 10, streams: 10, durationS: 10, reqPerSec: h2loadReqPerSec, succeeded: h2loadReqPerSec * 10, errors: 0, meanMs: 1, cpuMsPerRequest: 0.2 } });
    const rounds = [
      [h2('b', 4000, 5000), h2('c', 3800, 4600)],
      // The generator's median rounds of b and c (3,900 and 3,700 req/s) are here: their h2load ratio is 0.80.
      [h2('b', 3900, 5000), h2('c', 3700, 4000)],
      [h2('b', 3800, 4000), h2('c', 3600, 3720), scenario('d', { ran: false })],
    ];
    expect(h2loadRatio(rounds[0]!, 'c', 'b')).toBeCloseTo(0.92);
    expect(h2loadRatio(rounds[2]!, 'd', 'c')).toBeNull();
    expect(h2loadRatio([loaded('b', 1), loaded('c', 1)], 'c', 'b')).toBeNull();
    const perRound = h2loadRatiosPerRound([{ numerator: 'c', denominator: 'b' }, { numerator: 'd', denominator: 'c' }], rounds);
    expect(perRound['c/b']!.map((value) => value?.toFixed(2))).toEqual(['0.92', '0.80', '0.93']);
    expect(perRound['d/c']).toEqual([null, null, null]);
    const report: Omit<BenchReport, 'targets'> = {
      startedAt: '',
      node: 'v20',
      platform: 'linux',
      cpus: { count: 2, model: 'x' },
      params: { durationS: 10, warmupS: 2, concurrency: 64, connections: 4, method: 'GET', path: '/', bodyBytes: 0, requestTimeoutMs: 10_000, seppLogLevel: 'warn', h2load: ['b', 'c'], negotiations: 10 },
      scenarios: [medianRound(rounds.map((r) => r[0]!)), medianRound(rounds.map((r) => r[1]!))],
      ratios: [],
      rounds: { count: 3, scenarios: {}, ratios: {}, h2loadRatios: perRound },
      producer: { process: 'producer', peakRssBytes: null },
    };
    expect(evaluateTargets([h2loadRatioTarget('c', 'b', 0.9)], report)[0]).toMatchObject({ value: '0.92', pass: true });
    // Without rounds: the ratio of the run's own figures.
    expect(evaluateTargets([h2loadRatioTarget('c', 'b', 0.9)], { ...report, rounds: undefined })[0]).toMatchObject({ value: '0.80', pass: false });
  });
});
