import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { plmnKeyFromFqdn } from '@sepp/protocol';

/** SAN dNSNames of a certificate (DER or PEM). */
export function certificateDnsNames(certificate: Buffer | string): string[] {
  const san = new X509Certificate(certificate).subjectAltName ?? '';
  return san
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice(4).toLowerCase());
}

/** The PLMN keys (`mcc-mnc`, MNC 3 digits) a list of FQDNs proves. */
export function plmnKeysOf(names: readonly string[]): string[] {
  return [...new Set(names.map(plmnKeyFromFqdn).filter((key): key is string => key !== null))];
}

/** The first certificate of a PEM file (the leaf of a chain). */
export function readLeafPem(file: string): string {
  const text = readFileSync(file, 'utf8');
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!match) throw new Error(`${file} holds no PEM certificate`);
  return `${match[0]}\n`;
}
