import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, LIMITS_DEFAULTS, readLimits } from '@sepp/server';
import { loadIpxConfig, resolveIpxConfigPath } from '../src/config/load-ipx-config';
import { ipxSecInfo } from '../src/sec-info';
import { createRig, IPX_FQDN, SEPP_B, strangerKey, writeConfig, type Rig } from './support/rig';

function problems(file: string): string[] {
  try {
    loadIpxConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(({ key, problem }) => `${key}: ${problem}`);
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('IPX configuration', () => {
  let rig: Rig;
  let count = 0;
  const write = (overrides: Record<string, unknown>): string => writeConfig(rig, 9443, overrides, `config-${count++}.yaml`);

  beforeAll(async () => {
    rig = await createRig();
  });

  it('reads a complete file: identity, TLS, hops, rules (template or pattern)', () => {
    const config = loadIpxConfig(
      write({
        ipx: { fqdn: 'IPX.Roaming.Example.org', signingKey: rig.ipxSigning.key, kid: 'k1' },
        rules: [
          { name: 'a', apiPath: '/nausf-auth/v1/ue-authentications', method: 'POST', direction: 'request', operations: [{ op: 'add', path: '/headers/-', value: { header: 'x-a', value: '1' } }] },
          { apiPathPattern: '^/nudm-', direction: 'response', operations: [] },
        ],
        bodyLimit: 65_536,
      }),
    );
    expect(config.ipx).toMatchObject({ fqdn: IPX_FQDN, kid: 'k1', certificate: null });
    expect(config.forward).toEqual({ host: '127.0.0.1', port: 9443, fqdn: SEPP_B, timeoutMs: 3000, keepaliveMs: 15_000 });
    expect(config.rules[0]).toEqual({ name: 'a', apiPath: '/nausf-auth/v1/ue-authentications', method: 'POST', direction: 'request', operations: [{ op: 'add', path: '/headers/-', value: { header: 'x-a', value: '1' } }] });
    expect(config.rules[1]!.apiPath).toEqual(/^\/nudm-/);
    expect(config.bodyLimit).toBe(65_536);
    expect(Object.isFrozen(config.rules)).toBe(true);
    expect(ipxSecInfo(config).ipxProviderSecInfo).toEqual({ ipxProviderId: IPX_FQDN, rawPublicKeyList: [expect.stringMatching(/^MFkw/)] });
  });

  it("takes the SEPPs' limits for its N32-f listener, every default filled in", () => {
    expect(loadIpxConfig(write({})).limits).toEqual(readLimits(undefined));
    expect(loadIpxConfig(write({})).maxConcurrentPerSender).toBe(1_000);
    expect(loadIpxConfig(write({ maxConcurrentPerSender: 50 })).maxConcurrentPerSender).toBe(50);
    const limits = loadIpxConfig(write({ limits: { maxRequestsInFlight: 64, rateLimitPerPeer: 50, drainTimeoutMs: 2_000 } })).limits;
    expect(limits).toMatchObject({ maxRequestsInFlight: 64, priorityReserve: 4, rateLimitPerPeer: 50, rateLimitBurst: 50, drainTimeoutMs: 2_000, maxConnections: LIMITS_DEFAULTS.maxConnections });
  });

  it('sends the signing certificate when one is configured', () => {
    const info = ipxSecInfo(loadIpxConfig(write({}))).ipxProviderSecInfo;
    expect(info.certificateList).toHaveLength(1);
    expect(info.certificateList![0]).toBe(Buffer.from(rig.ipxSigning.leafPem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64'));
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing section', { forward: undefined }, 'forward: is required'],
    ['an unknown key', { extra: 1 }, 'extra: is not a known key'],
    ['a bad FQDN', { ipx: { fqdn: 'not a name', signingKey: 'x.key' } }, 'ipx.fqdn: must be a fully qualified domain name'],
    ['a bad forward address', { forward: { address: 'nowhere', fqdn: SEPP_B } }, 'forward.address: must be host:port'],
    ['a bad direction', { rules: [{ apiPath: '/**', direction: 'sideways', operations: [] }] }, 'rules[0].direction: must be request or response'],
    ['a bad op', { rules: [{ apiPath: '/**', direction: 'request', operations: [{ op: 'delete', path: '/x' }] }] }, 'rules[0].operations[0].op: must be add, copy, move, remove, replace or test'],
    ['add without value', { rules: [{ apiPath: '/**', direction: 'request', operations: [{ op: 'add', path: '/x' }] }] }, 'rules[0].operations[0]: add needs a "value"'],
    ['copy without from', { rules: [{ apiPath: '/**', direction: 'request', operations: [{ op: 'copy', path: '/x' }] }] }, 'rules[0].operations[0]: copy needs a string "from"'],
    ['a path that is not a pointer', { rules: [{ apiPath: '/**', direction: 'request', operations: [{ op: 'remove', path: 'headers/0' }] }] }, 'rules[0].operations[0].path: must be a JSON Pointer (RFC 6901)'],
    ['both apiPath and a pattern', { rules: [{ apiPath: '/**', apiPathPattern: '.*', direction: 'request', operations: [] }] }, 'rules[0]: needs exactly one of apiPath and apiPathPattern'],
    ['a bad pattern', { rules: [{ apiPathPattern: '(', direction: 'request', operations: [] }] }, 'rules[0].apiPathPattern: is not a regular expression'],
    ['a missing file', { tls: { cert: 'nope.crt', key: 'nope.key', ca: ['nope-ca.crt'] } }, 'tls.cert: cannot read'],
    ['a limit out of range', { limits: { maxRequestsInFlight: 0 } }, 'limits.maxRequestsInFlight: must be at least 1'],
    ['an unknown limit', { limits: { maxRequests: 10 } }, 'limits.maxRequests: is not a known key'],
    ['a keepalive under 100 ms', { forward: { address: '127.0.0.1:9443', fqdn: SEPP_B, keepaliveMs: 50 } }, 'forward.keepaliveMs: must be 0 (none) or at least 100 ms'],
    ['a next-hop timeout past a timer\'s range', { forward: { address: '127.0.0.1:9443', fqdn: SEPP_B, timeoutMs: 2 ** 31 } }, 'forward.timeoutMs: must be at most 86400000 ms'],
    ['a bulkhead of 0', { maxConcurrentPerSender: 0 }, 'maxConcurrentPerSender: must be at least 1'],
    ['an N32-c limit', { limits: { n32cRateLimitPerPeer: 10 } }, 'limits.n32cRateLimitPerPeer: not a key of the relay: N32-c does not cross it'],
    ['the OCI threshold of a SEPP', { limits: { ociFromPercent: 50 } }, 'limits.ociFromPercent: not a key of the relay: an OCI or LCI names an NF, SCP or SEPP, and the relay answers without one'],
    ['the LCI period of a SEPP', { limits: { lciPeriodMs: 1000 } }, 'limits.lciPeriodMs: not a key of the relay: an OCI or LCI names an NF, SCP or SEPP, and the relay answers without one'],
  ])('names the key at fault: %s', (_name, overrides, expected) => {
    expect(problems(write(overrides)).join('\n')).toContain(expected);
  });

  it('checks the keys: TLS key of the certificate, P-256 signing key, certificate of the signing key', () => {
    expect(problems(write({ tls: { cert: rig.ipxTls.cert, key: rig.seppA.key, ca: [rig.pki.caFile] } }))).toContain('tls.key: does not match the certificate in tls.cert');
    const rsa = rig.pki.write('rsa.key', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
    expect(problems(write({ ipx: { fqdn: IPX_FQDN, signingKey: rsa } }))).toEqual(['ipx.signingKey: must be an EC P-256 key (ES256 is the only JWS algorithm of N32)']);
    const other = rig.pki.write('other.key', strangerKey());
    expect(problems(write({ ipx: { fqdn: IPX_FQDN, signingKey: other, certificate: rig.ipxSigning.cert } }))).toEqual(['ipx.certificate: does not certify ipx.signingKey']);
  });

  it('finds the file from --config, --config= or IPX_CONFIG', () => {
    expect(resolveIpxConfigPath(['--config', '/etc/ipx.yaml'], {})).toBe('/etc/ipx.yaml');
    expect(resolveIpxConfigPath(['--config=/etc/ipx.yaml'], {})).toBe('/etc/ipx.yaml');
    expect(resolveIpxConfigPath([], { IPX_CONFIG: '/etc/ipx.yaml' })).toBe('/etc/ipx.yaml');
    expect(() => resolveIpxConfigPath([], {})).toThrow(ConfigError);
  });
});
