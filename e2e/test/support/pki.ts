import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { createCa, createLeaf, mintExpired, seppFqdn, type MintedCa, type MintedLeaf, type PlmnId } from '@sepp/infra';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  /** PEM texts, for in-process clients. */
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A throw-away PKI for one test file: one interconnect CA, certificates minted at run time into a
 * temporary folder (nothing is committed, nothing is shared between test files).
 */
export class TestPki {
  readonly caFile: string;
  private constructor(
    readonly dir: string,
    readonly ca: MintedCa,
  ) {
    this.caFile = join(dir, 'ca.crt');
    writeFileSync(this.caFile, ca.certPem);
  }

  static async create(): Promise<TestPki> {
    return new TestPki(mkdtempSync(join(tmpdir(), 'sepp-e2e-')), await createCa({ commonName: 'E2E interconnect CA' }));
  }

  /** TLS options of a client presenting `cert` and trusting this PKI's CA. */
  clientTls(cert: CertFiles): ConnectionOptions {
    return { ca: this.ca.certPem, cert: cert.certPem, key: cert.keyPem };
  }

  /** A SEPP certificate for a PLMN (SAN = its conventional SEPP FQDN plus `extra`). */
  async sepp(plmn: PlmnId, name = `sepp-${plmn.mcc}-${plmn.mnc}`, extra: string[] = []): Promise<CertFiles> {
    return this.write(name, await createLeaf({ ca: this.ca, dnsNames: [seppFqdn(plmn), ...extra] }));
  }

  /** A certificate with arbitrary SAN dNSNames, signed by `ca` (default: the trusted CA). */
  async leaf(name: string, dnsNames: string[], ca: MintedCa = this.ca): Promise<CertFiles> {
    return this.write(name, await createLeaf({ ca, dnsNames }));
  }

  async expired(name: string, dnsNames: string[]): Promise<CertFiles> {
    return this.write(name, await mintExpired(this.ca, dnsNames));
  }

  /** A leaf from a CA nobody trusts. */
  async rogue(name: string, dnsNames: string[]): Promise<CertFiles> {
    return this.leaf(name, dnsNames, await createCa({ commonName: 'Rogue CA' }));
  }

  private write(name: string, leaf: MintedLeaf): CertFiles {
    const cert = join(this.dir, `${name}.crt`);
    const key = join(this.dir, `${name}.key`);
    writeFileSync(cert, leaf.chainPem);
    writeFileSync(key, leaf.keyPem, { mode: 0o600 });
    return { cert, key, certPem: leaf.chainPem, keyPem: leaf.keyPem };
  }
}
