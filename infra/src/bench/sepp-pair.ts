import { access, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { sleep, type BenchChild } from './child';
import { freePort } from '../demo/environment';
import { HOME, IPX_FQDN, PRODUCER_FQDN, VISITED, type BenchContext, type ScenarioEntry } from './context';

/**
 * Starts the BUILT SEPP apps the way infra/src/demo does (`node apps/<role>/dist/main.js --config
 * FILE`, own process group, SEPP_* variables of our environment not passed on), with configuration
 * files written for the run, and waits until N32 is up and the initiator's NF-facing (sbi) listener
 * answers. Options select PRINS and put an IPX relay in between.
 */
export interface SeppPairOptions {
  /** `sepp.capabilities` of both apps. */
  capabilities: Array<'TLS' | 'PRINS'>;
  /** Peer state the initiator must reach (`tls-established`, `prins-established`). */
  expectState: string;
  /** `intermediaries` policy each side applies to the other. */
  intermediaries?: 'none' | 'ip-routing' | 'modifying';
  /**
   * PRINS: the initiator listens for N32 too (`n32.listen`, on a port chosen before the responder
   * starts) and the responder's peer entry names it as `address`: where the responder's second
   * N32-c connection brings n32f-error and n32f-terminate (TS 33.501 13.2.2.2 step 5).
   */
  initiatorN32Listen?: boolean;
  /** Extra keys merged into each app's file (e.g. IPX settings later). */
  responderExtra?: Record<string, unknown>;
  initiatorExtra?: Record<string, unknown>;
  /** Where the initiator dials the responder; default the responder's N32 listener. */
  dialVia?: (responderN32: { host: string; port: number }) => Promise<{ host: string; port: number }>;
  /**
   * PRINS through an IPX relay (apps/ipx, needs `intermediaries: modifying`): started after the
   * responder with these rules, forwarding to the responder's N32 listener; the initiator's peer
   * entry names it (`ipx: {fqdn, address, signingKeys}`), so N32-c goes to the responder and N32-f
   * through the relay, which signs its modifications into every message.
   */
  relay?: { rules: Record<string, unknown>[] };
}

/** Where a started relay listens, for a scenario's checks. */
export interface SeppPairEntry extends ScenarioEntry {
  relay?: { n32f: number; admin: number };
}

export const READY_TIMEOUT_MS = 20_000;
export const N32_TIMEOUT_MS = 30_000;
/** pino levels at which the apps' `listening` lines (level info) are written. */
const LISTENING_LINES_VISIBLE = new Set(['info', 'debug', 'trace']);

export interface PeerView {
  fqdn: string;
  state: string;
  mechanism?: string | null;
  lastError?: { reason: string; detail: string } | null;
}

export async function getJson(url: string): Promise<{ status: number; body: unknown } | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body };
  } catch {
    return null;
  }
}

