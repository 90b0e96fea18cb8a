import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { randomBytes, X509Certificate } from 'node:crypto';
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
 * merges an override file, checked, and run the same way. So is the `ipx` profile (PRINS through the
 * IPX relay): its services are parsed and their commands run the same way, the relay (which reads
 * no environment) and the initiator (whose peer entry names the relay) on copies of their files
 * whose compose addresses and /certs paths are those of this host. A host name resolves the way
 * compose DNS resolves it for the service that dials: a service name, or an alias on a network the
 * two share (the profile uses the SEPP FQDNs as aliases on a network of its own).
 */
jest.setTimeout(60_000);

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const PRINS_FILE = join(REPO_ROOT, 'docker-compose.prins.yml');
const SEPPS = ['responder', 'initiator'] as const;
const NFS = ['udm1', 'consumer'] as const;
const UDM1_FQDN = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
const NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
/** The `ipx` profile: its services in the roles of the chain. */
const IPX_PROFILE = 'ipx';
const IPX_CHAIN = { responder: 'responder-ipx', relay: 'ipx', initiator: 'initiator-ipx', consumer: 'consumer-ipx' } as const;
const IPX_FQDN = 'ipx.roaming.example.org';
const PRIORITY = '3gpp-sbi-message-priority';
const SDM_SUBSCRIPTIONS = '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions';
/** The `ha` profile: two responder replicas sharing Redis behind HAProxy, an initiator. */
const HA_PROFILE = 'ha';
const HA = {
  key: 'state-key-ha',
  redis: 'redis-ha',
  replicas: ['responder-ha-1', 'responder-ha-2'],
  lb: 'lb-ha',
  initiator: 'initiator-ha',
  consumer: 'consumer-ha',
} as const;
const HA_SERVICES: string[] = [HA.key, HA.redis, ...HA.replicas, HA.lb, HA.initiator, HA.consumer];
const HA_THIRD_PARTY: Record<string, string> = { [HA.redis]: 'redis:7.2', [HA.lb]: 'haproxy:2.6' };

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
  n32: {
    listen?: { host: string; port: number };
    peers: { fqdn: string; address?: string; intermediaries?: string; ipx?: { fqdn: string; address?: string; signingKeys: string[] } }[];
    [key: string]: unknown;
  };
  admin: { listen: { host: string; port: number } };
  sbi?: { listen?: { host: string; port: number }; allowedTargets?: string[]; hosts?: Record<string, string> };
  n32f?: { connection?: string };
  prins?: Record<string, unknown>;
  logging?: { level?: string };
}


