import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export type Role = 'responder' | 'initiator';

/** The parts of a SEPP configuration file the demo reads (CONFIG.md). */
export interface DemoSeppConfig {
  sepp: { fqdn: string; plmns: { mcc: string; mnc: string }[]; capabilities: string[] };
  n32: { listen?: { host: string; port: number }; peers: { fqdn: string; address?: string; intermediaries?: string }[] };
  admin: { listen: { host: string; port: number } };
  sbi?: { listen?: { host: string; port: number }; allowedTargets?: string[]; hosts?: Record<string, string> };
  n32f?: { connection?: 'shared' | 'dedicated' };
  logging?: { level?: string };
}

/**
 * The environment of one child app. Plain `SEPP_*` variables of the demo's own environment are
 * dropped, since one variable would reach both apps (two admin listeners on one port); instead
 * `SEPP_DEMO_<ROLE>_<NAME>` reaches that role's app as the documented override `SEPP_<NAME>`,
 * e.g. `SEPP_DEMO_RESPONDER_N32_LISTEN_PORT=18443` -> `SEPP_N32_LISTEN_PORT=18443`.
 * `defaults` (set by the demo itself) apply unless the user gave the same variable for the role.
 */
export function childEnv(role: Role, env: NodeJS.ProcessEnv, defaults: Record<string, string>): NodeJS.ProcessEnv {
  const prefix = `SEPP_DEMO_${role.toUpperCase()}_`;
  const result: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('SEPP_')));
  Object.assign(result, defaults);
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith(prefix) && value) result[`SEPP_${name.slice(prefix.length)}`] = value;
  }
  return result;
}

export interface ListenAddress {
  /** Configuration key, e.g. `n32.listen`. */
  key: string;
  /** The env override of its port, e.g. `SEPP_N32_LISTEN_PORT`. */
  portVariable: string;
  host: string;
  port: number;
}

/** Where an app will listen: its file's `*.listen` entries with the env overrides applied. */
export function listenAddresses(config: DemoSeppConfig, env: NodeJS.ProcessEnv): ListenAddress[] {
  const sections = { n32: config.n32.listen, admin: config.admin.listen, sbi: config.sbi?.listen } as const;
  const result: ListenAddress[] = [];
  for (const [section, fromFile] of Object.entries(sections)) {
    const variable = `SEPP_${section.toUpperCase()}_LISTEN`;
    const host = env[`${variable}_HOST`] || fromFile?.host;
    const port = env[`${variable}_PORT`] || fromFile?.port;
    if (host !== undefined && port !== undefined) {
      result.push({ key: `${section}.listen`, portVariable: `${variable}_PORT`, host, port: Number(port) });
    }
  }
  return result;
}

/** Resolves if `host:port` can be bound now (port 0 always can), else rejects with the errno code. */
export function checkFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => reject(Object.assign(new Error(error.code ?? error.message), { code: error.code })));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** The first port of the kernel's ephemeral range (where connect() and listen(0) take ports from). */
function ephemeralStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 2_048) return low;
  } catch {
    // not Linux: Linux's default start
  }
  return 32_768;
}

/** Where this process's next {@link freePort} draw starts; random per process, then sequential. */
let nextPortOffset: number | undefined;

/**
 * A port on `host` free right now, for a process started afterwards to listen on. Taken below the
 * kernel's ephemeral range (and checked with {@link checkFree}): a port there is never handed to an
 * outgoing connection or to a listen(0) while the process starts, as a port from listen(0),
 * released, can be (the process then fails with EADDRINUSE: seen beside busy loops). Only an
 * explicit bind to the same port could take it meanwhile. The ports of one process are taken in
 * turn from a random place of a 12,000-port range, so one process never hands out the same port
 * twice (two random draws could: a SEPP's admin and NF-facing listeners once got one port) before
 * it has gone round the range; processes running side by side start at different places. Falls
 * back to {@link portFromOs}.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const high = ephemeralStart() - 1;
  const low = Math.max(1_024, high - 12_000);
  const size = high - low + 1;
  nextPortOffset ??= Math.floor(Math.random() * size);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + (nextPortOffset % size);
    nextPortOffset = (nextPortOffset + 1) % size;
    try {
      await checkFree(host, port);
      return port;
    } catch {
      // taken: the next one
    }
  }
  return portFromOs(host);
}

/** A port on `host` that is free right now (bind to 0, read it, release it). */
function portFromOs(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `host:port` to dial a listener that reported `address` (a wildcard bind is dialled on loopback). */
export function dialAddress(address: string, port: number): string {
  const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
