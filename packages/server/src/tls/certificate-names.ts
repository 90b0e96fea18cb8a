import { X509Certificate } from 'node:crypto';

/**
 * SAN dNSNames of a certificate, lower-cased. Node renders the SAN extension as
 * `DNS:a, DNS:b, IP Address:...`; names containing commas or quotes cannot be dNSNames, so a split
 * on ", " is exact for the entries we read.
 */
export function certificateDnsNames(cert: X509Certificate | { subjectaltname?: string }): string[] {
  const san = cert instanceof X509Certificate ? cert.subjectAltName : cert.subjectaltname;
  if (!san) return [];
  return san
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}
