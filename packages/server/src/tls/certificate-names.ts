import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

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

/** The peer certificate per TLS connection (its DER and names; parsed as a certificate on demand): read once, not on every request. */
interface PeerEntry {
  readonly raw: Buffer;
  readonly names: readonly string[];
  certificate?: X509Certificate;
}
const peerCertificates = new WeakMap<TLSSocket, PeerEntry>();

function peerEntry(socket: TLSSocket | undefined): PeerEntry | undefined {
  if (!socket) return undefined;
  const cached = peerCertificates.get(socket);
  if (cached) return cached;
  let cert: { subjectaltname?: string; raw?: Buffer } | undefined;
  try {
    // Cheaper than getPeerX509Certificate() (OpenSSL decodes the certificate again for that).
    cert = socket.getPeerCertificate?.();
  } catch {
    return undefined; // the connection is going away
  }
  if (!cert?.raw) return undefined;
  const entry: PeerEntry = { raw: cert.raw, names: certificateDnsNames(cert) };
  peerCertificates.set(socket, entry);
  return entry;
}

/**
 * The certificate the other end of `socket` presented (undefined when it presented none or the
 * socket is gone). Cached per connection once a certificate is there: the TLS profile turns
 * renegotiation off, so a connection's peer certificate never changes.
 */
export function peerCertificate(socket: TLSSocket | undefined): X509Certificate | undefined {
  const entry = peerEntry(socket);
  if (!entry) return undefined;
  entry.certificate ??= new X509Certificate(entry.raw);
  return entry.certificate;
}

/**
 * SAN dNSNames of the certificate the other end of `socket` presented (lower-cased; empty when it
 * presented none or the socket is gone). Cached per connection, as `peerCertificate`.
 */
export function peerDnsNames(socket: TLSSocket | undefined): readonly string[] {
  return peerEntry(socket)?.names ?? [];
}
