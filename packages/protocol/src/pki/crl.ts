import { ECDSA_SHA256 } from './keys';
import type { MintedCa } from './cert-factory';
import { x509 } from './x509';

/** A certificate a CRL lists as revoked. */
export interface RevokedEntry {
  /** Hexadecimal serial number, as the certificate carries it. */
  readonly serialNumber: string;
  readonly date?: Date;
  readonly reason?: x509.X509CrlReason;
}

export interface CreateCrlOptions {
  /** The issuing CA: the CRL's issuer, signed with its key. */
  readonly ca: MintedCa;
  readonly revoked?: readonly RevokedEntry[];
  /** Default: now. */
  readonly thisUpdate?: Date;
  /** Default: seven days after `thisUpdate`. */
  readonly nextUpdate?: Date;
}

/** A CRL (RFC 5280 5) of `ca` listing `revoked`, PEM (`X509 CRL`), ECDSA-SHA256. */
export async function createCrl(opts: CreateCrlOptions): Promise<string> {
  const thisUpdate = opts.thisUpdate ?? new Date();
  const crl = await x509.X509CrlGenerator.create({
    issuer: opts.ca.cert.subjectName,
    thisUpdate,
    nextUpdate: opts.nextUpdate ?? new Date(thisUpdate.getTime() + 7 * 86_400_000),
    signingAlgorithm: ECDSA_SHA256,
    signingKey: opts.ca.privateKey,
    entries: (opts.revoked ?? []).map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: entry.date ?? thisUpdate,
      ...(entry.reason !== undefined ? { reason: entry.reason } : {}),
    })),
  });
  // OpenSSL (and so Node's `crl` option) reads the RFC 7468 label, not the library's `CRL`.
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** What a SEPP needs of a CRL: whose it is, until when it holds, which serial numbers it revokes. */
export interface CrlSummary {
  /** The issuer's distinguished name (RFC 4514 text). */
  readonly issuer: string;
  readonly thisUpdate: Date;
  /** Null when the CRL names none (then it never goes stale by its own account). */
  readonly nextUpdate: Date | null;
  /** Normalised serial numbers (`normalizeSerial`). */
  readonly revoked: ReadonlySet<string>;
  /** The DER, to check its signature against an issuer's key. */
  readonly der: Uint8Array;
}

/** A serial number as compared: lower-case hexadecimal without leading zeros. */
export function normalizeSerial(hex: string): string {
  return hex.toLowerCase().replace(/^0+(?=.)/, '');
}

/** Every `X509 CRL` block of a PEM text; throws when there is none or one does not parse. */
export function readCrls(pemText: string): CrlSummary[] {
  const blocks = pemText.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g);
  if (!blocks) throw new Error('no PEM "X509 CRL" block');
  return blocks.map((block) => {
    const crl = new x509.X509Crl(Buffer.from(block.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    return {
      issuer: crl.issuer,
      thisUpdate: crl.thisUpdate,
      nextUpdate: crl.nextUpdate ?? null,
      revoked: new Set(crl.entries.map((entry) => normalizeSerial(entry.serialNumber))),
      der: new Uint8Array(crl.rawData),
    };
  });
}

/** Whether `crl` is signed by the key of `issuerDer` (a DER certificate). */
export async function crlSignedBy(crl: CrlSummary, issuerDer: Uint8Array): Promise<boolean> {
  const issuer = new x509.X509Certificate(issuerDer);
  return new x509.X509Crl(crl.der).verify({ publicKey: issuer.publicKey });
}

/**
 * The first certificate of `chain` (DER, end-entity first) that one of `crls` revokes, with the
 * CRL's issuer: a CRL counts for a certificate whose issuer name it carries and, when the issuing
 * certificate is in the chain, whose key signed it. Null when none is revoked.
 */
export async function revokedInChain(chain: readonly Uint8Array[], crls: readonly CrlSummary[]): Promise<{ serialNumber: string; subject: string; issuer: string } | null> {
  const certs = chain.map((der) => new x509.X509Certificate(der));
  for (const cert of certs) {
    const serial = normalizeSerial(cert.serialNumber);
    for (const crl of crls) {
      if (crl.issuer !== cert.issuer || !crl.revoked.has(serial)) continue;
      const issuing = certs.find((candidate) => candidate.subject === cert.issuer && candidate !== cert) ?? (cert.subject === cert.issuer ? cert : undefined);
      if (issuing && !(await crlSignedBy(crl, new Uint8Array(issuing.rawData)))) continue;
      return { serialNumber: serial, subject: cert.subject, issuer: crl.issuer };
    }
  }
  return null;
}
