import type { ApiRoot, IntermediaryPolicy, N32Mechanism, PlmnIdValue } from '@sepp/protocol';
import { LIMITS_DEFAULTS, type LimitsSettings } from './limits-config';
import type { LoadedCrl } from './read-tls';
import type { StateSettings } from './state-config';
import type { BorderSettings } from '../border/read-border';

export type { LimitsSettings } from './limits-config';
export type { StateSettings } from './state-config';

/** A listener address. Port 0 asks the OS for a free port (the listening log line tells which). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface PeerSettings {
  /** Normalized (lower case, no root dot). */
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
  /** Where to dial the peer: the first of `dials`. */
  readonly dial: ListenAddress;
  /** Every address of the peer (`address`, one or a list), otherwise its FQDN on port 443. */
  readonly dials: readonly ListenAddress[];
  readonly intermediaries: IntermediaryPolicy;
  /** N32 purposes accepted from this peer; null -> all. */
  readonly purposes: readonly string[] | null;
  /** Our IPX relay toward this peer (PRINS with `intermediaries: modifying`); null -> none. */
  readonly ipx: PeerIpxSettings | null;
}

/** A roaming intermediary (IPX relay) we work with toward one peer. */
export interface PeerIpxSettings {
  /** Normalized FQDN: JWS `identity`, `ipxProviderId`, TLS name of the relay. */
  readonly fqdn: string;
  /** Where N32-f to the peer goes instead of the peer; null -> the IPX is not our next hop. */
  readonly dial: ListenAddress | null;
  /** SPKI PEM of its ES256 signing keys (P-256). */
  readonly publicKeys: readonly string[];
  /** Its certificates (PEM), when the files held certificates: sent in `certificateList`. */
  readonly certificates: readonly string[];
}

/** One per-PLMN trust anchor (`n32.trustAnchors[]`, TS 33.501 13.1.2). */
export interface TrustAnchorSettings {
  readonly plmns: readonly PlmnIdValue[];
  /** Absolute paths of its roots. */
  readonly caFiles: readonly string[];
  /** The roots (PEM). */
  readonly ca: readonly Buffer[];
}

/** Certificate material read at start-up (and again on reload). */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Roots TLS verifies N32 peers against: `tls.ca` plus the roots of every `n32.trustAnchors` entry. */
  readonly ca: readonly Buffer[];
  /** `tls.crl`: the revocation lists TLS checks N32 peers' chains against (PEM texts; empty: none). */
  readonly crl: readonly Buffer[];
  /** SAN dNSNames of our own leaf certificate. */
  readonly dnsNames: readonly string[];
  readonly notAfter: Date;
}

/**
 * The validated, defaulted, frozen configuration both apps run on. Built only by `loadConfig`;
 * every path is absolute and every default is filled in, so nothing downstream re-reads the file.
 */
