/**
 * `@sepp/protocol/pki` (and @peculiar/x509 under it), required on first use: only a SEPP with
 * `tls.crl` loads it (the library and its dependencies would cost every other one memory).
 */
export function pkiOnDemand(): typeof import('@sepp/protocol/pki') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@sepp/protocol/pki') as typeof import('@sepp/protocol/pki');
}
