import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { N32fContext, newN32fContextId, protectionPolicy } from '@sepp/protocol';
import { AppProcess } from './support/app-process';
import { FQDN_A, FQDN_B } from './support/configs';
import { H2Client } from './support/h2-client';
import { REPO_ROOT } from './support/paths';
import { freePort } from './support/ports';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

/**
 * docker-compose.yml, checked as a file and then run WITHOUT Docker: every service's own
 * `command` and `environment`, on this host, in `depends_on` order. Only what a shared host
 * forces is changed: volume mount targets (/certs) become temporary folders, listeners move to
 * 127.0.0.1 with free ports, peer addresses and URLs that name a compose alias reach that
 * service here, and the responder resolves udm1's alias through `sbi.hosts` (compose DNS there)
 * in a copy of its file whose allowedTargets entry names the port udm1 got.
 * The PRINS variant (docker-compose.prins.yml over docker-compose.yml) is merged the way compose
 * merges an override file, checked, and run the same way.
 */
jest.setTimeout(60_000);

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const PRINS_FILE = join(REPO_ROOT, 'docker-compose.prins.yml');
const SEPPS = ['responder', 'initiator'] as const;
const NFS = ['udm1', 'consumer'] as const;
const UDM1_FQDN = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
const NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';

interface Volume {
  type: string;
  source?: string;
  target: string;
  read_only: boolean;
}
interface Service {
  image?: string;
  build?: { context?: string; dockerfile?: string } | string;
  command?: string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | Partial<Volume>)[];
  networks?: Record<string, { aliases?: string[] } | null> | string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
  secrets?: unknown;
  restart?: string;
  profiles?: string[];
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
  secrets?: unknown;
}
interface SeppFile {
  sepp: { fqdn: string };
  tls: { cert: string; key: string; ca: string[] };
  n32: { listen?: { host: string; port: number }; peers: { fqdn: string; address?: string; intermediaries?: string }[]; [key: string]: unknown };
  admin: { listen: { host: string; port: number } };
  sbi?: { listen?: { host: string; port: number }; allowedTargets?: string[]; hosts?: Record<string, string> };
  n32f?: { connection?: string };
  prins?: Record<string, unknown>;
  logging?: { level?: string };
}


function volumesOf(svc: Service): Volume[] {
  return (svc.volumes ?? []).map((entry) => {
    if (typeof entry !== 'string') return { type: entry.type ?? 'volume', source: entry.source, target: entry.target!, read_only: entry.read_only === true };
    const [source, target, mode] = entry.split(':');
    const bind = source!.startsWith('.') || source!.startsWith('/');
    return { type: bind ? 'bind' : 'volume', source, target: target!, read_only: (mode ?? '').split(',').includes('ro') };
  });
}

function environmentOf(svc: Service): Record<string, string> {
  const env = svc.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((item) => [item.split('=')[0]!, item.split('=').slice(1).join('=')]));
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** The service's aliases on every network (or on `network` only). */
function aliasesOf(svc: Service, network?: string): string[] {
  if (!svc.networks || Array.isArray(svc.networks)) return [];
  return Object.entries(svc.networks)
    .filter(([name]) => network === undefined || name === network)
    .flatMap(([, entry]) => entry?.aliases ?? []);
}

function networksOf(svc: Service): string[] {
  if (!svc.networks) return [];
  return Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
}

/** The value after `--flag` in a command. */
function argOf(command: string[] | undefined, flag: string): string {
  const at = (command ?? []).indexOf(flag);
  if (at < 0 || at + 1 >= command!.length) throw new Error(`no ${flag} in ${JSON.stringify(command)}`);
  return command![at + 1]!;
}

function dependsOn(svc: Service): Record<string, string | undefined> {
  const deps = svc.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, dep]) => [name, dep?.condition]));
}

/** `--config FILE` of a SEPP command; the image's WORKDIR (/app) is the repository root here. */
function configPathOf(svc: Service): string {
  const args = svc.command ?? [];
  return resolve(REPO_ROOT, args[args.indexOf('--config') + 1]!);
}

const isMap = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `docker compose -f base -f override`: per service, `command` (and any other sequence or scalar)
 * is replaced and mappings (`environment`, `networks`, `depends_on`, `healthcheck`) are merged key
 * by key. (Compose merges a few sequences by key, e.g. `volumes` by target; the override has none.)
 */
function mergeCompose(base: Compose, override: Partial<Compose>): Compose {
  const services: Record<string, Service> = { ...base.services };
  for (const [name, extra] of Object.entries(override.services ?? {})) {
    const merged: Record<string, unknown> = { ...(base.services[name] ?? {}) };
    for (const [key, value] of Object.entries(extra)) merged[key] = isMap(merged[key]) && isMap(value) ? { ...merged[key], ...value } : value;
    services[name] = merged;
  }
  return { ...base, ...override, services, volumes: { ...base.volumes, ...override.volumes }, networks: { ...base.networks, ...override.networks } };
}

