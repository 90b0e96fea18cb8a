import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One JSON log line of a child (the apps' pino lines, the NF/proxy listening lines). */
export interface LogLine {
  msg?: string;
  [key: string]: unknown;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function statusField(pid: number | undefined, field: 'VmHWM' | 'VmRSS'): number | null {
  if (pid === undefined) return null;
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Peak resident set size of a live process (`VmHWM` of /proc/<pid>/status) in bytes; null if unknown. */
export function peakRssBytes(pid: number | undefined): number | null {
  return statusField(pid, 'VmHWM');
}

/** Resident set size of a live process now (`VmRSS`) in bytes; null if unknown. */
export function rssBytes(pid: number | undefined): number | null {
  return statusField(pid, 'VmRSS');
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time (user + system) a live process has used so far, in ms (/proc/<pid>/stat); null if unknown. */
export function cpuTimeMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/**
 * A node script run as a child process in its own process group (a Ctrl-C in the terminal reaches
 * only the bench, which stops its children itself). stdout and stderr go to `logFile`; JSON lines
 * on stdout are kept to learn listening ports.
 */
export class BenchChild {
  readonly exited: Promise<number | null>;
  /** VmHWM read just before the child was stopped. */
  peakRss: number | null = null;
  private readonly lines: LogLine[] = [];
  /** The last lines of stdout and stderr, JSON lines shortened to `level msg: error`. */
  private readonly tail: string[] = [];
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly name: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
  ) {
    const log = createWriteStream(logFile, { flags: 'w' });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) {
        this.remember(line);
        return;
      }
      try {
        const parsed = JSON.parse(line) as LogLine;
        this.lines.push(parsed);
        const err = parsed['err'] as { message?: string } | undefined;
        this.remember(`${typeof parsed['level'] === 'string' ? `${parsed['level']} ` : ''}${parsed.msg ?? line}${err?.message ? `: ${err.message}` : ''}`);
        this.wake();
      } catch {
        this.remember(line);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.remember(line));
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        log.end();
        this.wake();
        resolve(code);
      }),
    );
  }

  /** `script` is a node script, or with `opts.binary` an executable (e.g. redis-server). */
  static start(name: string, script: string, args: string[], opts: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv; binary?: boolean; nodeArgs?: string[] }): BenchChild {
    const child = spawn(opts.binary ? script : process.execPath, opts.binary ? args : [...(opts.nodeArgs ?? []), script, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new BenchChild(name, opts.logFile, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  findLog(predicate: (line: LogLine) => boolean): LogLine | undefined {
    return this.lines.find(predicate);
  }

  /** Address and port of a listener, from its `{"msg":"listening","listener":name}` line. */
  listener(name: string): { address: string; port: number } | undefined {
    const line = this.findLog((l) => l.msg === 'listening' && l['listener'] === name);
    return line ? { address: String(line['address']), port: Number(line['port']) } : undefined;
  }

  /** Waits for a log line; fails if the child exits first or `timeoutMs` passes. */
  async waitForLog(predicate: (line: LogLine) => boolean, what: string, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.findLog(predicate);
      if (line) return line;
      this.assertRunning();
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${what} within ${timeoutMs / 1000} s (log: ${this.logFile})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 250));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  async waitListening(listener: string, timeoutMs: number): Promise<{ address: string; port: number }> {
    await this.waitForLog((l) => l.msg === 'listening' && l['listener'] === listener, `"listening" line for ${listener}`, timeoutMs);
    return this.listener(listener)!;
  }

  /** Throws with the end of its stderr if the child is gone. */
  assertRunning(): void {
    if (this.running) return;
    const tail = this.tail.slice(-8).join('\n    ');
    const how = this.exitSignal ? `on ${this.exitSignal}` : `with code ${this.exitCode}`;
    throw new Error(`${this.name} exited ${how}${tail ? `:\n    ${tail}` : ''}\n  (log: ${this.logFile})`);
  }

  /** Reads the peak RSS, then SIGTERM (SIGKILL after `graceMs`). Resolves with the exit code. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.peakRss = peakRssBytes(this.child.pid) ?? this.peakRss;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Last resort when the bench itself dies. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  private remember(line: string): void {
    this.tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.tail.length > 20) this.tail.shift();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    waiters.forEach((wake) => wake());
  }
}
