import type { CaseResult, ProbeRole, Verdict } from '../cases/types';

export type Summary = Readonly<Record<Verdict, number>> & { readonly total: number };

export function summarize(results: readonly CaseResult[]): Summary {
  const count = (verdict: Verdict): number => results.filter((r) => r.verdict === verdict).length;
  return { pass: count('pass'), fail: count('fail'), warn: count('warn'), skip: count('skip'), total: results.length };
}

/** One probe run, as the JSON report and the JUnit writer see it. */
export interface ProbeReport {
  readonly tool: 'sepp-probe';
  readonly version: string;
  readonly role: ProbeRole;
  /** What was probed: `https://host:port (fqdn)` or `listening on host:port`. */
  readonly target: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly summary: Summary;
  readonly cases: readonly CaseResult[];
}
