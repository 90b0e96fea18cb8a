import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { certificateDnsNames } from '../tls/certificate-names';
import { pkiOnDemand } from '../tls/pki-on-demand';
import type { CrlSummary } from '@sepp/protocol/pki';
import type { ConfigProblem } from './config-problems';

export interface TlsIdentity {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SAN dNSNames of the leaf certificate. */
  readonly dnsNames: readonly string[];
  readonly notAfter: Date;
}

export function readPem(key: string, path: string, problems: ConfigProblem[]): Buffer | null {
  try {
    return readFileSync(path);
  } catch (error) {
    problems.push({ key, problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    return null;
  }
}

/**
 * Reads a certificate and its key and checks what a SEPP relies on at start-up: both parse, the
 * key belongs to the certificate, the certificate is not expired, and (when given) the FQDN we
 * claim is one of its SAN dNSNames. Problems are named by the config keys passed in.
 */
export function readIdentity(
  where: { certKey: string; keyKey: string; certFile: string; keyFile: string; fqdn?: { key: string; name: string } },
  now: Date,
  problems: ConfigProblem[],
): TlsIdentity | null {
  const cert = readPem(where.certKey, where.certFile, problems);
  const key = readPem(where.keyKey, where.keyFile, problems);
  if (!cert || !key) return null;
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    problems.push({ key: where.certKey, problem: `${where.certFile} is not a PEM certificate` });
    return null;
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      problems.push({ key: where.keyKey, problem: `${where.keyFile} does not match the certificate in ${where.certKey}` });
    }
  } catch {
    problems.push({ key: where.keyKey, problem: `${where.keyFile} is not a PEM private key` });
  }
  const dnsNames = certificateDnsNames(leaf);
  if (where.fqdn && !dnsNames.includes(where.fqdn.name)) {
    problems.push({
      key: where.fqdn.key,
      problem: `${where.fqdn.name} is not a SAN dNSName of ${where.certKey} (${dnsNames.join(', ') || 'none'})`,
    });
  }
  const notAfter = new Date(leaf.validTo);
  if (notAfter.getTime() < now.getTime()) {
    problems.push({ key: where.certKey, problem: `the certificate expired on ${notAfter.toISOString()}` });
  }
  return { cert, key, dnsNames, notAfter };
}

/** Reads trusted roots; null if any is unreadable or not a certificate. */
export function readCaList(listKey: string, files: readonly string[], problems: ConfigProblem[]): Buffer[] | null {
  const before = problems.length;
  const out: Buffer[] = [];
  files.forEach((path, index) => {
    const pem = readPem(`${listKey}[${index}]`, path, problems);
    if (!pem) return;
    try {
      new X509Certificate(pem);
      out.push(pem);
    } catch {
      problems.push({ key: `${listKey}[${index}]`, problem: `${path} is not a PEM certificate` });
    }
  });
  return problems.length === before ? out : null;
}

/** A CRL of `tls.crl` as the SEPP keeps it: its file, and what `@sepp/protocol/pki` read of it. */
export interface LoadedCrl extends CrlSummary {
  readonly file: string;
}

/**
 * Reads certificate revocation lists (PEM `X509 CRL`, several per file allowed): each must parse
 * and be current (its nextUpdate ahead: OpenSSL refuses every certificate a stale CRL covers).
 * Null when any is not; `pem` holds the files' texts for the TLS contexts.
 */
export function readCrlList(listKey: string, files: readonly string[], now: Date, problems: ConfigProblem[]): { pem: Buffer[]; crls: LoadedCrl[] } | null {
  const before = problems.length;
  const pem: Buffer[] = [];
  const crls: LoadedCrl[] = [];
  files.forEach((path, index) => {
    const key = `${listKey}[${index}]`;
    const text = readPem(key, path, problems);
    if (!text) return;
    let read: CrlSummary[];
    try {
      read = pkiOnDemand().readCrls(text.toString('utf8'));
    } catch (error) {
      problems.push({ key, problem: `${path} is not a PEM certificate revocation list (${(error as Error).message})` });
      return;
    }
    for (const crl of read) {
      if (crl.nextUpdate && crl.nextUpdate.getTime() <= now.getTime()) {
        problems.push({ key, problem: `the CRL of ${crl.issuer} is past its nextUpdate (${crl.nextUpdate.toISOString()}): TLS would refuse every certificate it covers; install a current one` });
      }
      crls.push({ ...crl, file: path });
    }
    pem.push(text);
  });
  return problems.length === before ? { pem, crls } : null;
}
