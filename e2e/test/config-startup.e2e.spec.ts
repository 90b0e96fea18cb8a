import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCa } from '@sepp/infra';
import { N32C_PATHS } from '@sepp/protocol';
import { AppProcess, writeTlsListenDelay, type AppStart, type Role } from './support/app-process';
import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, PLMN_B, responderYaml, type SeppYaml } from './support/configs';
import { H2Client } from './support/h2-client';
import type { CertFiles, TestPki } from './support/pki';
import { freePort, holdPort } from './support/ports';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

/** Exit code for an unusable configuration (README, Configuration). */
const EXIT_CONFIG = 2;

describe('start-up contract of the built apps (README, Configuration)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  /** root/certs holds the PEM files, root/conf the YAML files that name them as ../certs/... */
  let root: string;
  let conf: string;
  const started: AppProcess[] = [];

  /** PLMN A's responder, certificate paths relative to the config folder. */
  function responderFile(mutate: (yaml: SeppYaml) => void = () => undefined): SeppYaml {
    const yaml = responderYaml(certA, pki);
    yaml.tls = { cert: '../certs/a.crt', key: '../certs/a.key', ca: ['../certs/ca.crt'] };
    yaml.logging = { level: 'info' };
    mutate(yaml);
    return yaml;
  }

  let fileCount = 0;
  /** Writes YAML (an object, or raw text) under root/conf and returns its absolute path. */
  function writeConf(content: unknown, name = `c${++fileCount}`): string {
    const file = join(conf, `${name}.yaml`);
    writeFileSync(file, typeof content === 'string' ? content : stringify(content));
    return file;
  }

  function start(role: Role, options: AppStart): AppProcess {
    const app = AppProcess.launch(role, { cwd: root, ...options });
    started.push(app);
    return app;
  }

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    root = join(pki.dir, 'layout');
    conf = join(root, 'conf');
    mkdirSync(join(root, 'certs'), { recursive: true });
    mkdirSync(conf);
    copyFileSync(certA.cert, join(root, 'certs/a.crt'));
    copyFileSync(certA.key, join(root, 'certs/a.key'));
    copyFileSync(certB.cert, join(root, 'certs/b.crt'));
    copyFileSync(certB.key, join(root, 'certs/b.key'));
    copyFileSync(pki.caFile, join(root, 'certs/ca.crt'));
    writeFileSync(join(root, 'certs/rogue-ca.crt'), (await createCa({ commonName: 'Rogue CA' })).certPem);
  });

  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop()));
  });

  /** PLMN B's SEPP asks `port` for TLS: proves the listener serves N32-c with a usable identity. */
  async function negotiateWith(port: number): Promise<{ status: number; body: unknown; serverNames: string | undefined }> {
    const client = await H2Client.open(port, FQDN_A, pki.clientTls(certB));
    try {
      const answer = await client.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_B] });
      return { status: answer.status, body: answer.json, serverNames: client.socket.getPeerCertificate().subjectaltname };
    } finally {
      client.close();
    }
  }

  it('--config FILE (relative to the working directory) with certificate paths relative to the file', async () => {
    const file = writeConf(responderFile(), 'responder');
    // Working directory `root`: ../certs/a.crt from there does not exist, from conf/ it does.
    const app = start('responder', { args: ['--config', 'conf/responder.yaml'] });
    await app.ready();
    expect(app.lines.find((l) => l.msg === 'configuration loaded')).toMatchObject({ file, fqdn: FQDN_A });

    // One JSON line per listener, with address, port and protocol.
    const listening = app.listening;
    expect(listening.map((l) => l['listener']).sort()).toEqual(['admin', 'n32']);
    expect(listening.find((l) => l['listener'] === 'admin')).toMatchObject({ address: '127.0.0.1', port: expect.any(Number), protocol: 'http/1.1' });
    expect(listening.find((l) => l['listener'] === 'n32')).toMatchObject({ address: '127.0.0.1', port: expect.any(Number), protocol: 'h2' });
    for (const line of listening) expect(line['port']).toBeGreaterThan(0);

    const ready = await app.admin<{ status: string; listeners: Record<string, string> }>('/readyz');
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready', listeners: { admin: 'up', n32: 'up' } } });
    const served = await negotiateWith(app.port('n32'));
    expect(served.status).toBe(200);
    expect(served.serverNames).toBe(`DNS:${FQDN_A}`);
    expect(await app.stop()).toBe(0);
  });

  it('--config=FILE and SEPP_CONFIG=FILE work too, and --config wins over SEPP_CONFIG', async () => {
    const good = writeConf(responderFile(), 'good');
    const broken = writeConf('sepp: [not closed', 'broken');
    const apps = [
      start('responder', { args: [`--config=${good}`] }),
      start('responder', { env: { SEPP_CONFIG: good }, cwd: tmpdir() }),
      start('responder', { args: ['--config', good], env: { SEPP_CONFIG: broken } }),
    ];
    await Promise.all(apps.map((app) => app.ready()));
    for (const app of apps) {
      expect(app.lines.find((l) => l.msg === 'configuration loaded')?.['file']).toBe(good);
      expect((await app.admin('/readyz')).status).toBe(200);
    }
    await Promise.all(apps.map((app) => app.stop()));
  });

  describe('an unusable configuration exits with code 2 before listening, naming the key', () => {
    interface Refusal {
      readonly name: string;
      readonly role?: Role;
      /** The config file (default: a responder file with `mutate` applied). */
      readonly file?: () => string;
      readonly mutate?: (yaml: SeppYaml) => void;
      readonly args?: (file: string) => string[];
      readonly env?: NodeJS.ProcessEnv;
      /** Each must appear in stderr (a string: as a whole line after the indentation). */
      readonly stderr: readonly (string | RegExp)[]; // `CONF` stands for the config folder
    }

    const peerPlmn = (mnc: unknown) => (yaml: SeppYaml) => {
      yaml.n32.peers[0]!.plmns = [{ mcc: '002', mnc } as never];
    };

    const REFUSALS: readonly Refusal[] = [
      { name: 'no --config and no SEPP_CONFIG', args: () => [], stderr: [/no configuration file: pass --config FILE or set SEPP_CONFIG/] },
      { name: 'a missing file', file: () => join(conf, 'does-not-exist.yaml'), stderr: [/cannot read .*does-not-exist\.yaml: ENOENT/] },
      { name: 'invalid YAML', file: () => writeConf('sepp:\n  fqdn: [unclosed\n  plmns: {\n'), stderr: [/is not valid YAML/] },
      { name: 'a duplicated YAML key', file: () => writeConf(`${stringify(responderFile())}admin:\n  listen: { host: 127.0.0.1, port: 0 }\n`), stderr: [/is not valid YAML/] },
      { name: 'YAML that is not a mapping', file: () => writeConf('- sepp\n- tls\n'), stderr: [/must hold a YAML mapping/] },
      { name: 'an MNC of 1 digit', mutate: peerPlmn('7'), stderr: ['n32.peers[0].plmns[0].mnc: must be 2 or 3 digits'] },
      { name: 'an unquoted MNC (a YAML number)', mutate: peerPlmn(2), stderr: ['n32.peers[0].plmns[0].mnc: must be a string of 2 or 3 digits (quote it in YAML)'] },
      { name: 'an unknown mechanism in sepp.capabilities', mutate: (y) => void (y.sepp.capabilities = ['TLS', 'SSH']), stderr: [/^sepp\.capabilities(\[1\])?: .*TLS or PRINS/] },
      { name: 'a duplicated mechanism in sepp.capabilities', mutate: (y) => void (y.sepp.capabilities = ['TLS', 'PRINS', 'TLS']), stderr: ['sepp.capabilities[2]: duplicates TLS'] },
      { name: 'a typo in a key (n32.acceptUnknownPeer)', mutate: (y) => void Object.assign(y.n32, { acceptUnknownPeer: true }), stderr: ['n32.acceptUnknownPeer: is not a known key'] },
      { name: 'an unknown top-level key', mutate: (y) => void Object.assign(y, { admn: { listen: { host: '127.0.0.1', port: 0 } } }), stderr: ['admn: is not a known key'] },
      { name: 'a missing sepp.fqdn', mutate: (y) => void delete (y.sepp as Partial<SeppYaml['sepp']>).fqdn, stderr: ['sepp.fqdn: is required'] },
      {
        name: 'tls.cert without sepp.fqdn as a SAN dNSName',
        mutate: (y) => void (y.tls = { ...y.tls, cert: '../certs/b.crt', key: '../certs/b.key' }),
        stderr: [new RegExp(`^sepp\\.fqdn: ${FQDN_A.replace(/\./g, '\\.')} is not a SAN dNSName of tls\\.cert \\(${FQDN_B.replace(/\./g, '\\.')}\\)`)],
      },
      { name: 'a key that does not match the certificate', mutate: (y) => void (y.tls.key = '../certs/b.key'), stderr: [/^tls\.key: .*b\.key does not match the certificate in tls\.cert/] },
      { name: 'a missing certificate file (resolved against the file folder)', mutate: (y) => void (y.tls.cert = 'nope.crt'), stderr: ['tls.cert: cannot read CONF/nope.crt: ENOENT'] },
      { name: 'a responder without n32.listen', mutate: (y) => void delete y.n32.listen, stderr: ['n32.listen: is required for the responder'] },
      { name: 'the initiator reads the same schema', role: 'initiator', mutate: peerPlmn('7'), stderr: ['n32.peers[0].plmns[0].mnc: must be 2 or 3 digits'] },
      // Environment overrides: a bad value names the key and the variable.
      { name: 'SEPP_N32_LISTEN_PORT=abc', env: { SEPP_N32_LISTEN_PORT: 'abc' }, stderr: [/^n32\.listen\.port \(from SEPP_N32_LISTEN_PORT\): must be an integer port/] },
      { name: 'SEPP_ADMIN_LISTEN_PORT=70000', env: { SEPP_ADMIN_LISTEN_PORT: '70000' }, stderr: ['admin.listen.port (from SEPP_ADMIN_LISTEN_PORT): must be 0..65535'] },
      { name: 'SEPP_LOG_LEVEL=loud', env: { SEPP_LOG_LEVEL: 'loud' }, stderr: [/^logging\.level \(from SEPP_LOG_LEVEL\): must be fatal, error/] },
      { name: 'SEPP_TLS_CERT naming a missing file', env: { SEPP_TLS_CERT: '/nonexistent/sepp.crt' }, stderr: ['tls.cert (from SEPP_TLS_CERT): cannot read /nonexistent/sepp.crt: ENOENT'] },
      { name: 'SEPP_TLS_KEY naming the wrong key', env: { SEPP_TLS_KEY: 'certs/b.key' }, stderr: [/^tls\.key \(from SEPP_TLS_KEY\): .*does not match the certificate/] },
      { name: 'SEPP_TLS_CA naming a missing file', env: { SEPP_TLS_CA: 'certs/ca.crt, /nonexistent/ca.crt' }, stderr: ['tls.ca[1] (from SEPP_TLS_CA): cannot read /nonexistent/ca.crt: ENOENT'] },
      { name: 'SEPP_N32_PEERS_0_ADDRESS without a port', env: { SEPP_N32_PEERS_0_ADDRESS: '127.0.0.1' }, stderr: ['n32.peers[0].address (from SEPP_N32_PEERS_0_ADDRESS): must be host:port or a list of host:port'] },
      { name: 'SEPP_N32_PEERS_3_ADDRESS for a peer that does not exist', env: { SEPP_N32_PEERS_3_ADDRESS: '127.0.0.1:443' }, stderr: ['SEPP_N32_PEERS_3_ADDRESS: there is no n32.peers[3] to override'] },
    ];

    /**
     * The refused start-ups run a few at a time, in the order of the tests that read their outcome:
     * each is a whole Node process loading the app, and two dozen at once on a busy 2-core machine
     * would each take longer than its own bound.
     */
    const AT_ONCE = 3;
    const outcomes = new Map<Refusal, Promise<{ app: AppProcess; code: number | null }>>();
    beforeAll(() => {
      let free = AT_ONCE;
      const queued: (() => void)[] = [];
      const slot = (): Promise<void> => (free > 0 ? ((free -= 1), Promise.resolve()) : new Promise((resolve) => queued.push(resolve)));
      const release = (): void => {
        const next = queued.shift();
        if (next) next();
        else free += 1;
      };
      for (const refusal of REFUSALS) {
        const role = refusal.role ?? 'responder';
        const file = refusal.file?.() ?? writeConf(role === 'responder' ? responderFile(refusal.mutate) : initiatorFile(refusal.mutate));
        const outcome = slot().then(() => {
          const app = start(role, { args: refusal.args?.(file) ?? ['--config', file], env: refusal.env });
          return app
            .exitCodeWithin(30_000)
            .then((code) => ({ app, code }))
            .finally(release);
        });
        outcome.catch(() => undefined); // reported by the test that awaits it
        outcomes.set(refusal, outcome);
      }
    });

    it.each(REFUSALS.map((r) => [r.name, r] as const))('%s', async (_name, refusal) => {
      const role = refusal.role ?? 'responder';
      const { app, code } = await outcomes.get(refusal)!;
      expect(code).toBe(EXIT_CONFIG);
      expect(app.listening).toEqual([]);
      expect(app.lines.filter((l) => l.msg === 'ready')).toEqual([]);
      expect(app.stderrLines[0]).toMatch(new RegExp(`^sepp-${role}: invalid configuration `));
      const problems = app.stderrLines.slice(1).map((line) => line.trim());
      for (const expected of refusal.stderr) {
        if (typeof expected === 'string') expect(problems).toContain(expected.replace('CONF', conf));
        else expect(problems.some((line) => expected.test(line))).toBe(true);
      }
    });

    function initiatorFile(mutate: (yaml: SeppYaml) => void = () => undefined): SeppYaml {
      const yaml = initiatorYaml(certB, pki, 443);
      yaml.tls = { cert: '../certs/b.crt', key: '../certs/b.key', ca: ['../certs/ca.crt'] };
      mutate(yaml);
      return yaml;
    }
  });

  it('environment overrides of ports, TLS material and log level take effect', async () => {
    // The file's own values cannot work: its ports are taken, its certificate is PLMN B's (not
    // sepp.fqdn's) and its only CA is one that signed nobody here.
    const [n32Held, adminHeld] = await Promise.all([holdPort(), holdPort()]);
    try {
      const file = writeConf(
        responderFile((y) => {
          y.n32.listen = { host: '127.0.0.1', port: n32Held.port };
          y.admin.listen = { host: '127.0.0.1', port: adminHeld.port };
          y.tls = { cert: '../certs/b.crt', key: '../certs/b.key', ca: ['../certs/rogue-ca.crt'] };
          y.logging = { level: 'info' };
        }),
      );
      const overrides = {
        SEPP_N32_LISTEN_PORT: '0',
        SEPP_ADMIN_LISTEN_PORT: '0',
        SEPP_TLS_CERT: join(root, 'certs/a.crt'), // absolute
        SEPP_TLS_KEY: 'certs/a.key', // relative: to the working directory (root)
        SEPP_TLS_CA: join(root, 'certs/ca.crt'),
        SEPP_LOG_LEVEL: 'debug',
      };

      // Control: the file alone is refused.
      const plain = start('responder', { args: ['--config', file] });
      expect(await plain.exitCodeWithin(20_000)).toBe(EXIT_CONFIG);
      expect(plain.stderr).toContain('sepp.fqdn:');

      const app = start('responder', { args: ['--config', file], env: overrides });
      await app.ready();
      expect(app.port('n32')).not.toBe(n32Held.port);
      expect(app.port('admin')).not.toBe(adminHeld.port);
      expect(app.lines.some((l) => l.level === 'debug')).toBe(true);
      expect((await app.admin('/readyz')).status).toBe(200);
      // Served with certificate A (SEPP_TLS_CERT/KEY) and trusting the CA of SEPP_TLS_CA.
      const served = await negotiateWith(app.port('n32'));
      expect(served).toMatchObject({ status: 200, body: { sender: FQDN_A, selectedSecCapability: 'TLS' }, serverNames: `DNS:${FQDN_A}` });
      expect(await app.stop()).toBe(0);
    } finally {
      n32Held.server.close();
      adminHeld.server.close();
    }
  });

  it('SEPP_N32_PEERS_0_ADDRESS redirects where the initiator dials', async () => {
    const responder = await SeppProcess.ready('responder', writeConf(responderFile()));
    started.push(responder);
    // The file dials a port nobody listens on; the variable points at the responder.
    const yaml = initiatorYaml(certB, pki, await freePort());
    yaml.tls = { cert: '../certs/b.crt', key: '../certs/b.key', ca: ['../certs/ca.crt'] };
    const file = writeConf(yaml);
    const initiator = start('initiator', { args: ['--config', file], env: { SEPP_N32_PEERS_0_ADDRESS: `127.0.0.1:${responder.port('n32')}` } });
    await initiator.ready();
    await responder.waitForPeerState(FQDN_B, 'tls-established', 15_000);
    expect(await initiator.stop()).toBe(0);
  });

  it('a listener that cannot bind stops the app with exit code 1 and one fatal log line, nothing left half-started', async () => {
    const held = await holdPort();
    try {
      const app = start('responder', { args: ['--config', writeConf(responderFile((y) => (y.n32.listen = { host: '127.0.0.1', port: held.port })))] });
      expect(await app.exitCodeWithin(15_000)).toBe(1);
      const fatal = app.lines.find((l) => l.msg === 'start-up failed');
      expect(fatal).toMatchObject({ level: 'fatal', err: { code: 'EADDRINUSE' } });
      expect(app.lines.some((l) => l.msg === 'ready')).toBe(false);
    } finally {
      held.server.close();
    }
  });

  it('/readyz is 503 while a listener is not up yet, 200 once every listener is', async () => {
    const preload = writeTlsListenDelay(pki.dir, 1_500);
    const app = start('responder', { args: ['--config', writeConf(responderFile())], env: { NODE_OPTIONS: `--require ${preload}` } });
    await app.waitForLog('admin listening', (l) => l.msg === 'listening' && l['listener'] === 'admin');
    const early = await app.admin<{ status: number; cause: string; listeners: Record<string, string> }>('/readyz');
    expect(early.status).toBe(503);
    expect(early.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(early.body).toMatchObject({ status: 503, cause: 'INSUFFICIENT_RESOURCES', listeners: { admin: 'up', n32: 'down' } });
    expect(app.listening.map((l) => l['listener'])).toEqual(['admin']);
    expect(app.lines.some((l) => l.msg === 'ready')).toBe(false);

    await app.ready();
    const late = await app.admin<{ status: string; listeners: Record<string, string> }>('/readyz');
    expect(late).toMatchObject({ status: 200, body: { status: 'ready', listeners: { admin: 'up', n32: 'up' } } });
    expect(app.listening.map((l) => l['listener'])).toEqual(['admin', 'n32']);
  });
});
