import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Suite = 'fuzz' | 'peers' | 'faults' | 'abuse' | 'soak' | 'cluster';

export interface MinMax {
  min: number;
  max: number;
}

/** One row of the summary table (summary-reporter.js prints them). */
export interface CaseRow {
  suite: Suite;
  name: string;
  requests: number;
  /** Outcomes that are not plain successes, by kind (e.g. `4xx`, `503 N32_NOT_ESTABLISHED`, `timeout`). */
  errors: Record<string, number>;
  /** Time until traffic succeeded again after the fault, when the case has one. */
  recoveryMs?: number | null;
  /** RSS (MB) of the process under test over the case. */
  rss?: MinMax | null;
  /** Open file descriptors of the process under test over the case. */
  fds?: MinMax | null;
  ms: number;
  verdict: 'pass' | 'fail';
  notes: string[];
  seq: number;
}

let seq = 0;

/** Counts `kind` in an errors map. */
export function countError(errors: Record<string, number>, kind: string, n = 1): void {
  errors[kind] = (errors[kind] ?? 0) + n;
}

function resultsFile(): string {
  return process.env['SEPP_RESILIENCE_RESULTS'] ?? join(tmpdir(), 'sepp-resilience-results.jsonl');
}

/**
 * Runs one case and records its row whatever happens: `body` fills in the row; an exception (a
 * failed expectation) marks it failed, is noted, and is rethrown for jest.
 */
export async function runCase(suite: Suite, name: string, body: (row: CaseRow) => Promise<void>): Promise<CaseRow> {
  const row: CaseRow = { suite, name, requests: 0, errors: {}, ms: 0, verdict: 'fail', notes: [], seq: seq++ };
  const started = performance.now();
  try {
    await body(row);
    row.verdict = 'pass';
    return row;
  } catch (error) {
    row.notes.push(`FAILED: ${String((error as Error).message ?? error).split('\n').slice(0, 6).join(' / ').slice(0, 600)}`);
    throw error;
  } finally {
    row.ms = performance.now() - started;
    appendFileSync(resultsFile(), `${JSON.stringify(row)}\n`);
  }
}
