#!/usr/bin/env node
import { access, mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { readManifest, type CertificateSetManifest } from './certs/manifest';
import { plmnKey, type PlmnId } from './certs/plmn';
import { writeCertificateSet } from './certs/write-certs';
import { checkFree, childEnv, dialAddress, freePort, listenAddresses, type DemoSeppConfig, type Role } from './demo/environment';
import {
  IPX_NF_BODY,
  IPX_NF_PATH,
  IPX_PORT_VARIABLES,
  planIpx,
  renderIpxExchange,
  runIpxExchange,
  SIGNED_LINE,
  writeInitiatorConfigCopy,
  writeIpxConfigCopy,
  type DemoIpxConfig,
  type IpxCertificatePaths,
} from './demo/ipx';
import { DEMO_ACCESS_TOKEN, renderNfExchange, runNfExchange } from './demo/nf-exchange';
import { renderOutcome, waitForOutcome, type PrinsOutcome } from './demo/outcome';
import { SeppChild, sleep } from './demo/sepp-child';
import { nfApiRoot, nfEnv, planNf, removeConfigCopy, UDM1_PORT_VARIABLE, writeConfigCopy, type NfPlan } from './demo/udm';
import { exitWith } from './cli';

const USAGE = `usage: pnpm demo [--once] [--mechanism tls|prins] [--via-ipx]
Starts the demo producer NF udm1 (PLMN 001/01), the built responder SEPP (PLMN 001/01) and
initiator SEPP (PLMN 002/02) with infra/demo/responder.yaml and initiator.yaml, waits for their
N32-c security capability negotiation and shows the outcome; then sends, as a consumer NF of
PLMN 002/02, one request to udm1 through the initiator's NF-facing listener (and one more by
udm1's telescopic FQDN) and shows how it crossed N32. Then keeps everything running until Ctrl-C
and prints the URLs of the status pages (GET / on each admin listener: peers, negotiation
timeline, live N32-f figures, refusals).
  --once       exit after that: 0 if a mechanism was agreed and udm1 answered both requests 2xx,
               1 if not (3: could not start)
  --mechanism  tls (default): N32-f in TLS mode, as above.
               prins: the SEPPs run infra/demo/prins/*.yaml instead, where the responder's peer
               entry for the initiator says intermediaries: modifying, so PRINS is selected
               (TS 33.501 13.2); the demo shows the parameter exchange (N32-f context IDs, JWE
               suite, key check of both sides) and, per NF request, what went into the JWE (the
               initiator's debug line "PRINS request protected"). The requests carry an access
               token (authorization header). The initiator listens on N32 too (n32.listen) and the
               responder's peer address points there (for n32f-error and n32f-terminate).
               With --once: 0 only if PRINS was established and udm1 answered both requests 2xx.
  --via-ipx    PRINS through an IPX relay (apps/ipx): implies --mechanism prins (with
               --mechanism tls it is refused: an intermediary that modifies N32-f messages is only
               allowed under PRINS). Runs infra/demo/ipx/*.yaml: the relay (ipx.yaml,
               ipx.roaming.example.org) sits between the initiator and the responder on N32-f; the
               initiator's peer entry names it (ipx: fqdn, address, signingKeys) and sends its key in
               exchange-params. The demo also mints the relay's certificates (its own CA, a TLS
               certificate, a separate ES256 signing key; under ipx/ of the certificate folder),
               starts udm1, the responder, the relay and the initiator, and sends one NF request
               (POST an SdmSubscription, no 3gpp-sbi-message-priority header). The relay's rules add that
               header to the request (5) and to the answer (7), a modification the SEPPs' policy
               permits. It shows the answer, the header udm1 received, and the modification trail:
               what the relay signed and what each receiving SEPP verified (their log lines).
               With --once: 0 only if PRINS was established, the answer was 2xx, udm1 received the
               header the relay added, and both SEPPs logged a verified modification by the relay.

environment:
  SEPP_DEMO_<ROLE>_<NAME>  reaches that app as the override SEPP_<NAME> (README "Configuration"), e.g.
                           SEPP_DEMO_RESPONDER_N32_LISTEN_PORT=18443 SEPP_DEMO_RESPONDER_ADMIN_LISTEN_PORT=19101
                           SEPP_DEMO_INITIATOR_ADMIN_LISTEN_PORT=19102 SEPP_DEMO_INITIATOR_SBI_LISTEN_PORT=17777
                           (port 0 = any free port)
                           Plain SEPP_* variables are not passed on: each would reach both apps.
  ${UDM1_PORT_VARIABLE}      udm1's port (default: the one of its sbi.allowedTargets entry in
                           responder.yaml; 0 = any free port). The responder then runs on a copy of
                           its file, in the log folder, whose entry names that port.
  SEPP_DEMO_CERTS          certificate directory (default infra/certs; generated when absent)
  SEPP_DEMO_LOGS           where the apps' logs go (default infra/demo/run)
  In PRINS mode SEPP_DEMO_INITIATOR_N32_LISTEN_PORT moves the initiator's N32 listener (0 = any
  free port); the responder's peer address follows it.
  ${IPX_PORT_VARIABLES.listen}, ${IPX_PORT_VARIABLES.admin}
                           --via-ipx: the relay's N32-f and admin ports (0 = any free port). The
                           relay reads no environment: it runs on a copy of ipx.yaml in the log
                           folder, and the initiator on a copy of its file naming the relay's port.`;

const INFRA_DIR = path.resolve(__dirname, '..');
const REPO_DIR = path.resolve(INFRA_DIR, '..');
const PLMNS: PlmnId[] = [
  { mcc: '001', mnc: '01' },
  { mcc: '002', mnc: '02' },
];
const PRODUCER_CLI = path.join(INFRA_DIR, 'dist', 'nf', 'producer-cli.js');
const READY_TIMEOUT_MS = 20_000;
const OUTCOME_TIMEOUT_MS = 30_000;
const RELEASE_SEEN_TIMEOUT_MS = 3_000;

/** Exit codes: 0 agreed and NF requests answered (or stopped with Ctrl-C), 1 not, 2 usage, 3 could not start. */
const EXIT = { ok: 0, failed: 1, usage: 2, startup: 3, interrupted: 130 } as const;

class StartupError extends Error {}
class Interrupted extends Error {}

const say = (line: string): void => console.log(line);
/** A path as short as it can be said from where the demo was started. */
const shown = (file: string): string => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
};

