import { execFile } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * h2load (nghttp2's HTTP/2 benchmarking tool, Debian `nghttp2-client`) as a second, independent
 * load generator: `-c 10 -m 10` (10 h2c connections, 10 streams each), time-based (`-D`), on a path
 * the bench's own generator has already warmed up. Its figures are h2load's own (requests done per
 * second of its run), so a ratio between two scenarios does not depend on our generator.
 */
export interface H2loadOptions {
  /** `http://host:port` (h2c) of the first hop. */
  url: string;
  path: string;
  method: string;
  target?: string;
  /** `:authority` override (telescopic scenarios). */
  authority?: string;
  /** Headers of every request (replacing h2load's own `user-agent` when named). */
  headers?: Readonly<Record<string, string>>;
  body?: string;
  durationS: number;
  clients: number;
  streams: number;
  /** Where the body file goes. */
  workDir: string;
}

export interface H2loadResult {
  clients: number;
  streams: number;
  durationS: number;
  /** Requests answered 2xx per second. */
  reqPerSec: number;
  succeeded: number;
  /** Non-2xx answers, failed and errored requests (h2load's counters). */
  errors: number;
  /** h2load's mean time per request, ms. */
  meanMs: number | null;
  /** CPU time of every process on the path (producer included) per 2xx answer, ms. */
  cpuMsPerRequest: number | null;
}

const CANDIDATES = ['/usr/bin/h2load', '/usr/local/bin/h2load'];

/** The h2load binary, or null when it is not installed. */
export function findH2load(): string | null {
  for (const candidate of [process.env['H2LOAD'], ...CANDIDATES]) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // next
    }
  }
  return null;
}

export interface H2loadCounts {
  seconds: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  meanMs: number | null;
}

/**
 * Requests that did not end with a 2xx answer: non-2xx answers, stream errors and timeouts (in
 * flight at the end: not counted). From `done` and `succeeded`, not the status-code line: that one
 * also counts the answers of streams still in flight when `-D` ends (their headers arrived), so it
 * can exceed `done`.
 */
export function h2loadErrors(counts: H2loadCounts): number {
  return counts.done - counts.succeeded + counts.errored + counts.timeout;
}

function toMs(value: string, unit: string): number {
  const number = Number(value);
  return unit === 's' ? number * 1000 : unit === 'us' ? number / 1000 : number;
}

/** Reads h2load's summary (`finished in`, `requests:`, `status codes:`, `time for request:`). */
export function parseH2loadOutput(text: string): H2loadCounts {
  const finished = /finished in ([\d.]+)(m?s)/.exec(text);
  const requests = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(text);
  const status = /status codes: (\d+) 2xx/.exec(text);
  if (!finished || !requests || !status) throw new Error(`h2load printed no summary:\n${text.slice(-1_000)}`);
  const timing = /time for request:\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)/.exec(text);
  return {
    seconds: toMs(finished[1]!, finished[2]!) / 1000,
    done: Number(requests[3]),
    succeeded: Number(requests[4]),
    failed: Number(requests[5]),
    errored: Number(requests[6]),
    timeout: Number(requests[7]),
    status2xx: Number(status[1]),
    meanMs: timing ? toMs(timing[5]!, timing[6]!) : null,
  };
}

/** Runs h2load once; resolves with its counts (rejects when it fails to run or prints no summary). */
export function runH2load(binary: string, options: H2loadOptions): Promise<H2loadCounts> {
  const url = new URL(options.path, options.url).toString();
  const args = ['-c', String(options.clients), '-m', String(options.streams), '-D', String(options.durationS), '--warm-up-time', '0', '-t', '1'];
  if (options.target !== undefined) args.push('-H', `3gpp-sbi-target-apiroot: ${options.target}`);
  if (options.authority !== undefined) args.push('-H', `:authority: ${options.authority}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (options.body !== undefined) {
    const file = path.join(options.workDir, 'h2load-body.json');
    writeFileSync(file, options.body);
    args.push('-d', file, '-H', 'content-type: application/json');
  } else if (options.method !== 'GET') {
    args.push('-H', `:method: ${options.method}`);
  }
  args.push(url);
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: (options.durationS + 30) * 1000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      try {
        resolve(parseH2loadOutput(`${stdout}\n${stderr}`));
      } catch (parseError) {
        reject(error ?? (parseError as Error));
      }
    });
  });
}
