import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../demo/environment';

/** Where Debian's redis-server is (CI installs it with apt-get); `REDIS_SERVER` overrides. */
export const REDIS_SERVER_BINARY = process.env['REDIS_SERVER'] ?? 'redis-server';

export interface RedisServerOptions {
  /** `requirepass` (and `masterauth`, for replication); absent: no password. */
  readonly password?: string;
  /** Default: a free loopback port. */
  readonly port?: number;
  /** Starts it as a replica of the Redis on this loopback port (`--replicaof`). */
  readonly replicaOf?: number;
  /** TLS only (no plain port), also toward its master; see {@link RedisTlsFiles}. */
  readonly tls?: RedisTlsFiles;
  /**
   * A Redis Cluster node (`cluster-enabled`), with this node timeout (ms) and its cluster bus on
   * `busPort` (default: a free loopback port; Redis's own default, port + 10,000, can fall in the
   * kernel's ephemeral range); see {@link RedisCluster}.
   */
  readonly cluster?: {
    readonly nodeTimeoutMs: number;
    readonly busPort?: number;
    /**
     * The node announces this host name to clients instead of its IP (`cluster-announce-hostname`,
     * `cluster-preferred-endpoint-type hostname`): what a TLS certificate naming hosts needs.
     */
    readonly announceHostname?: string;
  };
}

/**
 * PEM files of a TLS Redis (or Sentinel): its certificate and key, also presented as a client to
 * its master (replication, Sentinel's checks), and the CA it trusts. `authClients`: clients must
 * present a certificate from that CA (default true).
 */
export interface RedisTlsFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
  readonly authClients?: boolean;
}

