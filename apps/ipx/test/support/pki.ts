import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, createLeaf, type MintedCa } from '@sepp/infra';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** The leaf alone (without the CA), for `ipx.certificate`. */
  readonly leafPem: string;
}

/** A throw-away PKI in a temporary folder: one interconnect CA, leaves minted at run time. */
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
    return new TestPki(mkdtempSync(join(tmpdir(), 'sepp-ipx-')), await createCa({ commonName: 'IPX test interconnect CA' }));
  }

  async leaf(name: string, dnsNames: string[], ca: MintedCa = this.ca): Promise<CertFiles> {
    const leaf = await createLeaf({ ca, dnsNames });
    const cert = join(this.dir, `${name}.crt`);
    const key = join(this.dir, `${name}.key`);
    writeFileSync(cert, leaf.chainPem);
    writeFileSync(key, leaf.keyPem, { mode: 0o600 });
    return { cert, key, certPem: leaf.chainPem, keyPem: leaf.keyPem, leafPem: leaf.certPem };
  }

  async rogue(name: string, dnsNames: string[]): Promise<CertFiles> {
    return this.leaf(name, dnsNames, await createCa({ commonName: 'Rogue CA' }));
  }

  write(name: string, text: string): string {
    const file = join(this.dir, name);
    writeFileSync(file, text);
    return file;
  }
}
