import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { track } from './children';
import { INITIATOR_MAIN, REPO_ROOT, RESPONDER_MAIN } from './paths';
import { GiveUp, waitFor } from './wait-for';

/** One JSON log line of an app (a stdout line that is not JSON becomes `{ level: 'raw', msg }`). */
export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export type Role = 'responder' | 'initiator';

/** The built entry point of each app. */
export const APP_MAIN: Readonly<Record<Role, string>> = { responder: RESPONDER_MAIN, initiator: INITIATOR_MAIN };

export interface SpawnOptions {
  /** The whole environment apart from PATH (nothing leaks in from the test runner's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: the repository root. */
  readonly cwd?: string;
}

export interface AppStart extends SpawnOptions {
  /** Command-line arguments after `main.js`. */
  readonly args?: readonly string[];
}

export interface AdminAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** How to reach an admin listener with `admin.tls` (client certificate when it requires one). */
export interface AdminTls {
  readonly ca: readonly Buffer[];
  readonly servername: string;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/**
 * `node <args>` as a separate process: its JSON log lines (stdout) and its stderr lines are
 * collected, the ports it listens on are read from its "listening" lines (so configurations can
 * ask for port 0), and its admin listener can be asked over HTTP.
 */
export class AppProcess {
  readonly lines: LogLine[] = [];
  readonly stderrLines: string[] = [];
  /** Resolves with the exit code once the process has exited and all its output was read. */
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;
  private exitCode: number | null | undefined;
  /** Set when the admin listener speaks HTTPS (admin.tls): `admin()` then uses it. */
  adminTls: AdminTls | undefined;

  constructor(
    readonly name: string,
    args: readonly string[],
    { env = {}, cwd = REPO_ROOT }: SpawnOptions = {},
  ) {
    const child = track(spawn(process.execPath, args, { cwd, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        this.lines.push({ level: 'raw', msg: line });
      }
    });
    createInterface({ input: child.stderr }).on('line', (line) => this.stderrLines.push(line));
    // 'close' rather than 'exit': every line of stdout and stderr has been read by then.
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  /** A built app (`node apps/<role>/dist/main.js ARGS`) with any arguments, environment and working directory. */
  static launch(role: Role, { args = [], ...options }: AppStart = {}): AppProcess {
    return new AppProcess(role, [APP_MAIN[role], ...args], options);
  }

  /** The name as the role of a SEPP app. */
  get role(): string {
    return this.name;
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
    if (!line) throw new Error(`${this.name} has no ${listener} listener yet`);
    return line['port'] as number;
  }

  /** Waits for a log line (from index `from` on); fails at once if the process exited without it (all its output read). */
  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs = 15_000, from = 0): Promise<LogLine> {
    return waitFor(
      `${this.name} log: ${what}`,
      () => {
        const found = this.lines.slice(from).find(predicate);
        if (!found && !this.running) throw new GiveUp(`${this.name} exited with ${this.exitCode}: ${this.stderr}${this.lastLines()}`);
        return found;
      },
      timeoutMs,
    );
  }

  /**
   * Waits until at least `count` log lines (from index `from` on) match; returns all of them. The
   * way to look at lines an event already implies: the admin API or a peer may answer before this
   * process's stdout has been read, so a snapshot of `lines` right then can miss them.
   */
  waitForLines(what: string, predicate: (line: LogLine) => boolean, count = 1, timeoutMs = 15_000, from = 0): Promise<LogLine[]> {
    return waitFor(
      `${this.name} log: ${count} × ${what}`,
      () => {
        const found = this.lines.slice(from).filter(predicate);
        if (found.length >= count) return found;
        if (!this.running) throw new GiveUp(`${this.name} exited with ${this.exitCode} after ${found.length}: ${this.stderr}${this.lastLines()}`);
        return undefined;
      },
      timeoutMs,
    );
  }

  /**
   * Waits until every listener is up (the "ready" line). The bound is generous: an app starting
   * beside other CPU-bound work (a loaded CI machine) may take several times its usual second.
   */
  ready(timeoutMs = 30_000): Promise<LogLine> {
    return this.waitForLog('ready', (line) => line.msg === 'ready', timeoutMs);
  }

  /** Resolves with the exit code; kills the process and rejects if it is still running after `timeoutMs`. */
  async exitCodeWithin(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`${this.name} still running after ${timeoutMs} ms; log:\n${this.dump()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A request to the admin listener; the body is parsed as JSON (undefined when empty). */
  async admin<T = unknown>(path: string, init?: RequestInit): Promise<AdminAnswer<T>> {
    if (this.adminTls) return this.adminOverTls<T>(path, init?.method ?? 'GET', this.adminTls);
    const response = await fetch(`http://127.0.0.1:${this.port('admin')}${path}`, init);
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }

  private adminOverTls<T>(path: string, method: string, tls: AdminTls): Promise<AdminAnswer<T>> {
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        { host: '127.0.0.1', port: this.port('admin'), path, method, servername: tls.servername, ca: [...tls.ca], cert: tls.cert, key: tls.key, timeout: 10_000 },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const headers = new Headers();
            for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
            resolve({ status: response.statusCode ?? 0, headers, body: (text ? JSON.parse(text) : undefined) as T });
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${this.name} admin ${path}: no answer`)));
      request.on('error', reject);
      request.end();
    });
  }

  /**
   * Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`); returns the exit code.
   * Throws when the app had a Node.js process warning (a possible EventEmitter leak, a
   * deprecation, a timer overflow: logged as `Node.js process warning`, or printed by Node on
   * stderr before the app took them), unless the test said it expects some (`warningsExpected`).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    const warnings = this.processWarnings();
    if (warnings.length > 0 && !this.warningsExpected) throw new Error(`${this.name} had Node.js process warnings:\n${warnings.join('\n')}`);
    return this.exitCode ?? null;
  }

  /** Set by a test that makes the app warn on purpose: `stop()` then lets its warnings be. */
  warningsExpected = false;

  /** Node.js process warnings of the app: its log's `Node.js process warning` lines, Node's own on stderr. */
  processWarnings(): string[] {
    return [
      ...this.lines.filter((line) => line.msg === 'Node.js process warning').map((line) => JSON.stringify(line['warning'])),
      ...this.stderrLines.filter((line) => /^\(node:\d+\) \w*Warning\b/.test(line)),
    ];
  }

  /** Its last log lines, for the message of a test that gave up on it (why it exited is on stdout). */
  private lastLines(count = 10): string {
    return this.lines.length === 0 ? '' : `\nlast log lines:\n${this.lines.slice(-count).map((l) => JSON.stringify(l).slice(0, 600)).join('\n')}`;
  }

  /** The log and stderr (for a failing test's output). */
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
