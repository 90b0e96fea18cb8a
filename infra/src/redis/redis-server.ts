import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's redis-server is (CI installs it with apt-get); `REDIS_SERVER` overrides. */
export const REDIS_SERVER_BINARY = process.env['REDIS_SERVER'] ?? 'redis-server';

export interface RedisServerOptions {
  /** `requirepass`; absent: no password. */
  readonly password?: string;
  /** Default: a port picked by the OS. */
  readonly port?: number;
}

/**
 * A real redis-server for tests and the benchmark: loopback only, a port from the OS, its own
 * data folder with the append-only file on (as a deployment should run it: a restart keeps the
 * data). `restart()` stops it (SIGTERM: it writes its data and exits) and starts it again on the
 * same port and folder; `kill()` is SIGKILL.
 */
export class RedisServer {
  private child: ChildProcess | null = null;
  readonly log: string[] = [];

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freeLoopbackPort());
    const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'sepp-redis-')), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  private launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--loglevel', 'notice'];
    if (this.options.password) args.push('--requirepass', this.options.password);
    const child = spawn(REDIS_SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${this.log.join('\n')}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) if (line) this.log.push(line);
        if (this.log.some((line) => line.includes('Ready to accept connections'))) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.on('data', (more: Buffer) => this.log.push(more.toString('utf8').trimEnd()));
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk: Buffer) => this.log.push(chunk.toString('utf8').trimEnd()));
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${REDIS_SERVER_BINARY}: ${error.message} (install redis-server)`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${this.log.join('\n')}`));
      });
    });
  }

  /** Stops it: SIGTERM (it saves and exits), SIGKILL after 5 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  /** Stops and starts again on the same port with the same data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops it and removes its data folder. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
