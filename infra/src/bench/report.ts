import type { BenchReport, ProcessRss, RatioResult, RatioSpec, ScenarioResult } from './context';

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
  const request = `${p.method} ${p.path}${p.bodyBytes ? ` with a ${p.bodyBytes}-byte JSON body` : ''}`;
  lines.push(
    `parameters: ${p.durationS} s measured after ${p.warmupS} s warm-up per scenario, ${p.concurrency} streams in flight over ${p.connections} h2c connection${p.connections === 1 ? '' : 's'}, ` +
      `${request}, request timeout ${p.requestTimeoutMs / 1000} s, SEPP log level ${p.seppLogLevel}`,
  );
  lines.push('');

  const rows: string[][] = [['scenario', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU ms/req']];
  const failures: string[] = [];
  for (const result of report.scenarios) {
    const name = `${result.id}  ${result.title}`;
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
    const target = ratio.target === undefined ? '' : `   target >= ${ratio.target.toFixed(2)}: ${ratio.pass === null ? 'n/a' : ratio.pass ? 'PASS' : 'FAIL'}`;
    const num = report.scenarios.find((r) => r.id === ratio.numerator)?.cpuMsPerRequest;
    const den = report.scenarios.find((r) => r.id === ratio.denominator)?.cpuMsPerRequest;
    const cpu = ratio.value !== null && num && den ? `   (CPU per request ${ratio.numerator}/${ratio.denominator}: ${(num / den).toFixed(2)})` : '';
    lines.push(`ratio ${name} (req/s)  ${value}${target}${cpu}`);
  }
  lines.push('');

  lines.push('per process: peak RSS (VmHWM, read just before it was stopped), CPU time in the measured window');
  const rssRows: string[][] = [['  producer (whole run)', mib(report.producer.peakRssBytes), '']];
  for (const result of report.scenarios) {
    for (const entry of result.rss) {
      const cpu = result.cpu.find((c) => c.process === entry.process)?.cpuMs;
      rssRows.push([`  (${result.id}) ${entry.process}`, mib(entry.peakRssBytes), cpu === undefined || cpu === null ? '' : `${Math.round(cpu)} ms CPU`]);
    }
    const producerCpu = result.cpu.find((c) => c.process === 'producer')?.cpuMs;
    if (producerCpu !== undefined && producerCpu !== null) rssRows.push([`  (${result.id}) producer`, '', `${Math.round(producerCpu)} ms CPU`]);
    if (result.generatorCpuMs !== undefined) rssRows.push([`  (${result.id}) load generator`, '', `${Math.round(result.generatorCpuMs)} ms CPU`]);
  }
  lines.push(...table(rssRows, [false, true, true]));

  if (failures.length > 0) {
    lines.push('');
    lines.push(...failures);
  }
  return lines.join('\n');
}

export function rssOf(name: string, bytes: number | null): ProcessRss {
  return { process: name, peakRssBytes: bytes };
}
