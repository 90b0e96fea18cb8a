import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCa, createCrl, createLeaf, mintExpired } from '@sepp/infra';
import { ConfigError, loadConfig, resolveConfigPath } from './load-config';

const FQDN = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
let dir: string;
let other: { certPem: string; keyPem: string };

function base(): Record<string, any> {
  return {
    sepp: { fqdn: FQDN, plmns: [{ mcc: '001', mnc: '01' }], capabilities: ['TLS', 'PRINS'] },
    tls: { cert: '../certs/sepp.crt', key: '../certs/sepp.key', ca: ['../certs/ca.crt'] },
    n32: {
      listen: { host: '127.0.0.1', port: 8443 },
      peers: [{ fqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org', plmns: [{ mcc: '002', mnc: '02' }], address: '127.0.0.1:9443', intermediaries: 'none' }],
      acceptUnknownPeers: false,
    },
    admin: { listen: { host: '127.0.0.1', port: 9101 } },
  };
}

function write(config: unknown, name = 'sepp.yaml'): string {
  const file = join(dir, 'conf', name);
  writeFileSync(file, typeof config === 'string' ? config : stringify(config));
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sepp-config-'));
  mkdirSync(join(dir, 'conf'));
  mkdirSync(join(dir, 'certs'));
  const ca = await createCa({ commonName: 'Test CA' });
  const leaf = await createLeaf({ ca, dnsNames: [FQDN] });
  other = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc009.mcc009.3gppnetwork.org'] });
  const expired = await mintExpired(ca, [FQDN]);
  writeFileSync(join(dir, 'certs/ca.crt'), ca.certPem);
  writeFileSync(join(dir, 'certs/sepp.crt'), leaf.chainPem);
  writeFileSync(join(dir, 'certs/sepp.key'), leaf.keyPem);
  writeFileSync(join(dir, 'certs/other.crt'), other.certPem);
  writeFileSync(join(dir, 'certs/other.key'), other.keyPem);
  writeFileSync(join(dir, 'certs/expired.crt'), expired.certPem);
  writeFileSync(join(dir, 'certs/expired.key'), expired.keyPem);
  const ipxKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
  writeFileSync(join(dir, 'certs/ipx.pub'), ipxKey);
  writeFileSync(join(dir, 'certs/rsa.pub'), generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  // A current CRL revoking `other`, and one past its nextUpdate.
  writeFileSync(join(dir, 'certs/ca.crl'), await createCrl({ ca, revoked: [{ serialNumber: new X509Certificate(other.certPem).serialNumber }] }));
  writeFileSync(join(dir, 'certs/stale.crl'), await createCrl({ ca, thisUpdate: new Date(Date.now() - 10 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) }));
});

describe('loadConfig', () => {
  it('loads the CONFIG.md example shape, resolves paths against the file and fills defaults', () => {
    const config = loadConfig(write(base()), {});
    expect(config.tls.certFile).toBe(join(dir, 'certs/sepp.crt'));
    expect(config.tls.caFiles).toEqual([join(dir, 'certs/ca.crt')]);
    expect(config.tls.minVersion).toBe('TLSv1.2');
    expect(config.tls.material.dnsNames).toEqual([FQDN]);
    expect(config.n32.peers[0]).toEqual({
      fqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
      plmns: [{ mcc: '002', mnc: '02' }],
      dial: { host: '127.0.0.1', port: 9443 },
      dials: [{ host: '127.0.0.1', port: 9443 }],
      intermediaries: 'none',
      purposes: null,
      ipx: null,
    });
    expect(config.n32).toMatchObject({
      acceptUnknownPeers: false,
      bodyLimit: 65_536,
      retry: { initialDelayMs: 1000, maxDelayMs: 60_000 },
      renegotiation: { enabled: true, waitMs: 2_000, minIntervalMs: 5_000 },
    });
    expect(config.prins.acceptLegacyUriPlaceholder).toBe(false);
    expect(config.sepp).toMatchObject({ supportedFeatures: '0', targetApiRootSupported: true });
    expect(config.sbi).toEqual({ listen: null, allowedTargets: [], hosts: {}, tls: null, keepaliveMs: 15_000 });
    expect(Object.isFrozen(config.n32.peers[0])).toBe(true);
  });

  it('reads n32.renegotiation and prins.acceptLegacyUriPlaceholder', () => {
    const raw = base();
    raw.n32.renegotiation = { enabled: false, waitMs: 0, minIntervalMs: 250 };
    raw.prins = { acceptLegacyUriPlaceholder: true };
    const config = loadConfig(write(raw), {});
    expect(config.n32.renegotiation).toEqual({ enabled: false, waitMs: 0, minIntervalMs: 250 });
    expect(config.prins.acceptLegacyUriPlaceholder).toBe(true);
  });

  it('dials a peer without address by its FQDN on port 443', () => {
    const raw = base();
    delete raw.n32.peers[0].address;
    expect(loadConfig(write(raw), {}).n32.peers[0]!.dial).toEqual({ host: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org', port: 443 });
  });

  it.each<[string, (c: Record<string, any>) => void, string]>([
    ['a 1-digit MNC', (c) => (c.n32.peers[0].plmns[0].mnc = '2'), 'n32.peers[0].plmns[0].mnc: must be 2 or 3 digits'],
    ['an unquoted numeric MNC', (c) => (c.sepp.plmns[0].mnc = 1), 'sepp.plmns[0].mnc: must be a string of 2 or 3 digits (quote it in YAML)'],
    ['an unknown mechanism', (c) => (c.sepp.capabilities = ['TLS', 'ALS']), 'sepp.capabilities: every item must be TLS or PRINS'],
    ['a duplicated mechanism', (c) => (c.sepp.capabilities = ['TLS', 'TLS']), 'sepp.capabilities[1]: duplicates TLS'],
    ['a missing section', (c) => delete c.admin, 'admin: is required'],
    ['a missing key', (c) => delete c.sepp.fqdn, 'sepp.fqdn: is required'],
    ['a typo in a key', (c) => (c.n32.peers[0].intermediary = 'none'), 'n32.peers[0].intermediary: is not a known key'],
    ['a bad policy', (c) => (c.n32.peers[0].intermediaries = 'ipx'), 'n32.peers[0].intermediaries: must be none, ip-routing or modifying'],
    ['a bad address', (c) => (c.n32.peers[0].address = 'localhost'), 'n32.peers[0].address: must be host:port'],
    ['a port out of range', (c) => (c.n32.listen.port = 70000), 'n32.listen.port: must be 0..65535'],
    ['a bad TLS version', (c) => (c.tls.minVersion = 'TLSv1.1'), 'tls.minVersion: must be TLSv1.2 or TLSv1.3'],
    ['duplicated peers', (c) => c.n32.peers.push({ ...c.n32.peers[0] }), 'n32.peers[1].fqdn: duplicates sepp.5gc.mnc002.mcc002.3gppnetwork.org'],
    ['an unreadable certificate', (c) => (c.tls.cert = '../certs/missing.crt'), `tls.cert: cannot read ${'DIR'}/certs/missing.crt: ENOENT`],
    ['a certificate without our FQDN', (c) => Object.assign(c.tls, { cert: '../certs/other.crt', key: '../certs/other.key' }), 'sepp.fqdn: sepp.5gc.mnc001.mcc001.3gppnetwork.org is not a SAN dNSName of tls.cert (sepp.5gc.mnc009.mcc009.3gppnetwork.org)'],
    ['a key of another certificate', (c) => (c.tls.key = '../certs/other.key'), `tls.key: ${'DIR'}/certs/other.key does not match the certificate in tls.cert`],
    ['an expired certificate', (c) => Object.assign(c.tls, { cert: '../certs/expired.crt', key: '../certs/expired.key' }), 'tls.cert: the certificate expired on'],
    ['an admin TLS key of another certificate', (c) => (c.admin.tls = { cert: '../certs/sepp.crt', key: '../certs/other.key' }), `admin.tls.key: ${'DIR'}/certs/other.key does not match the certificate in admin.tls.cert`],
    ['retry delays upside down', (c) => (c.n32.retry = { initialDelayMs: 5000, maxDelayMs: 1000 }), 'n32.retry.initialDelayMs: must not exceed n32.retry.maxDelayMs'],
    ['a renegotiation wait beyond a minute', (c) => (c.n32.renegotiation = { waitMs: 60_001 }), 'n32.renegotiation.waitMs: must be at most 60000 ms'],
    ['a renegotiation interval too short', (c) => (c.n32.renegotiation = { minIntervalMs: 10 }), 'n32.renegotiation.minIntervalMs: must be at least 100 ms'],
    ['renegotiation enabled as a string', (c) => (c.n32.renegotiation = { enabled: 'yes' }), 'n32.renegotiation.enabled: must be true or false'],
    ['a typo under renegotiation', (c) => (c.n32.renegotiation = { waitMS: 100 }), 'n32.renegotiation.waitMS: is not a known key'],
    ['the legacy placeholder switch as a string', (c) => (c.prins = { acceptLegacyUriPlaceholder: 'true' }), 'prins.acceptLegacyUriPlaceholder: must be true or false'],
    ['an NF keepalive under 100 ms', (c) => (c.sbi = { ...c.sbi, keepaliveMs: 50 }), 'sbi.keepaliveMs: must be 0 (none) or at least 100 ms'],
    ['a negative NF keepalive', (c) => (c.sbi = { ...c.sbi, keepaliveMs: -1 }), 'sbi.keepaliveMs: must be 0 (none) or at least 100 ms'],
    ['an NF keepalive past a timer\'s range', (c) => (c.sbi = { ...c.sbi, keepaliveMs: 2 ** 31 }), 'sbi.keepaliveMs: must be at most 3600000 ms'],
    ['a CRL file that is a certificate', (c) => (c.tls.crl = ['../certs/ca.crt']), `tls.crl[0]: ${'DIR'}/certs/ca.crt is not a PEM certificate revocation list`],
    ['a CRL file that is not there', (c) => (c.tls.crl = ['../certs/none.crl']), `tls.crl[0]: cannot read ${'DIR'}/certs/none.crl`],
    ['a CRL past its nextUpdate', (c) => (c.tls.crl = ['../certs/ca.crl', '../certs/stale.crl']), 'tls.crl[1]: the CRL of C=ZZ, O=SEPP interconnect, CN=Test CA is past its nextUpdate ('],
    ['CRLs not as a list', (c) => (c.tls.crl = '../certs/ca.crl'), 'tls.crl: must be a list of PEM files'],
    ['an N32 keepalive past a timer\'s range', (c) => (c.n32.keepaliveMs = 2 ** 31), 'n32.keepaliveMs: must be at most 3600000 ms'],
    ['an N32-c request timeout beyond a day', (c) => (c.n32.requestTimeoutMs = 86_400_001), 'n32.requestTimeoutMs: must be at most 86400000 ms'],
    ['an N32 idle timeout beyond a day', (c) => (c.n32.idleTimeoutMs = 2 ** 31), 'n32.idleTimeoutMs: must be at most 86400000 ms'],
    ['a retry delay beyond a day', (c) => (c.n32.retry = { initialDelayMs: 100, maxDelayMs: 2 ** 31 }), 'n32.retry.maxDelayMs: must be at most 86400000 ms'],
    ['a renegotiation interval beyond a day', (c) => (c.n32.renegotiation = { minIntervalMs: 2 ** 31 }), 'n32.renegotiation.minIntervalMs: must be at most 86400000 ms'],
    ['an N32-f request timeout beyond a day', (c) => (c.n32f = { ...c.n32f, requestTimeoutMs: 2 ** 31 }), 'n32f.requestTimeoutMs: must be at most 86400000 ms'],
    ['an N32-f establish timeout beyond a day', (c) => (c.n32f = { ...c.n32f, establishTimeoutMs: 2 ** 31 }), 'n32f.establishTimeoutMs: must be at most 86400000 ms'],
  ])('names the key at fault for %s', (_name, mutate, expected) => {
    const raw = base();
    mutate(raw);
    const problems = problemsOf(() => loadConfig(write(raw), {}));
    expect(problems.some((p) => p.startsWith(expected.replace('DIR', dir)))).toBe(true);
  });

  it('reads tls.crl: the PEM texts for TLS, each CRL\'s issuer, nextUpdate and revoked serial numbers, the files among those watched; none by default', () => {
    expect(loadConfig(write(base()), {}).tls.material.crl).toEqual([]);
    const raw = base();
    raw.tls.crl = ['../certs/ca.crl'];
    const config = loadConfig(write(raw), {});
    expect(config.tls.material.crl).toHaveLength(1);
    expect(config.tls.material.crl[0]!.toString()).toContain('-----BEGIN X509 CRL-----');
    expect(config.tls.crls).toHaveLength(1);
    const [crl] = config.tls.crls;
    expect(crl).toMatchObject({ issuer: 'C=ZZ, O=SEPP interconnect, CN=Test CA', file: join(dir, 'certs/ca.crl') });
    expect(crl!.nextUpdate!.getTime()).toBeGreaterThan(Date.now());
    expect([...crl!.revoked]).toEqual([new X509Certificate(other.certPem).serialNumber.toLowerCase().replace(/^0+/, '')]);
    expect(config.tls.files).toContain(join(dir, 'certs/ca.crl'));
  });

  it('reads a peer IPX relay: its address, and the P-256 keys of its certificates and public-key files', () => {
    const raw = base();
    Object.assign(raw.n32.peers[0], {
      intermediaries: 'modifying',
      ipx: { fqdn: 'IPX.Roaming.Example.org.', address: '127.0.0.1:8543', signingKeys: ['../certs/other.crt', '../certs/ipx.pub'] },
    });
    const ipx = loadConfig(write(raw), {}).n32.peers[0]!.ipx!;
    expect(ipx.fqdn).toBe('ipx.roaming.example.org');
    expect(ipx.dial).toEqual({ host: '127.0.0.1', port: 8543 });
    expect(ipx.publicKeys).toHaveLength(2);
    expect(ipx.publicKeys.every((pem) => pem.startsWith('-----BEGIN PUBLIC KEY-----'))).toBe(true);
    expect(ipx.certificates).toHaveLength(1);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an IPX without the modifying policy', { intermediaries: 'ip-routing' }, 'n32.peers[0].intermediaries: must be modifying when ipx is set'],
    ['an IPX private key', { ipx: { fqdn: 'ipx.example.org', signingKeys: ['../certs/other.key'] } }, 'n32.peers[0].ipx.signingKeys[0]: DIR/certs/other.key holds a PRIVATE KEY'],
    ['an IPX key that is not P-256', { ipx: { fqdn: 'ipx.example.org', signingKeys: ['../certs/rsa.pub'] } }, 'n32.peers[0].ipx.signingKeys[0]: DIR/certs/rsa.pub: must hold EC P-256'],
    ['an IPX file that is no PEM', { ipx: { fqdn: 'ipx.example.org', signingKeys: ['sepp.yaml'] } }, 'n32.peers[0].ipx.signingKeys[0]: DIR/conf/sepp.yaml holds no PEM'],
    ['an IPX without keys', { ipx: { fqdn: 'ipx.example.org', signingKeys: [] } }, 'n32.peers[0].ipx.signingKeys: must list at least one signing key'],
    ['an IPX with a bad address', { ipx: { fqdn: 'ipx.example.org', address: 'ipx', signingKeys: ['../certs/ipx.pub'] } }, 'n32.peers[0].ipx.address: must be host:port'],
  ])('names the key at fault for %s', (_name, peer, expected) => {
    const raw = base();
    Object.assign(raw.n32.peers[0], { intermediaries: 'modifying', ipx: { fqdn: 'ipx.example.org', signingKeys: ['../certs/ipx.pub'] } }, peer);
    const problems = problemsOf(() => loadConfig(write(raw), {}));
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(expected.replace('DIR', dir))]));
  });

  it('reads admin.tls (HTTPS for OAM) and watches its files', () => {
    const raw = base();
    raw.admin.tls = { cert: '../certs/sepp.crt', key: '../certs/sepp.key', ca: ['../certs/ca.crt'] };
    const config = loadConfig(write(raw), {});
    expect(config.admin.tls?.ca).toHaveLength(1);
    expect(config.tls.files).toEqual(expect.arrayContaining([join(dir, 'certs/sepp.key')]));
    expect(loadConfig(write(base()), {}).admin.tls).toBeNull();
  });

  it('refuses a file that is not YAML, not a mapping, or absent', () => {
    expect(problemsOf(() => loadConfig(write('sepp: [unclosed'), {}))[0]).toMatch(/is not valid YAML/);
    expect(problemsOf(() => loadConfig(write('- a\n- b\n'), {}))[0]).toMatch(/must hold a YAML mapping/);
    expect(problemsOf(() => loadConfig(join(dir, 'nope.yaml'), {}))[0]).toMatch(/cannot read .*nope\.yaml: ENOENT/);
    expect(problemsOf(() => loadConfig(write('a: 1\na: 2\n'), {}))[0]).toMatch(/not valid YAML/);
  });

  it('applies environment overrides for addresses and certificate paths, naming the variable on error', () => {
    const file = write(base());
    const env = {
      SEPP_N32_LISTEN_HOST: '0.0.0.0',
      SEPP_N32_LISTEN_PORT: '18443',
      SEPP_ADMIN_LISTEN_PORT: '0',
      SEPP_TLS_CERT: join(dir, 'certs/sepp.crt'),
      SEPP_TLS_CA: `${join(dir, 'certs/ca.crt')},${join(dir, 'certs/ca.crt')}`,
      SEPP_N32_PEERS_0_ADDRESS: 'peer.example.org:7443',
      SEPP_LOG_LEVEL: 'warn',
    };
    const config = loadConfig(file, env);
    expect(config.n32.listen).toEqual({ host: '0.0.0.0', port: 18443 });
    expect(config.admin.listen.port).toBe(0);
    expect(config.tls.caFiles).toHaveLength(2);
    expect(config.n32.peers[0]!.dial).toEqual({ host: 'peer.example.org', port: 7443 });
    expect(config.logging.level).toBe('warn');
    expect(problemsOf(() => loadConfig(file, { SEPP_N32_LISTEN_PORT: 'http' }))).toContain(
      'n32.listen.port (from SEPP_N32_LISTEN_PORT): must be an integer port (0 picks a free one)',
    );
    expect(problemsOf(() => loadConfig(file, { SEPP_N32_PEERS_3_ADDRESS: 'x:1' }))[0]).toMatch(/SEPP_N32_PEERS_3_ADDRESS: there is no n32.peers\[3\]/);
  });
});

describe('resolveConfigPath', () => {
  it('takes --config FILE, --config=FILE, then SEPP_CONFIG', () => {
    expect(resolveConfigPath(['--config', '/a.yaml'], {})).toBe('/a.yaml');
    expect(resolveConfigPath(['--config=/b.yaml'], { SEPP_CONFIG: '/c.yaml' })).toBe('/b.yaml');
    expect(resolveConfigPath([], { SEPP_CONFIG: '/c.yaml' })).toBe('/c.yaml');
    expect(() => resolveConfigPath([], {})).toThrow('no configuration file: pass --config FILE or set SEPP_CONFIG');
    expect(() => resolveConfigPath(['--config'], {})).toThrow('--config needs a file name');
  });
});

describe('border', () => {
  const PEER = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';

  it('is off for every peer without a border key (existing configurations keep their behaviour)', () => {
    const config = loadConfig(write(base()));
    const rules = config.border.peers[PEER]!.rules;
    expect([rules.topologyHiding.mode, rules.serviceAllowList.mode, rules.networkId.mode, rules.schemaValidation.mode]).toEqual(['off', 'off', 'off', 'off']);
    expect(config.border.schemaApis).toEqual([]);
  });

  it('turns on the categories a set names, with their defaults, and lets a peer change them', () => {
    const config = base();
    config.border = { mode: 'dry-run', serviceAllowList: {}, networkId: { mode: 'enforce', cause: 'NETWORK_ID_SPOOFED' }, schemaValidation: { apis: ['nausf-auth'] } };
    config.n32.peers[0].border = {
      details: 'terse',
      serviceAllowList: { mode: 'enforce', services: ['nudm-sdm'], rules: [{ name: 'echo', operations: ['POST /echo/{x}'] }], status: 404, cause: 'NOT_HERE' },
      topologyHiding: { internalDomains: ['core.internal'] },
      schemaValidation: { mode: 'off' },
    };
    const loaded = loadConfig(write(config));
    const peer = loaded.border.peers[PEER]!.rules;
    expect(peer.details).toBe('terse');
    expect(peer.serviceAllowList).toMatchObject({ mode: 'enforce', status: 404, cause: 'NOT_HERE' });
    expect(peer.serviceAllowList.services.map((s) => s.name)).toEqual(['nudm-sdm', 'echo']);
    expect(peer.networkId).toMatchObject({ mode: 'enforce', cause: 'NETWORK_ID_SPOOFED' });
    expect(peer.topologyHiding).toMatchObject({ mode: 'dry-run', internalDomains: ['core.internal'], hideIpAddresses: true });
    expect(peer.topologyHiding.places.length).toBeGreaterThan(20);
    expect(peer.schemaValidation.mode).toBe('off');
    const others = loaded.border.others.rules;
    expect(others.serviceAllowList.mode).toBe('dry-run');
    expect(others.serviceAllowList.services.length).toBeGreaterThan(10);
    expect(others.topologyHiding.mode).toBe('off');
    expect(loaded.border.schemaApis).toEqual(['nausf-auth']);
  });

  it('names the key of every bad rule', () => {
    const config = base();
    config.border = {
      mode: 'sometimes',
      serviceAllowList: { services: ['nudm-sdm', 'nudm-nope'], rules: [{ name: 'bad', operations: ['FETCH /x'] }, { name: 'worse', operations: ['GET /a/**/b'] }], status: 200 },
      topologyHiding: { places: [{ name: 'p', api: 'nudm-sdm', kind: 'uri', pointer: 'no-slash' }, { name: 'q', api: 'x', kind: 'uri' }] },
      networkId: { places: [{ name: 'n', api: 'x', header: 'a', query: 'b', format: 'plmnId', owner: 'sender' }] },
      schemaValidation: { apis: ['nudm-nope'] },
    };
    expect(problemsOf(() => loadConfig(write(config)))).toEqual(
      expect.arrayContaining([
        'border.mode: must be enforce or dry-run',
        'border.serviceAllowList.status: must be an HTTP status (400..599)',
      ]),
    );
    delete config.border.mode;
    config.border.serviceAllowList.status = 403;
    expect(problemsOf(() => loadConfig(write(config)))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^border\.serviceAllowList\.services\[1\]: is not a built-in rule/),
        expect.stringMatching(/^border\.serviceAllowList\.rules\[0\]: bad: FETCH \/x must be METHOD \/path-template/),
        expect.stringMatching(/^border\.serviceAllowList\.rules\[1\]: worse: GET \/a\/\*\*\/b: \*\* may only be the last segment/),
        expect.stringMatching(/^border\.topologyHiding\.places\[0\]: p: no-slash is not a JSON Pointer/),
        'border.topologyHiding.places[1]: must name exactly one of header, pointer',
        'border.networkId.places[0]: n: must name exactly one of header, pointer, query, param',
        expect.stringMatching(/^border\.schemaValidation\.apis\[0\]: has no vendored OpenAPI document/),
      ]),
    );
  });
});