/** The IPX relay's file (apps/ipx/README.md). */
interface IpxFile {
  ipx: { fqdn: string; signingKey: string; certificate?: string };
  tls: { cert: string; key: string; ca: string[]; minVersion?: string };
  listen: { host: string; port: number };
  forward: { address: string; fqdn: string; timeoutMs?: number };
  rules?: { name?: string; apiPath?: string; direction: string; operations: { op: string; path: string; value?: unknown }[] }[];
  admin: { listen: { host: string; port: number } };
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

/** Whether `docker compose` starts the service with these profiles enabled (a service without profiles always). */
function activeWith(svc: Service, profiles: readonly string[]): boolean {
  return !svc.profiles || svc.profiles.some((profile) => profiles.includes(profile));
}

/** One compose model (a file, or files merged) and the helpers that read it. */
function composeModel(model: Compose) {
  const service = (name: string): Service => model.services[name]!;
  /** The services `docker compose` starts with these profiles enabled (default: none, as `docker compose up`). */
  const active = (profiles: readonly string[] = []): string[] => Object.keys(model.services).filter((name) => activeWith(service(name), profiles));
  return {
    compose: model,
    service,
    active,
    /** The SEPP configuration file a service's command names. */
    seppFile: (name: string): SeppFile => parse(readFileSync(configPathOf(service(name)), 'utf8')) as SeppFile,
    /** The IPX relay's configuration file its command names. */
    ipxFile: (name: string): IpxFile => parse(readFileSync(configPathOf(service(name)), 'utf8')) as IpxFile,
    /** The services attached to `network`, of those started with `profiles`. */
    membersOf: (network: string, profiles: readonly string[] = []): string[] => active(profiles).filter((name) => networksOf(service(name)).includes(network)).sort(),
  };
}
type ComposeModel = ReturnType<typeof composeModel>;

const baseModel = composeModel(parse(readFileSync(COMPOSE_FILE, 'utf8')) as Compose);
const { compose, service, seppFile, ipxFile, membersOf, active } = baseModel;
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
  it('has the certs job, the two SEPPs and the two demo NFs (and the ipx and ha profiles\' services), all from one image built by infra/Dockerfile but the ha profile\'s Redis and HAProxy', () => {
    expect(active().sort()).toEqual(['certs', 'consumer', 'initiator', 'responder', 'udm1']);
    expect(Object.keys(compose.services).filter((name) => !active().includes(name)).sort()).toEqual([...Object.values(IPX_CHAIN), ...HA_SERVICES].sort());
    const ours = Object.keys(compose.services).filter((name) => !(name in HA_THIRD_PARTY));
    const images = new Set(ours.map((name) => service(name).image));
    expect(images.size).toBe(1);
    for (const svc of ours.map(service)) {
      const build = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
      expect(build).toBeDefined();
      expect(resolve(REPO_ROOT, build!.context ?? '.', build!.dockerfile ?? 'Dockerfile')).toBe(join(REPO_ROOT, 'infra/Dockerfile'));
    }
    // Redis and HAProxy come as their official images (Debian based), built from nothing here.
    for (const [name, image] of Object.entries(HA_THIRD_PARTY)) expect({ name, image: service(name).image, build: service(name).build }).toEqual({ name, image, build: undefined });
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
    for (const name of ['certs', ...SEPPS, ...NFS]) expect(service(name).profiles).toBeUndefined();
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

  it('mounts the certificates read-only into the SEPPs (and the IPX relay) and bakes no secret in', () => {
    const certsVolume = volumesOf(service('certs'))[0]!;
    for (const role of [...SEPPS, IPX_CHAIN.responder, IPX_CHAIN.initiator, IPX_CHAIN.relay]) {
      expect(volumesOf(service(role))).toEqual([{ type: 'volume', source: certsVolume.source, target: certsVolume.target, read_only: true }]);
      const files =
        role === IPX_CHAIN.relay
          ? [ipxFile(role).tls.cert, ipxFile(role).tls.key, ...ipxFile(role).tls.ca, ipxFile(role).ipx.signingKey, ipxFile(role).ipx.certificate!]
          : [seppFile(role).tls.cert, seppFile(role).tls.key, ...seppFile(role).tls.ca, ...seppFile(role).n32.peers.flatMap((peer) => peer.ipx?.signingKeys ?? [])];
      for (const file of files) expect(file.startsWith(`${certsVolume.target}/`)).toBe(true);
    }
    for (const name of [IPX_CHAIN.consumer]) expect(volumesOf(service(name))).toEqual([]);
    expect(compose.secrets).toBeUndefined();
    for (const svc of Object.values(compose.services)) {
      expect(svc.secrets).toBeUndefined();
      // One bind mount in the whole file: the ha profile's haproxy.cfg, read-only (no secret).
      const binds = volumesOf(svc).filter((volume) => volume.type === 'bind');
      expect(binds).toEqual(svc === service(HA.lb) ? [{ type: 'bind', source: './infra/compose/ha/haproxy.cfg', target: '/usr/local/etc/haproxy/haproxy.cfg', read_only: true }] : []);
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

describe('docker-compose.yml profile ipx (structure: PRINS through the IPX relay)', () => {
  const { responder, relay, initiator, consumer } = IPX_CHAIN;
  const dockerfile = readFileSync(join(REPO_ROOT, 'infra/Dockerfile'), 'utf8');
  const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

  it('documents the profile at the top of docker-compose.yml, and puts its four services under profiles: [ipx] only', () => {
    const header = readFileSync(COMPOSE_FILE, 'utf8').split('\n').filter((line) => line.startsWith('#')).join('\n');
    expect(header).toContain('docker compose --profile ipx up --build');
    expect(header).toContain('docker compose --profile ipx up --build consumer-ipx');
    for (const name of Object.values(IPX_CHAIN)) {
      expect(header).toContain(name);
      expect(service(name).profiles).toEqual([IPX_PROFILE]);
    }
    expect(active([IPX_PROFILE]).sort()).toEqual(Object.keys(compose.services).filter((name) => !HA_SERVICES.includes(name)).sort());
  });

  it('runs the built apps from the image: the SEPPs and the relay on files of infra/compose/ipx, the relay built and shipped by infra/Dockerfile', () => {
    expect(service(responder).command).toEqual(['node', 'apps/responder/dist/main.js', '--config', 'infra/compose/ipx/responder.yaml']);
    expect(service(initiator).command).toEqual(['node', 'apps/initiator/dist/main.js', '--config', 'infra/compose/ipx/initiator.yaml']);
    expect(service(relay).command).toEqual(['node', 'apps/ipx/dist/main.js', '--config', 'infra/compose/ipx/ipx.yaml']);
    const copied = [...runtimeStage.matchAll(/^COPY\s+(?!--from)(\S+)\s+\S+\s*$/gm)].map((m) => m[1]!);
    for (const name of [responder, initiator, relay]) {
      expect(existsSync(configPathOf(service(name)))).toBe(true);
      expect(copied.some((source) => service(name).command![3]!.startsWith(`${source.replace(/\/$/, '')}/`))).toBe(true);
    }
    // apps/ipx: its manifest before the install, its sources before `pnpm build`, its dist into the runtime image.
    const buildStage = dockerfile.slice(0, dockerfile.lastIndexOf('\nFROM '));
    expect(buildStage).toMatch(/^COPY apps\/ipx\/package\.json apps\/ipx\/$/m);
    expect(buildStage).toMatch(/^COPY apps\/ipx\/tsconfig\.json apps\/ipx\/tsconfig\.build\.json apps\/ipx\/$/m);
    expect(buildStage).toMatch(/^COPY apps\/ipx\/src apps\/ipx\/src$/m);
    expect(buildStage.indexOf('COPY apps/ipx/package.json')).toBeLessThan(buildStage.indexOf('RUN pnpm install --frozen-lockfile\n'));
    expect(buildStage.indexOf('COPY apps/ipx/src')).toBeLessThan(buildStage.indexOf('RUN pnpm build'));
    expect(runtimeStage).toMatch(/^COPY --from=build \/app\/apps\/ipx\/dist apps\/ipx\/dist$/m);
    // Every workspace package the lockfile knows has its manifest in the image (pnpm install --frozen-lockfile).
    for (const dir of ['packages/protocol', 'packages/server', 'apps/responder', 'apps/initiator', 'apps/ipx', 'infra', 'infra/helm', 'examples/border-check', 'e2e']) {
      expect(dockerfile).toContain(`COPY ${dir}/package.json ${dir}/`);
    }
  });

  it('the certs job mints the relay\'s certificates too (certs-cli --ipx), which the relay and the SEPPs of the profile name', () => {
    const certs = service('certs').command!;
    expect(argOf(certs, '--ipx')).toBe(IPX_FQDN);
    const out = argOf(certs, '--out');
    const file = ipxFile(relay);
    expect(file.ipx).toEqual({ fqdn: IPX_FQDN, signingKey: `${out}/ipx/ipx-signing.key`, certificate: `${out}/ipx/ipx-signing.crt` });
    expect(file.tls).toMatchObject({ cert: `${out}/ipx/ipx.crt`, key: `${out}/ipx/ipx.key`, ca: [`${out}/ca.crt`] });
    // The SEPPs of the profile trust the relay's CA next to the PLMN roots (the base pair does not).
    for (const name of [responder, initiator]) expect(seppFile(name).tls.ca).toEqual([`${out}/ca.crt`, `${out}/ipx/ca.crt`]);
    for (const name of SEPPS) expect(seppFile(name).tls.ca).toEqual([`${out}/ca.crt`]);
  });

  it('starts in order: responder-ipx after the certs job, the relay once responder-ipx is healthy, initiator-ipx once both are, the consumer last', () => {
    expect(dependsOn(service(responder))).toEqual({ certs: 'service_completed_successfully' });
    expect(dependsOn(service(relay))).toEqual({ certs: 'service_completed_successfully', [responder]: 'service_healthy' });
    expect(dependsOn(service(initiator))).toEqual({ certs: 'service_completed_successfully', [responder]: 'service_healthy', [relay]: 'service_healthy' });
    expect(dependsOn(service(consumer))).toEqual({ [initiator]: 'service_healthy', udm1: 'service_healthy' });
    expect(service(consumer)).toMatchObject({ restart: 'no' });
    for (const name of [responder, relay, initiator]) {
      const [bin, ...args] = healthcheckCommand(service(name));
      const admin = name === relay ? ipxFile(name).admin.listen : seppFile(name).admin.listen;
      expect({ bin, host: admin.host }).toEqual({ bin: 'node', host: '127.0.0.1' });
      expect(args.join(' ')).toContain(`http://127.0.0.1:${admin.port}/readyz`);
    }
  });

  it('wires initiator-ipx -> ipx -> responder-ipx on a network of its own: N32-c to the responder, N32-f to the relay by its alias, the relay forwarding to the responder by its FQDN', () => {
    expect(membersOf('n32-ipx', [IPX_PROFILE])).toEqual([initiator, relay, responder].sort());
    expect(compose.networks).toHaveProperty('n32-ipx');
    expect(aliasesOf(service(responder), 'n32-ipx')).toEqual([FQDN_A]);
    expect(aliasesOf(service(initiator), 'n32-ipx')).toEqual([FQDN_B]);
    expect(aliasesOf(service(relay), 'n32-ipx')).toEqual([IPX_FQDN]);
    // The profile's SEPPs are not on the base pair's N32 network (the same FQDNs are aliases there).
    for (const name of [responder, initiator, relay]) expect(networksOf(service(name))).not.toContain('n32');
    const responderFile = seppFile(responder);
    const initiatorFile = seppFile(initiator);
    const relayFile = ipxFile(relay);
    expect(responderFile.sepp.fqdn).toBe(FQDN_A);
    expect(initiatorFile.sepp.fqdn).toBe(FQDN_B);
    for (const file of [responderFile, initiatorFile]) expect(file.n32.peers.map((peer) => peer.intermediaries)).toEqual(['modifying']);
    expect(initiatorFile.n32.peers).toEqual([
      expect.objectContaining({
        fqdn: FQDN_A,
        address: `${FQDN_A}:${responderFile.n32.listen!.port}`,
        ipx: { fqdn: IPX_FQDN, address: `${IPX_FQDN}:${relayFile.listen.port}`, signingKeys: [relayFile.ipx.certificate] },
      }),
    ]);
    expect(relayFile.listen).toEqual({ host: '0.0.0.0', port: 8543 });
    expect(relayFile.forward).toMatchObject({ address: `${FQDN_A}:${responderFile.n32.listen!.port}`, fqdn: FQDN_A });
    // The responder needs no entry for the relay (it learns it in exchange-params); its peer address is the initiator's N32 listener.
    expect(responderFile.n32.peers).toEqual([expect.objectContaining({ fqdn: FQDN_B, address: `${FQDN_B}:${initiatorFile.n32.listen!.port}` })]);
    expect(responderFile.n32.peers[0]).not.toHaveProperty('ipx');
  });

  it('a permitted, visible modification: the relay adds 3gpp-sbi-message-priority to requests and answers', () => {
    const rules = ipxFile(relay).rules ?? [];
    const adds = (direction: string): unknown => rules.find((rule) => rule.direction === direction && rule.apiPath === '/**')?.operations;
    expect(adds('request')).toEqual([{ op: 'add', path: '/headers/-', value: { header: PRIORITY, value: '5' } }]);
    expect(adds('response')).toEqual([{ op: 'add', path: '/headers/-', value: { header: PRIORITY, value: '7' } }]);
  });

  it('keeps udm1 behind responder-ipx and the consumer behind initiator-ipx (by service name: the base initiator holds the FQDN alias on plmn002)', () => {
    expect(membersOf('plmn001', [IPX_PROFILE])).toEqual(['responder', responder, 'udm1'].sort());
    expect(membersOf('plmn002', [IPX_PROFILE])).toEqual(['consumer', consumer, 'initiator', initiator].sort());
    expect(networksOf(service(consumer))).toEqual(['plmn002']);
    expect(aliasesOf(service(initiator), 'plmn002')).toEqual([]);
    const command = service(consumer).command!;
    expect(command.slice(0, 2)).toEqual(['node', 'infra/dist/nf/consumer-cli.js']);
    expect(new URL(argOf(command, '--sepp'))).toMatchObject({ protocol: 'http:', hostname: initiator, port: String(seppFile(initiator).sbi!.listen!.port) });
    expect(argOf(command, '--target')).toBe(seppFile(responder).sbi!.allowedTargets![0]);
    expect(seppFile(responder).sbi?.allowedTargets).toEqual(seppFile('responder').sbi?.allowedTargets);
    expect({ method: argOf(command, '--method'), path: argOf(command, '--path') }).toEqual({ method: 'POST', path: SDM_SUBSCRIPTIONS });
    // No priority header of its own: what udm1 gets is the relay's.
    expect(command.join(' ').toLowerCase()).not.toContain(PRIORITY);
    expect(JSON.parse(argOf(command, '--body'))).toMatchObject({ callbackReference: expect.any(String) });
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

/** The services a run starts, in their roles, and the profiles `docker compose` would enable for it. */
interface Chain {
  responder: string;
  initiator: string;
  consumer: string;
  /** The IPX relay between the initiator and the responder on N32-f (profile ipx). */
  relay?: string;
  profiles: string[];
}

const BASE_CHAIN: Chain = { responder: 'responder', initiator: 'initiator', consumer: 'consumer', profiles: [] };
const IPX_RUN_CHAIN: Chain = { ...IPX_CHAIN, profiles: [IPX_PROFILE] };

interface ContextView {
  peer: string;
  role: string;
  localContextId: string;
  remoteContextId: string;
  enc: string;
  messagesSent: number;
  keyCheck: string;
  intermediaries?: { authorizedIpxId: string | null; verified: string[] } | null;
}

interface ConnectionView {
  peer: string | null;
  listener: string;
  certificate: string[];
  n32cRequests: number;
  n32fRequests: number;
}

/** The compose model's services of `chain` run on this host, one test per service in `depends_on` order. */
function describeRun(title: string, model: ComposeModel, expected: RunExpectations, chain: Chain = BASE_CHAIN): void {
  describe(title, () => {
    const { compose, service, seppFile, ipxFile } = model;
    const { responder: responderName, initiator: initiatorName, consumer: consumerName, relay: relayName } = chain;
    const seppNames = [responderName, initiatorName];
    /** What `docker compose up` (with the chain's profiles) starts: the names compose DNS knows. */
    const started = model.active(chain.profiles);
    const volumeDirs = new Map<string, string>();
    const running = new Map<string, AppProcess>();
    const scratch = mkdtempSync(join(tmpdir(), 'sepp-compose-run-'));
    const sepp = (name: string): SeppProcess => running.get(name) as SeppProcess;
    /** The file each SEPP or the relay was started on here (its own, or a copy). */
    const configUsed = new Map<string, string>();
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
    /**
     * The service `host` names when `from` dials it, as compose DNS answers: a started service of
     * that name, or one with that alias on a network it shares with `from`. Two would be a
     * compose file that resolves a name to either (round robin): refused.
     */
    const serviceNamed = (host: string, from: string): string | undefined => {
      const mine = networksOf(service(from));
      const found = started.filter((other) => {
        if (other === from) return false;
        const shared = networksOf(service(other)).filter((network) => mine.includes(network));
        return shared.length > 0 && (other === host || shared.some((network) => aliasesOf(service(other), network).includes(host)));
      });
      if (found.length > 1) throw new Error(`${host} resolves to ${found.join(' and ')} for ${from}`);
      return found[0];
    };
    /** The port here of what a running service listens on at `port` in compose. */
    const portHere = (name: string, port: number): number => {
      const proc = running.get(name);
      if (!proc) throw new Error(`${name} is not running`);
      if (name === 'udm1') {
        expect(Number(argOf(service(name).command, '--port'))).toBe(port);
        return proc.port('nf');
      }
      if (name === relayName) {
        const file = ipxFile(name);
        const listener = file.listen.port === port ? 'n32f' : file.admin.listen.port === port ? 'admin' : undefined;
        if (!listener) throw new Error(`${name} listens on no port ${port}`);
        return proc.port(listener);
      }
      const file = seppFile(name);
      const listener = (['n32', 'sbi', 'admin'] as const).find((key) => (key === 'n32' ? file.n32.listen : key === 'sbi' ? file.sbi?.listen : file.admin.listen)?.port === port);
      if (!listener) throw new Error(`${name} listens on no port ${port}`);
      return proc.port(listener);
    };
    /** A compose URL (`http://<alias>:<port>`) dialled by `from`, as this host reaches it: 127.0.0.1 or, with keepName, the alias; the port it got here. */
    const urlHere = (value: string, from: string, keepName = false): string => {
      const url = new URL(value);
      const name = serviceNamed(url.hostname, from);
      if (!name) throw new Error(`${value} names no compose service ${from} can reach`);
      return `${url.protocol}//${keepName ? url.hostname : '127.0.0.1'}:${portHere(name, Number(url.port))}${url.pathname.replace(/\/$/, '')}`;
    };
    /** A compose `host:port` dialled by `from`, as this host reaches it. */
    const addressHere = (address: string, from: string): string => {
      const host = address.slice(0, address.lastIndexOf(':'));
      const target = serviceNamed(host, from);
      if (!target) throw new Error(`${address} names no compose service ${from} can reach`);
      return `127.0.0.1:${portHere(target, Number(address.slice(address.lastIndexOf(':') + 1)))}`;
    };
    /**
     * The configuration file a SEPP runs on here: its own, or a copy where compose addresses this
     * host cannot resolve by itself: `sbi.allowedTargets` naming a compose service (its port here,
     * its alias in `sbi.hosts`, what compose DNS does in the containers), and a peer's IPX relay
     * (`ipx.address` where the relay listens here, `signingKeys` through the volume mounts; the
     * SEPPs have no environment override for either). Nothing else differs.
     */
    const configHere = (name: string): string => {
      const file = seppFile(name);
      const svc = service(name);
      const targets = file.sbi?.allowedTargets ?? [];
      const relays = file.n32.peers.some((peer) => peer.ipx);
      if (!relays && !targets.some((target) => serviceNamed(new URL(target).hostname, name))) return configPathOf(svc);
      const hosts: Record<string, string> = { ...file.sbi?.hosts };
      for (const target of targets) if (serviceNamed(new URL(target).hostname, name)) hosts[new URL(target).hostname] = '127.0.0.1';
      const peers = file.n32.peers.map((peer) =>
        peer.ipx
          ? {
              ...peer,
              ipx: {
                ...peer.ipx,
                ...(peer.ipx.address ? { address: addressHere(peer.ipx.address, name) } : {}),
                signingKeys: peer.ipx.signingKeys.map((key) => hostPath(svc, key)),
              },
            }
          : peer,
      );
      const copy = join(scratch, `${name}.yaml`);
      const sbi = file.sbi ? { sbi: { ...file.sbi, ...(targets.length > 0 ? { allowedTargets: targets.map((target) => (serviceNamed(new URL(target).hostname, name) ? urlHere(target, name, true) : target)), hosts } : {}) } } : {};
      writeFileSync(copy, stringify({ ...file, n32: { ...file.n32, peers }, ...sbi }));
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
        const target = serviceNamed(host ?? '', name);
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
      configUsed.set(name, config);
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
    const adminPortOf = (name: string): number => (name === relayName ? ipxFile(name).admin.listen.port : seppFile(name).admin.listen.port);
    const adminHealthcheck = (name: string, adminPort: number): Promise<{ code: number | null; output: string }> => healthcheck(name, adminPortOf(name), adminPort);
    const becomesHealthy = (name: string): Promise<boolean> =>
      waitFor(`${name} healthcheck to pass`, async () => (await adminHealthcheck(name, running.get(name)!.port('admin'))).code === 0, 20_000, 200);

    beforeAll(async () => {
      for (const name of Object.keys(compose.volumes ?? {})) volumeDirs.set(name, mkdtempSync(join(tmpdir(), `sepp-compose-${name}-`)));
      for (const name of seppNames) if (seppFile(name).n32.listen) n32Ports.set(name, await freePort());
    });

    afterAll(async () => {
      for (const name of [initiatorName, ...(relayName ? [relayName] : []), responderName, 'udm1']) await running.get(name)?.stop();
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
      for (const role of seppNames) {
        const { tls, n32 } = seppFile(role);
        for (const file of [tls.cert, tls.key, ...tls.ca, ...n32.peers.flatMap((peer) => peer.ipx?.signingKeys ?? [])]) expect(existsSync(hostPath(service(role), file))).toBe(true);
      }
      if (relayName) {
        const { tls, ipx } = ipxFile(relayName);
        for (const file of [tls.cert, tls.key, ...tls.ca, ipx.signingKey, ipx.certificate!]) expect(existsSync(hostPath(service(relayName), file))).toBe(true);
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

    it(`${responderName}: loads its compose config, listens, and its healthcheck passes once ready`, async () => {
      const responder = start(responderName);
      await responder.ready(20_000);
      // Its own file, but for udm1's port here and the name compose DNS would resolve.
      const copy = parse(readFileSync(configUsed.get(responderName)!, 'utf8')) as SeppFile;
      const { sbi: ownSbi, ...own } = seppFile(responderName);
      const { sbi, ...rest } = copy;
      expect(rest).toEqual(own);
      expect(sbi).toEqual({ ...ownSbi, allowedTargets: [`http://${UDM1_FQDN}:${running.get('udm1')!.port('nf')}`], hosts: { [UDM1_FQDN]: '127.0.0.1' } });
      expect(responder.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file: configUsed.get(responderName), fqdn: FQDN_A });
      expect(await becomesHealthy(responderName)).toBe(true);
      // And the healthcheck is not vacuous: nothing listening -> non-zero.
      expect((await adminHealthcheck(responderName, await freePort())).code).not.toBe(0);
    });

    if (relayName) {
      it(`${relayName}: the IPX relay's command runs (on a copy of its file with this host's ports and /certs paths), forwards to ${responderName}, and its healthcheck passes`, async () => {
        const svc = service(relayName);
        const [bin, ...args] = svc.command!;
        expect(bin).toBe('node');
        // The relay reads no environment: its file as compose runs it, but for what one shared host changes.
        const file = ipxFile(relayName);
        const here: IpxFile = {
          ...file,
          ipx: { ...file.ipx, signingKey: hostPath(svc, file.ipx.signingKey), ...(file.ipx.certificate ? { certificate: hostPath(svc, file.ipx.certificate) } : {}) },
          tls: { ...file.tls, cert: hostPath(svc, file.tls.cert), key: hostPath(svc, file.tls.key), ca: file.tls.ca.map((ca) => hostPath(svc, ca)) },
          listen: { host: '127.0.0.1', port: 0 },
          forward: { ...file.forward, address: addressHere(file.forward.address, relayName) },
          admin: { listen: { host: '127.0.0.1', port: 0 } },
        };
        expect(here.forward.address).toBe(`127.0.0.1:${sepp(responderName).port('n32')}`);
        const copy = join(scratch, `${relayName}.yaml`);
        writeFileSync(copy, stringify(here));
        configUsed.set(relayName, copy);
        const relay = new AppProcess(relayName, args.map((arg, i) => (args[i - 1] === '--config' ? copy : arg)), { env: environmentOf(svc) });
        running.set(relayName, relay);
        await relay.ready(20_000);
        expect(relay.listening.map((l) => l['listener']).sort()).toEqual(['admin', 'n32f']);
        expect(await becomesHealthy(relayName)).toBe(true);
        expect((await adminHealthcheck(relayName, await freePort())).code).not.toBe(0);
        // Its key, as the initiator's file names it (the certificate of the signing key).
        const secInfo = await relay.admin<{ publicKeyPem: string }>('/admin/sec-info');
        const [signing] = seppFile(initiatorName).n32.peers.map((peer) => peer.ipx?.signingKeys[0]);
        const certificate = new X509Certificate(readFileSync(hostPath(service(initiatorName), signing!)));
        expect(certificate.publicKey.export({ type: 'spki', format: 'pem' })).toBe(secInfo.body.publicKeyPem);
      });
    }

    it(`${initiatorName}: starts after ${[responderName, ...(relayName ? [relayName] : [])].join(' and ')} ${relayName ? 'are' : 'is'} healthy, passes its healthcheck, and both reach ${expected.state}`, async () => {
      const initiator = start(initiatorName);
      await initiator.ready(20_000);
      expect(initiator.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file: configUsed.get(initiatorName), fqdn: FQDN_B });
      if (relayName) {
        // A copy naming the relay where it listens here, the signing key from the certs volume; nothing else differs.
        const copy = parse(readFileSync(configUsed.get(initiatorName)!, 'utf8')) as SeppFile;
        const own = seppFile(initiatorName);
        const { n32: copyN32, ...copyRest } = copy;
        const { n32: ownN32, ...ownRest } = own;
        expect(copyRest).toEqual(ownRest);
        expect(copyN32.peers.map((peer) => ({ ...peer, ipx: undefined }))).toEqual(ownN32.peers.map((peer) => ({ ...peer, ipx: undefined })));
        expect(copyN32.peers[0]!.ipx).toEqual({
          fqdn: IPX_FQDN,
          address: `127.0.0.1:${running.get(relayName)!.port('n32f')}`,
          signingKeys: ownN32.peers[0]!.ipx!.signingKeys.map((key) => hostPath(service(initiatorName), key)),
        });
      } else {
        expect(configUsed.get(initiatorName)).toBe(configPathOf(service(initiatorName)));
      }
      expect(initiator.listening.map((l) => l['listener']).sort()).toEqual(expected.initiatorListeners);
      expect(await becomesHealthy(initiatorName)).toBe(true);

      const responder = sepp(responderName);
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
        if (relayName) {
          // The relay's key went in exchange-params: both contexts name it.
          for (const view of [mine, theirs]) expect(view!.intermediaries).toEqual({ authorizedIpxId: IPX_FQDN, verified: [IPX_FQDN] });
          expect(responder.lines).toContainEqual(expect.objectContaining({ msg: 'RI security information received', intermediaries: [IPX_FQDN] }));
        }
      }
    });

    /** The consumer service's own command, its URLs as this host reaches them (`--target` keeps udm1's name, the responder resolves it). */
    const runConsumer = (): Promise<{ code: number | null; output: string; stdout: string }> => {
      const [bin, ...args] = service(consumerName).command!;
      expect(bin).toBe('node');
      const here = args.map((arg, i) => (args[i - 1] === '--sepp' ? urlHere(arg, consumerName) : args[i - 1] === '--target' ? urlHere(arg, responderName, true) : arg));
      return runNode(here, { PATH: process.env['PATH'], ...environmentOf(service(consumerName)) }, 20_000);
    };
    const bodyOf = (stdout: string): Record<string, unknown> => JSON.parse(stdout.slice(stdout.indexOf('\n\n') + 2)) as Record<string, unknown>;

    if (!relayName) {
      it(`${consumerName}: its command gets udm1's answer (200, servedBy udm1) through the initiator, N32 and the responder`, async () => {
        const result = await runConsumer();
        expect({ code: result.code, status: result.stdout.split('\n')[0] }).toEqual({ code: 0, status: expect.stringMatching(/^HTTP\/2 2\d\d$/) as unknown });
        expect(bodyOf(result.stdout)).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });

        // It crossed N32 on the connection of the handshake (n32f.connection: shared): in PRINS mode
        // that connection also carried the parameter exchange.
        const view = await sepp(responderName).admin<{ connections: ConnectionView[] }>('/admin/connections');
        const fromInitiator = view.body.connections.filter((c) => c.peer === FQDN_B);
        expect(fromInitiator).toEqual([expect.objectContaining({ listener: 'n32', n32cRequests: expected.mechanism === 'PRINS' ? expect.any(Number) : 1, n32fRequests: 1 })]);
        if (expected.mechanism !== 'PRINS') return;
        expect(fromInitiator[0]!.n32cRequests).toBeGreaterThan(1);

        // PRINS: the request went protected (the override runs both SEPPs at debug): the initiator
        // moved the SUPI path into the JWE, the responder opened the same message.
        const sealed = await sepp(initiatorName).waitForLog('PRINS request protected', (l) => l.msg === 'PRINS request protected');
        expect(sealed).toMatchObject({ peer: FQDN_A, encrypted: expect.arrayContaining(['path']) });
        await sepp(responderName).waitForLog('PRINS request verified', (l) => l.msg === 'PRINS request verified' && l['messageId'] === sealed['messageId']);
        const [[mine], [theirs]] = await Promise.all([contextsOf(sepp(initiatorName), FQDN_A), contextsOf(sepp(responderName), FQDN_B)]);
        expect({ initiator: mine?.messagesSent, responder: theirs?.messagesSent }).toEqual({ initiator: 1, responder: 1 });
      });
    } else {
      it(`${consumerName}: its command's POST crosses ${initiatorName} -> ${relayName} -> ${responderName}; udm1 received the priority header the relay added (MODIFIED), each receiving SEPP verified the relay's modification`, async () => {
        const relay = running.get(relayName)!;
        const result = await runConsumer();
        const lines = result.stdout.split('\n');
        expect({ code: result.code, status: lines[0] }).toEqual({ code: 0, status: 'HTTP/2 201' });
        // udm1 echoes what it received: the header the consumer did not send.
        const echo = bodyOf(result.stdout);
        expect(echo).toMatchObject({ method: 'POST', servedBy: 'udm1', headers: expect.objectContaining({ [PRIORITY]: '5' }) });
        expect(echo['path']).toMatch(new RegExp(`${SDM_SUBSCRIPTIONS}$`));
        expect(JSON.parse(echo['body'] as string)).toEqual(JSON.parse(argOf(service(consumerName).command, '--body')));
        // And the answer's header, the relay's answer rule.
        expect(lines).toContain(`${PRIORITY}: 7`);

        // The trail: the relay signed both directions, each receiving SEPP verified the relay's operation.
        const signed = await waitFor('the relay signed both directions', () => {
          const found = relay.lines.filter((l) => l.msg === 'modifications signed');
          return found.length >= 2 ? found : undefined;
        });
        expect(signed.map((l) => [l['direction'], l['rules']])).toEqual([
          ['request', ['priority-request']],
          ['response', ['priority-answer']],
        ]);
        const messageId = signed[0]!['messageId'];
        const atResponder = await sepp(responderName).waitForLog('PRINS request modifications verified', (l) => l.msg === 'PRINS request modifications verified');
        expect(atResponder).toMatchObject({ messageId, authorizedIpxId: IPX_FQDN, modifications: [expect.stringContaining(`${IPX_FQDN}: add /headers/`)] });
        const atInitiator = await sepp(initiatorName).waitForLog('PRINS answer modifications verified', (l) => l.msg === 'PRINS answer modifications verified');
        expect(atInitiator).toMatchObject({ messageId, authorizedIpxId: IPX_FQDN, modifications: [expect.stringContaining(`${IPX_FQDN}: add /headers/`)] });

        // N32-f came on the relay's connection, N32-c on the initiator's own.
        const view = await sepp(responderName).admin<{ connections: ConnectionView[] }>('/admin/connections');
        const byRelay = view.body.connections.filter((c) => c.certificate.includes(IPX_FQDN));
        const byInitiator = view.body.connections.filter((c) => c.certificate.includes(FQDN_B) && c.listener === 'n32');
        expect(byRelay).toEqual([expect.objectContaining({ listener: 'n32', n32cRequests: 0, n32fRequests: 1 })]);
        expect(byInitiator.reduce((sum, c) => sum + c.n32fRequests, 0)).toBe(0);
        expect(byInitiator.reduce((sum, c) => sum + c.n32cRequests, 0)).toBeGreaterThan(1);
        const [[mine], [theirs]] = await Promise.all([contextsOf(sepp(initiatorName), FQDN_A), contextsOf(sepp(responderName), FQDN_B)]);
        expect({ initiator: mine?.messagesSent, responder: theirs?.messagesSent }).toEqual({ initiator: 1, responder: 1 });
      });
    }

    if (expected.mechanism === 'PRINS') {
      it(`${responderName}: reaches the initiator's own N32 listener at its peer address (an n32f-error over a second N32-c connection)`, async () => {
        const initiator = sepp(initiatorName);
        const responder = sepp(responderName);
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
        const { tls } = seppFile(initiatorName);
        const client = await H2Client.open(responder.port('n32'), FQDN_A, {
          cert: readFileSync(hostPath(service(initiatorName), tls.cert)),
          key: readFileSync(hostPath(service(initiatorName), tls.key)),
          ca: tls.ca.map((ca) => readFileSync(hostPath(service(initiatorName), ca))),
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
describeRun('docker-compose.yml --profile ipx (PRINS through the IPX relay: its commands, run without Docker)', baseModel, PRINS_RUN, IPX_RUN_CHAIN);


// --- profile ha: two responder replicas sharing Redis behind HAProxy ---

/** infra/compose/ha/haproxy.cfg: what the run and the structure tests read of it. */
interface HaproxyFile {
  text: string;
  bindPort: number;
  servers: { name: string; host: string; port: number; checkPort: number }[];
  checkUri: string | undefined;
}
function haproxyFile(): HaproxyFile {
  const lb = service(HA.lb);
  const bind = volumesOf(lb).find((volume) => volume.type === 'bind')!;
  const text = readFileSync(resolve(REPO_ROOT, bind.source!), 'utf8');
  const bindPort = Number(/^\s*bind\s+:(\d+)\s*$/m.exec(text)?.[1]);
  const servers = [...text.matchAll(/^\s*server\s+(\S+)\s+(\S+):(\d+)\s.*\bcheck port (\d+)\s*$/gm)].map((m) => ({ name: m[1]!, host: m[2]!, port: Number(m[3]), checkPort: Number(m[4]) }));
  const checkUri = /^\s*http-check send meth GET uri (\S+)/m.exec(text)?.[1];
  return { text, bindPort, servers, checkUri };
}

/**
 * Whether the SEPPs of this build know the `state` block of the cluster state store: the
 * responder's own start-up on the ha profile's file says so (a loader without it exits 2 naming
 * `state: is not a known key`, before reading any certificate).
 */
function responderKnowsStateKeys(): boolean {
  const [, ...args] = service(HA.replicas[0]).command!;
  const probe = spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000, env: { PATH: process.env['PATH'] } });
  return !`${probe.stderr}${probe.stdout}`.includes('state: is not a known key');
}
const HA_STATE_KEYS = responderKnowsStateKeys();
const itWithHaState = HA_STATE_KEYS ? it : it.skip;
const NEEDS_STATE_KEYS = HA_STATE_KEYS ? '' : ' — SKIPPED: needs the state.* keys of the cluster state store (this build refuses `state`)';

describe('docker-compose.yml profile ha (structure: two responder replicas sharing Redis behind HAProxy)', () => {
  it('documents the profile at the top of docker-compose.yml and puts its services under profiles: [ha] only', () => {
    const header = readFileSync(COMPOSE_FILE, 'utf8').split('\n').filter((line) => line.startsWith('#')).join('\n');
    expect(header).toContain('docker compose --profile ha up --build consumer-ha');
    for (const name of HA_SERVICES) {
      expect(header).toContain(name);
      expect(service(name).profiles).toEqual([HA_PROFILE]);
    }
    expect(active([HA_PROFILE]).sort()).toEqual([...active(), ...HA_SERVICES].sort());
  });

  it('runs two replicas of the responder on one file of the image, each with its own SEPP_STATE_REPLICA_ID, after the certs and key jobs and a healthy Redis', () => {
    const [one, two] = HA.replicas.map(service);
    expect(one!.command).toEqual(['node', 'apps/responder/dist/main.js', '--config', 'infra/compose/ha/responder.yaml']);
    expect(two!.command).toEqual(one!.command);
    expect(existsSync(configPathOf(one!))).toBe(true);
    expect(HA.replicas.map((name) => environmentOf(service(name))['SEPP_STATE_REPLICA_ID'])).toEqual([...HA.replicas]);
    for (const name of HA.replicas) {
      expect(dependsOn(service(name))).toEqual({ certs: 'service_completed_successfully', [HA.key]: 'service_completed_successfully', [HA.redis]: 'service_healthy' });
      const admin = seppFile(name).admin.listen;
      expect(healthcheckCommand(service(name)).join(' ')).toContain(`http://127.0.0.1:${admin.port}/readyz`);
    }
    expect(dependsOn(service(HA.lb))).toEqual(Object.fromEntries(HA.replicas.map((name) => [name, 'service_healthy'])));
    expect(dependsOn(service(HA.initiator))).toEqual({ certs: 'service_completed_successfully', [HA.lb]: 'service_started' });
    expect(dependsOn(service(HA.consumer))).toEqual({ [HA.initiator]: 'service_healthy', udm1: 'service_healthy' });
  });

  it('shares N32 state: the replicas\' file names redis-ha (on a network of the replicas and Redis only) and the key-wrap key its job writes into the ha-state volume', () => {
    const file = seppFile(HA.replicas[0]) as SeppFile & { state?: { redis: { url: string; keyPrefix: string }; keyWrapKeyFile: string } };
    const url = new URL(file.state!.redis.url);
    expect(url.protocol).toBe('redis:');
    expect(url.hostname).toBe(HA.redis);
    expect(Number(url.port)).toBe(Number(argOf(service(HA.redis).command, '--port')));
    expect(file.state!.redis.keyPrefix).toEqual(expect.any(String));
    expect(membersOf('state-ha', [HA_PROFILE])).toEqual([HA.redis, ...HA.replicas].sort());
    // The key job writes into the volume the replicas mount read-only, where the file names it.
    const job = service(HA.key);
    const [volume] = volumesOf(job);
    expect(volume).toMatchObject({ type: 'volume', source: 'ha-state', read_only: false });
    expect(job.command!.join(' ')).toContain(`'${file.state!.keyWrapKeyFile}'`);
    expect(file.state!.keyWrapKeyFile.startsWith(`${volume!.target}/`)).toBe(true);
    for (const name of HA.replicas) expect(volumesOf(service(name))).toContainEqual({ type: 'volume', source: 'ha-state', target: volume!.target, read_only: true });
    expect(service(HA.redis).healthcheck?.test).toEqual(['CMD', 'redis-cli', '-p', argOf(service(HA.redis).command, '--port'), 'ping']);
  });

  it('puts HAProxy under the responder FQDN on n32-ha (no replica holds it), the initiator dials that FQDN on the port HAProxy binds, and HAProxy balances over the two replicas, checking /readyz on the admin port they open to it', () => {
    const lb = haproxyFile();
    const responder = seppFile(HA.replicas[0]);
    expect(membersOf('n32-ha', [HA_PROFILE])).toEqual([HA.initiator, HA.lb, ...HA.replicas].sort());
    expect(aliasesOf(service(HA.lb), 'n32-ha')).toEqual([FQDN_A]);
    for (const name of HA.replicas) expect(aliasesOf(service(name))).toEqual([]);
    expect(seppFile(HA.initiator).n32.peers).toEqual([expect.objectContaining({ fqdn: FQDN_A, address: `${FQDN_A}:${lb.bindPort}` })]);
    expect(lb.servers).toEqual(HA.replicas.map((name) => ({ name, host: name, port: responder.n32.listen!.port, checkPort: responder.admin.listen.port })));
    expect(lb.checkUri).toBe('/readyz');
    // The admin listener on the container's address, so that HAProxy's checks reach it.
    expect(responder.admin.listen.host).toBe('0.0.0.0');
    expect(lb.text).toMatch(/^\s*mode tcp\s*$/m);
    expect(service(HA.lb).command).toEqual(['haproxy', '-W', '-db', '-f', '/usr/local/etc/haproxy/haproxy.cfg']);
  });

  it('keeps udm1 behind the replicas and the consumer behind initiator-ha', () => {
    for (const name of HA.replicas) expect(networksOf(service(name))).toContain('plmn001');
    expect(seppFile(HA.replicas[0]).sbi?.allowedTargets).toEqual([argOf(service(HA.consumer).command, '--target')]);
    expect(networksOf(service(HA.consumer))).toEqual(['plmn002']);
    expect(new URL(argOf(service(HA.consumer).command, '--sepp'))).toMatchObject({ hostname: HA.initiator, port: String(seppFile(HA.initiator).sbi!.listen!.port) });
  });
});

/** A program other than node (redis-server, haproxy, redis-cli) as a child process, its output lines collected. */
class Program {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, binary: string, args: readonly string[]) {
    this.child = spawn(binary, [...args], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'] }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.lines.push(line));
    this.exited = new Promise((done) => this.child.once('close', done));
  }

  waitForLine(what: string, pattern: RegExp, from = 0, timeoutMs = 15_000): Promise<string> {
    return waitFor(`${this.name}: ${what}`, () => {
      const found = this.lines.slice(from).find((line) => pattern.test(line));
      if (!found && this.child.exitCode !== null) throw new Error(`${this.name} exited ${this.child.exitCode}: ${this.lines.join('\n')}`);
      return found;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

function runProgram(binary: string, args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    const child = execFile(binary, [...args], { env: { PATH: process.env['PATH'] }, timeout: 10_000 }, (_error, stdout) => done({ code: child.exitCode, stdout }));
  });
}

describe('docker-compose.yml --profile ha (its commands, run without Docker: redis-server, two responder replicas, HAProxy and an initiator)', () => {
  const dirs = new Map<string, string>();
  const seppProcs = new Map<string, SeppProcess>();
  const programs = new Map<string, Program>();
  const n32Ports = new Map<string, number>();
  let redisPort = 0;
  let lbPort = 0;
  let udm1: AppProcess | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'sepp-compose-ha-'));
  const hostPath = (svc: Service, file: string): string => {
    for (const volume of volumesOf(svc)) {
      if (file === volume.target || file.startsWith(`${volume.target}/`)) return join(dirs.get(volume.source!)!, file.slice(volume.target.length));
    }
    throw new Error(`${file} is in no volume of the service`);
  };
  const replica = (name: string): SeppProcess => seppProcs.get(name)!;
  /** Which replica has the initiator's N32 connection and how many N32-f requests it carried. */
  const n32fByReplica = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const name of HA.replicas) {
      const proc = seppProcs.get(name);
      if (!proc?.running) continue;
      const view = await proc.admin<{ connections: ConnectionView[] }>('/admin/connections');
      counts[name] = view.body.connections.filter((c) => c.peer === FQDN_B).reduce((sum, c) => sum + c.n32fRequests, 0);
    }
    return counts;
  };
  const runConsumer = (): Promise<{ code: number | null; output: string; stdout: string }> => {
    const [, ...args] = service(HA.consumer).command!;
    const here = args.map((arg, i) =>
      args[i - 1] === '--sepp' ? `http://127.0.0.1:${seppProcs.get(HA.initiator)!.port('sbi')}` : args[i - 1] === '--target' ? arg.replace(/:\d+$/, `:${udm1!.port('nf')}`) : arg,
    );
    return runNode(here, { PATH: process.env['PATH'], ...environmentOf(service(HA.consumer)) }, 20_000);
  };

  beforeAll(async () => {
    for (const name of ['certs', 'ha-state']) dirs.set(name, mkdtempSync(join(tmpdir(), `sepp-compose-ha-${name}-`)));
    for (const name of HA.replicas) n32Ports.set(name, await freePort());
    redisPort = await freePort();
    lbPort = await freePort();
  });

  afterAll(async () => {
    await seppProcs.get(HA.initiator)?.stop();
    await programs.get(HA.lb)?.stop();
    for (const name of HA.replicas) await seppProcs.get(name)?.stop();
    await udm1?.stop();
    await programs.get(HA.redis)?.stop();
    for (const dir of [...dirs.values(), scratch]) rmSync(dir, { recursive: true, force: true });
  });

  it('certs and state-key-ha: the jobs\' commands fill the certs volume and write a 32-byte key-wrap key into ha-state', async () => {
    const certs = service('certs');
    const [, ...certArgs] = certs.command!;
    expect((await runNode(certArgs.map((arg, i) => (certArgs[i - 1] === '--out' ? hostPath(certs, arg) : arg)), { PATH: process.env['PATH'] })).code).toBe(0);
    const job = service(HA.key);
    const [bin, flag, script] = job.command!;
    expect([bin, flag]).toEqual(['node', '-e']);
    const target = volumesOf(job)[0]!.target;
    // The script as compose runs it, its volume path where the volume is here.
    const result = await runNode(['-e', script!.split(`'${target}/`).join(`'${dirs.get('ha-state')}/`)], { PATH: process.env['PATH'] });
    expect(result.code).toBe(0);
    const keyFile = (seppFile(HA.replicas[0]) as SeppFile & { state: { keyWrapKeyFile: string } }).state.keyWrapKeyFile;
    const key = readFileSync(hostPath(service(HA.replicas[0]), keyFile));
    expect(key.length).toBe(32);
    // Run again, it keeps the key.
    await runNode(['-e', script!.split(`'${target}/`).join(`'${dirs.get('ha-state')}/`)], { PATH: process.env['PATH'] });
    expect(readFileSync(hostPath(service(HA.replicas[0]), keyFile)).equals(key)).toBe(true);
  });

  it('redis-ha: redis-server runs its command (on loopback and a free port here) and its healthcheck answers PONG', async () => {
    const [bin, ...args] = service(HA.redis).command!;
    expect(bin).toBe('redis-server');
    const here = args.map((arg, i) => (args[i - 1] === '--port' ? String(redisPort) : arg));
    const redis = new Program(HA.redis, 'redis-server', [...here, '--bind', '127.0.0.1']);
    programs.set(HA.redis, redis);
    await redis.waitForLine('ready', /Ready to accept connections/);
    const [cli, ...check] = service(HA.redis).healthcheck!.test!.slice(1) as string[];
    const ping = await runProgram(cli!, check.map((arg, i) => (check[i - 1] === '-p' ? String(redisPort) : arg)));
    expect({ code: ping.code, out: ping.stdout.trim() }).toEqual({ code: 0, out: 'PONG' });
  });

  it('udm1 and both responder replicas: their commands run (the replicas on copies of their file with this host\'s Redis, udm1 and /certs, /state paths) and pass their healthchecks', async () => {
    const [, ...udmArgs] = service('udm1').command!;
    udm1 = new AppProcess('udm1', udmArgs.map((arg, i) => (udmArgs[i - 1] === '--host' ? '127.0.0.1' : udmArgs[i - 1] === '--port' ? '0' : arg)));
    await udm1.waitForLog('listening', (l) => l.msg === 'listening');
    for (const name of HA.replicas) {
      const svc = service(name);
      const file = seppFile(name) as SeppFile & { state?: { redis: { url: string }; keyWrapKeyFile: string } };
      const { state, ...rest } = file;
      const target = new URL(file.sbi!.allowedTargets![0]!);
      const here = {
        ...rest,
        // A build without the state store runs the replicas on the file without `state` (TLS mode needs none).
        ...(HA_STATE_KEYS ? { state: { ...state!, redis: { ...state!.redis, url: `redis://127.0.0.1:${redisPort}` }, keyWrapKeyFile: hostPath(svc, state!.keyWrapKeyFile) } } : {}),
        sbi: { ...file.sbi, allowedTargets: [`${target.protocol}//${target.hostname}:${udm1.port('nf')}`], hosts: { [target.hostname]: '127.0.0.1' } },
      };
      const copy = join(scratch, `${name}.yaml`);
      writeFileSync(copy, stringify(here));
      const [, ...args] = svc.command!;
      const proc = new SeppProcess(name, args.map((arg, i) => (args[i - 1] === '--config' ? copy : arg)), {
        env: {
          ...environmentOf(svc),
          SEPP_N32_LISTEN_HOST: '127.0.0.1',
          SEPP_N32_LISTEN_PORT: String(n32Ports.get(name)),
          SEPP_ADMIN_LISTEN_HOST: '127.0.0.1',
          SEPP_ADMIN_LISTEN_PORT: '0',
          SEPP_TLS_CERT: hostPath(svc, file.tls.cert),
          SEPP_TLS_KEY: hostPath(svc, file.tls.key),
          SEPP_TLS_CA: file.tls.ca.map((ca) => hostPath(svc, ca)).join(','),
        },
      });
      seppProcs.set(name, proc);
      await proc.ready(20_000);
      const [, ...check] = healthcheckCommand(svc);
      const mark = `127.0.0.1:${file.admin.listen.port}`;
      const healthy = await runNode(check.map((arg) => arg.split(mark).join(`127.0.0.1:${proc.port('admin')}`)), { PATH: process.env['PATH'] });
      expect({ name, code: healthy.code }).toEqual({ name, code: 0 });
    }
  });

  itWithHaState(`the replicas ran on the whole file, state block included, and hold connections to redis-ha${NEEDS_STATE_KEYS}`, async () => {
    const info = await runProgram('redis-cli', ['-p', String(redisPort), 'info', 'clients']);
    // Both replicas and this redis-cli.
    expect(Number(/connected_clients:(\d+)/.exec(info.stdout)?.[1])).toBeGreaterThanOrEqual(3);
  });

  it('lb-ha: HAProxy (Debian\'s /usr/sbin/haproxy) runs its command on a copy of haproxy.cfg whose servers are the replicas\' ports here, and passes TCP to them', async () => {
    const lb = haproxyFile();
    let text = lb.text.replace(/^(\s*bind\s+):\d+\s*$/m, `$1127.0.0.1:${lbPort}`);
    for (const server of lb.servers) {
      const proc = replica(server.host);
      text = text.replace(new RegExp(`(server\\s+${server.name}\\s+)${server.host}:${server.port}(.*check port )${server.checkPort}`), `$1127.0.0.1:${n32Ports.get(server.host)}$2${proc.port('admin')}`);
    }
    expect(text).not.toMatch(/responder-ha-\d:/);
    const copy = join(scratch, 'haproxy.cfg');
    writeFileSync(copy, text);
    const [bin, ...args] = service(HA.lb).command!;
    expect(bin).toBe('haproxy');
    const haproxy = new Program(HA.lb, '/usr/sbin/haproxy', args.map((arg, i) => (args[i - 1] === '-f' ? copy : arg)));
    programs.set(HA.lb, haproxy);
    await waitFor('HAProxy listening', () => new Promise<boolean>((done) => {
      const socket = connect(lbPort, '127.0.0.1', () => {
        socket.destroy();
        done(true);
      }).once('error', () => done(false));
    }), 15_000);
  });

  it('initiator-ha: dials the responder FQDN, which is HAProxy here, and reaches tls-established with one replica (TLS passes through to it)', async () => {
    const svc = service(HA.initiator);
    const file = seppFile(HA.initiator);
    const [, ...args] = svc.command!;
    const initiator = new SeppProcess(HA.initiator, args, {
      env: {
        ...environmentOf(svc),
        SEPP_ADMIN_LISTEN_PORT: '0',
        SEPP_SBI_LISTEN_HOST: '127.0.0.1',
        SEPP_SBI_LISTEN_PORT: '0',
        SEPP_TLS_CERT: hostPath(svc, file.tls.cert),
        SEPP_TLS_KEY: hostPath(svc, file.tls.key),
        SEPP_TLS_CA: file.tls.ca.map((ca) => hostPath(svc, ca)).join(','),
        // Its peer address names the FQDN that compose DNS gives the balancer.
        SEPP_N32_PEERS_0_ADDRESS: `127.0.0.1:${lbPort}`,
      },
    });
    seppProcs.set(HA.initiator, initiator);
    await initiator.ready(20_000);
    const peer = await initiator.waitForPeerState(FQDN_A, 'tls-established', 20_000);
    expect(peer.mechanism).toBe('TLS');
    const established = await Promise.all(HA.replicas.map(async (name) => (await replica(name).peer(FQDN_B))?.state));
    expect(established.filter((state) => state === 'tls-established')).toHaveLength(1);
  });

  it('consumer-ha: its request crosses initiator-ha -> HAProxy -> one replica -> udm1; stopping that replica (SIGTERM) keeps N32 working through the other', async () => {
    const first = await runConsumer();
    expect({ code: first.code, status: first.stdout.split('\n')[0] }).toEqual({ code: 0, status: expect.stringMatching(/^HTTP\/2 2\d\d$/) as unknown });
    expect(JSON.parse(first.stdout.slice(first.stdout.indexOf('\n\n') + 2))).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
    const counts = await n32fByReplica();
    const serving = HA.replicas.filter((name) => counts[name] === 1);
    expect({ counts, serving: serving.length }).toEqual({ counts, serving: 1 });
    const [servedBy] = serving;
    const other = HA.replicas.find((name) => name !== servedBy)!;
    // HAProxy logged the N32 connection going to that replica.
    const haproxy = programs.get(HA.lb)!;
    await haproxy.waitForLine(`connection to ${servedBy}`, new RegExp(`responders/${servedBy}\\b`));

    // A rolling restart's first step: the serving replica stops gracefully.
    const initiator = seppProcs.get(HA.initiator)!;
    const mark = initiator.lines.length;
    const logMark = haproxy.lines.length;
    expect(await replica(servedBy!).stop()).toBe(0);
    // The initiator negotiates again through the balancer, which now picks the other replica.
    await initiator.waitForLog('established again', (l) => l.msg === 'peer state' && l['peer'] === FQDN_A && l['to'] === 'tls-established', 20_000, mark);
    await haproxy.waitForLine(`connection to ${other}`, new RegExp(`responders/${other}\\b`), logMark);
    const second = await runConsumer();
    expect({ code: second.code, status: second.stdout.split('\n')[0] }).toEqual({ code: 0, status: expect.stringMatching(/^HTTP\/2 2\d\d$/) as unknown });
    expect(await n32fByReplica()).toEqual({ [other]: 1 });
    expect((await replica(other).peer(FQDN_B))?.state).toBe('tls-established');
  });
});


describe('docker-compose.yml (compose CLI)', () => {
  const cli = composeCli();
  const config = (files: string[], args: string[], profiles: string[] = []): string => {
    const global = [...profiles.flatMap((profile) => ['--profile', profile]), ...files.flatMap((file) => ['-f', file])];
    const result = spawnSync(cli![0]!, [...cli!.slice(1), ...global, 'config', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
    if (result.status !== 0) throw new Error(`${cli!.join(' ')} config ${args.join(' ')} exited ${result.status}:\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  /** `docker compose config` rendered the profile's service with the file's profiles, command, environment and dependencies. */
  const expectRenderedAsInFile = (rendered: Compose, name: string, profile: string): void => {
    const svc = rendered.services[name]!;
    expect({ name, profiles: svc.profiles, command: svc.command, environment: environmentOf(svc), depends_on: dependsOn(svc) }).toEqual({
      name,
      profiles: [profile],
      command: service(name).command,
      environment: environmentOf(service(name)),
      depends_on: dependsOn(service(name)),
    });
  };
  const titles = {
    base: 'docker-compose config -q accepts docker-compose.yml',
    prins: 'docker-compose -f docker-compose.yml -f docker-compose.prins.yml config -q accepts the PRINS variant',
    merged: 'docker-compose merges docker-compose.prins.yml over docker-compose.yml as the runs above assume',
    profile: 'docker-compose --profile ipx config -q accepts docker-compose.yml with the ipx profile (and with the PRINS override)',
    profileServices: 'docker-compose --profile ipx config renders the profile\'s services as the run above assumes',
    ha: 'docker-compose --profile ha config accepts docker-compose.yml with the ha profile and renders its services as the run above assumes',
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
      // Compose v2 leaves the services of profiles not enabled out of `config`; v1 lists them.
      expect(Object.keys(merged.services).sort()).toEqual(expect.arrayContaining(prinsModel.active().sort()));
      for (const name of Object.keys(merged.services)) {
        expect({ name, command: merged.services[name]!.command, environment: environmentOf(merged.services[name]!) }).toEqual({
          name,
          command: prinsModel.service(name).command,
          environment: environmentOf(prinsModel.service(name)),
        });
      }
    });
    it(`${titles.profile} (${cli.join(' ')})`, () => {
      expect(config([COMPOSE_FILE], ['-q'], [IPX_PROFILE])).toBe('');
      expect(config([COMPOSE_FILE, PRINS_FILE], ['-q'], [IPX_PROFILE])).toBe('');
    });
    it(`${titles.profileServices} (${cli.join(' ')})`, () => {
      const rendered = parse(config([COMPOSE_FILE], [], [IPX_PROFILE])) as Compose;
      expect(Object.keys(rendered.services).sort()).toEqual(Object.keys(compose.services).sort());
      for (const name of Object.values(IPX_CHAIN)) {
        expectRenderedAsInFile(rendered, name, IPX_PROFILE);
        expect(Object.keys(rendered.services[name]!.networks ?? {}).sort()).toEqual(networksOf(service(name)).sort());
      }
      expect(rendered.services['certs']!.command).toEqual(service('certs').command);
    });
    it(`${titles.ha} (${cli.join(' ')})`, () => {
      expect(config([COMPOSE_FILE], ['-q'], [HA_PROFILE])).toBe('');
      const rendered = parse(config([COMPOSE_FILE], [], [HA_PROFILE])) as Compose;
      for (const name of HA_SERVICES) {
        expectRenderedAsInFile(rendered, name, HA_PROFILE);
      }
      // The YAML anchors of the replicas expand to the same volumes and networks for both.
      const [one, two] = HA.replicas.map((name) => rendered.services[name]!);
      expect(two!.volumes).toEqual(one!.volumes);
      expect(Object.keys(two!.networks ?? {}).sort()).toEqual(['n32-ha', 'plmn001', 'state-ha']);
      // The balancer's configuration file is the one of this repository (a bind mount, read-only).
      expect(volumesOf(rendered.services[HA.lb]!)).toEqual([{ type: 'bind', source: join(REPO_ROOT, 'infra/compose/ha/haproxy.cfg'), target: '/usr/local/etc/haproxy/haproxy.cfg', read_only: true }]);
    });
  } else {
    for (const title of Object.values(titles)) {
      it.skip(`${title} — SKIPPED: neither "docker-compose" nor "docker compose" is installed (apt-get install -y docker-compose)`, () => undefined);
    }
  }
});