export async function waitReady(child: BenchChild, admin: () => number | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    child.assertRunning();
    const port = admin();
    if (port !== undefined && (await getJson(`http://127.0.0.1:${port}/readyz`))?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${child.name}: GET /readyz did not answer 200 within ${timeoutMs / 1000} s (log: ${child.logFile})`);
    await sleep(100);
  }
}

export function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** The environment of an app: ours without SEPP_* (one variable would reach both apps). */
export function appEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SEPP_')));
}

/** The built apps' entry points (checked to exist). */
async function mainsOf(ctx: BenchContext, withRelay: boolean): Promise<{ responder: string; initiator: string; ipx?: string }> {
  const mains = {
    responder: path.join(ctx.repoDir, 'apps', 'responder', 'dist', 'main.js'),
    initiator: path.join(ctx.repoDir, 'apps', 'initiator', 'dist', 'main.js'),
    ...(withRelay ? { ipx: path.join(ctx.repoDir, 'apps', 'ipx', 'dist', 'main.js') } : {}),
  };
  for (const [role, main] of Object.entries(mains)) {
    await access(main).catch(() => {
      throw new Error(`the ${role} is not built (${path.relative(ctx.repoDir, main)} missing): run pnpm build`);
    });
  }
  return mains;
}

export interface StartedResponder {
  child: BenchChild;
  n32Port: number;
}

/**
 * Starts the responding SEPP (PLMN 001/01) with the visited SEPP as its one peer and waits until
 * /readyz answers 200. `initiatorN32` names where the initiator listens for N32 (PRINS).
 */
export async function startResponder(
  ctx: BenchContext,
  options: Pick<SeppPairOptions, 'capabilities' | 'intermediaries' | 'responderExtra'> & { initiatorN32?: number },
  main?: string,
): Promise<StartedResponder> {
  const responderMain = main ?? (await mainsOf(ctx, false)).responder;
  const certs = await ctx.certs();
  const level = ctx.params.seppLogLevel;
  // The apps write their `listening` lines at level info. At warn (the default, so logging costs
  // nothing under load) those lines are not written, so the ports are chosen here instead of 0.
  const port = async (): Promise<number> => (LISTENING_LINES_VISIBLE.has(level) ? 0 : freePort());
  const responderPorts = { n32: await port(), admin: await port() };
  const responderConfig = {
    sepp: { fqdn: HOME.seppFqdn, plmns: [HOME.plmn], capabilities: options.capabilities },
    tls: { cert: certs.home.cert, key: certs.home.key, ca: [certs.ca], minVersion: 'TLSv1.2' },
    n32: {
      listen: { host: '127.0.0.1', port: responderPorts.n32 },
      peers: [
        {
          fqdn: VISITED.seppFqdn,
          plmns: [VISITED.plmn],
          ...(options.initiatorN32 !== undefined ? { address: `127.0.0.1:${options.initiatorN32}` } : {}),
          intermediaries: options.intermediaries ?? 'none',
        },
      ],
      acceptUnknownPeers: false,
    },
    admin: { listen: { host: '127.0.0.1', port: responderPorts.admin } },
    sbi: {
      allowedTargets: [ctx.producerApiRoot],
      hosts: { [PRODUCER_FQDN]: ctx.producer.host },
    },
    logging: { level },
    ...options.responderExtra,
  };
  const responderFile = path.join(ctx.workDir, 'responder.yaml');
  await writeFile(responderFile, stringify(responderConfig));
  const responder = ctx.spawn('responder', responderMain, ['--config', responderFile], { env: appEnv() });
  await waitReady(responder, listenerPort(responder, 'admin', responderPorts.admin), READY_TIMEOUT_MS);
  const n32Port = listenerPort(responder, 'n32', responderPorts.n32)();
  if (n32Port === undefined) throw new Error(`responder: no "listening" line for n32 (log: ${responder.logFile})`);
  return { child: responder, n32Port };
}

function listenerPort(child: BenchChild, name: string, configured: number): () => number | undefined {
  return configured !== 0 ? () => configured : () => child.listener(name)?.port;
}

export async function startSeppPair(ctx: BenchContext, options: SeppPairOptions): Promise<SeppPairEntry> {
  const mains = await mainsOf(ctx, options.relay !== undefined);
  const certs = await ctx.certs();
  const level = ctx.params.seppLogLevel;
  const linesVisible = LISTENING_LINES_VISIBLE.has(level);
  const port = async (): Promise<number> => (linesVisible ? 0 : freePort());
  const intermediaries = options.intermediaries ?? 'none';

  // The responder must know the initiator's N32 port before the initiator starts: never 0.
  const initiatorN32 = options.initiatorN32Listen ? await freePort() : undefined;
  const { child: responder, n32Port } = await startResponder(ctx, { ...options, ...(initiatorN32 !== undefined ? { initiatorN32 } : {}) }, mains.responder);
  const dial = options.dialVia ? await options.dialVia({ host: '127.0.0.1', port: n32Port }) : { host: '127.0.0.1', port: n32Port };

  // The relay: N32-f from the initiator, forwarded to the responder's N32 listener. Its ports are
  // chosen here (at warn it writes no `listening` lines either).
  let relay: { n32f: number; admin: number } | undefined;
  if (options.relay && mains.ipx) {
    relay = { n32f: await freePort(), admin: await freePort() };
    const ipxConfig = {
      ipx: { fqdn: IPX_FQDN, signingKey: certs.ipx.signingKey, certificate: certs.ipx.signingCert },
      tls: { cert: certs.ipx.cert, key: certs.ipx.key, ca: [certs.ca], minVersion: 'TLSv1.2' },
      listen: { host: '127.0.0.1', port: relay.n32f },
      forward: { address: `127.0.0.1:${n32Port}`, fqdn: HOME.seppFqdn, timeoutMs: ctx.params.requestTimeoutMs },
      rules: options.relay.rules,
      admin: { listen: { host: '127.0.0.1', port: relay.admin } },
      logging: { level },
    };
    const ipxFile = path.join(ctx.workDir, 'ipx.yaml');
    await writeFile(ipxFile, stringify(ipxConfig));
    const ipx = ctx.spawn('ipx', mains.ipx, ['--config', ipxFile], { env: appEnv() });
    const adminPort = relay.admin;
    await waitReady(ipx, () => adminPort, READY_TIMEOUT_MS);
  }
  const relayEntry = relay ? { ipx: { fqdn: IPX_FQDN, address: `127.0.0.1:${relay.n32f}`, signingKeys: [certs.ipx.signingCert] } } : {};

  const initiatorPorts = { admin: await port(), sbi: await port() };
  const initiatorConfig = {
    sepp: { fqdn: VISITED.seppFqdn, plmns: [VISITED.plmn], capabilities: options.capabilities },
    tls: { cert: certs.visited.cert, key: certs.visited.key, ca: [certs.ca], minVersion: 'TLSv1.2' },
    n32: {
      ...(initiatorN32 !== undefined ? { listen: { host: '127.0.0.1', port: initiatorN32 } } : {}),
      peers: [{ fqdn: HOME.seppFqdn, plmns: [HOME.plmn], address: `${dial.host}:${dial.port}`, intermediaries, ...relayEntry }],
    },
    admin: { listen: { host: '127.0.0.1', port: initiatorPorts.admin } },
    sbi: { listen: { host: '127.0.0.1', port: initiatorPorts.sbi } },
    logging: { level },
    ...options.initiatorExtra,
  };
  const initiatorFile = path.join(ctx.workDir, 'initiator.yaml');
  await writeFile(initiatorFile, stringify(initiatorConfig));
  const initiator = ctx.spawn('initiator', mains.initiator, ['--config', initiatorFile], { env: appEnv() });
  const initiatorAdmin = listenerPort(initiator, 'admin', initiatorPorts.admin);
  await waitReady(initiator, initiatorAdmin, READY_TIMEOUT_MS);

  // N32-c: the initiator's view of the responder must reach the expected state.
  const deadline = Date.now() + N32_TIMEOUT_MS;
  let view: PeerView | undefined;
  for (;;) {
    initiator.assertRunning();
    responder.assertRunning();
    const answer = await getJson(`http://127.0.0.1:${initiatorAdmin()}/admin/peers`);
    view = (answer?.body as { peers?: PeerView[] } | undefined)?.peers?.find((peer) => peer.fqdn === HOME.seppFqdn);
    if (view?.state === options.expectState) break;
    if (view?.state === 'failed' || Date.now() > deadline) {
      const why = view?.lastError ? `: ${view.lastError.reason} ${view.lastError.detail}` : '';
      throw new Error(`N32 did not reach ${options.expectState} (initiator sees ${view?.state ?? 'no peer'}${why}) (logs: ${initiator.logFile}, ${responder.logFile})`);
    }
    await sleep(150);
  }

  // The NF-facing listener: /readyz counts only the listeners the app has, so check it answers.
  let sbiPort = initiatorPorts.sbi;
  if (linesVisible) {
    const line = initiator.listener('sbi');
    if (!line) throw new Error(`the initiator logged no {"msg":"listening","listener":"sbi"} line: it has no NF-facing listener yet (log: ${initiator.logFile})`);
    sbiPort = line.port;
  } else if (!(await tcpOpen('127.0.0.1', sbiPort))) {
    throw new Error(`the initiator does not listen on sbi.listen 127.0.0.1:${sbiPort}: it has no NF-facing listener yet (log: ${initiator.logFile})`);
  }
  return { url: `http://127.0.0.1:${sbiPort}`, target: ctx.producerApiRoot, ...(relay ? { relay } : {}) };
}