/** One compose model (a file, or files merged) and the helpers that read it. */
function composeModel(model: Compose) {
  const service = (name: string): Service => model.services[name]!;
  return {
    compose: model,
    service,
    /** The SEPP configuration file a service's command names. */
    seppFile: (name: string): SeppFile => parse(readFileSync(configPathOf(service(name)), 'utf8')) as SeppFile,
    /** The services attached to `network`. */
    membersOf: (network: string): string[] => Object.keys(model.services).filter((name) => networksOf(service(name)).includes(network)).sort(),
  };
}
type ComposeModel = ReturnType<typeof composeModel>;

const baseModel = composeModel(parse(readFileSync(COMPOSE_FILE, 'utf8')) as Compose);
const { compose, service, seppFile, membersOf } = baseModel;
const prinsOverride = parse(readFileSync(PRINS_FILE, 'utf8')) as Partial<Compose>;
const prinsModel = composeModel(mergeCompose(compose, prinsOverride));

function healthcheckCommand(svc: Service): string[] {
  const test = svc.healthcheck?.test;
  if (!Array.isArray(test) || test[0] !== 'CMD') throw new Error('healthcheck.test must be an exec-form ["CMD", ...] array');
  return test.slice(1);
}

/** Where the `docker compose` CLI is, if anywhere: docker-compose v1 first, then the v2 plugin. */
function composeCli(): string[] | null {
  for (const cli of [['docker-compose'], ['docker', 'compose']]) {
    const probe = spawnSync(cli[0]!, [...cli.slice(1), 'version'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0) return cli;
  }
  return null;
}

describe('docker-compose.yml (structure)', () => {
  it('has the certs job, the two SEPPs and the two demo NFs, all from one image built by infra/Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['certs', 'consumer', 'initiator', 'responder', 'udm1']);
    const images = new Set(Object.values(compose.services).map((svc) => svc.image));
    expect(images.size).toBe(1);
    for (const svc of Object.values(compose.services)) {
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      expect(build).toBeDefined();
      expect(resolve(REPO_ROOT, build!.context ?? '.', build!.dockerfile ?? 'Dockerfile')).toBe(join(REPO_ROOT, 'infra/Dockerfile'));
    }
  });

  it('runs the certificate generator into a named volume, and each SEPP from a config file in the image', () => {
    const certs = service('certs');
    expect(certs.command?.slice(0, 2)).toEqual(['node', 'infra/dist/certs-cli.js']);
    const out = certs.command![certs.command!.indexOf('--out') + 1];
    const [volume] = volumesOf(certs);
    expect(volume).toMatchObject({ type: 'volume', target: out, read_only: false });
    expect(compose.volumes).toHaveProperty(volume!.source!);

    const dockerfile = readFileSync(join(REPO_ROOT, 'infra/Dockerfile'), 'utf8');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const role of SEPPS) {
      const svc = service(role);
      expect(svc.command).toEqual(['node', `apps/${role}/dist/main.js`, '--config', expect.stringMatching(/^infra\/compose\/.+\.ya?ml$/)]);
      expect(existsSync(configPathOf(svc))).toBe(true);
      // The file must be in the runtime image: some COPY of that stage brings its folder in.
      const copied = [...runtimeStage.matchAll(/^COPY\s+(?!--from)(\S+)\s+\S+\s*$/gm)].map((m) => m[1]!);
      expect(copied.some((source) => svc.command![3]!.startsWith(`${source.replace(/\/$/, '')}/`))).toBe(true);
    }
  });

  it('starts the SEPPs after the certs job succeeded, the initiator only once the responder is healthy, the consumer last', () => {
    expect(dependsOn(service('responder'))).toEqual({ certs: 'service_completed_successfully' });
    expect(dependsOn(service('initiator'))).toEqual({ certs: 'service_completed_successfully', responder: 'service_healthy' });
    expect(dependsOn(service('udm1'))).toEqual({});
    expect(dependsOn(service('consumer'))).toEqual({ initiator: 'service_healthy', udm1: 'service_healthy' });
    // The consumer is a one-shot job that `docker compose up` runs (no profile to enable).
    expect(service('consumer')).toMatchObject({ restart: 'no' });
    for (const svc of Object.values(compose.services)) expect(svc.profiles).toBeUndefined();
  });

  it('puts the SEPPs on a user-defined network under their SEPP FQDNs, and the initiator dials that FQDN', () => {
    const responder = seppFile('responder');
    const initiator = seppFile('initiator');
    expect(responder.sepp.fqdn).toBe(FQDN_A);
    expect(initiator.sepp.fqdn).toBe(FQDN_B);
    for (const role of SEPPS) {
      const networks = service(role).networks;
      expect(networks && !Array.isArray(networks) && Object.keys(networks).every((name) => name in (compose.networks ?? {}))).toBe(true);
      expect([...new Set(aliasesOf(service(role)))]).toEqual([seppFile(role).sepp.fqdn]);
      expect(service(role)).not.toHaveProperty('network_mode');
    }
    // The N32 network joins the two SEPPs and nothing else.
    const n32 = networksOf(service('responder')).filter((name) => networksOf(service('initiator')).includes(name));
    expect(n32).toHaveLength(1);
    expect(membersOf(n32[0]!)).toEqual(['initiator', 'responder']);
    expect(aliasesOf(service('responder'), n32[0])).toEqual([FQDN_A]);
    expect(responder.n32.listen).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(initiator.n32.peers).toEqual([expect.objectContaining({ fqdn: FQDN_A, address: `${FQDN_A}:${responder.n32.listen!.port}` })]);
    expect(responder.n32.peers.map((peer) => peer.fqdn)).toEqual([FQDN_B]);
  });

  it("keeps each PLMN's NFs on an internal network shared with its own SEPP only: udm1 is reachable through the SEPPs alone", () => {
    const [plmn001, ...more001] = networksOf(service('udm1'));
    const [plmn002, ...more002] = networksOf(service('consumer'));
    expect({ more001, more002 }).toEqual({ more001: [], more002: [] });
    expect(membersOf(plmn001!)).toEqual(['responder', 'udm1']);
    expect(membersOf(plmn002!)).toEqual(['consumer', 'initiator']);
    expect(aliasesOf(service('udm1'))).toEqual([UDM1_FQDN]);
    expect(aliasesOf(service('initiator'), plmn002)).toEqual([FQDN_B]);
    expect(networksOf(service('consumer')).filter((name) => networksOf(service('udm1')).includes(name))).toEqual([]);
  });

  it('runs the demo NFs from the same image: udm1 on :8081, and a consumer that asks it through the initiator', () => {
    expect(service('udm1').command).toEqual(['node', 'infra/dist/nf/producer-cli.js', '--host', '0.0.0.0', '--port', '8081', '--name', 'udm1']);
    const consumer = service('consumer').command!;
    expect(consumer.slice(0, 2)).toEqual(['node', 'infra/dist/nf/consumer-cli.js']);
    expect(argOf(consumer, '--path')).toBe(NF_PATH);

    // --sepp: the initiator's NF-facing listener, by the initiator's alias on the consumer's network.
    const initiator = seppFile('initiator');
    expect(initiator.sbi?.listen).toEqual({ host: '0.0.0.0', port: 7777 });
    expect(initiator.n32f?.connection ?? 'shared').toBe('shared');
    const sepp = new URL(argOf(consumer, '--sepp'));
    expect(sepp.protocol).toBe('http:');
    expect(aliasesOf(service('initiator'), networksOf(service('consumer'))[0])).toContain(sepp.hostname);
    expect(Number(sepp.port)).toBe(initiator.sbi!.listen!.port);

    // --target: udm1 by its alias on the responder's side, exactly what the responder allows
    // (compose DNS resolves it there: no sbi.hosts).
    const target = argOf(consumer, '--target');
    const responder = seppFile('responder');
    expect(responder.sbi?.allowedTargets).toEqual([target]);
    expect(responder.sbi?.hosts).toBeUndefined();
    const url = new URL(target);
    expect(url.hostname).toBe(UDM1_FQDN);
    expect(Number(url.port)).toBe(Number(argOf(service('udm1').command, '--port')));
    expect(networksOf(service('responder'))).toContain(networksOf(service('udm1'))[0]);
    for (const name of NFS) expect(volumesOf(service(name))).toEqual([]);
  });

  it('checks readiness with node on each admin listener, which stays on the container loopback, and udm1 over h2c', () => {
    for (const role of SEPPS) {
      const admin = seppFile(role).admin.listen;
      expect(admin.host).toBe('127.0.0.1');
      const [bin, ...args] = healthcheckCommand(service(role));
      expect(bin).toBe('node');
      expect(args.join(' ')).toContain(`http://127.0.0.1:${admin.port}/readyz`);
    }
    const [bin, ...args] = healthcheckCommand(service('udm1'));
    expect(bin).toBe('node');
    expect(args.join(' ')).toContain(`connect('http://127.0.0.1:${argOf(service('udm1').command, '--port')}')`);
    expect(service('consumer').healthcheck).toBeUndefined();
  });

  it('mounts the certificates read-only into the SEPPs and bakes no secret in', () => {
    const certsVolume = volumesOf(service('certs'))[0]!;
    for (const role of SEPPS) {
      expect(volumesOf(service(role))).toEqual([{ type: 'volume', source: certsVolume.source, target: certsVolume.target, read_only: true }]);
      const tls = seppFile(role).tls;
      for (const file of [tls.cert, tls.key, ...tls.ca]) expect(file.startsWith(`${certsVolume.target}/`)).toBe(true);
    }
    expect(compose.secrets).toBeUndefined();
    for (const svc of Object.values(compose.services)) {
      expect(svc.secrets).toBeUndefined();
      expect(volumesOf(svc).filter((volume) => volume.type === 'bind')).toEqual([]);
      for (const value of Object.values(environmentOf(svc))) expect(value).not.toMatch(/BEGIN|PRIVATE|\.key$/);
    }
    // The image gets manifests, sources and build output only: no whole-context copy, no keys.
    const dockerfile = readFileSync(join(REPO_ROOT, 'infra/Dockerfile'), 'utf8');
    const sources = [...dockerfile.matchAll(/^(?:COPY|ADD)\s+(?!--from)(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source).not.toMatch(/^\.\/?$|certs|\.key$|\.pem$|\*/);
    expect(dockerfile).toMatch(/^USER (?!root)\S+/m);
  });
});

describe('docker-compose.prins.yml (structure of the PRINS variant)', () => {
  const prinsFile = prinsModel.seppFile;

  it('documents its command at the top and overrides only the SEPPs: their command (a file of infra/compose/prins) and log level', () => {
    const text = readFileSync(PRINS_FILE, 'utf8');
    expect(text.split('\n').slice(0, 8).join('\n')).toContain('docker compose -f docker-compose.yml -f docker-compose.prins.yml up');
    expect(readFileSync(COMPOSE_FILE, 'utf8').split('\n').slice(0, 30).join('\n')).toContain('-f docker-compose.prins.yml');
    expect(Object.keys(prinsOverride)).toEqual(['services']);
    expect(Object.keys(prinsOverride.services ?? {}).sort()).toEqual([...SEPPS].sort());
    const dockerfile = readFileSync(join(REPO_ROOT, 'infra/Dockerfile'), 'utf8');
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const copied = [...runtimeStage.matchAll(/^COPY\s+(?!--from)(\S+)\s+\S+\s*$/gm)].map((m) => m[1]!);
    for (const role of SEPPS) {
      expect(Object.keys(prinsOverride.services![role]!).sort()).toEqual(['command', 'environment']);
      const command = prinsModel.service(role).command!;
      expect(command).toEqual(['node', `apps/${role}/dist/main.js`, '--config', expect.stringMatching(/^infra\/compose\/prins\/.+\.ya?ml$/)]);
      expect(existsSync(configPathOf(prinsModel.service(role)))).toBe(true);
      // In the runtime image: some COPY of that stage brings its folder in.
      expect(copied.some((source) => command[3]!.startsWith(`${source.replace(/\/$/, '')}/`))).toBe(true);
      // Merged like compose does: the base environment, the log level at debug (the PRINS lines).
      expect(environmentOf(prinsModel.service(role))).toEqual({ ...environmentOf(service(role)), SEPP_LOG_LEVEL: 'debug' });
      // Everything else of the service as in docker-compose.yml.
      const { command: _c1, environment: _e1, ...rest } = prinsModel.service(role);
      const { command: _c2, environment: _e2, ...baseRest } = service(role);
      expect(rest).toEqual(baseRest);
    }
    for (const name of Object.keys(compose.services).filter((n) => !(SEPPS as readonly string[]).includes(n))) expect(prinsModel.service(name)).toEqual(service(name));
  });

  it("selects PRINS: intermediaries: modifying on both sides, and the responder's peer address is the initiator's own N32 listener by its n32-network alias", () => {
    const responder = prinsFile('responder');
    const initiator = prinsFile('initiator');
    for (const file of [responder, initiator]) expect(file.n32.peers.map((peer) => peer.intermediaries)).toEqual(['modifying']);
    expect(initiator.n32.listen).toEqual({ host: '0.0.0.0', port: 8443 });
    const n32 = networksOf(service('responder')).filter((name) => networksOf(service('initiator')).includes(name));
    expect(n32).toHaveLength(1);
    expect(aliasesOf(service('initiator'), n32[0])).toEqual([FQDN_B]);
    expect(responder.n32.peers).toEqual([expect.objectContaining({ fqdn: FQDN_B, address: `${FQDN_B}:${initiator.n32.listen!.port}` })]);
    expect(initiator.n32.peers).toEqual([expect.objectContaining({ fqdn: FQDN_A, address: `${FQDN_A}:${responder.n32.listen!.port}` })]);
  });

  it('differs from the TLS files in nothing else than the PRINS settings', () => {
    const comparable = (file: SeppFile, role: string): unknown => ({
      ...file,
      n32: { ...file.n32, listen: role === 'initiator' ? undefined : file.n32.listen, peers: file.n32.peers.map(({ intermediaries: _i, address: _a, ...peer }) => peer) },
      prins: undefined,
    });
    for (const role of SEPPS) expect(comparable(prinsFile(role), role)).toEqual(comparable(seppFile(role), role));
  });
});

// --- running the compose commands on this host ---

function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10_000): Promise<{ code: number | null; output: string; stdout: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, args, { cwd: REPO_ROOT, env, timeout: timeoutMs }, (_error, stdout, stderr) =>
      done({ code: child.exitCode, output: `${stdout}${stderr}`, stdout }),
    );
  });
}

