import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CertificateSetManifest } from './manifest';
import { OAM_CLIENT_NAME, WRONG_SAN_FQDN, writeCertificateSet } from './write-certs';

const PLMN_A = { mcc: '001', mnc: '01' };
const PLMN_B = { mcc: '002', mnc: '02' };
const FQDN_A = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const FQDN_B = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? [];
}

async function certs(dir: string, file: string): Promise<X509Certificate[]> {
  return pemBlocks(await readFile(path.join(dir, file), 'utf8')).map((p) => new X509Certificate(p));
}

/** The `index`-th certificate of a PEM file (a missing one fails the test). */
async function cert(dir: string, file: string, index = 0): Promise<X509Certificate> {
  const found = (await certs(dir, file))[index];
  if (!found) throw new Error(`${file} has no certificate #${index}`);
  return found;
}

async function mode(dir: string, file: string): Promise<number> {
  return (await stat(path.join(dir, file))).mode & 0o777;
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

describe('writeCertificateSet', () => {
  const dirs: string[] = [];
  async function tmpDir(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sepp-certs-'));
    dirs.push(dir);
    return dir;
  }
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  describe('per-plmn', () => {
    let outDir: string;
    let manifest: CertificateSetManifest;
    const written: string[] = [];

    beforeAll(async () => {
      // A not-yet-existing subdirectory proves outDir is created on demand.
      outDir = path.join(await tmpDir(), 'nested', 'certs');
      manifest = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', onWrite: (f) => written.push(f) });
    });

    it('writes the expected files, keys private', async () => {
      expect(await listTree(outDir)).toEqual([
        'bad/expired.crt', 'bad/expired.key', 'bad/rogue-ca.crt', 'bad/wrong-ca.crt', 'bad/wrong-ca.key',
        'bad/wrong-san.crt', 'bad/wrong-san.key',
        'ca-001-01.crt', 'ca-001-01.key', 'ca-002-02.crt', 'ca-002-02.key', 'ca.crt', 'manifest.json',
        'sepp-001-01.crt', 'sepp-001-01.key', 'sepp-002-02.crt', 'sepp-002-02.key',
      ]);
      for (const key of (await listTree(outDir)).filter((f) => f.endsWith('.key'))) {
        expect({ key, mode: await mode(outDir, key) }).toEqual({ key, mode: 0o600 });
      }
      expect(await mode(outDir, 'ca.crt')).toBe(0o644);
      expect(written.map((f) => path.relative(outDir, f)).sort()).toEqual(await listTree(outDir));
    });

    it('bundles both CAs into ca.crt', async () => {
      const bundle = (await certs(outDir, 'ca.crt')).map((c) => c.fingerprint256);
      const own = [...(await certs(outDir, 'ca-001-01.crt')), ...(await certs(outDir, 'ca-002-02.crt'))];
      expect(bundle).toEqual(own.map((c) => c.fingerprint256));
      expect(own.map((c) => c.ca)).toEqual([true, true]);
    });

    it('issues each SEPP leaf from its own CA only, chain included', async () => {
      const caA = await cert(outDir, 'ca-001-01.crt');
      const caB = await cert(outDir, 'ca-002-02.crt');
      const leafA = await cert(outDir, 'sepp-001-01.crt');
      const chainA = await cert(outDir, 'sepp-001-01.crt', 1);
      const leafB = await cert(outDir, 'sepp-002-02.crt');
      const chainB = await cert(outDir, 'sepp-002-02.crt', 1);
      expect(leafA.subjectAltName).toBe(`DNS:${FQDN_A}`);
      expect(leafB.subjectAltName).toBe(`DNS:${FQDN_B}`);
      expect([leafA.verify(caA.publicKey), leafA.verify(caB.publicKey)]).toEqual([true, false]);
      expect([leafB.verify(caB.publicKey), leafB.verify(caA.publicKey)]).toEqual([true, false]);
      expect([chainA.fingerprint256, chainB.fingerprint256]).toEqual([caA.fingerprint256, caB.fingerprint256]);
      const key = await readFile(path.join(outDir, 'sepp-001-01.key'), 'utf8');
      expect(leafA.checkPrivateKey(createPrivateKey(key))).toBe(true);
    });

    it('writes bad certificates with exactly one defect each', async () => {
      const caA = await cert(outDir, 'ca-001-01.crt');
      const rogue = await cert(outDir, 'bad/rogue-ca.crt');
      const expired = await cert(outDir, 'bad/expired.crt');
      const wrongCa = await cert(outDir, 'bad/wrong-ca.crt');
      const wrongSan = await cert(outDir, 'bad/wrong-san.crt');
      expect(new Date(expired.validTo).getTime()).toBeLessThan(Date.now());
      expect([expired.verify(caA.publicKey), expired.subjectAltName]).toEqual([true, `DNS:${FQDN_A}`]);
      expect([wrongCa.verify(caA.publicKey), wrongCa.verify(rogue.publicKey), wrongCa.subjectAltName]).toEqual([false, true, `DNS:${FQDN_A}`]);
      expect([wrongSan.verify(caA.publicKey), wrongSan.subjectAltName]).toEqual([true, `DNS:${WRONG_SAN_FQDN}`]);
    });

    it('describes the set in manifest.json', async () => {
      const onDisk: unknown = JSON.parse(await readFile(path.join(outDir, 'manifest.json'), 'utf8'));
      expect(onDisk).toEqual(manifest);
      expect(manifest).toMatchObject({
        version: 1,
        caMode: 'per-plmn',
        caBundle: 'ca.crt',
        plmns: [
          { mcc: '001', mnc: '01', fqdn: FQDN_A, cert: 'sepp-001-01.crt', key: 'sepp-001-01.key', ca: 'ca-001-01.crt', caKey: 'ca-001-01.key' },
          { mcc: '002', mnc: '02', fqdn: FQDN_B, cert: 'sepp-002-02.crt', key: 'sepp-002-02.key', ca: 'ca-002-02.crt', caKey: 'ca-002-02.key' },
        ],
        bad: {
          expired: { cert: 'bad/expired.crt', key: 'bad/expired.key' },
          wrongCa: { cert: 'bad/wrong-ca.crt', key: 'bad/wrong-ca.key', rogueCa: 'bad/rogue-ca.crt' },
          wrongSan: { cert: 'bad/wrong-san.crt', key: 'bad/wrong-san.key', fqdn: WRONG_SAN_FQDN },
        },
      });
    });

    it('leaves a matching set untouched unless forced', async () => {
      const files = await listTree(outDir);
      const snapshot = async (): Promise<string[]> =>
        Promise.all(files.map(async (f) => `${f} ${(await stat(path.join(outDir, f))).mtimeMs} ${await readFile(path.join(outDir, f), 'utf8')}`));
      const before = await snapshot();
      const caBundle = await readFile(path.join(outDir, 'ca.crt'), 'utf8');
      const rewritten: string[] = [];
      const again = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', onWrite: (f) => rewritten.push(f) });
      expect(again).toEqual(manifest);
      expect(rewritten).toEqual([]);
      expect(await snapshot()).toEqual(before);

      const forced = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', force: true });
      expect(forced.generatedAt).not.toBe(manifest.generatedAt);
      expect(await readFile(path.join(outDir, 'ca.crt'), 'utf8')).not.toBe(caBundle);
    });
  });

  describe('shared', () => {
    it('uses one interconnect CA for every PLMN', async () => {
      const outDir = await tmpDir();
      const manifest = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'shared' });
      const files = await listTree(outDir);
      expect(files).toEqual(expect.arrayContaining(['ca.crt', 'ca.key', 'sepp-001-01.crt', 'sepp-002-02.crt']));
      expect(files.filter((f) => f.startsWith('ca-'))).toEqual([]);
      expect(await mode(outDir, 'ca.key')).toBe(0o600);
      const [ca, ...rest] = await certs(outDir, 'ca.crt');
      if (!ca) throw new Error('ca.crt is empty');
      expect(rest).toEqual([]);
      expect(ca.subject).toContain('O=SEPP interconnect');
      for (const file of ['sepp-001-01.crt', 'sepp-002-02.crt']) {
        const leaf = await cert(outDir, file);
        expect(leaf.verify(ca.publicKey)).toBe(true);
      }
      expect(manifest.plmns.map((p) => [p.ca, p.caKey])).toEqual([['ca.crt', 'ca.key'], ['ca.crt', 'ca.key']]);
    });
  });

  it('regenerates and drops stale files when the request changes', async () => {
    const outDir = await tmpDir();
    await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn' });
    const shared = await writeCertificateSet({ outDir, plmns: [PLMN_B], caMode: 'shared' });
    expect(shared.plmns.map((p) => p.fqdn)).toEqual([FQDN_B]);
    expect(await listTree(outDir)).toEqual([...shared.files, 'manifest.json'].sort());
    const expired = await cert(outDir, 'bad/expired.crt');
    expect(expired.subjectAltName).toBe(`DNS:${FQDN_B}`);
  });

  it('regenerates a set with a missing file', async () => {
    const outDir = await tmpDir();
    const first = await writeCertificateSet({ outDir, plmns: [PLMN_A], caMode: 'shared' });
    await rm(path.join(outDir, 'sepp-001-01.key'));
    const second = await writeCertificateSet({ outDir, plmns: [PLMN_A], caMode: 'shared' });
    expect(second.generatedAt).not.toBe(first.generatedAt);
    expect((await stat(path.join(outDir, 'sepp-001-01.key'))).isFile()).toBe(true);
  });

  describe('ipx', () => {
    const IPX = 'ipx.roaming.example.org';

    it('mints the IPX part under ipx/: its own CA, a TLS chain for its FQDN, a separate signing key certified alone', async () => {
      const outDir = await tmpDir();
      const manifest = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', ipx: { fqdn: IPX } });
      expect(manifest.ipx).toEqual({
        fqdn: IPX,
        ca: 'ipx/ca.crt',
        caKey: 'ipx/ca.key',
        tls: { cert: 'ipx/ipx.crt', key: 'ipx/ipx.key' },
        signing: { cert: 'ipx/ipx-signing.crt', key: 'ipx/ipx-signing.key' },
      });
      expect((await listTree(outDir)).filter((f) => f.startsWith('ipx/'))).toEqual(['ipx/ca.crt', 'ipx/ca.key', 'ipx/ipx-signing.crt', 'ipx/ipx-signing.key', 'ipx/ipx.crt', 'ipx/ipx.key']);
      for (const key of ['ipx/ca.key', 'ipx/ipx.key', 'ipx/ipx-signing.key']) expect(await mode(outDir, key)).toBe(0o600);
      const ca = await cert(outDir, 'ipx/ca.crt');
      // Not a PLMN's CA, and not in the SEPPs' bundle: only the SEPPs configured for the IPX trust it.
      expect(ca.ca).toBe(true);
      expect(ca.subject).toContain('O=SEPP interconnect');
      const bundle = (await certs(outDir, 'ca.crt')).map((c) => c.fingerprint256);
      expect(bundle).not.toContain(ca.fingerprint256);
      const tls = await certs(outDir, 'ipx/ipx.crt');
      expect(tls.map((c) => c.fingerprint256)).toEqual([tls[0]!.fingerprint256, ca.fingerprint256]);
      expect([tls[0]!.subjectAltName, tls[0]!.verify(ca.publicKey)]).toEqual([`DNS:${IPX}`, true]);
      expect(tls[0]!.checkPrivateKey(createPrivateKey(await readFile(path.join(outDir, 'ipx/ipx.key'), 'utf8')))).toBe(true);
      const signing = await certs(outDir, 'ipx/ipx-signing.crt');
      expect(signing).toHaveLength(1);
      expect([signing[0]!.subjectAltName, signing[0]!.verify(ca.publicKey), signing[0]!.keyUsage]).toEqual([`DNS:${IPX}`, true, undefined]);
      const signingKey = createPrivateKey(await readFile(path.join(outDir, 'ipx/ipx-signing.key'), 'utf8'));
      expect(signing[0]!.checkPrivateKey(signingKey)).toBe(true);
      expect(signingKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      // Two key pairs: the JWS key is not the TLS key.
      expect(signing[0]!.publicKey.export({ type: 'spki', format: 'pem' })).not.toEqual(tls[0]!.publicKey.export({ type: 'spki', format: 'pem' }));
      expect(await listTree(outDir)).toEqual([...manifest.files, 'manifest.json'].sort());
    });

    it('adds the IPX part to a matching set without touching its SEPP certificates; a set with one still matches a request without', async () => {
      const outDir = await tmpDir();
      const first = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn' });
      const sepp = await readFile(path.join(outDir, 'sepp-001-01.crt'), 'utf8');
      const written: string[] = [];
      const second = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', ipx: { fqdn: IPX }, onWrite: (f) => written.push(path.relative(outDir, f)) });
      expect(written.sort()).toEqual(['ipx/ca.crt', 'ipx/ca.key', 'ipx/ipx-signing.crt', 'ipx/ipx-signing.key', 'ipx/ipx.crt', 'ipx/ipx.key', 'manifest.json']);
      expect(await readFile(path.join(outDir, 'sepp-001-01.crt'), 'utf8')).toBe(sepp);
      expect(second).toMatchObject({ plmns: first.plmns, bad: first.bad, ipx: { fqdn: IPX } });
      expect(await listTree(outDir)).toEqual([...second.files, 'manifest.json'].sort());
      // Nothing to do for the same request, nor for one without --ipx.
      const again: string[] = [];
      expect(await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', ipx: { fqdn: IPX.toUpperCase() }, onWrite: (f) => again.push(f) })).toEqual(second);
      expect(await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', onWrite: (f) => again.push(f) })).toEqual(second);
      expect(again).toEqual([]);
      // Another FQDN replaces the IPX part only.
      const other = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', ipx: { fqdn: 'ipx.other.example.net' } });
      expect((await cert(outDir, 'ipx/ipx.crt')).subjectAltName).toBe('DNS:ipx.other.example.net');
      expect(other.files.filter((f) => f.startsWith('ipx/'))).toHaveLength(6);
      expect(await readFile(path.join(outDir, 'sepp-001-01.crt'), 'utf8')).toBe(sepp);
    });

    it('drops the IPX part when a set is regenerated without it', async () => {
      const outDir = await tmpDir();
      await writeCertificateSet({ outDir, plmns: [PLMN_A], caMode: 'shared', ipx: { fqdn: IPX } });
      const plain = await writeCertificateSet({ outDir, plmns: [PLMN_A], caMode: 'shared', force: true });
      expect(plain.ipx).toBeUndefined();
      expect((await listTree(outDir)).filter((f) => f.startsWith('ipx/'))).toEqual([]);
    });

    it('rejects an IPX name that is no FQDN', async () => {
      const outDir = await tmpDir();
      await expect(writeCertificateSet({ outDir, plmns: [PLMN_A], caMode: 'shared', ipx: { fqdn: 'not a name' } })).rejects.toThrow(/invalid IPX FQDN/);
      expect(await readdir(outDir)).toEqual([]);
    });
  });

  describe('oam', () => {
    it('mints the OAM part under oam/: a CA of its own and a client-only certificate that no PLMN CA vouches for', async () => {
      const outDir = await tmpDir();
      const manifest = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', oam: true });
      expect(manifest.oam).toEqual({ ca: 'oam/ca.crt', caKey: 'oam/ca.key', client: { cert: 'oam/client.crt', key: 'oam/client.key' } });
      expect((await listTree(outDir)).filter((f) => f.startsWith('oam/'))).toEqual(['oam/ca.crt', 'oam/ca.key', 'oam/client.crt', 'oam/client.key']);
      for (const key of ['oam/ca.key', 'oam/client.key']) expect(await mode(outDir, key)).toBe(0o600);
      const ca = await cert(outDir, 'oam/ca.crt');
      expect(ca.ca).toBe(true);
      // Not in the SEPPs' bundle: an admin listener trusting oam/ca.crt lets no SEPP certificate in, and the reverse.
      expect((await certs(outDir, 'ca.crt')).map((c) => c.fingerprint256)).not.toContain(ca.fingerprint256);
      const [client] = await certs(outDir, 'oam/client.crt');
      expect([client!.subjectAltName, client!.verify(ca.publicKey)]).toEqual([`DNS:${OAM_CLIENT_NAME}`, true]);
      expect(client!.checkPrivateKey(createPrivateKey(await readFile(path.join(outDir, 'oam/client.key'), 'utf8')))).toBe(true);
      for (const plmnCa of await certs(outDir, 'ca.crt')) expect(client!.verify(plmnCa.publicKey)).toBe(false);
      // clientAuth only (1.3.6.1.5.5.7.3.2): it cannot serve TLS. (`keyUsage` is the extended key
      // usage; not toLegacyObject(), which in Node 20 loads its TLS internals in an order that leaves
      // tls.createSecureContext undefined for the rest of the process when nothing loaded tls before.)
      expect(client!.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
      expect(await listTree(outDir)).toEqual([...manifest.files, 'manifest.json'].sort());
    });

    it('adds the OAM part to a matching set without touching its SEPP certificates, and keeps an IPX part', async () => {
      const outDir = await tmpDir();
      const first = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', ipx: { fqdn: 'ipx.roaming.example.org' } });
      const sepp = await readFile(path.join(outDir, 'sepp-001-01.crt'), 'utf8');
      const written: string[] = [];
      const second = await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', ipx: { fqdn: 'ipx.roaming.example.org' }, oam: true, onWrite: (f) => written.push(path.relative(outDir, f)) });
      expect(written.sort()).toEqual(['manifest.json', 'oam/ca.crt', 'oam/ca.key', 'oam/client.crt', 'oam/client.key']);
      expect(await readFile(path.join(outDir, 'sepp-001-01.crt'), 'utf8')).toBe(sepp);
      expect(second).toMatchObject({ plmns: first.plmns, ipx: first.ipx, oam: { ca: 'oam/ca.crt' } });
      expect(await listTree(outDir)).toEqual([...second.files, 'manifest.json'].sort());
      const again: string[] = [];
      expect(await writeCertificateSet({ outDir, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn', oam: true, onWrite: (f) => again.push(f) })).toEqual(second);
      expect(again).toEqual([]);
    });
  });

  it('rejects an empty, duplicated or malformed PLMN list', async () => {
    const outDir = await tmpDir();
    await expect(writeCertificateSet({ outDir, plmns: [], caMode: 'shared' })).rejects.toThrow(RangeError);
    await expect(writeCertificateSet({ outDir, plmns: [PLMN_A, { ...PLMN_A }], caMode: 'shared' })).rejects.toThrow(/listed twice/);
    await expect(writeCertificateSet({ outDir, plmns: [{ mcc: '1', mnc: '01' }], caMode: 'shared' })).rejects.toThrow(RangeError);
    expect(await readdir(outDir)).toEqual([]);
  });
});
