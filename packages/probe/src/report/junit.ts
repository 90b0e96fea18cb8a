import type { CaseResult } from '../cases/types';
import type { ProbeReport } from './summary';

/** XML 1.0 text: the five predefined entities escaped, characters XML cannot carry dropped. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- the allowed set of XML 1.0 (tab, LF, CR and up)
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attrs = (values: Record<string, string | number>): string =>
  Object.entries(values)
    .map(([key, value]) => ` ${key}="${xmlEscape(String(value))}"`)
    .join('');

function testcase(result: CaseResult, classPrefix: string): string {
  const head = `    <testcase${attrs({ classname: `${classPrefix}.${result.id.split('.')[0]!}`, name: `${result.id}: ${result.title}`, time: (result.durationMs / 1000).toFixed(3) })}`;
  const text = [`clause: ${result.clause}`, `expected: ${result.expected}`, `seen: ${result.observed}`, ...result.details.map((d) => `- ${d}`)].join('\n');
  switch (result.verdict) {
    case 'pass':
      return `${head}/>`;
    case 'skip':
      return `${head}>\n      <skipped${attrs({ message: result.observed })}/>\n    </testcase>`;
    case 'warn':
      // JUnit has no warning: a passing test case that says so in its output.
      return `${head}>\n      <system-out>${xmlEscape(`WARN (a "should" of ${result.clause})\n${text}`)}</system-out>\n    </testcase>`;
    case 'fail':
      return `${head}>\n      <failure${attrs({ message: result.observed, type: result.level })}>${xmlEscape(text)}</failure>\n    </testcase>`;
  }
}

/** The run as JUnit XML (one testsuite, one testcase per case) for CI systems. */
export function toJUnit(report: ProbeReport): string {
  const { summary } = report;
  const suite = attrs({
    name: `sepp-probe ${report.role} ${report.target}`,
    tests: summary.total,
    failures: summary.fail,
    errors: 0,
    skipped: summary.skip,
    time: (report.durationMs / 1000).toFixed(3),
    timestamp: report.startedAt,
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'sepp-probe', tests: summary.total, failures: summary.fail, errors: 0, skipped: summary.skip, time: (report.durationMs / 1000).toFixed(3) })}>`,
    `  <testsuite${suite}>`,
    ...report.cases.map((c) => testcase(c, `sepp-probe.${report.role}`)),
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
