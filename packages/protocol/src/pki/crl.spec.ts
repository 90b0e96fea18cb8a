import { X509Certificate } from 'node:crypto';
import { createCa, createLeaf } from './cert-factory';
import { createCrl, normalizeSerial, readCrls, revokedInChain } from './crl';

/** The DER of each certificate of a PEM chain (leaf first). */
const ders = (pem: string): Uint8Array[] => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new Uint8Array(new X509Certificate(block).raw));

describe('certificate revocation lists', () => {
  it('createCrl writes a PEM "X509 CRL" that readCrls reads back: issuer, dates, revoked serials', async () => {
    const ca = await createCa({ commonName: 'CRL test CA' });
    const leaf = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc001.mcc001.3gppnetwork.org'] });
    const serial = new X509Certificate(leaf.certPem).serialNumber;
    const thisUpdate = new Date('2026-12-01T00:00:00Z');
    const pem = await createCrl({ ca, revoked: [{ serialNumber: serial }], thisUpdate, nextUpdate: new Date('2026-12-08T00:00:00Z') });
    expect(pem).toMatch(/^-----BEGIN X509 CRL-----\r?\n/);
    const [crl, ...rest] = readCrls(`junk before\n${pem}\n${await createCrl({ ca })}`);
    expect(rest).toHaveLength(1);
    expect(crl!.issuer).toBe('C=ZZ, O=SEPP interconnect, CN=CRL test CA');
    expect(crl!.thisUpdate.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(crl!.nextUpdate?.toISOString()).toBe('2026-12-08T00:00:00.000Z');
    expect([...crl!.revoked]).toEqual([normalizeSerial(serial)]);
    expect(rest[0]!.revoked.size).toBe(0);
  });

  it('readCrls refuses a text without a CRL, and a CRL block that does not parse', () => {
    expect(() => readCrls('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow('no PEM "X509 CRL" block');
    expect(() => readCrls('-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----')).toThrow();
  });

  it('normalizeSerial: lower case, no leading zeros', () => {
    expect(normalizeSerial('00AB01')).toBe('ab01');
    expect(normalizeSerial('0')).toBe('0');
    expect(normalizeSerial('7F')).toBe('7f');
  });

  it('revokedInChain: a certificate its issuer\'s CRL lists; not one of another issuer with the same serial, nor a CRL its issuer did not sign', async () => {
    const ca = await createCa({ commonName: 'Chain CA' });
    const leaf = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc001.mcc001.3gppnetwork.org'] });
    const kept = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc002.mcc002.3gppnetwork.org'] });
    const serial = new X509Certificate(leaf.certPem).serialNumber;
    const chain = [...ders(leaf.chainPem)];
    const crls = readCrls(await createCrl({ ca, revoked: [{ serialNumber: serial }] }));
    expect(await revokedInChain(chain, crls)).toEqual({ serialNumber: normalizeSerial(serial), subject: expect.stringContaining('CN='), issuer: 'C=ZZ, O=SEPP interconnect, CN=Chain CA' });
    expect(await revokedInChain(ders(kept.chainPem), crls)).toBeNull();
    // Another CA of the same name signing a CRL with that serial: its key did not sign the chain's CA.
    const impostor = await createCa({ commonName: 'Chain CA' });
    expect(await revokedInChain(chain, readCrls(await createCrl({ ca: impostor, revoked: [{ serialNumber: serial }] })))).toBeNull();
    // A CA of another name: not the leaf's issuer.
    const other = await createCa({ commonName: 'Other CA' });
    expect(await revokedInChain(chain, readCrls(await createCrl({ ca: other, revoked: [{ serialNumber: serial }] })))).toBeNull();
  });
});