/** What a compose model's SEPPs agree on, and what that changes in what the run checks. */
interface RunExpectations {
  state: 'tls-established' | 'prins-established';
  mechanism: 'TLS' | 'PRINS';
  selectionReason: string;
  /** The initiator's listeners (PRINS: its own N32 listener too). */
  initiatorListeners: string[];
}

const TLS_RUN: RunExpectations = { state: 'tls-established', mechanism: 'TLS', selectionReason: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES', initiatorListeners: ['admin', 'sbi'] };
const PRINS_RUN: RunExpectations = { state: 'prins-established', mechanism: 'PRINS', selectionReason: 'PRINS_REQUIRED_BY_INTERMEDIARIES', initiatorListeners: ['admin', 'n32', 'sbi'] };

interface ContextView {
  peer: string;
  role: string;
  localContextId: string;
  remoteContextId: string;
  enc: string;
  messagesSent: number;
  keyCheck: string;
}

/** The compose model's services run on this host, one test per service in `depends_on` order. */
function describeRun(title: string, model: ComposeModel, expected: RunExpectations): void {
  describe(title, () => {
    const { compose, service, seppFile } = model;
    const volumeDirs = new Map<string, string>();
    const running = new Map<string, AppProcess>();
    const scratch = mkdtempSync(join(tmpdir(), 'sepp-compose-run-'));
    const sepp = (name: string): SeppProcess => running.get(name) as SeppProcess;
    /**
     * The N32 port here of every SEPP with `n32.listen`, chosen before anything starts: compose
     * DNS resolves a peer's alias whenever it is dialled, so a SEPP may name a peer that starts
     * after it (PRINS: the responder's address for the initiator's own N32 listener).
     */
    const n32Ports = new Map<string, number>();

    /** Container path -> host path, through this service's volume mounts. */
    const hostPath = (svc: Service, file: string): string => {
      for (const volume of volumesOf(svc)) {
        if (file === volume.target || file.startsWith(`${volume.target}/`)) return join(volumeDirs.get(volume.source!)!, file.slice(volume.target.length));
      }
      return file;
    };
    /** The service that answers to `host` in compose (its name or an alias). */
    const serviceNamed = (host: string): string | undefined =>
      Object.keys(compose.services).find((other) => other === host || aliasesOf(service(other)).includes(host));
    /** The port here of what a running service listens on at `port` in compose. */
    const portHere = (name: string, port: number): number => {
      const proc = running.get(name);
      if (!proc) throw new Error(`${name} is not running`);
      if (name === 'udm1') {
        expect(Number(argOf(service(name).command, '--port'))).toBe(port);
        return proc.port('nf');
      }
      const file = seppFile(name);
      const listener = (['n32', 'sbi', 'admin'] as const).find((key) => (key === 'n32' ? file.n32.listen : key === 'sbi' ? file.sbi?.listen : file.admin.listen)?.port === port);
      if (!listener) throw new Error(`${name} listens on no port ${port}`);
      return proc.port(listener);
    };
    /** A compose URL (`http://<alias>:<port>`) as this host reaches it: 127.0.0.1 or, with keepName, the alias; the port it got here. */
    const urlHere = (value: string, keepName = false): string => {
      const url = new URL(value);
      const name = serviceNamed(url.hostname);
      if (!name) throw new Error(`${value} names no compose service`);
      return `${url.protocol}//${keepName ? url.hostname : '127.0.0.1'}:${portHere(name, Number(url.port))}${url.pathname.replace(/\/$/, '')}`;
    };
    /**
     * The configuration file a SEPP runs on here: its own, or, where `sbi.allowedTargets` names a
     * compose service, a copy with the port that service got here and its alias in `sbi.hosts`
     * (what compose DNS does in the containers). Nothing else differs.
     */
    const configHere = (name: string): string => {
      const file = seppFile(name);
      const targets = file.sbi?.allowedTargets ?? [];
      if (!targets.some((target) => serviceNamed(new URL(target).hostname))) return configPathOf(service(name));
      const hosts: Record<string, string> = { ...file.sbi?.hosts };
      for (const target of targets) if (serviceNamed(new URL(target).hostname)) hosts[new URL(target).hostname] = '127.0.0.1';
      const copy = join(scratch, `${name}.yaml`);
      writeFileSync(copy, stringify({ ...file, sbi: { ...file.sbi, allowedTargets: targets.map((target) => (serviceNamed(new URL(target).hostname) ? urlHere(target, true) : target)), hosts } }));
      return copy;
    };
    /** The compose environment plus what one shared host needs: own ports, mapped certificate paths, peers by alias. */
    const hostEnv = (name: string): NodeJS.ProcessEnv => {
      const svc = service(name);
      const file = seppFile(name);
      const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], ...environmentOf(svc), SEPP_ADMIN_LISTEN_PORT: '0' };
      if (file.n32.listen) Object.assign(env, { SEPP_N32_LISTEN_HOST: '127.0.0.1', SEPP_N32_LISTEN_PORT: String(n32Ports.get(name)) });
      if (file.sbi?.listen) Object.assign(env, { SEPP_SBI_LISTEN_HOST: '127.0.0.1', SEPP_SBI_LISTEN_PORT: '0' });
      const inContainer = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(configPathOf(svc)), p));
      Object.assign(env, {
        SEPP_TLS_CERT: hostPath(svc, inContainer(file.tls.cert)),
        SEPP_TLS_KEY: hostPath(svc, inContainer(file.tls.key)),
        SEPP_TLS_CA: file.tls.ca.map((ca) => hostPath(svc, inContainer(ca))).join(','),
      });
      file.n32.peers.forEach((peer, index) => {
        const host = peer.address?.slice(0, peer.address.lastIndexOf(':'));
        const target = serviceNamed(host ?? '');
        if (target) {
          // The peer's N32 port in compose must be the one its file listens on.
          expect(Number(peer.address!.slice(peer.address!.lastIndexOf(':') + 1))).toBe(seppFile(target).n32.listen?.port);
          env[`SEPP_N32_PEERS_${index}_ADDRESS`] = `127.0.0.1:${n32Ports.get(target)}`;
        }
      });
      return env;
    };
    /** A SEPP service's own command (`node ...`) with the host environment, from the repository root (the image's WORKDIR). */
    const start = (name: string): SeppProcess => {
      const [bin, ...args] = service(name).command!;
      expect(bin).toBe('node');
      const config = configHere(name);
      const proc = new SeppProcess(name, args.map((arg, i) => (args[i - 1] === '--config' ? config : arg)), { cwd: REPO_ROOT, env: hostEnv(name) });
      running.set(name, proc);
      return proc;
    };
    /** The service's healthcheck command, aimed at the port this run got instead of `configured` (compose: service_healthy). */
    const healthcheck = (name: string, configured: number, actual: number): Promise<{ code: number | null; output: string }> => {
      const [, ...args] = healthcheckCommand(service(name));
      const mark = `127.0.0.1:${configured}`;
      expect(args.some((arg) => arg.includes(mark))).toBe(true);
      return runNode(
        args.map((arg) => arg.split(mark).join(`127.0.0.1:${actual}`)),
        { PATH: process.env['PATH'] },
      );
    };
    const adminHealthcheck = (name: string, adminPort: number): Promise<{ code: number | null; output: string }> =>
      healthcheck(name, seppFile(name).admin.listen.port, adminPort);
    const becomesHealthy = (name: string): Promise<boolean> =>
      waitFor(`${name} healthcheck to pass`, async () => (await adminHealthcheck(name, sepp(name).port('admin'))).code === 0, 20_000, 200);

    beforeAll(async () => {
      for (const name of Object.keys(compose.volumes ?? {})) volumeDirs.set(name, mkdtempSync(join(tmpdir(), `sepp-compose-${name}-`)));
      for (const name of SEPPS) if (seppFile(name).n32.listen) n32Ports.set(name, await freePort());
    });

    afterAll(async () => {
      for (const name of ['initiator', 'responder', 'udm1']) await running.get(name)?.stop();
      for (const dir of [...volumeDirs.values(), scratch]) rmSync(dir, { recursive: true, force: true });
    });

    it('certs: the generator command fills the certs volume and exits 0', async () => {
      const certs = service('certs');
      const [bin, ...args] = certs.command!;
      expect(bin).toBe('node');
      const result = await runNode(
        args.map((arg) => hostPath(certs, arg)),
        { PATH: process.env['PATH'], ...environmentOf(certs) },
      );
      expect(result).toMatchObject({ code: 0 });
      for (const role of SEPPS) {
        const { tls } = seppFile(role);
        for (const file of [tls.cert, tls.key, ...tls.ca]) expect(existsSync(hostPath(service(role), file))).toBe(true);
      }
    });

    it('udm1: the producer command listens (on 127.0.0.1 and a free port here) and its h2c healthcheck passes', async () => {
      const [bin, ...args] = service('udm1').command!;
      expect(bin).toBe('node');
      const here = args.map((arg, i) => (args[i - 1] === '--host' ? '127.0.0.1' : args[i - 1] === '--port' ? '0' : arg));
      const udm1 = new AppProcess('udm1', here, { env: environmentOf(service('udm1')) });
      running.set('udm1', udm1);
      const listening = await udm1.waitForLog('listening', (line) => line.msg === 'listening' && line['listener'] === 'nf');
      expect(listening).toMatchObject({ address: '127.0.0.1', protocol: 'h2c' });
      const configured = Number(argOf(service('udm1').command, '--port'));
      expect((await healthcheck('udm1', configured, udm1.port('nf'))).code).toBe(0);
      // Not vacuous: nothing listening -> non-zero.
      expect((await healthcheck('udm1', configured, await freePort())).code).not.toBe(0);
    });

    it('responder: loads its compose config, listens, and its healthcheck passes once ready', async () => {
      const responder = start('responder');
      await responder.ready(20_000);
      // Its own file, but for udm1's port here and the name compose DNS would resolve.
      const copy = parse(readFileSync(configHere('responder'), 'utf8')) as SeppFile;
      const { sbi: ownSbi, ...own } = seppFile('responder');
      const { sbi, ...rest } = copy;
      expect(rest).toEqual(own);
      expect(sbi).toEqual({ ...ownSbi, allowedTargets: [`http://${UDM1_FQDN}:${running.get('udm1')!.port('nf')}`], hosts: { [UDM1_FQDN]: '127.0.0.1' } });
      expect(responder.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file: configHere('responder'), fqdn: FQDN_A });
      expect(await becomesHealthy('responder')).toBe(true);
      // And the healthcheck is not vacuous: nothing listening -> non-zero.
      expect((await adminHealthcheck('responder', await freePort())).code).not.toBe(0);
    });

    it(`initiator: starts after the responder is healthy, passes its healthcheck, and both reach ${expected.state}`, async () => {
      const initiator = start('initiator');
      await initiator.ready(20_000);
      expect(initiator.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file: configPathOf(service('initiator')), fqdn: FQDN_B });
      expect(initiator.listening.map((l) => l['listener']).sort()).toEqual(expected.initiatorListeners);
      expect(await becomesHealthy('initiator')).toBe(true);

      const responder = sepp('responder');
      const atInitiator = await initiator.waitForPeerState(FQDN_A, expected.state);
      const atResponder = await responder.waitForPeerState(FQDN_B, expected.state);
      expect(atInitiator.mechanism).toBe(expected.mechanism);
      expect(atResponder).toMatchObject({ mechanism: expected.mechanism, negotiation: expect.objectContaining({ selectionReason: expected.selectionReason }) });
      // What `docker compose up` shows: the JSON 'peer state' lines of both sides.
      for (const [proc, peer] of [[initiator, FQDN_A], [responder, FQDN_B]] as const) {
        expect(proc.lines).toContainEqual(expect.objectContaining({ msg: 'peer state', peer, to: expected.state, mechanism: expected.mechanism }));
      }
      if (expected.mechanism === 'PRINS') {
        // One N32-f context on each side, naming each other, with the same keys.
        const [[mine], [theirs]] = await Promise.all([contextsOf(initiator, FQDN_A), contextsOf(responder, FQDN_B)]);
        expect(mine).toMatchObject({ role: 'initiator', remoteContextId: theirs!.localContextId, enc: theirs!.enc, keyCheck: theirs!.keyCheck, messagesSent: 0 });
        expect(theirs).toMatchObject({ role: 'responder', remoteContextId: mine!.localContextId, messagesSent: 0 });
      }
    });

    it("consumer: its command gets udm1's answer (200, servedBy udm1) through the initiator, N32 and the responder", async () => {
      const [bin, ...args] = service('consumer').command!;
      expect(bin).toBe('node');
      // --sepp reaches the initiator here; --target keeps udm1's name (the responder resolves it), with udm1's port here.
      const here = args.map((arg, i) => (args[i - 1] === '--sepp' ? urlHere(arg) : args[i - 1] === '--target' ? urlHere(arg, true) : arg));
      const result = await runNode(here, { PATH: process.env['PATH'], ...environmentOf(service('consumer')) }, 20_000);
      expect({ code: result.code, status: result.stdout.split('\n')[0] }).toEqual({ code: 0, status: expect.stringMatching(/^HTTP\/2 2\d\d$/) as unknown });
      const body = JSON.parse(result.stdout.slice(result.stdout.indexOf('\n\n') + 2)) as Record<string, unknown>;
      expect(body).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });

      // It crossed N32 on the connection of the handshake (n32f.connection: shared): in PRINS mode
      // that connection also carried the parameter exchange.
      const view = await sepp('responder').admin<{ connections: { peer: string | null; listener: string; n32cRequests: number; n32fRequests: number }[] }>('/admin/connections');
      const fromInitiator = view.body.connections.filter((c) => c.peer === FQDN_B);
      expect(fromInitiator).toEqual([expect.objectContaining({ listener: 'n32', n32cRequests: expected.mechanism === 'PRINS' ? expect.any(Number) : 1, n32fRequests: 1 })]);
      if (expected.mechanism !== 'PRINS') return;
      expect(fromInitiator[0]!.n32cRequests).toBeGreaterThan(1);

      // PRINS: the request went protected (the override runs both SEPPs at debug): the initiator
      // moved the SUPI path into the JWE, the responder opened the same message.
      const sealed = await sepp('initiator').waitForLog('PRINS request protected', (l) => l.msg === 'PRINS request protected');
      expect(sealed).toMatchObject({ peer: FQDN_A, encrypted: expect.arrayContaining(['path']) });
      await sepp('responder').waitForLog('PRINS request verified', (l) => l.msg === 'PRINS request verified' && l['messageId'] === sealed['messageId']);
      const [[mine], [theirs]] = await Promise.all([contextsOf(sepp('initiator'), FQDN_A), contextsOf(sepp('responder'), FQDN_B)]);
      expect({ initiator: mine?.messagesSent, responder: theirs?.messagesSent }).toEqual({ initiator: 1, responder: 1 });
    });

    if (expected.mechanism === 'PRINS') {
      it("responder: reaches the initiator's own N32 listener at its peer address (an n32f-error over a second N32-c connection)", async () => {
        const initiator = sepp('initiator');
        const responder = sepp('responder');
        // A message that claims the responder's context but was sealed with keys nobody derived.
        const [theirs] = await contextsOf(responder, FQDN_B);
        const forged = new N32fContext({
          role: 'initiator',
          peer: FQDN_A,
          localContextId: newN32fContextId(),
          remoteContextId: theirs!.localContextId,
          master: randomBytes(64),
          enc: 'A128GCM',
          policy: protectionPolicy({}),
        }).protectRequest({ method: 'GET', scheme: 'http', authority: `${UDM1_FQDN}:8081`, path: NF_PATH, headers: [] });
        // Sent with the initiator's certificate (from the certs volume), as the initiator would.
        const { tls } = seppFile('initiator');
        const client = await H2Client.open(responder.port('n32'), FQDN_A, {
          cert: readFileSync(hostPath(service('initiator'), tls.cert)),
          key: readFileSync(hostPath(service('initiator'), tls.key)),
          ca: tls.ca.map((ca) => readFileSync(hostPath(service('initiator'), ca))),
        });
        const errorsBefore = initiator.lines.length;
        try {
          const answer = await client.postJson('/n32f-forward/v1/n32f-process', forged.body);
          expect(answer.status).toBe(403);
        } finally {
          client.close();
        }
        // The responder dials the peer address (the initiator's alias and n32.listen port in
        // compose, its port here) and reports; the initiator's N32 listener takes the report.
        const dialled = await responder.waitForLog('second N32-c connection up', (l) => l.msg === 'second N32-c connection up' && l['peer'] === FQDN_B);
        expect(dialled['dial']).toBe(`127.0.0.1:${initiator.port('n32')}`);
        const report = await initiator.waitForLog('N32-f error reported by the peer', (l) => l.msg === 'N32-f error reported by the peer', 15_000, errorsBefore);
        expect(report).toMatchObject({ peer: FQDN_A, n32fContextId: theirs!.remoteContextId });
        // Not a context loss (that would be CONTEXT_NOT_FOUND): the agreement stands.
        expect((await initiator.peer(FQDN_A))?.state).toBe('prins-established');
      });
    }
  });
}

