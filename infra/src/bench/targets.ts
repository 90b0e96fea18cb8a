import type { BenchReport, ProcessRss, RatioSpec, ScenarioResult, TargetResult, TargetSpec } from './context';
import type { LatencySummary } from './load';
import { median } from './rounds';

/**
 * Target builders. Each target reads the report of the same run and says PASS, FAIL or n/a (what
 * it needs did not run); scenarios.ts lists the targets of this project.
 */

type Report = Omit<BenchReport, 'targets'>;
type Verdict = Omit<TargetResult, 'id' | 'label'>;

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;
const notRun = (note: string): Verdict => ({ value: 'n/a', pass: null, note });

function ran(report: Report, id: string): ScenarioResult | string {
  const result = report.scenarios.find((r) => r.id === id);
  if (!result) return `${id} not selected`;
  if (!result.ran) return `${id} did not run`;
  return result;
}

/** `num/den` of the bench's own req/s (the ratio lines of RATIOS with a `target`). */
export function ratioTarget(spec: RatioSpec & { target: number }): TargetSpec {
  return {
    id: `ratio-${spec.numerator}-${spec.denominator}`,
    label: `${spec.numerator}/${spec.denominator} req/s >= ${spec.target.toFixed(2)}`,
    evaluate(report) {
      const ratio = report.ratios.find((r) => r.numerator === spec.numerator && r.denominator === spec.denominator);
      if (!ratio || ratio.value === null) return notRun(ratio?.note ?? 'not computed');
      return { value: ratio.value.toFixed(2), pass: ratio.value >= spec.target };
    },
  };
}

/**
 * `num/den` of h2load's req/s (both scenarios loaded with h2load in this run); with --rounds, the
 * median of the rounds' own h2load ratios.
 */
export function h2loadRatioTarget(numerator: string, denominator: string, target: number): TargetSpec {
  return {
    id: `h2load-${numerator}-${denominator}`,
    label: `${numerator}/${denominator} req/s with h2load -c 10 -m 10 >= ${target.toFixed(2)}`,
    evaluate(report) {
      const perRound = (report.rounds?.h2loadRatios[`${numerator}/${denominator}`] ?? []).filter((value): value is number => value !== null);
      if (perRound.length > 0) {
        const value = median(perRound);
        return { value: value.toFixed(2), pass: value >= target };
      }
      const [num, den] = [ran(report, numerator), ran(report, denominator)];
      if (typeof num === 'string') return notRun(num);
      if (typeof den === 'string') return notRun(den);
      if (!num.h2load || !den.h2load) return notRun('h2load not run on both (--h2load)');
      if (den.h2load.reqPerSec === 0) return notRun(`${denominator} answered nothing`);
      const value = num.h2load.reqPerSec / den.h2load.reqPerSec;
      return { value: value.toFixed(2), pass: value >= target };
    },
  };
}

/**
 * Peak RSS of each process of `scenario` named in `pairs` no higher than that of its counterpart
 * in `baseline` (e.g. the SEPP initiator vs the bare proxy A), same run.
 */
export function peakRssTarget(scenario: string, baseline: string, pairs: Record<string, string>): TargetSpec {
  const names = Object.entries(pairs);
  return {
    id: `peak-rss-${scenario}`,
    label: `(${scenario}) peak RSS ${names.map(([p, b]) => `${p} <= ${b}`).join(', ')} (${baseline})`,
    evaluate(report) {
      const [result, base] = [ran(report, scenario), ran(report, baseline)];
      if (typeof result === 'string') return notRun(result);
      if (typeof base === 'string') return notRun(base);
      const peak = (list: ProcessRss[], name: string): number | null => list.find((entry) => entry.process === name)?.peakRssBytes ?? null;
      const values: string[] = [];
      let pass = true;
      for (const [process, counterpart] of names) {
        const [ours, theirs] = [peak(result.rss, process), peak(base.rss, counterpart)];
        if (ours === null || theirs === null) return notRun(`no peak RSS for ${ours === null ? process : counterpart}`);
        values.push(`${mib(ours)} vs ${mib(theirs)}`);
        if (ours > theirs) pass = false;
      }
      return { value: values.join(', '), pass };
    },
  };
}

/** RSS of the named processes of `scenario` once set up, before any traffic, at most `maxMiB`. */
export function idleRssTarget(scenario: string, processes: readonly string[], maxMiB: number): TargetSpec {
  return {
    id: `idle-rss-${scenario}`,
    label: `(${scenario}) idle RSS after start-up of ${processes.join(', ')} <= ${maxMiB} MiB`,
    evaluate(report) {
      const result = ran(report, scenario);
      if (typeof result === 'string') return notRun(result);
      const values = processes.map((name) => result.idleRss.find((entry) => entry.process === name)?.peakRssBytes ?? null);
      if (values.some((value) => value === null)) return notRun('idle RSS not read');
      return { value: (values as number[]).map(mib).join(', '), pass: (values as number[]).every((value) => value <= maxMiB * MIB) };
    },
  };
}

/** A percentile of a measuring scenario's latency series below `maxMs`. */
export function latencyTarget(scenario: string, series: string, percentile: 'p50' | 'p90' | 'p99', maxMs: number): TargetSpec {
  const field = `${percentile}Ms` as keyof LatencySummary;
  return {
    id: `latency-${scenario}-${series}-${percentile}`,
    label: `(${scenario}) ${series} ${percentile} < ${maxMs} ms`,
    evaluate(report) {
      const result = ran(report, scenario);
      if (typeof result === 'string') return notRun(result);
      const summary = result.latency?.[series];
      if (!summary || summary.samples === 0) return notRun(`no ${series} samples`);
      const value = summary[field];
      return { value: `${value.toFixed(2)} ms`, pass: value < maxMs };
    },
  };
}

/** No failed request in any run of the report (the bench's generator, h2load, measuring scenarios). */
export function noErrorsTarget(): TargetSpec {
  return {
    id: 'no-errors',
    label: 'errors = 0 in every run',
    evaluate(report) {
      const loaded = report.scenarios.filter((r) => r.load || r.h2load || r.measureErrors);
      if (loaded.length === 0) return notRun('no scenario ran');
      const measureErrors = (r: ScenarioResult): number => Object.values(r.measureErrors ?? {}).reduce((sum, n) => sum + n, 0);
      const failing = loaded.flatMap((r) => [
        ...(r.load && r.load.errorCount > 0 ? [`(${r.id}) ${r.load.errorCount}`] : []),
        ...(r.h2load && r.h2load.errors > 0 ? [`(${r.id}) h2load ${r.h2load.errors}`] : []),
        ...(measureErrors(r) > 0 ? [`(${r.id}) ${measureErrors(r)}`] : []),
      ]);
      const didNotRun = report.scenarios.filter((r) => !r.ran).map((r) => `(${r.id}) did not run`);
      const all = [...failing, ...didNotRun];
      return { value: all.length === 0 ? '0' : all.join(', '), pass: all.length === 0 };
    },
  };
}

export function evaluateTargets(specs: readonly TargetSpec[], report: Report): TargetResult[] {
  return specs.map((spec) => ({ id: spec.id, label: spec.label, ...spec.evaluate(report) }));
}
