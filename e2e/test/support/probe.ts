import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaseResult, ProbeReport } from '@sepp/probe';
import { AppProcess } from './app-process';
import { PROBE_CLI } from './paths';
import { waitFor } from './wait-for';

/** The built conformance probe (`node packages/probe/dist/cli.js ARGS --json FILE`) as a process. */
export class ProbeProcess extends AppProcess {
  private constructor(
    args: readonly string[],
    readonly jsonFile: string,
  ) {
    super('probe', [PROBE_CLI, ...args, '--json', jsonFile]);
  }

  static start(dir: string, name: string, args: readonly string[]): ProbeProcess {
    return new ProbeProcess(args, join(dir, `${name}.json`));
  }

  /** Initiator role: the port it listens on, from its first line. */
  listeningPort(timeoutMs = 10_000): Promise<number> {
    return waitFor('probe: listening', () => {
      const line = this.lines.find((l) => / on [\d.]+:\d+; waiting for the initiator/.test(l.msg));
      if (!line && !this.running) throw new Error(`probe exited: ${this.dump()}`);
      return line ? Number(/:(\d+); waiting/.exec(line.msg)![1]) : undefined;
    }, timeoutMs);
  }

  /** The exit code and the JSON report, once the probe has finished. */
  async result(timeoutMs = 60_000): Promise<{ code: number | null; report: ProbeReport; cases: Map<string, CaseResult> }> {
    const code = await this.exitCodeWithin(timeoutMs);
    const report = JSON.parse(readFileSync(this.jsonFile, 'utf8')) as ProbeReport;
    return { code, report, cases: new Map(report.cases.map((c) => [c.id, c])) };
  }
}

/** The cases of a report that did not pass, for a readable failure message. */
export function notPassed(cases: Iterable<CaseResult>): Record<string, string> {
  return Object.fromEntries([...cases].filter((c) => c.verdict !== 'pass').map((c) => [c.id, `${c.verdict}: ${c.observed} ${c.details.join('; ')}`]));
}
