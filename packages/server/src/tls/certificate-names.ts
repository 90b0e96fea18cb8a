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

/** The peer certificate's names per TLS connection: read and parsed once, not on every request. */
const peerNames = new WeakMap<TLSSocket, readonly string[]>();

/**
 * SAN dNSNames of the certificate the other end of `socket` presented (lower-cased; empty when it
 * presented none or the socket is gone). Cached per connection once a certificate is there: the
 * TLS profile turns renegotiation off, so a connection's peer certificate never changes.
 */
export function peerDnsNames(socket: TLSSocket | undefined): readonly string[] {
  if (!socket) return [];
  const cached = peerNames.get(socket);
  if (cached) return cached;
  let cert: { subjectaltname?: string; raw?: Buffer } | undefined;
  try {
    cert = socket.getPeerCertificate?.();
  } catch {
    return []; // the connection is going away
  }
  if (!cert?.raw) return [];
  const names = certificateDnsNames(cert);
  peerNames.set(socket, names);
  return names;
}
