import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { dialAddress } from './environment';

/** One JSON log line of an app (pino). */
export interface LogLine {
  msg: string;
  [key: string]: unknown;
}

/** An entry of GET /admin/peers. */
export interface PeerView {
  fqdn: string;
  state: string;
  mechanism: string | null;
  lastError: { reason: string; detail: string } | null;
  attempts: number;
  negotiation: {
    handshakeId?: string;
    selectionReason?: string;
    /** PRINS: this side's and the peer's N32-f context IDs, and the JWE suite of the parameter exchange. */
    n32fContextIds?: { local: string; remote: string };
    jweCipherSuite?: string;
  } | null;
}

/** An entry of GET /admin/contexts (PRINS: one N32-f context; never the keys). */
export interface ContextView {
  peer: string;
  role: 'initiator' | 'responder';
  localContextId: string;
  remoteContextId: string;
  enc: string;
  messagesSent: number;
  since: string;
  /** The first 8 bytes of SHA-256 over the four derived keys: equal on both sides when both derived the same keys. */
  keyCheck: string;
  /** PRINS with roaming intermediaries: who may modify what this side sends, and the RIs whose JWS it verifies. */
  intermediaries?: { authorizedIpxId: string | null; verified: string[] } | null;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A built SEPP app run as a child process (`node apps/<role>/dist/main.js --config FILE`), or a
 * demo NF (`node infra/dist/nf/producer-cli.js ...`). Its stdout and stderr go to `logFile`; its
 * JSON lines are also kept to learn the ports it listens on. It runs in its own process group, so
 * a Ctrl-C in the terminal reaches only the demo, which then stops the processes in order
 * (initiator first, so it can release N32 while the responder listens; the NF last).
 */
export class SeppChild {
  readonly exited: Promise<number | null>;
  private readonly lines: LogLine[] = [];
  private readonly stderr: string[] = [];
  private exitCode: number | null | undefined;
  private exitSignal: NodeJS.Signals | null = null;

  private constructor(
    /** `responder`, `initiator`, `ipx` (the relay of --via-ipx), or the NF's name (`udm1`). */
    readonly role: string,
    readonly logFile: string,
    private readonly child: ChildProcess,
    log: WriteStream,
  ) {
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as LogLine);
      } catch {
        // not one of the app's JSON lines; it is in the log file anyway
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        log.end();
        resolve(code);
      }),
    );
  }

  static start(role: string, opts: { main: string; config: string; cwd: string; env: NodeJS.ProcessEnv; logFile: string }): SeppChild {
    return SeppChild.run(role, [opts.main, '--config', opts.config], opts);
  }

  /** `node ARGS` with the same process handling (own process group, output to `logFile`). */
  static run(role: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): SeppChild {
    const log = createWriteStream(opts.logFile, { flags: 'w' });
    const child = spawn(process.execPath, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    return new SeppChild(role, opts.logFile, child, log);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Address and port of a listener, from its 'listening' log line. */
  listener(name: string): { address: string; port: number } | undefined {
    const line = this.lines.find((l) => l.msg === 'listening' && l['listener'] === name);
    return line ? { address: String(line['address']), port: Number(line['port']) } : undefined;
  }

  findLog(predicate: (line: LogLine) => boolean): LogLine | undefined {
    return this.lines.find(predicate);
  }

  /** Every JSON line so far that matches, in the order they came. */
  findLogs(predicate: (line: LogLine) => boolean): LogLine[] {
    return this.lines.filter(predicate);
  }

  /** Waits for a matching line; undefined after `timeoutMs` (or when the app exited without it). */
  async waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find(predicate);
      if (line || !this.running || Date.now() > deadline) return line;
      await sleep(25);
    }
  }

  /** Waits until GET /readyz answers 200; fails if the app exits first or `timeoutMs` passes. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertRunning();
      const admin = this.listener('admin');
      if (admin) {
        const response = await fetch(`http://${dialAddress(admin.address, admin.port)}/readyz`).catch(() => null);
        if (response?.ok) return;
      }
      if (Date.now() > deadline) throw new Error(`the ${this.role} was not ready within ${timeoutMs / 1000} s (log: ${this.logFile})`);
      await sleep(100);
    }
  }

  /** Waits for the 'listening' line of `name` (an NF has no admin API); fails like {@link waitReady}. */
  async waitListening(name: string, timeoutMs: number): Promise<{ address: string; port: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertRunning();
      const listener = this.listener(name);
      if (listener) return listener;
      if (Date.now() > deadline) throw new Error(`the ${this.role} was not listening within ${timeoutMs / 1000} s (log: ${this.logFile})`);
      await sleep(50);
    }
  }

  /** GET on the admin API, parsed as JSON. */
  async admin<T>(path: string): Promise<T> {
    this.assertRunning();
    const admin = this.listener('admin');
    if (!admin) throw new Error(`the ${this.role} has no admin listener`);
    const response = await fetch(`http://${dialAddress(admin.address, admin.port)}${path}`);
    return (await response.json()) as T;
  }

  /** GET /admin/peers. */
  async peers(): Promise<PeerView[]> {
    return (await this.admin<{ peers: PeerView[] }>('/admin/peers')).peers;
  }

  async peer(fqdn: string): Promise<PeerView | undefined> {
    return (await this.peers()).find((p) => p.fqdn === fqdn);
  }

  /** GET /admin/contexts: the N32-f (PRINS) contexts with `peer`. */
  async contexts(peer: string): Promise<ContextView[]> {
    return (await this.admin<{ contexts: ContextView[] }>('/admin/contexts')).contexts.filter((c) => c.peer === peer);
  }

  /** SIGTERM (the apps stop gracefully on it), SIGKILL after `graceMs`. Resolves with the exit code. */
  async stop(graceMs = 12_000): Promise<number | null> {
    if (!this.running) return this.exitCode ?? null;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Last resort when the demo itself dies: no grace, no waiting. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  private assertRunning(): void {
    if (this.running) return;
    const tail = this.stderr.slice(-8).join('\n  ');
    const how = this.exitSignal ? `on ${this.exitSignal}` : `with code ${this.exitCode}`;
    throw new Error(`the ${this.role} exited ${how}${tail ? `:\n  ${tail}` : ''}\n  (log: ${this.logFile})`);
  }
}

