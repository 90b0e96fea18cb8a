import { CONSUMER_HEADERS, type BenchReport, type ProcessRss, type RatioResult, type RatioSpec, type ScenarioResult } from './context';

export function computeRatios(specs: readonly RatioSpec[], results: readonly ScenarioResult[]): RatioResult[] {
  return specs.map((spec) => {
    const num = results.find((r) => r.id === spec.numerator);
    const den = results.find((r) => r.id === spec.denominator);
    const missing = [num, den].map((r, i) => (r ? (r.ran && r.load ? null : `${r.id} did not run`) : `${i === 0 ? spec.numerator : spec.denominator} not selected`)).filter(Boolean);
    if (missing.length > 0 || !num?.load || !den?.load) return { ...spec, value: null, pass: null, note: missing.join(', ') };
    if (den.load.reqPerSec === 0) return { ...spec, value: null, pass: null, note: `${den.id} completed no request` };
    const value = num.load.reqPerSec / den.load.reqPerSec;
    return { ...spec, value, pass: spec.target === undefined ? null : value >= spec.target };
  });
}

const mib = (bytes: number | null): string => (bytes === null ? '?' : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);
const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const rate = (value: number): string => Math.round(value).toLocaleString('en-US');

function table(rows: string[][], alignRight: boolean[]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, col) => (alignRight[col] ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function renderReport(report: BenchReport): string {
  const p = report.params;
  const lines: string[] = [];
  lines.push('N32-f forwarding benchmark');
  lines.push(`node ${report.node}, ${report.cpus.count} CPU${report.cpus.count === 1 ? '' : 's'} (${report.cpus.model}), ${report.platform}`);
  const request = `${p.method} ${p.path} (${Object.keys(CONSUMER_HEADERS).join(', ')})${p.bodyBytes ? ` with a ${p.bodyBytes}-byte JSON body` : ''}`;
  lines.push(
    `parameters: ${p.durationS} s measured after ${p.warmupS} s warm-up per scenario, ${p.concurrency} streams in flight over ${p.connections} h2c connection${p.connections === 1 ? '' : 's'}, ` +
      `${request}, request timeout ${p.requestTimeoutMs / 1000} s, SEPP log level ${p.seppLogLevel}`,
  );
  lines.push('');

  const rows: string[][] = [['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/req']];
  const failures: string[] = [];
  for (const result of report.scenarios) {
    const name = `${result.id}  ${result.title}`;
    if (result.ran && result.latency) continue; // a measuring scenario: its own table below
    if (result.load) {
      const l = result.load;
      const cpu = result.cpuMsPerRequest === null ? '?' : result.cpuMsPerRequest.toFixed(3);
      rows.push([name, rate(l.reqPerSec), ms(l.latency.p50Ms), ms(l.latency.p99Ms), String(l.errorCount), cpu]);
    } else {
      rows.push([name, 'did not run', '-', '-', '-', '-']);
      failures.push(`(${result.id}) did not run: ${result.error ?? 'unknown reason'}`);
    }
  }
  lines.push(...table(rows, [false, true, true, true, true, true]));
  lines.push('  (CPU ms/req: CPU time of every process on the path, producer included, generator excluded, per 2xx answer)');

  const h2loaded = report.scenarios.filter((r) => r.h2load);
  if (h2loaded.length > 0) {
    lines.push('');
    const h2rows: string[][] = [['h2load -c 10 -m 10', 'req/s', 'mean ms', 'errors', 'CPU ms/req']];
    for (const result of h2loaded) {
      const h = result.h2load!;
      h2rows.push([`${result.id}  ${result.title}`, rate(h.reqPerSec), ms(h.meanMs ?? undefined), String(h.errors), h.cpuMsPerRequest === null ? '?' : h.cpuMsPerRequest.toFixed(3)]);
    }
    lines.push(...table(h2rows, [false, true, true, true, true]));
  }

  for (const result of report.scenarios.filter((r) => r.ran && r.latency)) {
    lines.push('');
    lines.push(`${result.id}  ${result.title}`);
    const latencyRows: string[][] = [['  ms', 'samples', 'min', 'p50', 'p90', 'p99', 'max', 'mean']];
    for (const [series, l] of Object.entries(result.latency!)) {
      latencyRows.push([`  ${series}`, String(l.samples), ms(l.minMs), ms(l.p50Ms), ms(l.p90Ms), ms(l.p99Ms), ms(l.maxMs), ms(l.meanMs)]);
    }
    lines.push(...table(latencyRows, [false, true, true, true, true, true, true, true]));
    if (result.cpuMsPerRequest !== null) {
      lines.push(`  CPU per negotiation (${result.cpu.map((c) => c.process).join(', ')}, warm-up included): ${result.cpuMsPerRequest.toFixed(2)} ms`);
    }
    const errors = Object.entries(result.measureErrors ?? {});
    if (errors.length > 0) lines.push(`  errors: ${errors.map(([kind, count]) => `${kind} x${count}`).join(', ')}`);
  }

  for (const result of report.scenarios) {
    if (result.load && result.load.errorCount > 0) {
      const kinds = Object.entries(result.load.errors)
        .sort((x, y) => y[1] - x[1])
        .map(([kind, count]) => `${kind} x${count}`)
        .join(', ');
      lines.push(`  (${result.id}) errors: ${kinds}`);
    }
  }
  lines.push('');

  for (const ratio of report.ratios) {
    const name = `${ratio.numerator}/${ratio.denominator}`;
    const value = ratio.value === null ? `n/a (${ratio.note})` : ratio.value.toFixed(2);
    const target = ratio.target === undefined ? '' : `   target >= ${ratio.target.toFixed(2)}`;
    const num = report.scenarios.find((r) => r.id === ratio.numerator)?.cpuMsPerRequest;
    const den = report.scenarios.find((r) => r.id === ratio.denominator)?.cpuMsPerRequest;
    const cpu = ratio.value !== null && num && den ? `   (CPU per request ${ratio.numerator}/${ratio.denominator}: ${(num / den).toFixed(2)})` : '';
    lines.push(`ratio ${name} (req/s)  ${value}${target}${cpu}`);
  }
  lines.push('');

  if (report.rounds) {
    const { count, scenarios, ratios, h2loadRatios } = report.rounds;
    lines.push(`rounds: ${count}, every other one in reverse order; above, each scenario's median round (its h2load figures too) and each ratio's median over the rounds (h2load ratio targets too)`);
    const cell = (value: number | null, digits: number): string => (value === null ? '-' : digits === 0 ? rate(value) : value.toFixed(digits));
    const rows: string[][] = [];
    for (const [id, values] of Object.entries(scenarios)) {
      const latency = report.scenarios.find((r) => r.id === id)?.load === undefined;
      rows.push([`  ${id}`, latency ? 'whole p50 ms' : 'req/s', ...values.map((value) => cell(value, latency ? 2 : 0))]);
    }
    for (const [name, values] of Object.entries(ratios)) {
      if (values.every((value) => value === null)) continue;
      rows.push([`  ${name}`, 'ratio', ...values.map((value) => cell(value, 2))]);
    }
    for (const [name, values] of Object.entries(h2loadRatios)) {
      if (values.every((value) => value === null)) continue;
      rows.push([`  ${name}`, 'h2load ratio', ...values.map((value) => cell(value, 2))]);
    }
    lines.push(...table(rows, [false, false, ...Array.from({ length: count }, () => true)]));
    lines.push('');
  }

  lines.push('per process: RSS once set up (before any traffic), peak RSS (VmHWM, read just before it was stopped), CPU time in the measured window');
  const rssRows: string[][] = [['  producer (whole run)', '', mib(report.producer.peakRssBytes), '']];
  for (const result of report.scenarios) {
    for (const entry of result.rss) {
      const cpu = result.cpu.find((c) => c.process === entry.process)?.cpuMs;
      const idle = result.idleRss.find((c) => c.process === entry.process)?.peakRssBytes ?? null;
      rssRows.push([`  (${result.id}) ${entry.process}`, `idle ${mib(idle)}`, `peak ${mib(entry.peakRssBytes)}`, cpu === undefined || cpu === null ? '' : `${Math.round(cpu)} ms CPU`]);
    }
    const producerCpu = result.cpu.find((c) => c.process === 'producer')?.cpuMs;
    if (producerCpu !== undefined && producerCpu !== null) rssRows.push([`  (${result.id}) producer`, '', '', `${Math.round(producerCpu)} ms CPU`]);
    if (result.generatorCpuMs !== undefined) rssRows.push([`  (${result.id}) load generator`, '', '', `${Math.round(result.generatorCpuMs)} ms CPU`]);
  }
  lines.push(...table(rssRows, [false, true, true, true]));

  lines.push('');
  lines.push('targets');
  const targetRows: string[][] = report.targets.map((t) => [`  ${t.label}`, t.value, t.pass === null ? `n/a${t.note ? ` (${t.note})` : ''}` : t.pass ? 'PASS' : 'FAIL']);
  lines.push(...table(targetRows, [false, true, false]));
  const count = (pass: boolean | null): number => report.targets.filter((t) => t.pass === pass).length;
  lines.push(`  ${count(true)} PASS, ${count(false)} FAIL, ${count(null)} n/a`);

  if (failures.length > 0) {
    lines.push('');
    lines.push(...failures);
  }
  return lines.join('\n');
}

export function rssOf(name: string, bytes: number | null): ProcessRss {
  return { process: name, peakRssBytes: bytes };
}