export interface SeppConfig {
  /** Absolute path of the file this came from. */
  readonly source: string;
  readonly sepp: {
    readonly fqdn: string;
    readonly plmns: readonly PlmnIdValue[];
    readonly capabilities: readonly N32Mechanism[];
    readonly supportedFeatures: string;
    readonly targetApiRootSupported: boolean;
  };
  readonly tls: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly caFiles: readonly string[];
    readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
    readonly material: TlsMaterial;
    /** What `tls.crl` holds: per CRL its file, issuer, validity and revoked serial numbers. */
    readonly crls: readonly LoadedCrl[];
    /** `tls.watchFiles`: reload when one of `files` changes. */
    readonly watchFiles: boolean;
    /** Every certificate, key and CA file this configuration read (absolute paths). */
    readonly files: readonly string[];
  };
  readonly n32: {
    readonly listen: ListenAddress | null;
    readonly peers: readonly PeerSettings[];
    readonly acceptUnknownPeers: boolean;
    readonly bodyLimit: number;
    readonly retry: { readonly initialDelayMs: number; readonly maxDelayMs: number };
    /** Responder: renegotiate itself with a configured peer that sends N32-f without an agreement. */
    readonly renegotiation: { readonly enabled: boolean; readonly waitMs: number; readonly minIntervalMs: number };
    readonly requestTimeoutMs: number;
    readonly keepaliveMs: number;
    readonly idleTimeoutMs: number;
    readonly purposes: readonly string[];
    /** Empty: no per-PLMN anchors (every peer is verified against the roots of `tls.ca`). */
    readonly trustAnchors: readonly TrustAnchorSettings[];
  };
  readonly admin: {
    readonly listen: ListenAddress;
    /** HTTPS on the admin listener (OAM); null -> plain HTTP (keep it on loopback then). */
    readonly tls: { readonly cert: Buffer; readonly key: Buffer; readonly ca: readonly Buffer[] } | null;
  };
  readonly sbi: {
    readonly listen: ListenAddress | null;
    /** Parsed `sbi.allowedTargets`. */
    readonly allowedTargets: readonly ApiRoot[];
    /** Static host -> address resolution (lower-case host names). */
    readonly hosts: Readonly<Record<string, string>>;
    /** TLS on the NF-facing side; null -> h2c. */
    readonly tls: { readonly cert: Buffer; readonly key: Buffer; readonly ca: readonly Buffer[] } | null;
    /** Responder: PING period on the sessions to local NFs (0: none). */
    readonly keepaliveMs: number;
  };
  readonly n32f: {
    readonly connection: 'shared' | 'dedicated';
    readonly listen: ListenAddress | null;
    /** The N32-f FQDN we advertise (senderN32fFqdn). */
    readonly fqdn: string;
    /** The certificate used on dedicated N32-f connections (defaults to tls.cert/key). */
    readonly tls: { readonly cert: Buffer; readonly key: Buffer; readonly dnsNames: readonly string[] };
    readonly requestTimeoutMs: number;
    readonly establishTimeoutMs: number;
    readonly maxConcurrentPerPeer: number;
    readonly bodyLimit: number;
  };
  readonly prins: {
    readonly jweCipherSuites: readonly ('A128GCM' | 'A256GCM')[];
    /** null -> the built-in default policy of @sepp/protocol. */
    readonly dataTypeEncPolicy: readonly string[] | null;
    readonly policyMismatch: 'reject' | 'warn';
    readonly maxMessagesPerContext: number;
    /** Read the pre-Release-19 request-line placeholder `"encBlockIndex/<n>"` from peers. */
    readonly acceptLegacyUriPlaceholder: boolean;
    /** How long a replaced context still opens and answers messages (answers on the way). */
    readonly replacedContextGraceMs: number;
    /** The most contexts kept with one peer; past it the oldest replaced ones end at once. */
    readonly maxContextsPerPeer: number;
  };
  readonly logging: { readonly level: string };
  readonly limits: LimitsSettings;
  /** Shared N32 state (`state.*`): in memory, or Redis for a cluster of replicas. Read at start only. */
  readonly state: StateSettings;
  /** Border protection, resolved per peer (`border`, `n32.peers[].border`). */
  readonly border: BorderSettings;
}

export const CONFIG_DEFAULTS = {
  minVersion: 'TLSv1.2',
  supportedFeatures: '0',
  targetApiRootSupported: true,
  intermediaries: 'none',
  acceptUnknownPeers: false,
  bodyLimit: 65_536,
  retryInitialDelayMs: 1_000,
  retryMaxDelayMs: 60_000,
  renegotiationEnabled: true,
  renegotiationWaitMs: 2_000,
  renegotiationMinIntervalMs: 5_000,
  requestTimeoutMs: 5_000,
  keepaliveMs: 15_000,
  /** `sbi.keepaliveMs`: as `n32.keepaliveMs`. */
  sbiKeepaliveMs: 15_000,
  idleTimeoutMs: 300_000,
  peerPort: 443,
  n32fConnection: 'shared',
  n32fRequestTimeoutMs: 10_000,
  n32fEstablishTimeoutMs: 5_000,
  n32fMaxConcurrentPerPeer: 1_000,
  n32fBodyLimit: 1_048_576,
  logLevel: 'info',
  jweCipherSuites: ['A128GCM', 'A256GCM'] as const,
  policyMismatch: 'reject',
  maxMessagesPerContext: 4_294_967_296,
  acceptLegacyUriPlaceholder: false,
  replacedContextGraceMs: 10_000,
  maxContextsPerPeer: 4,
  watchFiles: false,
  limits: LIMITS_DEFAULTS,
} as const;