/** The redis-server arguments (or Sentinel file lines) of `tls` on `port`: TLS only, TLS to the master too. */
function tlsSettings(port: number, tls: RedisTlsFiles): [string, string][] {
  return [
    ['port', '0'],
    ['tls-port', String(port)],
    ['tls-cert-file', tls.cert],
    ['tls-key-file', tls.key],
    ['tls-ca-cert-file', tls.ca],
    ['tls-auth-clients', tls.authClients === false ? 'no' : 'yes'],
    ['tls-replication', 'yes'],
  ];
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

  protected constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    // The bus port is chosen once: a restarted node must come back on the one its peers know.
    const cluster = options.cluster ? { ...options.cluster, busPort: options.cluster.busPort ?? (await freePort()) } : undefined;
    const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'sepp-redis-')), { ...options, ...(cluster ? { cluster } : {}) });
    await server.launch();
    return server;
  }

  get url(): string {
    return `${this.options.tls ? 'rediss' : 'redis'}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  protected launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--loglevel', 'notice'];
    // masterauth too: a master the Sentinels turn into a replica (after a failover) must reach the new master.
    if (this.options.password) args.push('--requirepass', this.options.password, '--masterauth', this.options.password);
    if (this.options.replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(this.options.replicaOf));
    if (this.options.tls) for (const [name, value] of tlsSettings(this.port, this.options.tls)) args.push(`--${name}`, value);
    if (this.options.cluster) {
      const { nodeTimeoutMs, busPort } = this.options.cluster;
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs));
      if (busPort !== undefined) args.push('--cluster-port', String(busPort));
      const hostname = this.options.cluster.announceHostname;
      if (hostname) args.push('--cluster-announce-hostname', hostname, '--cluster-preferred-endpoint-type', 'hostname');
      if (this.options.tls) args.push('--tls-cluster', 'yes');
    }
    return this.spawnUntil(args, 'Ready to accept connections');
  }

  /** Starts redis-server with `args` and resolves once its log shows `ready`. */
  protected spawnUntil(args: readonly string[], ready: string): Promise<void> {
    const child = spawn(REDIS_SERVER_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${this.log.join('\n')}`)), 10_000);
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) if (line) this.log.push(line);
        if (this.log.some((line) => line.includes(ready))) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          child.stdout.on('data', (more: Buffer) => this.log.push(...more.toString('utf8').split('\n').filter((line) => line)));
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

  /** redis-cli toward this server (its password and TLS); its standard output. */
  async cli(args: readonly string[]): Promise<string> {
    const { password, tls } = this.options;
    const auth = password ? ['-a', password, '--no-auth-warning'] : [];
    const secure = tls ? ['--tls', '--cacert', tls.ca, '--cert', tls.cert, '--key', tls.key] : [];
    const { stdout } = await promisify(execFile)(REDIS_CLI_BINARY, ['-h', '127.0.0.1', '-p', String(this.port), ...auth, ...secure, ...args], { timeout: 30_000 });
    return stdout;
  }

  /**
   * Resolves once every replica of this master has replicated all it had written when called (their
   * offsets in its `INFO replication`): what a test wants to survive a kill of it has reached them.
   * (A WAIT on a new connection answers at once: that connection wrote nothing.)
   */
  async replicated(timeoutMs = 10_000): Promise<void> {
    const offset = (info: string): number => Number(/master_repl_offset:(\d+)/.exec(info)?.[1] ?? Number.NaN);
    const target = offset(await this.cli(['INFO', 'replication']));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = await this.cli(['INFO', 'replication']);
      const replicas = [...info.matchAll(/slave\d+:.*offset=(\d+)/g)].map((match) => Number(match[1]));
      if (replicas.length > 0 && replicas.every((at) => at >= target)) return;
      if (Date.now() > deadline) throw new Error(`the replicas of ${this.port} did not reach offset ${target} in ${timeoutMs} ms:\n${info}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
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

export interface RedisSentinelOptions {
  /** The master group's name (`sentinel monitor <name> ...`). */
  readonly masterName: string;
  /** The loopback port of the master to monitor. */
  readonly masterPort: number;
  /** Sentinels that must agree that the master is down (`quorum`). */
  readonly quorum: number;
  /** The data nodes' password (`sentinel auth-pass`). */
  readonly masterPassword?: string;
  /** The Sentinel's own password (`requirepass`). */
  readonly password?: string;
  /** How long the master must not answer before it is taken as down (ms). */
  readonly downAfterMs?: number;
  /** TLS only, also toward the master and replicas it monitors. */
  readonly tls?: RedisTlsFiles;
}

/**
 * A real Redis Sentinel (`redis-server <file> --sentinel`) on a free loopback port, monitoring one
 * master: for tests of failover. Its configuration file sits in its own folder (a Sentinel rewrites
 * it as the master changes); `stop`, `kill` and `dispose` as for {@link RedisServer}.
 */
export class RedisSentinel extends RedisServer {
  private constructor(
    port: number,
    dir: string,
    private readonly sentinel: RedisSentinelOptions,
  ) {
    super(port, dir, {});
  }

  static async startSentinel(options: RedisSentinelOptions): Promise<RedisSentinel> {
    const sentinel = new RedisSentinel(await freePort(), mkdtempSync(join(tmpdir(), 'sepp-sentinel-')), options);
    await sentinel.launch();
    return sentinel;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  /**
   * Resolves once this Sentinel has found `sentinels` other Sentinels and `replicas` replicas of its
   * master (its `+sentinel` and `+slave` log lines): before that it cannot agree on a failover.
   */
  async discovered(sentinels: number, replicas: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const others = this.log.filter((line) => line.includes('+sentinel sentinel ')).length;
      const slaves = this.log.filter((line) => line.includes('+slave slave ')).length;
      if (others >= sentinels && slaves >= replicas) return;
      if (Date.now() > deadline) throw new Error(`Sentinel on ${this.port} found ${others} of ${sentinels} Sentinels and ${slaves} of ${replicas} replicas in ${timeoutMs} ms:\n${this.log.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  protected override launch(): Promise<void> {
    const { masterName, masterPort, quorum, masterPassword, password, downAfterMs = 1_000, tls } = this.sentinel;
    const file = join(this.dir, 'sentinel.conf');
    const lines = [
      ...(tls ? tlsSettings(this.port, tls).map(([name, value]) => `${name} ${value}`) : [`port ${this.port}`]),
      'bind 127.0.0.1',
      `dir ${this.dir}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
      `sentinel failover-timeout ${masterName} 10000`,
      `sentinel parallel-syncs ${masterName} 1`,
      ...(masterPassword ? [`sentinel auth-pass ${masterName} ${masterPassword}`] : []),
      ...(password ? [`requirepass ${password}`] : []),
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    return this.spawnUntil([file, '--sentinel'], `+monitor master ${masterName}`);
  }
}

/** Where Debian's redis-cli is (installed with redis-server); `REDIS_CLI` overrides. */
export const REDIS_CLI_BINARY = process.env['REDIS_CLI'] ?? 'redis-cli';

export interface RedisClusterOptions {
  /** Masters (each serving a share of the 16,384 slots); default 3, the least Redis Cluster takes. */
  readonly masters?: number;
  /** Replicas of each master (promoted when it fails); default 1. */
  readonly replicasPerMaster?: number;
  /** Every node's `requirepass` and `masterauth`. */
  readonly password?: string;
  /** TLS only, the cluster bus and replication too (`tls-cluster`, `tls-replication`). */
  readonly tls?: RedisTlsFiles;
  /** How long a master may not answer before its replica takes over (ms); default 1,000. */
  readonly nodeTimeoutMs?: number;
  /** Every node announces this host name instead of its IP (see {@link RedisServerOptions.cluster}). */
  readonly announceHostname?: string;
}

/**
 * A real Redis Cluster on loopback for tests: `masters` x (1 + `replicasPerMaster`) redis-server
 * nodes in cluster mode, joined with `redis-cli --cluster create`, ready once every node reports
 * `cluster_state:ok` and knows every other node. Nodes are {@link RedisServer}s (`kill`, `restart`).
 */
export class RedisCluster {
  private constructor(
    private readonly members: RedisServer[],
    private readonly nodeOptions: RedisServerOptions,
  ) {}

  /** Every node, in the order they were started (those of {@link addMaster} last). */
  get nodes(): readonly RedisServer[] {
    return this.members;
  }

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const { masters = 3, replicasPerMaster = 1, password, tls, nodeTimeoutMs = 1_000, announceHostname } = options;
    const nodeOptions: RedisServerOptions = { ...(password ? { password } : {}), ...(tls ? { tls } : {}), cluster: { nodeTimeoutMs, ...(announceHostname ? { announceHostname } : {}) } };
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters * (1 + replicasPerMaster); i++) nodes.push(await RedisServer.start(nodeOptions));
      const cluster = new RedisCluster(nodes, nodeOptions);
      await nodes[0]!.cli(['--cluster', 'create', ...nodes.map((node) => `127.0.0.1:${node.port}`), '--cluster-replicas', String(replicasPerMaster), '--cluster-yes']);
      await cluster.waitHealthy(nodes);
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((node) => node.dispose()));
      throw error;
    }
  }

  /** Where a client starts: every node (host and port). */
  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  /** redis-cli toward the node on `port` (password and TLS as the cluster's); its standard output. */
  cli(args: readonly string[], port: number): Promise<string> {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node) throw new RangeError(`no node of this cluster on port ${port}`);
    return node.cli(args);
  }

  /**
   * Scaling out: a new node joins as a master serving no slot (`redis-cli --cluster add-node`);
   * resolves once every node knows it. Give it slots with {@link reshard}.
   */
  async addMaster(): Promise<RedisServer> {
    const node = await RedisServer.start(this.nodeOptions);
    const existing = this.members.find((member) => member.running);
    if (!existing) throw new Error('no running node to join');
    try {
      await node.cli(['--cluster', 'add-node', `127.0.0.1:${node.port}`, `127.0.0.1:${existing.port}`]);
    } catch (error) {
      await node.dispose();
      throw error;
    }
    this.members.push(node);
    await this.waitHealthy();
    return node;
  }

  /** The node's ID in the cluster (CLUSTER MYID). */
  async nodeId(node: RedisServer): Promise<string> {
    return (await node.cli(['CLUSTER', 'MYID'])).trim();
  }

  /**
   * Moves `slots` slots, with their keys, from `from` to `to` while the cluster serves
   * (`redis-cli --cluster reshard`: for each slot IMPORTING/MIGRATING, its keys MIGRATEd
   * `pipeline` at a time, then the slot assigned). redis-cli takes the first `slots` of `from`'s
   * slots, lowest first. Resolves once every node agrees on the new map.
   */
  async reshard(from: RedisServer, to: RedisServer, slots: number, options: { pipeline?: number } = {}): Promise<void> {
    const [source, target] = await Promise.all([this.nodeId(from), this.nodeId(to)]);
    await from.cli(['--cluster', 'reshard', `127.0.0.1:${from.port}`, '--cluster-from', source, '--cluster-to', target, '--cluster-slots', String(slots), '--cluster-pipeline', String(options.pipeline ?? 10), '--cluster-yes']);
    await this.waitHealthy();
  }

  /** The hash slot of `key` (CLUSTER KEYSLOT: its hash tag's, when it has one). */
  async slotOf(key: string): Promise<number> {
    const node = this.members.find((member) => member.running);
    if (!node) throw new Error('no running node');
    return Number((await node.cli(['CLUSTER', 'KEYSLOT', key])).trim());
  }

  /** The running nodes that are masters now (ROLE), in the order of {@link nodes}. */
  async masters(): Promise<RedisServer[]> {
    const running = this.nodes.filter((node) => node.running);
    const roles = await Promise.all(running.map(async (node) => (await this.cli(['ROLE'], node.port)).split('\n')[0]!.trim()));
    return running.filter((_, index) => roles[index] === 'master');
  }

  /** The node serving `key`'s slot as master now (after a failover: the promoted replica). */
  async masterOf(key: string): Promise<RedisServer> {
    return this.masterOfSlot(await this.slotOf(key));
  }

  /** The node serving `slot` as master now, as it says itself. */
  async masterOfSlot(slot: number): Promise<RedisServer> {
    const running = this.nodes.filter((node) => node.running);
    for (const node of running) {
      // This node's own line of CLUSTER NODES: `<id> <addr> myself,master <-> ... <slot ranges>`.
      const myself = (await this.cli(['CLUSTER', 'NODES'], node.port)).split('\n').find((line) => line.includes('myself'));
      const fields = myself?.trim().split(' ') ?? [];
      if (!fields[2]?.split(',').includes('master')) continue;
      const serves = fields.slice(8).some((range) => {
        const [from, to = from] = range.split('-').map(Number);
        return from !== undefined && to !== undefined && slot >= from && slot <= to;
      });
      if (serves) return node;
    }
    throw new Error(`no running master serves slot ${slot}`);
  }

  /**
   * Resolves once every running node (or `nodes`) reports `cluster_state:ok`, knows all nodes and
   * agrees on which masters serve all 16,384 slots.
   */
  async waitHealthy(nodes: readonly RedisServer[] = this.nodes.filter((node) => node.running), timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const states = await Promise.all(nodes.map((node) => this.cli(['CLUSTER', 'INFO'], node.port).catch((error: Error) => error.message)));
      last = states.join('\n---\n');
      const ok = states.every((info) => /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info) && new RegExp(`cluster_known_nodes:${this.nodes.length}\\b`).test(info));
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster is not healthy after ${timeoutMs} ms:\n${last}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops every node and removes their data. */
  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.dispose()));
  }
}
