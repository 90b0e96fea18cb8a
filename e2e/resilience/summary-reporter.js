// Prints the resilience summary table once every file has run. The cases append one JSON line each
// (support/results.ts) to the file this reporter names in SEPP_RESILIENCE_RESULTS before any test
// starts (the suite runs in band, so the tests see the variable).
'use strict';
const { existsSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const SUITE_ORDER = ['fuzz', 'peers', 'faults', 'abuse', 'soak'];
const ERRORS_WIDTH = 58;

/** "a=1, b=2" wrapped into lines of at most `width` characters. */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.length ? lines : [''];
}

function range(pair, digits = 0) {
  if (!pair) return '-';
  return `${pair.min.toFixed(digits)}–${pair.max.toFixed(digits)}`;
}

class ResilienceSummaryReporter {
  constructor() {
    this.file = join(tmpdir(), `sepp-resilience-${process.pid}.jsonl`);
    rmSync(this.file, { force: true });
    process.env.SEPP_RESILIENCE_RESULTS = this.file;
    this.startedAt = Date.now();
  }

  onRunComplete(_contexts, results) {
    const rows = existsSync(this.file)
      ? readFileSync(this.file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line))
      : [];
    rmSync(this.file, { force: true });
    rows.sort((a, b) => SUITE_ORDER.indexOf(a.suite) - SUITE_ORDER.indexOf(b.suite) || a.seq - b.seq);
    const header = ['case', 'requests', 'errors by kind', 'recovery', 'RSS MB min–max', 'fds min–max', 'time', 'result'];
    const table = rows.map((row) => {
      const errors = Object.entries(row.errors || {})
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => `${kind}=${n}`)
        .join(', ');
      return [
        `${row.suite}: ${row.name}`,
        String(row.requests),
        errors || 'none',
        row.recoveryMs === undefined || row.recoveryMs === null ? '-' : `${(row.recoveryMs / 1000).toFixed(2)} s`,
        range(row.rss),
        range(row.fds),
        `${(row.ms / 1000).toFixed(1)} s`,
        row.verdict,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (i === 2 ? Math.min(ERRORS_WIDTH, r[i].length) : r[i].length))));
    const sep = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
    const print = (cells) => {
      const wrapped = cells.map((cell, i) => (i === 2 ? wrap(cell, widths[2]) : [cell]));
      const height = Math.max(...wrapped.map((w) => w.length));
      const out = [];
      for (let l = 0; l < height; l++) {
        out.push(`| ${wrapped.map((w, i) => (w[l] ?? '').padEnd(widths[i])).join(' | ')} |`);
      }
      return out.join('\n');
    };
    const lines = ['', 'Resilience summary', sep, print(header), sep, ...table.map(print), sep];
    lines.push(
      'errors by kind: fuzz rows count the apps\' 4xx refusals of generated input (expected) by status; a broken property shows as',
      '`status 5xx`, `reset(code)`, `hang`, `… not problem+json`, `app error log` or `abuse …`. Other rows: `<status> <cause>` of the 5xx',
      'problem+json the SEPPs answered during a fault (expected, accounted), `hang`/`reset`/`unexpected` for anything else.',
      'recovery: from the fault lifted (responder back, relay resumed or cut) to the end of the first NF request that succeeded after it.',
    );
    const notes = rows.filter((row) => row.notes && row.notes.length);
    if (notes.length) {
      lines.push('', 'Notes:');
      for (const row of notes) for (const note of row.notes) lines.push(`  [${row.suite}: ${row.name}] ${note}`);
    }
    const totalRequests = rows.reduce((n, row) => n + (row.requests || 0), 0);
    lines.push(
      '',
      `${rows.length} cases, ${totalRequests} requests, ${rows.filter((r) => r.verdict !== 'pass').length} not passed; ` +
        `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed; wall time ${((Date.now() - this.startedAt) / 1000).toFixed(1)} s`,
      '',
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

module.exports = ResilienceSummaryReporter;