/** GET /admin/contexts of a SEPP process, the contexts with `peer`. */
async function contextsOf(proc: SeppProcess, peer: string): Promise<ContextView[]> {
  return (await proc.admin<{ contexts: ContextView[] }>('/admin/contexts')).body.contexts.filter((c) => c.peer === peer);
}

describeRun('docker-compose.yml (its commands, run without Docker)', baseModel, TLS_RUN);
describeRun('docker-compose.yml + docker-compose.prins.yml (PRINS: its commands, run without Docker)', prinsModel, PRINS_RUN);


describe('docker-compose.yml (compose CLI)', () => {
  const cli = composeCli();
  const config = (files: string[], args: string[]): string => {
    const result = spawnSync(cli![0]!, [...cli!.slice(1), ...files.flatMap((file) => ['-f', file]), 'config', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) throw new Error(`${cli!.join(' ')} config ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  const titles = {
    base: 'docker-compose config -q accepts docker-compose.yml',
    prins: 'docker-compose -f docker-compose.yml -f docker-compose.prins.yml config -q accepts the PRINS variant',
    merged: 'docker-compose merges docker-compose.prins.yml over docker-compose.yml as the runs above assume',
  };
  if (cli) {
    it(`${titles.base} (${cli.join(' ')})`, () => {
      expect(config([COMPOSE_FILE], ['-q'])).toBe('');
    });
    it(`${titles.prins} (${cli.join(' ')})`, () => {
      expect(config([COMPOSE_FILE, PRINS_FILE], ['-q'])).toBe('');
    });
    it(`${titles.merged} (${cli.join(' ')})`, () => {
      const merged = parse(config([COMPOSE_FILE, PRINS_FILE], [])) as Compose;
      expect(Object.keys(merged.services).sort()).toEqual(Object.keys(prinsModel.compose.services).sort());
      for (const name of Object.keys(merged.services)) {
        expect({ name, command: merged.services[name]!.command, environment: environmentOf(merged.services[name]!) }).toEqual({
          name,
          command: prinsModel.service(name).command,
          environment: environmentOf(prinsModel.service(name)),
        });
      }
    });
  } else {
    for (const title of Object.values(titles)) {
      it.skip(`${title} — SKIPPED: neither "docker-compose" nor "docker compose" is installed (apt-get install -y docker-compose)`, () => undefined);
    }
  }
});
