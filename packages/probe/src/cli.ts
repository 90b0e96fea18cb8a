#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { parseCommand, UsageError, USAGE, type CommonOptions } from './args';
import { casesMarkdown } from './cases/markdown';
import { CASES } from './cases/catalogue';
import { TargetUnreachable } from './cases/recorder';
import type { CaseResult, ProbeRole } from './cases/types';
import { probeInitiator } from './initiator/run';
import { toJUnit } from './report/junit';
import { summarize, type ProbeReport } from './report/summary';
import { formatCase, formatSummary } from './report/text-report';
import { probeResponder } from './responder/run';
import { OpenApiValidator } from './schema/openapi-validator';

/** Exit codes (README "Conformance probe"). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3 } as const;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require('../package.json') as { version: string }).version;

function write(file: string, text: string): void {
  writeFileSync(file, text);
}

async function run(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`sepp-probe: ${error.message}\n\n${USAGE}\n`);
    return EXIT.USAGE;
  }
  if (parsed.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.OK;
  }
  if (parsed.command === 'cases') {
    process.stdout.write(parsed.markdown ? casesMarkdown() : CASES.map((c) => `${c.role.padEnd(9)} ${c.id.padEnd(40)} ${c.level.padEnd(6)} ${c.title}`).join('\n') + '\n');
    return EXIT.OK;
  }

  const startedAt = new Date();
  const validator = new OpenApiValidator();
  const common: CommonOptions = parsed.common;
  const print = (result: CaseResult): void => {
    if (!common.quiet || result.verdict === 'fail' || result.verdict === 'warn') process.stdout.write(`${formatCase(result)}\n`);
  };
  let role: ProbeRole;
  let target: string;
  let results: CaseResult[];
  try {
    if (parsed.command === 'responder') {
      role = 'responder';
      target = parsed.target;
      process.stdout.write(`sepp-probe ${VERSION}: probing the responder ${target} as ${parsed.options.sender}\n`);
      results = await probeResponder(parsed.options, validator, print, common.only);
    } else {
      role = 'initiator';
      target = `listening on ${parsed.options.listen.host}:${parsed.options.listen.port}`;
      results = await probeInitiator(
        {
          ...parsed.options,
          onListening: ({ address, port }) => {
            target = `listening on ${address}:${port}`;
            process.stdout.write(`sepp-probe ${VERSION}: playing the responder ${parsed.options.fqdn} on ${address}:${port}; waiting for the initiator\n`);
          },
        },
        validator,
        print,
        common.only,
      );
    }
  } catch (error) {
    if (!(error instanceof TargetUnreachable)) throw error;
    process.stderr.write(`sepp-probe: could not reach the target: ${error.message}\n`);
    return EXIT.UNREACHABLE;
  }

  const report: ProbeReport = { tool: 'sepp-probe', version: VERSION, role, target, startedAt: startedAt.toISOString(), durationMs: Date.now() - startedAt.getTime(), summary: summarize(results), cases: results };
  process.stdout.write(`${formatSummary(report)}\n`);
  if (common.json) write(common.json, `${JSON.stringify(report, null, 2)}\n`);
  if (common.junit) write(common.junit, toJUnit(report));
  return report.summary.fail > 0 ? EXIT.FAILED : EXIT.OK;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`sepp-probe: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = EXIT.FAILED;
    },
  );
}

export { run };
