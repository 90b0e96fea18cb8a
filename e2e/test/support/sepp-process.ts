import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { INITIATOR_MAIN, REPO_ROOT, RESPONDER_MAIN } from './paths';
import { waitFor } from './wait-for';

export interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

export interface PeerView {
  fqdn: string;
  configured: boolean;
  state: string;
  mechanism: string | null;
  since: string;
  lastError: { reason: string; detail: string; at: string } | null;
  attempts: number;
  negotiation: Record<string, unknown> | null;
}

/**
 * One built SEPP app started exactly as operators start it (`node apps/<role>/dist/main.js
 * --config FILE`), as a separate process. Its JSON log lines are collected; the ports it listens on
 * are read from its "listening" lines, so configurations can ask for port 0.
 */
export class SeppProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
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
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  static start(role: 'responder' | 'initiator', configFile: string, env: NodeJS.ProcessEnv = {}): SeppProcess {
    const child = spawn(process.execPath, [role === 'responder' ? RESPONDER_MAIN : INITIATOR_MAIN, '--config', configFile], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new SeppProcess(role, child);
  }

  /** Starts and waits until every listener is up; returns the process. */
  static async ready(role: 'responder' | 'initiator', configFile: string, env: NodeJS.ProcessEnv = {}): Promise<SeppProcess> {
    const sepp = SeppProcess.start(role, configFile, env);
    await sepp.waitForLog('ready', (line) => line.msg === 'ready', 15_000);
    return sepp;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  port(listener: string): number {
    const line = this.lines.find((l) => l.msg === 'listening' && l['listener'] === listener);
    if (!line) throw new Error(`${this.role} has no ${listener} listener yet`);
    return line['port'] as number;
  }

  waitForLog(what: string, predicate: (line: LogLine) => boolean, timeoutMs = 10_000, from = 0): Promise<LogLine> {
    return waitFor(
      `${this.role} log: ${what}`,
      () => {
        if (!this.running && this.exitCode !== undefined) throw new Error(`${this.role} exited with ${this.exitCode}: ${this.stderr.join('\n')}`);
        return this.lines.slice(from).find(predicate);
      },
      timeoutMs,
    );
  }

  async admin<T = unknown>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
    const response = await fetch(`http://127.0.0.1:${this.port('admin')}${path}`, init);
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async peers(): Promise<PeerView[]> {
    return (await this.admin<{ peers: PeerView[] }>('/admin/peers')).body.peers;
  }

  async peer(fqdn: string): Promise<PeerView | undefined> {
    return (await this.peers()).find((p) => p.fqdn === fqdn);
  }

  /** Waits until the peer is in `state` (and, if given, with that mechanism). */
  waitForPeerState(fqdn: string, state: string, timeoutMs = 10_000): Promise<PeerView> {
    return waitFor(`${this.role}: peer ${fqdn} in ${state}`, async () => {
      const peer = await this.peer(fqdn);
      return peer?.state === state ? peer : undefined;
    }, timeoutMs);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Dumps the log (for a failing test's output). */
  dump(): string {
    return [...this.lines.map((l) => JSON.stringify(l)), ...this.stderr].join('\n');
  }
}
