import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { FQDN_A, FQDN_B } from './support/configs';
import { REPO_ROOT } from './support/paths';
import { freePort } from './support/ports';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

/**
 * docker-compose.yml, checked as a file and then run WITHOUT Docker: every service's own
 * `command` and `environment`, on this host, in `depends_on` order. Only what a shared host
 * forces is changed: volume mount targets (/certs) become temporary folders, listeners move to
 * 127.0.0.1 with free ports, and peer addresses that name a compose alias dial that service here.
 */
jest.setTimeout(60_000);

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const SEPPS = ['responder', 'initiator'] as const;

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
  n32: { listen?: { host: string; port: number }; peers: { fqdn: string; address?: string }[] };
  admin: { listen: { host: string; port: number } };
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8')) as Compose;
const service = (name: string): Service => compose.services[name]!;

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

function aliasesOf(svc: Service): string[] {
  if (!svc.networks || Array.isArray(svc.networks)) return [];
  return Object.values(svc.networks).flatMap((network) => network?.aliases ?? []);
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
const seppFile = (name: string): SeppFile => parse(readFileSync(configPathOf(service(name)), 'utf8')) as SeppFile;

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
  it('has the certs job and the two SEPPs, all from one image built by infra/Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['certs', 'initiator', 'responder']);
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

  it('starts the SEPPs after the certs job succeeded, the initiator only once the responder is healthy', () => {
    expect(dependsOn(service('responder'))).toEqual({ certs: 'service_completed_successfully' });
    expect(dependsOn(service('initiator'))).toEqual({ certs: 'service_completed_successfully', responder: 'service_healthy' });
  });

  it('puts the SEPPs on a user-defined network under their SEPP FQDNs, and the initiator dials that FQDN', () => {
    const responder = seppFile('responder');
    const initiator = seppFile('initiator');
    expect(responder.sepp.fqdn).toBe(FQDN_A);
    expect(initiator.sepp.fqdn).toBe(FQDN_B);
    for (const role of SEPPS) {
      const networks = service(role).networks;
      expect(networks && !Array.isArray(networks) && Object.keys(networks).every((name) => name in (compose.networks ?? {}))).toBe(true);
      expect(aliasesOf(service(role))).toEqual([seppFile(role).sepp.fqdn]);
      expect(service(role)).not.toHaveProperty('network_mode');
    }
    expect(responder.n32.listen).toEqual({ host: '0.0.0.0', port: 8443 });
    expect(initiator.n32.peers).toEqual([expect.objectContaining({ fqdn: FQDN_A, address: `${FQDN_A}:${responder.n32.listen!.port}` })]);
    expect(responder.n32.peers.map((peer) => peer.fqdn)).toEqual([FQDN_B]);
  });

  it('checks readiness with node on each admin listener, which stays on the container loopback', () => {
    for (const role of SEPPS) {
      const admin = seppFile(role).admin.listen;
      expect(admin.host).toBe('127.0.0.1');
      const [bin, ...args] = healthcheckCommand(service(role));
      expect(bin).toBe('node');
      expect(args.join(' ')).toContain(`http://127.0.0.1:${admin.port}/readyz`);
    }
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

// --- running the compose commands on this host ---

function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = execFile(process.execPath, args, { cwd: REPO_ROOT, env, timeout: 10_000 }, (_error, stdout, stderr) =>
      done({ code: child.exitCode, output: `${stdout}${stderr}` }),
    );
  });
}

describe('docker-compose.yml (its commands, run without Docker)', () => {
  const volumeDirs = new Map<string, string>();
  const running = new Map<string, SeppProcess>();

  /** Container path -> host path, through this service's volume mounts. */
  const hostPath = (svc: Service, file: string): string => {
    for (const volume of volumesOf(svc)) {
      if (file === volume.target || file.startsWith(`${volume.target}/`)) return join(volumeDirs.get(volume.source!)!, file.slice(volume.target.length));
    }
    return file;
  };
  /** The compose environment plus what one shared host needs: own ports, mapped certificate paths, peers by alias. */
  const hostEnv = (name: string): NodeJS.ProcessEnv => {
    const svc = service(name);
    const file = seppFile(name);
    const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], ...environmentOf(svc), SEPP_ADMIN_LISTEN_PORT: '0' };
    if (file.n32.listen) Object.assign(env, { SEPP_N32_LISTEN_HOST: '127.0.0.1', SEPP_N32_LISTEN_PORT: '0' });
    const inContainer = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(configPathOf(svc)), p));
    Object.assign(env, {
      SEPP_TLS_CERT: hostPath(svc, inContainer(file.tls.cert)),
      SEPP_TLS_KEY: hostPath(svc, inContainer(file.tls.key)),
      SEPP_TLS_CA: file.tls.ca.map((ca) => hostPath(svc, inContainer(ca))).join(','),
    });
    file.n32.peers.forEach((peer, index) => {
      const host = peer.address?.slice(0, peer.address.lastIndexOf(':'));
      const target = Object.keys(compose.services).find((other) => other === host || aliasesOf(service(other)).includes(host ?? ''));
      if (target) env[`SEPP_N32_PEERS_${index}_ADDRESS`] = `127.0.0.1:${running.get(target)!.port('n32')}`;
    });
    return env;
  };
  /** The service's own command (`node ...`) with the host environment, from the repository root (the image's WORKDIR). */
  const start = (name: string): SeppProcess => {
    const [bin, ...args] = service(name).command!;
    expect(bin).toBe('node');
    const proc = new SeppProcess(name, args, { cwd: REPO_ROOT, env: hostEnv(name) });
    running.set(name, proc);
    return proc;
  };
  /** The service's healthcheck command, aimed at the admin port this run got (compose: service_healthy). */
  const healthcheck = (name: string, adminPort: number): Promise<{ code: number | null; output: string }> => {
    const [, ...args] = healthcheckCommand(service(name));
    const configured = `:${seppFile(name).admin.listen.port}/`;
    expect(args.some((arg) => arg.includes(configured))).toBe(true);
    return runNode(args.map((arg) => arg.split(configured).join(`:${adminPort}/`)), { PATH: process.env['PATH'] });
  };
  const becomesHealthy = (name: string): Promise<boolean> =>
    waitFor(`${name} healthcheck to pass`, async () => (await healthcheck(name, running.get(name)!.port('admin'))).code === 0, 20_000, 200);

  beforeAll(() => {
    for (const name of Object.keys(compose.volumes ?? {})) volumeDirs.set(name, mkdtempSync(join(tmpdir(), `sepp-compose-${name}-`)));
  });

  afterAll(async () => {
    for (const name of ['initiator', 'responder']) await running.get(name)?.stop();
    for (const dir of volumeDirs.values()) rmSync(dir, { recursive: true, force: true });
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

  it('responder: loads its compose config, listens, and its healthcheck passes once ready', async () => {
    const responder = start('responder');
    await responder.ready(20_000);
    expect(responder.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file: configPathOf(service('responder')), fqdn: FQDN_A });
    expect(await becomesHealthy('responder')).toBe(true);
    // And the healthcheck is not vacuous: nothing listening -> non-zero.
    expect((await healthcheck('responder', await freePort())).code).not.toBe(0);
  });

  it('initiator: starts after the responder is healthy, passes its healthcheck, and both reach tls-established', async () => {
    const initiator = start('initiator');
    await initiator.ready(20_000);
    expect(initiator.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file: configPathOf(service('initiator')), fqdn: FQDN_B });
    expect(await becomesHealthy('initiator')).toBe(true);

    const responder = running.get('responder')!;
    const atInitiator = await initiator.waitForPeerState(FQDN_A, 'tls-established');
    const atResponder = await responder.waitForPeerState(FQDN_B, 'tls-established');
    expect(atInitiator.mechanism).toBe('TLS');
    expect(atResponder).toMatchObject({ mechanism: 'TLS', negotiation: expect.objectContaining({ selectionReason: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES' }) });
    // What `docker compose up` shows: the JSON 'peer state' lines of both sides.
    for (const [proc, peer] of [[initiator, FQDN_A], [responder, FQDN_B]] as const) {
      expect(proc.lines).toContainEqual(expect.objectContaining({ msg: 'peer state', peer, to: 'tls-established', mechanism: 'TLS' }));
    }
  });
});

describe('docker-compose.yml (compose CLI)', () => {
  const cli = composeCli();
  const title = 'docker-compose config -q accepts docker-compose.yml';
  if (cli) {
    it(`${title} (${cli.join(' ')})`, () => {
      const result = spawnSync(cli[0]!, [...cli.slice(1), '-f', COMPOSE_FILE, 'config', '-q'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000 });
      if (result.status !== 0) throw new Error(`${cli.join(' ')} config -q exited ${result.status}:\n${result.stderr}${result.stdout}`);
      expect(result.status).toBe(0);
    });
  } else {
    it.skip(`${title} — SKIPPED: neither "docker-compose" nor "docker compose" is installed (apt-get install -y docker-compose)`, () => undefined);
  }
});
