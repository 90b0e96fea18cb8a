import { constants } from 'node:crypto';
import type { SecureServerOptions } from 'node:http2';
import type { ConnectionOptions, SecureContextOptions } from 'node:tls';
import { ALPN_H2, ECDH_CURVES, TLS12_CIPHERS, TLS13_CIPHERSUITES } from '@sepp/server';
import type { IpxConfig } from './ipx-config';

/**
 * The N32 TLS profile of the SEPPs (TS 33.501 13.1.2: SEPP and RI use mutually authenticated TLS
 * on N32-f), with the IPX's own certificate on both hops, and its `tls.crl` when set (as a SEPP's:
 * a revoked peer, or one whose CA has no current CRL there, is refused at the handshake).
 */
function profile(config: IpxConfig): SecureContextOptions {
  return {
    cert: config.tls.cert,
    key: config.tls.key,
    ca: [...config.tls.ca],
    ...(config.tls.crl.length > 0 ? { crl: [...config.tls.crl] } : {}),
    minVersion: config.tls.minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: `${TLS12_CIPHERS}:${TLS13_CIPHERSUITES}`,
    ecdhCurve: ECDH_CURVES,
    honorCipherOrder: true,
    secureOptions: constants.SSL_OP_NO_TICKET | constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** The N32-f hop toward the sending SEPP: HTTP/2 only, client certificate required and verified. */
export function relayServerTlsOptions(config: IpxConfig): SecureServerOptions {
  return { ...profile(config), requestCert: true, rejectUnauthorized: true, allowHTTP1: false, ALPNProtocols: ALPN_H2 };
}

/** The hop toward the next SEPP: SNI = forward.fqdn, and its certificate must carry that name. */
export function nextHopTlsOptions(config: IpxConfig): ConnectionOptions {
  return { ...profile(config), host: config.forward.host, port: config.forward.port, servername: config.forward.fqdn, rejectUnauthorized: true, ALPNProtocols: ALPN_H2 };
}
