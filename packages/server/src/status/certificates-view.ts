/**
 * The certificates of the configuration (ours, their chains, the trusted roots, the relays' signing
 * certificates) with when each expires, and the CRLs of `tls.crl` with their nextUpdate: what the
 * expiry alerts are about, at a glance.
 */
export interface CertificatesStatusView {
  readonly certificates: readonly { readonly usage: string; readonly subject: string; readonly notAfter: string }[];
  readonly crls: readonly { readonly issuer: string; readonly nextUpdate: string | null }[];
}
