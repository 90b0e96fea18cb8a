import type { CaseResult } from '../cases/types';
import type { ProbeReport } from './summary';

const MARK: Readonly<Record<CaseResult['verdict'], string>> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN', skip: 'SKIP' };

/** One case as the readable report prints it (two or more lines). */
export function formatCase(result: CaseResult): string {
  const lines = [`${MARK[result.verdict]}  ${result.id}  ${result.title}  [${result.clause}]`, `      seen: ${result.observed}`];
  if (result.verdict === 'fail' || result.verdict === 'warn') lines.push(`      expected: ${result.expected}`);
  for (const detail of result.details) lines.push(`      - ${detail}`);
  return lines.join('\n');
}

/** The closing lines of the readable report. */
export function formatSummary(report: ProbeReport): string {
  const { summary } = report;
  return [
    '',
    `sepp-probe ${report.role} ${report.target}: ${summary.total} cases in ${(report.durationMs / 1000).toFixed(1)} s`,
    `${summary.pass} passed, ${summary.fail} failed, ${summary.warn} warnings, ${summary.skip} skipped`,
  ].join('\n');
}
