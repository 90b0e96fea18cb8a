import { constants } from 'node:crypto';
import type { SecureServerOptions } from 'node:http2';
import { createSecureContext, type ConnectionOptions, type SecureContext, type SecureContextOptions } from 'node:tls';
import type { SeppConfig } from '../config/sepp-config';

/**
 * The N32 TLS profile (TS 33.501 13.1.0 -> TS 33.210 6.2, N32-DIGEST §7.1), in one place for the
 * server and the client side:
 * - TLS 1.2 and 1.3 only; 1.2 restricted to ECDHE with AEAD suites (what RFC 9113 also demands);
 * - P-256, X25519 and P-384 key exchange;
 * - no session tickets and no renegotiation: every N32 connection is authenticated afresh
 *   (DECISIONS/N32-DIGEST §8.3), which also keeps the TLS exporter of PRINS tied to one handshake;
 * - ALPN `h2` only.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
].join(':');
export const TLS13_CIPHERSUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'].join(':');
export const ECDH_CURVES = 'X25519:P-256:P-384';
export const ALPN_H2 = ['h2'];

/** The protocol part of the profile (versions, suites, curves, no tickets or renegotiation), without identity. */
export function tlsProfileOptions(minVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.2'): SecureContextOptions {
  return {
    minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: `${TLS12_CIPHERS}:${TLS13_CIPHERSUITES}`,
    ecdhCurve: ECDH_CURVES,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/**
 * The profile with our N32 identity and what peers are verified against: the trusted roots and,
 * when `tls.crl` is set, the revocation lists (OpenSSL then checks every certificate of a peer's
 * chain against its issuer's CRL, and refuses one revoked, or whose issuer has no current CRL).
 */
function profile(config: SeppConfig): SecureContextOptions {
  const { material, minVersion } = config.tls;
  return {
    ...tlsProfileOptions(minVersion),
    cert: material.cert,
    key: material.key,
    ca: [...material.ca],
    ...(material.crl.length > 0 ? { crl: [...material.crl] } : {}),
  };
}

/** Options for the N32 HTTP/2 server: the client certificate is required and verified. */
export function n32ServerTlsOptions(config: SeppConfig): SecureServerOptions {
  return {
    ...profile(config),
    requestCert: true,
    rejectUnauthorized: true,
    allowHTTP1: false,
    ALPNProtocols: ALPN_H2,
  };
}

/** The N32 server options with the N32-f certificate (the dedicated N32-f listener). */
export function n32fServerTlsOptions(config: SeppConfig): SecureServerOptions {
  return { ...n32ServerTlsOptions(config), cert: config.n32f.tls.cert, key: config.n32f.tls.key };
}

/** Our certificate and key when they are not the N32 ones of `tls` (the dedicated N32-f identity). */
export interface ClientIdentity {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Client contexts per configuration (a reload makes a new one) and identity (by its certificate). */
const clientContexts = new WeakMap<SeppConfig, Map<Buffer | null, SecureContext>>();

/**
 * The TLS context we dial N32 peers with: the profile, our certificate and key, the trusted roots.
 * Built once per configuration and identity rather than at every connection (creating one parses
 * the key, the certificate chain and every root: about a millisecond of CPU each time).
 */
export function n32ClientSecureContext(config: SeppConfig, identity?: ClientIdentity): SecureContext {
  let contexts = clientContexts.get(config);
  if (!contexts) {
    contexts = new Map();
    clientContexts.set(config, contexts);
  }
  const slot = identity?.cert ?? null;
  let context = contexts.get(slot);
  if (!context) {
    context = createSecureContext({ ...profile(config), ...(identity ? { cert: identity.cert, key: identity.key } : {}) });
    contexts.set(slot, context);
  }
  return context;
}

/**
 * Options for dialling a peer SEPP: SNI is the peer FQDN and the server certificate must cover
 * it (RFC 6125 host-name check against `servername`, not the dialled address).
 */
export function n32ClientTlsOptions(config: SeppConfig, peerFqdn: string, identity?: ClientIdentity): ConnectionOptions {
  return {
    secureContext: n32ClientSecureContext(config, identity),
    servername: peerFqdn,
    rejectUnauthorized: true,
    ALPNProtocols: ALPN_H2,
  };
}