interface Sepp {
  role: Role;
  configFile: string;
  config: DemoSeppConfig;
}

/** What the demo shows: the N32-f mechanism, the folder of its configuration files. */
const MODES = {
  tls: { name: 'TLS', configDir: path.join(INFRA_DIR, 'demo') },
  prins: { name: 'PRINS', configDir: path.join(INFRA_DIR, 'demo', 'prins') },
  /** --via-ipx: PRINS through the IPX relay (ipx.yaml next to the SEPPs' files). */
  ipx: { name: 'PRINS', configDir: path.join(INFRA_DIR, 'demo', 'ipx') },
} as const;
type Mode = keyof typeof MODES;
const IPX_MAIN = path.join(REPO_DIR, 'apps', 'ipx', 'dist', 'main.js');

async function loadSepp(role: Role, mode: Mode): Promise<Sepp> {
  const configFile = path.join(MODES[mode].configDir, `${role}.yaml`);
  try {
    return { role, configFile, config: parse(await readFile(configFile, 'utf8')) as DemoSeppConfig };
  } catch (error) {
    throw new StartupError(`cannot read ${shown(configFile)}: ${(error as Error).message}`);
  }
}

async function loadIpx(mode: Mode): Promise<{ configFile: string; config: DemoIpxConfig } | undefined> {
  if (mode !== 'ipx') return undefined;
  const configFile = path.join(MODES.ipx.configDir, 'ipx.yaml');
  try {
    return { configFile, config: parse(await readFile(configFile, 'utf8')) as DemoIpxConfig };
  } catch (error) {
    throw new StartupError(`cannot read ${shown(configFile)}: ${(error as Error).message}`);
  }
}

/**
 * Reuses a complete set that covers both PLMNs (whatever its CA mode), else mints one (per-PLMN
 * CAs). With `ipxFqdn` the set must hold that relay's material too: a set that lacks it gets it
 * added (its SEPP certificates stay as they are).
 */
