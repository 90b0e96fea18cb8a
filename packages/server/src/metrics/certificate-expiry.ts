import { X509Certificate } from 'node:crypto';
import type { SeppConfig } from '../config/sepp-config';

/** Where a certificate of the configuration is used. */
export type CertificateUsage = 'n32' | 'n32f' | 'sbi' | 'admin' | 'ca' | 'ipx-signing';

export interface CertificateExpiry {
  readonly usage: CertificateUsage;
  /** The subject's CN, else its first SAN dNSName, else the whole subject. */
  readonly subject: string;
  /** notAfter, seconds since the epoch. */
  readonly notAfter: number;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

function certificatesOf(pem: Buffer | string): X509Certificate[] {
  const text = typeof pem === 'string' ? pem : pem.toString('utf8');
  const out: X509Certificate[] = [];
  for (const block of text.match(PEM_CERTIFICATE) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // Not a certificate we can read (the configuration loader already vetted the files).
    }
  }
  return out;
}

function subjectOf(certificate: X509Certificate): string {
  const cn = /^CN=(.*)$/m.exec(certificate.subject)?.[1];
  if (cn) return cn;
  const dns = /DNS:([^,\s]+)/.exec(certificate.subjectAltName ?? '')?.[1];
  return dns ?? certificate.subject.replace(/\n/g, ', ');
}

/**
 * Every certificate the configuration holds (our N32, N32-f, NF-facing and admin certificates with
 * their chains, the trusted roots, the IPX signing certificates of peers) with its notAfter: the
 * `sepp_tls_certificate_expiry_timestamp_seconds` gauge, so an alert fires before one expires. The
 * sooner expiry wins when two certificates share usage and subject (a rotation in progress).
 */
export function certificateExpiries(config: SeppConfig): CertificateExpiry[] {
  const sources: [CertificateUsage, Buffer | string][] = [[ 'n32', config.tls.material.cert ], ['n32f', config.n32f.tls.cert]];
  for (const ca of config.tls.material.ca) sources.push(['ca', ca]);
  if (config.sbi.tls) {
    sources.push(['sbi', config.sbi.tls.cert]);
    for (const ca of config.sbi.tls.ca) sources.push(['ca', ca]);
  }
  if (config.admin.tls) {
    sources.push(['admin', config.admin.tls.cert]);
    for (const ca of config.admin.tls.ca) sources.push(['ca', ca]);
  }
  for (const peer of config.n32.peers) for (const pem of peer.ipx?.certificates ?? []) sources.push(['ipx-signing', pem]);

  const soonest = new Map<string, CertificateExpiry>();
  for (const [usage, pem] of sources) {
    for (const certificate of certificatesOf(pem)) {
      const entry: CertificateExpiry = { usage, subject: subjectOf(certificate), notAfter: Math.floor(Date.parse(certificate.validTo) / 1000) };
      const key = `${usage}\n${entry.subject}`;
      const known = soonest.get(key);
      if (!known || entry.notAfter < known.notAfter) soonest.set(key, entry);
    }
  }
  return [...soonest.values()];
}
