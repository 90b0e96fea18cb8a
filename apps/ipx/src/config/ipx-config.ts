import type { KeyObject } from 'node:crypto';
import type { IntermediaryRule } from '@sepp/protocol';
import type { LimitsSettings } from '@sepp/server';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** The validated, frozen configuration of the IPX (files already read and checked). */
export interface IpxConfig {
  /** The file it came from. */
  readonly source: string;
  readonly ipx: {
    readonly fqdn: string;
    readonly signingKey: KeyObject;
    readonly signingKeyFile: string;
    /** PEM text of the signing key's certificate, when configured. */
    readonly certificate: string | null;
    readonly kid: string | null;
  };
  readonly tls: {
    readonly cert: Buffer;
    readonly key: Buffer;
    readonly ca: readonly Buffer[];
    /** `tls.crl`: PEM texts of the revocation lists TLS checks both hops' peers against (empty: none). */
    readonly crl: readonly Buffer[];
    readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
    /** SAN dNSNames of our TLS certificate. */
    readonly dnsNames: readonly string[];
  };
  readonly listen: ListenAddress;
  readonly forward: { readonly host: string; readonly port: number; readonly fqdn: string; readonly timeoutMs: number; readonly keepaliveMs: number };
  readonly rules: readonly IntermediaryRule[];
  readonly admin: { readonly listen: ListenAddress };
  readonly bodyLimit: number;
  /** Messages of one sending SEPP in flight through the relay at once; past it 429 (a bulkhead). */
  readonly maxConcurrentPerSender: number;
  readonly logging: { readonly level: string };
  /** The N32-f listener's protections and the graceful stop's bounds, every default filled in. */
  readonly limits: LimitsSettings;
}

export const IPX_DEFAULTS = {
  forwardTimeoutMs: 10_000,
  /** As a SEPP's `n32.keepaliveMs`. */
  forwardKeepaliveMs: 15_000,
  /** Same order as the SEPPs' N32-f limit, plus room for the JOSE envelope. */
  bodyLimit: 2 * 1024 * 1024,
  logLevel: 'info',
  /** As a SEPP's `n32f.maxConcurrentPerPeer`. */
  maxConcurrentPerSender: 1_000,
  minVersion: 'TLSv1.2',
} as const;