async function ensureCertificates(dir: string, ipxFqdn?: string): Promise<CertificateSetManifest> {
  const existing = await readManifest(dir);
  const covers = existing && PLMNS.every((plmn) => existing.plmns.some((p) => plmnKey(p) === plmnKey(plmn)));
  if (existing && covers && (await Promise.all(existing.files.map((f) => access(path.join(dir, f)).then(() => true, () => false)))).every(Boolean)) {
    if (ipxFqdn === undefined || existing.ipx?.fqdn === ipxFqdn.toLowerCase()) {
      say(`certificates  ${shown(dir)} (existing set, ${existing.caMode} CA)${ipxFqdn ? `, the IPX relay's in ${shown(path.join(dir, 'ipx'))}` : ''}`);
      return existing;
    }
    const plmns = existing.plmns.map(({ mcc, mnc }) => ({ mcc, mnc }));
    const manifest = await writeCertificateSet({ outDir: dir, plmns, caMode: existing.caMode, ipx: { fqdn: ipxFqdn } });
    say(`certificates  ${shown(dir)} (existing set, ${existing.caMode} CA); added the IPX relay's (${ipxFqdn}) in ${shown(path.join(dir, 'ipx'))}`);
    return manifest;
  }
  let written = 0;
  const manifest = await writeCertificateSet({ outDir: dir, plmns: PLMNS, caMode: 'per-plmn', ...(ipxFqdn ? { ipx: { fqdn: ipxFqdn } } : {}), onWrite: () => (written += 1) });
  say(`certificates  generated ${written} files in ${shown(dir)}${ipxFqdn ? ` (the IPX relay's in ${shown(path.join(dir, 'ipx'))})` : ''}`);
  return manifest;
}

/** --via-ipx with SEPP_DEMO_CERTS: the relay's files of that folder, for the copies of the relay's and initiator's files. */
function ipxCertificatePaths(dir: string, manifest: CertificateSetManifest): IpxCertificatePaths | undefined {
  const ipx = manifest.ipx;
  if (!ipx) return undefined;
  const at = (file: string): string => path.resolve(dir, file);
  return {
    seppCa: [at(manifest.caBundle), at(ipx.ca)],
    ipxCa: [at(manifest.caBundle)],
    tls: { cert: at(ipx.tls.cert), key: at(ipx.tls.key) },
    signing: { key: at(ipx.signing.key), cert: at(ipx.signing.cert) },
  };
}

/**
 * TLS overrides pointing an app at a certificate directory other than the one its file names
 * (--via-ipx: the SEPPs trust the relay's CA too).
 */
function certificateEnv(sepp: Sepp, dir: string, manifest: CertificateSetManifest, viaIpx: boolean): Record<string, string> {
  const own = manifest.plmns.find((p) => sepp.config.sepp.plmns.some((plmn) => plmnKey(plmn) === plmnKey(p)));
  if (!own) throw new StartupError(`${shown(dir)} holds no certificate for the ${sepp.role}'s PLMN`);
  const roots = [manifest.caBundle, ...(viaIpx && manifest.ipx ? [manifest.ipx.ca] : [])];
  return {
    SEPP_TLS_CERT: path.resolve(dir, own.cert),
    SEPP_TLS_KEY: path.resolve(dir, own.key),
    SEPP_TLS_CA: roots.map((file) => path.resolve(dir, file)).join(','),
  };
}

async function checkPort(host: string, port: number, what: string, variable: string): Promise<void> {
  try {
    await checkFree(host, port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code})`;
    throw new StartupError(
      `port ${port} on ${host} (${what}) ${why}.\n` + `  Stop whatever holds it (another demo?) or choose another port: ${variable}=<port> (0 = any free port)`,
    );
  }
}

async function checkPorts(sepp: Sepp, env: NodeJS.ProcessEnv): Promise<void> {
  for (const listen of listenAddresses(sepp.config, env)) {
    const variable = `SEPP_DEMO_${sepp.role.toUpperCase()}_${listen.portVariable.slice('SEPP_'.length)}`;
    await checkPort(listen.host, listen.port, `${sepp.role} ${listen.key}`, variable);
  }
}

/** udm1 as its own process (`node infra/dist/nf/producer-cli.js --host H --port P --name udm1`). */
async function startNf(plan: NfPlan, env: NodeJS.ProcessEnv, logsDir: string, started: SeppChild[]): Promise<{ child: SeppChild; port: number }> {
  const child = SeppChild.run(plan.name, [PRODUCER_CLI, '--host', plan.host, '--port', String(plan.port), '--name', plan.name], {
    cwd: REPO_DIR,
    env: nfEnv(env),
    logFile: path.join(logsDir, `${plan.name}.log`),
  });
  started.push(child);
  let listening: { address: string; port: number };
  try {
    listening = await child.waitListening('nf', READY_TIMEOUT_MS);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  say(
    `${plan.name.padEnd(9)}  ready  NF ${nfApiRoot(plan, listening.port)} on ${dialAddress(listening.address, listening.port)} (h2c)  ` +
      `log ${shown(child.logFile)}`,
  );
  return { child, port: listening.port };
}

async function startSepp(sepp: Sepp, env: NodeJS.ProcessEnv, logsDir: string, started: SeppChild[]): Promise<SeppChild> {
  const child = SeppChild.start(sepp.role, {
    main: path.join(REPO_DIR, 'apps', sepp.role, 'dist', 'main.js'),
    config: sepp.configFile,
    cwd: process.cwd(), // relative paths in SEPP_DEMO_<ROLE>_TLS_* mean what they say where the demo started
    env,
    logFile: path.join(logsDir, `${sepp.role}.log`),
  });
  started.push(child);
  try {
    await child.waitReady(READY_TIMEOUT_MS);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const n32 = child.listener('n32');
  const sbi = child.listener('sbi');
  const admin = child.listener('admin')!;
  say(
    `${sepp.role.padEnd(9)}  ready  ${n32 ? `N32 ${dialAddress(n32.address, n32.port)} (HTTP/2, mutual TLS)  ` : ''}` +
      `${sbi ? `NF-facing http://${dialAddress(sbi.address, sbi.port)} (h2c)  ` : ''}` +
      `admin http://${dialAddress(admin.address, admin.port)}  log ${shown(child.logFile)}`,
  );
  return child;
}

/** The IPX relay (`node apps/ipx/dist/main.js --config FILE`), forwarding to the responder. */
async function startIpx(configFile: string, forward: string, env: NodeJS.ProcessEnv, logsDir: string, started: SeppChild[]): Promise<SeppChild> {
  const child = SeppChild.start('ipx', { main: IPX_MAIN, config: configFile, cwd: REPO_DIR, env: nfEnv(env), logFile: path.join(logsDir, 'ipx.log') });
  started.push(child);
  try {
    await child.waitReady(READY_TIMEOUT_MS);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const n32f = child.listener('n32f')!;
  const admin = child.listener('admin')!;
  say(
    `${'ipx'.padEnd(9)}  ready  N32-f relay ${dialAddress(n32f.address, n32f.port)} (HTTP/2, mutual TLS) → responder ${forward}  ` +
      `admin http://${dialAddress(admin.address, admin.port)}  log ${shown(child.logFile)}`,
  );
  return child;
}

/**
 * Stops the initiator first (it tears a PRINS N32-f context down with n32f-terminate and releases
 * N32 with ["NONE"] while the responder still listens), then the IPX relay, the NF last.
 */
async function stopAll(
  initiator: SeppChild | undefined,
  responder: SeppChild | undefined,
  nf: SeppChild | undefined,
  initiatorFqdn: string,
  relay?: SeppChild,
): Promise<void> {
  if (initiator?.running) {
    say('stopping     initiator (SIGTERM)');
    const code = await initiator.stop();
    const terminate = initiator.findLog((line) => line.msg === 'terminated the N32-f context');
    const terminated = terminate
      ? `, terminated N32-f context ${String(terminate['localContextId'])} (${terminate['terminated'] === true ? 'n32f-terminate acknowledged' : 'its n32f-terminate got no answer'})`
      : '';
    const release = initiator.findLog((line) => line.msg === 'released N32 with ["NONE"]');
    const released = release ? (release['released'] === true ? ', released N32 with ["NONE"]' : ', its release with ["NONE"] got no answer') : '';
    say(`stopped      initiator (exit ${code})${terminated}${released}`);
    if (release && responder?.running) {
      const deadline = Date.now() + RELEASE_SEEN_TIMEOUT_MS;
      let view = await responder.peer(initiatorFqdn).catch(() => undefined);
      while (view?.state !== 'terminated' && Date.now() < deadline) {
        await sleep(100);
        view = await responder.peer(initiatorFqdn).catch(() => undefined);
      }
      say(`             responder now reports ${initiatorFqdn}: ${view?.state ?? 'unknown'}`);
    }
  }
  for (const child of [relay, responder, nf]) {
    if (!child?.running) continue;
    say(`stopping     ${child.role} (SIGTERM)`);
    say(`stopped      ${child.role} (exit ${await child.stop()})`);
  }
}

/** PRINS: both sides' N32-f contexts with each other (GET /admin/contexts) and the way back. */
async function prinsOutcome(initiator: SeppChild, responder: SeppChild, fqdns: { initiator: string; responder: string }, returnAddress: string | undefined): Promise<PrinsOutcome> {
  const back = returnAddress ?? 'none (the initiator has no n32.listen)';
  try {
    const [atInitiator, atResponder] = await Promise.all([initiator.contexts(fqdns.responder), responder.contexts(fqdns.initiator)]);
    return { atInitiator: atInitiator[0], atResponder: atResponder[0], returnAddress: back };
  } catch (error) {
    return { atInitiator: undefined, atResponder: undefined, error: (error as Error).message, returnAddress: back };
  }
}

export async function runDemo(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let once: boolean;
  let mode: Mode;
  try {
    const { values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv, // `pnpm demo -- --once` passes the `--` on
      options: {
        once: { type: 'boolean' },
        mechanism: { type: 'string', short: 'm' },
        'via-ipx': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      say(USAGE);
      return 0;
    }
    once = values.once ?? false;
    const viaIpx = values['via-ipx'] ?? false;
    const chosen = (values.mechanism ?? (viaIpx ? 'prins' : 'tls')).toLowerCase();
    if (chosen !== 'tls' && chosen !== 'prins') throw new Error(`--mechanism must be tls or prins, got "${values.mechanism}"`);
    if (viaIpx && chosen !== 'prins') {
      throw new Error('--via-ipx needs PRINS: an intermediary that modifies N32-f messages is only allowed under PRINS (TS 33.501 13.2). --via-ipx implies --mechanism prins; drop --mechanism tls');
    }
    mode = viaIpx ? 'ipx' : chosen;
  } catch (error) {
    console.error(`demo: ${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }

  // The apps run in their own process groups: a terminal Ctrl-C reaches only us, and we stop them
  // in order. A second Ctrl-C stops them at once.
  const started: SeppChild[] = [];
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => (onSignal = (signal) => reject(new Interrupted(signal))));
  interrupted.catch(() => undefined);
  let signals = 0;
  const handler = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      started.forEach((child) => child.killNow());
      process.exit(EXIT.interrupted);
    }
    onSignal(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('exit', () => started.forEach((child) => child.killNow()));
  const untilInterrupted = <T>(work: Promise<T>): Promise<T> => Promise.race([work, interrupted]);

  let initiator: SeppChild | undefined;
  let responder: SeppChild | undefined;
  let relay: SeppChild | undefined;
  let nf: SeppChild | undefined;
  let initiatorFqdn = '';
  let phase = 'before the outcome';
  try {
    const certsDir = path.resolve(env['SEPP_DEMO_CERTS'] || path.join(INFRA_DIR, 'certs'));
    const logsDir = path.resolve(env['SEPP_DEMO_LOGS'] || path.join(INFRA_DIR, 'demo', 'run'));
    await mkdir(logsDir, { recursive: true });
    const [responderSepp, initiatorSepp, ipx] = await Promise.all([loadSepp('responder', mode), loadSepp('initiator', mode), loadIpx(mode)]);
    initiatorFqdn = initiatorSepp.config.sepp.fqdn;
    const responderFqdn = responderSepp.config.sepp.fqdn;
    let plan: NfPlan;
    let ipxPlan: ReturnType<typeof planIpx> | undefined;
    try {
      plan = planNf(responderSepp.config, env, shown(responderSepp.configFile));
      if (ipx) ipxPlan = planIpx(ipx.config, env);
    } catch (error) {
      throw new StartupError((error as Error).message);
    }
    const manifest = await untilInterrupted(ensureCertificates(certsDir, ipx?.config.ipx.fqdn));
    const otherCerts = env['SEPP_DEMO_CERTS'] ? ipxCertificatePaths(certsDir, manifest) : undefined;
    const certs = (sepp: Sepp): Record<string, string> => (env['SEPP_DEMO_CERTS'] ? certificateEnv(sepp, certsDir, manifest, ipx !== undefined) : {});

    const peerIndex = initiatorSepp.config.n32.peers.findIndex((peer) => peer.fqdn === responderFqdn);
    if (peerIndex < 0) throw new StartupError(`${shown(initiatorSepp.configFile)} has no peer ${responderFqdn}`);
    let initiatorEnv = childEnv('initiator', env, certs(initiatorSepp));
    // The initiator's own N32 listener (PRINS mode: n32.listen), where the responder's second N32-c
    // connection goes. The responder's peer address must name its port before either starts, so
    // port 0 is turned into a free port now.
    const returnPath = listenAddresses(initiatorSepp.config, initiatorEnv).find((listen) => listen.key === 'n32.listen');
    const backIndex = responderSepp.config.n32.peers.findIndex((peer) => peer.fqdn === initiatorFqdn);
    const responderDefaults = certs(responderSepp);
    if (returnPath) {
      if (returnPath.port === 0) returnPath.port = await freePort(returnPath.host);
      initiatorEnv['SEPP_N32_LISTEN_PORT'] = String(returnPath.port);
      if (backIndex >= 0) responderDefaults[`SEPP_N32_PEERS_${backIndex}_ADDRESS`] = dialAddress(returnPath.host, returnPath.port);
    }
    const responderEnv = childEnv('responder', env, responderDefaults);
    // Where the responder will dial the initiator (a SEPP_DEMO_RESPONDER_N32_PEERS_<i>_ADDRESS of the user wins).
    const returnAddress = backIndex >= 0 ? responderEnv[`SEPP_N32_PEERS_${backIndex}_ADDRESS`] ?? responderSepp.config.n32.peers[backIndex]?.address : undefined;
    // Every port before anything starts, so a busy port costs nothing to find out.
    await checkPort(plan.host, plan.port, `${plan.name}, the producer NF`, UDM1_PORT_VARIABLE);
    await checkPorts(responderSepp, responderEnv);
    if (ipxPlan) for (const listen of [ipxPlan.listen, ipxPlan.admin]) await checkPort(listen.host, listen.port, `ipx ${listen.key}`, listen.variable);
    await checkPorts(initiatorSepp, initiatorEnv);

    // The NF first: the responder forwards to it as soon as N32 is up.
    const udm = await untilInterrupted(startNf(plan, env, logsDir, started));
    nf = udm.child;
    const target = nfApiRoot(plan, udm.port);
    let responderRun = responderSepp;
    const copy = path.join(logsDir, 'responder.yaml');
    if (udm.port === plan.filePort) {
      await removeConfigCopy(copy); // a previous run's, which would only mislead
    } else {
      await writeConfigCopy(responderSepp.configFile, copy, plan, udm.port);
      responderRun = { ...responderSepp, configFile: copy };
      say(`config       responder runs ${shown(copy)}: ${shown(responderSepp.configFile)} with sbi.allowedTargets ${target}`);
    }
    responder = await untilInterrupted(startSepp(responderRun, responderEnv, logsDir, started));
    const n32 = responder.listener('n32');
    if (!n32) throw new StartupError('the responder has no N32 listener');
    const responderN32 = dialAddress(n32.address, n32.port);
    // Dial the port the responder really listens on (it may have been overridden, or 0).
    initiatorEnv = childEnv('initiator', env, { ...certs(initiatorSepp), [`SEPP_N32_PEERS_${peerIndex}_ADDRESS`]: responderN32 });
    if (returnPath) initiatorEnv['SEPP_N32_LISTEN_PORT'] = String(returnPath.port);

    // --via-ipx: the relay, forwarding to where the responder really listens; then the initiator
    // on a copy of its file whose peer entry names where the relay really listens.
    let initiatorRun = initiatorSepp;
    let relayAddress: string | undefined;
    if (!ipx) for (const stale of ['initiator.yaml', 'ipx.yaml']) await removeConfigCopy(path.join(logsDir, stale)); // a --via-ipx run's
    if (ipx && ipxPlan) {
      const ipxCopy = path.join(logsDir, 'ipx.yaml');
      await writeIpxConfigCopy(ipx.configFile, ipxCopy, { listenPort: ipxPlan.listen.port, adminPort: ipxPlan.admin.port, forward: responderN32, ...(otherCerts ? { certs: otherCerts } : {}) });
      say(`config       ipx runs ${shown(ipxCopy)}: ${shown(ipx.configFile)} with forward.address ${responderN32}`);
      relay = await untilInterrupted(startIpx(ipxCopy, responderN32, env, logsDir, started));
      const listening = relay.listener('n32f')!;
      relayAddress = dialAddress(listening.address, listening.port);
      const initiatorCopy = path.join(logsDir, 'initiator.yaml');
      await writeInitiatorConfigCopy(initiatorSepp.configFile, initiatorCopy, { peerIndex, ipxAddress: relayAddress, ...(otherCerts ? { certs: otherCerts } : {}) });
      initiatorRun = { ...initiatorSepp, configFile: initiatorCopy };
      say(`config       initiator runs ${shown(initiatorCopy)}: ${shown(initiatorSepp.configFile)} with n32.peers[${peerIndex}].ipx.address ${relayAddress}`);
    }
    initiator = await untilInterrupted(startSepp(initiatorRun, initiatorEnv, logsDir, started));
    const sbi = initiator.listener('sbi');
    if (!sbi) throw new StartupError(`the initiator has no NF-facing listener (sbi.listen in ${shown(initiatorSepp.configFile)})`);
    const sbiAddress = dialAddress(sbi.address, sbi.port);

    const outcome = await untilInterrupted(waitForOutcome(initiator, responder, { initiator: initiatorFqdn, responder: responderFqdn }, OUTCOME_TIMEOUT_MS));
    const responderPeer = responderSepp.config.n32.peers.find((peer) => peer.fqdn === initiatorFqdn);
    const plmns = (sepp: Sepp): string => sepp.config.sepp.plmns.map((p) => `${p.mcc}/${p.mnc}`).join(', ');
    const n32Address = initiatorEnv[`SEPP_N32_PEERS_${peerIndex}_ADDRESS`]!;
    const agreedOn = outcome.agreed ? outcome.atInitiator?.mechanism : undefined;
    const prins = agreedOn === 'PRINS' ? await untilInterrupted(prinsOutcome(initiator, responder, { initiator: initiatorFqdn, responder: responderFqdn }, returnAddress)) : undefined;
    say(
      renderOutcome(outcome, {
        initiator: { fqdn: initiatorFqdn, plmns: plmns(initiatorSepp), offered: initiatorSepp.config.sepp.capabilities },
        responder: {
          fqdn: responderFqdn,
          plmns: plmns(responderSepp),
          address: n32Address,
          capabilities: responderSepp.config.sepp.capabilities,
          policy: responderPeer?.intermediaries ?? 'none',
        },
        ...(prins ? { prins } : {}),
      }),
    );

    let nfOk = false;
    // What this mode is for: the mechanism it is named after, agreed by both sides.
    const expected = MODES[mode].name;
    if (outcome.agreed && agreedOn !== expected) say(`N32-f        ${agreedOn} was agreed, not ${expected}: the configuration files of this mode select ${expected}`);
    // Who the NF request crosses, as both renderings show it.
    const crossing = {
      sbi: sbiAddress,
      initiator: { fqdn: initiatorFqdn, plmns: plmns(initiatorSepp) },
      responder: { fqdn: responderFqdn, n32: n32Address },
      nf: { name: plan.name, address: dialAddress(plan.host, udm.port) },
    };
    if (outcome.agreed && relay && ipx && relayAddress) {
      phase = 'before the NF request was answered';
      const exchange = await untilInterrupted(
        runIpxExchange({ sbi: `http://${sbiAddress}`, target, initiatorFqdn, responderFqdn, ipxFqdn: ipx.config.ipx.fqdn, initiator, responder, relay }),
      );
      nfOk = exchange.ok && agreedOn === expected;
      say(
        renderIpxExchange(exchange, {
          ...crossing,
          ipx: { fqdn: ipx.config.ipx.fqdn, address: relayAddress },
          enc: prins?.atInitiator?.enc ?? outcome.atInitiator?.negotiation?.jweCipherSuite,
        }),
      );
    } else if (outcome.agreed) {
      phase = 'before the NF requests were answered';
      const prinsSetup = agreedOn === 'PRINS' ? { prins: { initiator, responderFqdn } } : {};
      const exchange = await untilInterrupted(runNfExchange({ sbi: `http://${sbiAddress}`, target, initiatorFqdn, ...prinsSetup }, responder));
      nfOk = exchange.ok && agreedOn === expected;
      say(
        renderNfExchange(exchange, {
          ...crossing,
          connection: initiatorSepp.config.n32f?.connection ?? 'shared',
          ...(agreedOn === 'PRINS'
            ? {
                prins: {
                  enc: prins?.atInitiator?.enc ?? outcome.atInitiator?.negotiation?.jweCipherSuite,
                  initiatorLogLevel: initiatorEnv['SEPP_LOG_LEVEL'] || initiatorSepp.config.logging?.level || 'info',
                },
              }
            : {}),
        }),
      );
    } else {
      say('N32-f        no NF request sent: the SEPPs agreed on no mechanism');
    }
    phase = 'while running';
    if (once) return outcome.agreed && nfOk ? EXIT.ok : EXIT.failed;

    const consumerCli = `node ${shown(path.join(INFRA_DIR, 'dist', 'nf', 'consumer-cli.js'))} --sepp http://${sbiAddress} --target ${target}`;
    const token = ` --header 'authorization: ${DEMO_ACCESS_TOKEN}'`;
    say(
      `running      ${plan.name}, both SEPPs${relay ? ' and the IPX relay' : ''}; Ctrl-C stops them (the initiator releases N32 first). As a consumer NF:\n` +
        (relay
          ? `             ${consumerCli} --method POST --path ${IPX_NF_PATH}${token} --body '${IPX_NF_BODY}'`
          : `             ${consumerCli}${agreedOn === 'PRINS' ? token : ''}`),
    );
    if (agreedOn === 'PRINS') {
      const admin = (child: SeppChild): string => dialAddress(child.listener('admin')!.address, child.listener('admin')!.port);
      say(
        `             the N32-f contexts: curl -s http://${admin(initiator)}/admin/contexts  (initiator)  curl -s http://${admin(responder)}/admin/contexts  (responder)\n` +
          `             what each request had encrypted: grep '"PRINS request protected"' ${shown(initiator.logFile)}`,
      );
      if (relay) {
        say(
          `             the relay's key: curl -s http://${admin(relay)}/admin/sec-info   what it signed: grep '"${SIGNED_LINE}"' ${shown(relay.logFile)}\n` +
            `             what the SEPPs verified: grep -h 'modifications verified' ${shown(responder.logFile)} ${shown(initiator.logFile)}`,
        );
      }
    }
    // The status pages (GET / on each admin listener), live until Ctrl-C.
    const page = (child: SeppChild): string => `http://${dialAddress(child.listener('admin')!.address, child.listener('admin')!.port)}/`;
    say(
      `status page  ${page(responder)}  (responder)   ${page(initiator)}  (initiator)${relay ? `   ${page(relay)}  (IPX relay)` : ''}\n` +
        `             the JSON they poll: curl -s ${page(initiator)}admin/status   API docs: ${page(responder)}docs   metrics: ${page(responder)}metrics`,
    );
    const exitedEarly = (child: SeppChild): Promise<SeppChild> => child.exited.then(() => child);
    const gone = await untilInterrupted(Promise.race([exitedEarly(responder), exitedEarly(initiator), exitedEarly(nf), ...(relay ? [exitedEarly(relay)] : [])])).catch((error: unknown) => {
      if (error instanceof Interrupted) return null;
      throw error;
    });
    if (gone) {
      console.error(`demo: the ${gone.role} exited unexpectedly (log: ${shown(gone.logFile)})`);
      return EXIT.failed;
    }
    say('');
    return EXIT.ok;
  } catch (error) {
    if (error instanceof Interrupted) {
      say(`\ninterrupted (${error.message}) ${phase}`);
      return EXIT.interrupted;
    }
    console.error(`demo: ${(error as Error).message}`);
    return error instanceof StartupError ? EXIT.startup : EXIT.failed;
  } finally {
    const find = (role: string): SeppChild | undefined => started.find((c) => c.role === role);
    await stopAll(
      initiator ?? find('initiator'),
      responder ?? find('responder'),
      nf ?? started.find((c) => !['initiator', 'responder', 'ipx'].includes(c.role)),
      initiatorFqdn,
      relay ?? find('ipx'),
    );
    const logs = started.map((child) => shown(child.logFile));
    if (logs.length > 0) say(`logs         ${logs.join('  ')}`);
  }
}

if (require.main === module) exitWith(runDemo(process.argv.slice(2)));
