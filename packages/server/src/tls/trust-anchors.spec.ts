import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCa, createLeaf, mintExpired, type MintedCa } from '@sepp/infra';
import { ConfigError, loadConfig } from '../config/load-config';
import { chainsToRoots } from './trust-anchors';

const FQDN = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const FQDN_1 = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';
const x509 = (pem: string): X509Certificate => new X509Certificate(pem);
/** The chain a peer presents: leaf, then its issuing CA (as the cert factory writes it). */
const chain = (leaf: { certPem: string }, ca: MintedCa): X509Certificate[] => [x509(leaf.certPem), x509(ca.certPem)];

let rca1: MintedCa;
let rca2: MintedCa;
let dir: string;

beforeAll(async () => {
  [rca1, rca2] = await Promise.all([createCa({ commonName: 'RCA1' }), createCa({ commonName: 'RCA2' })]);
  dir = mkdtempSync(join(tmpdir(), 'sepp-anchors-'));
  const own = await createLeaf({ ca: rca1, dnsNames: [FQDN] });
  writeFileSync(join(dir, 'sepp.crt'), own.chainPem);
  writeFileSync(join(dir, 'sepp.key'), own.keyPem);
  writeFileSync(join(dir, 'rca1.crt'), rca1.certPem);
  writeFileSync(join(dir, 'rca2.crt'), rca2.certPem);
  writeFileSync(join(dir, 'both.crt'), rca1.certPem + rca2.certPem);
});

describe('chainsToRoots (the walk after the TLS handshake)', () => {
  it('accepts a leaf signed by a root of the anchor', async () => {
    const leaf = await createLeaf({ ca: rca1, dnsNames: [FQDN_1] });
    expect(chainsToRoots(chain(leaf, rca1), [x509(rca1.certPem)])).toBe(true);
    expect(chainsToRoots([x509(leaf.certPem)], [x509(rca1.certPem)])).toBe(true);
  });

  it("refuses a leaf signed by another anchor's root, even when that root is in the presented chain", async () => {
    const leaf = await createLeaf({ ca: rca2, dnsNames: [FQDN_1] });
    expect(chainsToRoots(chain(leaf, rca2), [x509(rca1.certPem)])).toBe(false);
  });

  it('refuses a chain whose issuer merely has the right name (the signature decides)', async () => {
    const impostor = await createCa({ commonName: 'RCA1' });
    const leaf = await createLeaf({ ca: impostor, dnsNames: [FQDN_1] });
    expect(chainsToRoots(chain(leaf, impostor), [x509(rca1.certPem)])).toBe(false);
  });

  it('refuses an expired leaf, and an empty chain', async () => {
    const expired = await mintExpired(rca1, [FQDN_1]);
    expect(chainsToRoots([x509(expired.certPem)], [x509(rca1.certPem)])).toBe(false);
    expect(chainsToRoots([], [x509(rca1.certPem)])).toBe(false);
  });
});

describe('n32.trustAnchors in the configuration', () => {
  const config = (trustAnchors: unknown): string => {
    const file = join(dir, `sepp-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      stringify({
        sepp: { fqdn: FQDN, plmns: [{ mcc: '001', mnc: '01' }], capabilities: ['TLS'] },
        tls: { cert: 'sepp.crt', key: 'sepp.key', ca: ['rca1.crt'] },
        n32: { peers: [], trustAnchors },
        admin: { listen: { host: '127.0.0.1', port: 0 } },
      }),
    );
    return file;
  };
  const problems = (file: string): string[] => {
    try {
      loadConfig(file);
    } catch (error) {
      if (error instanceof ConfigError) return error.message.split('\n');
      throw error;
    }
    return [];
  };

  it('is empty when absent', () => {
    expect(loadConfig(config(undefined)).n32.trustAnchors).toEqual([]);
  });

  it('reads each anchor (paths relative to the file) and adds its roots to the TLS store once', () => {
    const loaded = loadConfig(config([{ plmns: [{ mcc: '002', mnc: '02' }], ca: ['rca1.crt'] }, { plmns: [{ mcc: '003', mnc: '03' }], ca: ['rca2.crt'] }]));
    expect(loaded.n32.trustAnchors.map((a) => ({ plmns: a.plmns, caFiles: a.caFiles }))).toEqual([
      { plmns: [{ mcc: '002', mnc: '02' }], caFiles: [join(dir, 'rca1.crt')] },
      { plmns: [{ mcc: '003', mnc: '03' }], caFiles: [join(dir, 'rca2.crt')] },
    ]);
    expect(loaded.tls.material.ca.map((pem) => pem.toString())).toEqual([rca1.certPem, rca2.certPem]);
  });

  it('refuses a PLMN in two anchors (also 01 vs 001), naming the key', () => {
    expect(problems(config([{ plmns: [{ mcc: '002', mnc: '02' }], ca: ['rca1.crt'] }, { plmns: [{ mcc: '002', mnc: '002' }], ca: ['rca2.crt'] }]))).toEqual([
      'n32.trustAnchors[1].plmns[0]: 002-002 is already in n32.trustAnchors[0] (a PLMN belongs to at most one trust anchor)',
    ]);
  });

  it('names the anchor whose roots are missing, unreadable or not certificates', () => {
    writeFileSync(join(dir, 'not-a-cert.crt'), 'hello');
    expect(problems(config([{ plmns: [{ mcc: '002', mnc: '02' }], ca: [] }]))).toEqual(['n32.trustAnchors[0].ca: must list at least one trusted root']);
    expect(problems(config([{ plmns: [{ mcc: '002', mnc: '02' }], ca: ['nope.crt'] }]))[0]).toMatch(/^n32\.trustAnchors\[0\]\.ca\[0\]: cannot read /);
    expect(problems(config([{ plmns: [{ mcc: '002', mnc: '02' }], ca: ['not-a-cert.crt'] }]))[0]).toMatch(/^n32\.trustAnchors\[0\]\.ca\[0\]: .* is not a PEM certificate$/);
    expect(problems(config([{ plmns: [{ mcc: '2', mnc: '02' }], ca: ['rca1.crt'] }]))).toEqual(['n32.trustAnchors[0].plmns[0].mcc: must be 3 digits']);
  });

  it('a file with several roots is read as one PEM bundle (the chain walk splits it into roots)', () => {
    const loaded = loadConfig(config([{ plmns: [{ mcc: '002', mnc: '02' }], ca: ['both.crt'] }]));
    expect(loaded.n32.trustAnchors[0]!.ca).toHaveLength(1);
  });
});
