import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { INITIATOR_MAIN, REPO_ROOT, RESPONDER_MAIN } from './paths';
import type { LogLine } from './sepp-process';
import { waitFor } from './wait-for';

export interface AppStart {
  /** Command-line arguments after `main.js` (SeppProcess always passes `--config FILE`). */
  readonly args?: readonly string[];
  /** The whole environment apart from PATH (nothing leaks in from the test runner's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * A built app started with any arguments, environment and working directory: for the start-up
 * contract (CONFIG.md), where SeppProcess's fixed `--config FILE` is not enough and where the
 * process is expected to exit.
 */
export class AppProcess {
  readonly lines: LogLine[] = [];
  readonly stderrLines: string[] = [];
  readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly role: 'responder' | 'initiator',
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ level: 'raw', msg: line });
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderrLines.push(line));
    // 'close' rather than 'exit': every line of stdout and stderr has been read by then.
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static start(role: 'responder' | 'initiator', { args = [], env = {}, cwd = REPO_ROOT }: AppStart = {}): AppProcess {
    const child = spawn(process.execPath, [role === 'responder' ? RESPONDER_MAIN : INITIATOR_MAIN, ...args], {
      cwd,
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(role, child);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  get stderr(): string {
    return this.stderrLines.join('\n');
  }

  /** The "listening" log lines so far. */
  get listening(): LogLine[] {
    return this.lines.filter((l) => l.msg === 'listening');
  }

  port(listener: string): number {
    const line = this.listening.find((l) => l['listener'] === listener);
    if (!line) throw new Error(`${this.role} has no ${listener} listener yet`);
    return line['port'] as number;
  }

  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs = 15_000): Promise<LogLine> {
    return waitFor(
      `${this.role} log: ${what}`,
      () => {
        const found = this.lines.find(predicate);
        if (!found && !this.running) throw new Error(`${this.role} exited with ${this.exitCode}: ${this.stderr}`);
        return found;
      },
      timeoutMs,
    );
  }

  ready(timeoutMs = 15_000): Promise<LogLine> {
    return this.waitForLog('ready', (line) => line.msg === 'ready', timeoutMs);
  }

  /** Resolves with the exit code; kills the process and rejects if it is still running after `timeoutMs`. */
  async exitCodeWithin(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.role} still running after ${timeoutMs} ms; log:\n${this.dump()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async admin<T = unknown>(path: string): Promise<{ status: number; headers: Headers; body: T }> {
    const response = await fetch(`http://127.0.0.1:${this.port('admin')}${path}`);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  dump(): string {
    return [...this.lines.map((l) => JSON.stringify(l)), ...this.stderrLines].join('\n');
  }
}

/**
 * Writes a `--require` preload that holds back every TLS server's listen() (the N32 listener; the
 * admin listener is plain HTTP) by `delayMs`, so a test can look at the app while its admin
 * listener is up and its N32 listener is not yet. Use it as `NODE_OPTIONS: --require <file>`.
 */
export function writeTlsListenDelay(dir: string, delayMs: number): string {
  const file = join(dir, `delay-tls-listen-${delayMs}.js`);
  writeFileSync(
    file,
    `'use strict';
const tls = require('node:tls');
const listen = tls.Server.prototype.listen;
tls.Server.prototype.listen = function delayedListen(...args) {
  setTimeout(() => listen.apply(this, args), ${delayMs});
  return this;
};
`,
  );
  return file;
}
