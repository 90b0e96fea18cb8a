import 'reflect-metadata';
import { Expose, Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import {
  INTERMEDIARY_POLICIES,
  MCC_PATTERN,
  MNC_PATTERN,
  N32_MECHANISMS,
  SUPPORTED_FEATURES_PATTERN,
  type IntermediaryPolicy,
  type N32Mechanism,
} from '@sepp/protocol';
import { Fqdn, HOST_PORT, ListenConfig, Optional, PemPath, Required } from './config-schema-parts';
import { LimitsConfig } from './limits-config';
import { StateConfig } from './state-config';

/** `host:port`, or a non-empty list of them (replicas of the peer: spread over and failed over). */
const AddressList = (): PropertyDecorator =>
  ValidateBy({
    name: 'isAddressList',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && HOST_PORT.test(value)) ||
        (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && HOST_PORT.test(item))),
      defaultMessage: () => 'must be host:port or a list of host:port',
    },
  });
import { BorderConfig } from '../border/border-config.schema';

/**
 * The configuration file (CONFIG.md). Key names are a public interface: add keys, rename none.
 * Every class here is validated at start-up; a failure names the key (`n32.peers[0].plmns[0].mnc`).
 */

export class PlmnConfig {
  @Expose() @Required() @IsString({ message: 'must be a string of 3 digits (quote it in YAML)' }) @Matches(MCC_PATTERN, { message: 'must be 3 digits' })
  mcc!: string;
  @Expose() @Required() @IsString({ message: 'must be a string of 2 or 3 digits (quote it in YAML)' }) @Matches(MNC_PATTERN, { message: 'must be 2 or 3 digits' })
  mnc!: string;
}

const PlmnList = (): PropertyDecorator => (target, key) => {
  IsArray({ message: 'must be a list of { mcc, mnc }' })(target, key);
  ArrayMinSize(1, { message: 'must list at least one PLMN' })(target, key);
  Type(() => PlmnConfig)(target, key);
  ValidateNested({ each: true })(target, key);
};

export class SeppIdentityConfig {
  @Expose() @Required() @Fqdn() fqdn!: string;
  @Expose() @Required() @PlmnList() plmns!: PlmnConfig[];
  @Expose() @Required()
  @IsArray({ message: 'must be a list of mechanisms (TLS, PRINS)' })
  @ArrayMinSize(1, { message: 'must list at least one mechanism' })
  @IsIn(N32_MECHANISMS, { each: true, message: 'every item must be TLS or PRINS' })
  capabilities!: N32Mechanism[];
  /** TS 29.500 SupportedFeatures of our N32 handshake API (hex). */
  @Expose() @Optional() @IsString({ message: 'must be a hex string' }) @Matches(SUPPORTED_FEATURES_PATTERN, { message: 'must be a hex string' })
  supportedFeatures?: string;
  /** Whether we declare 3GppSbiTargetApiRootSupported (N32-f TLS mode uses the header). */
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' })
  targetApiRootSupported?: boolean;
}

export class TlsConfig {
  @Expose() @Required() @PemPath() cert!: string;
  @Expose() @Required() @PemPath() key!: string;
  @Expose() @Required()
  @IsArray({ message: 'must be a list of PEM files' })
  @ArrayMinSize(1, { message: 'must list at least one trusted root' })
  @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  ca!: string[];
  @Expose() @Optional() @IsIn(['TLSv1.2', 'TLSv1.3'], { message: 'must be TLSv1.2 or TLSv1.3' })
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * Certificate revocation lists (PEM files) N32 peers are checked against, on both sides of N32:
   * when set, every CA of a peer's chain must have a current CRL here.
   */
  @Expose() @Optional() @IsArray({ message: 'must be a list of PEM files' }) @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  crl?: string[];
  /** Reload when a certificate, key or CA file changes (fs.watch, debounced), as SIGHUP does. */
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' })
  watchFiles?: boolean;
}

export class RetryConfig {
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(10, { message: 'must be at least 10 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  initialDelayMs?: number;
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(10, { message: 'must be at least 10 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  maxDelayMs?: number;
}

/**
 * The receiving SEPP's own renegotiation (TS 33.501 13.5) with a configured peer that sends N32-f
 * (TLS mode) while no mechanism is agreed: a negotiation toward the peer's `address`, the request
 * waiting for it.
 */
export class RenegotiationConfig {
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' })
  enabled?: boolean;
  /** How long an N32-f request waits for the agreement before it is answered 503. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(0, { message: 'must be at least 0 ms' }) @Max(60_000, { message: 'must be at most 60000 ms' })
  waitMs?: number;
  /** At most one attempt per peer in this time; it doubles after each failed attempt, up to `n32.retry.maxDelayMs`. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(100, { message: 'must be at least 100 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  minIntervalMs?: number;
}

/** The roaming intermediary (IPX relay) on the N32-f path to a peer (PRINS, TS 33.501 13.2.4.5). */
export class PeerIpxConfig {
  /** Its FQDN: JWS `identity`, `ipxProviderId`, and the name its TLS certificate carries. */
  @Expose() @Required() @Fqdn() fqdn!: string;
  /** `host:port` of its N32-f listener; absent -> N32-f goes to the peer directly (the IPX is on the peer's side). */
  @Expose() @Optional() @IsString({ message: 'must be host:port' }) @Matches(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, { message: 'must be host:port' })
  address?: string;
  /** PEM files: the certificates or public keys of its ES256 (P-256) signing keys. */
  @Expose() @Required()
  @IsArray({ message: 'must be a list of PEM files (certificates or public keys)' })
  @ArrayMinSize(1, { message: 'must list at least one signing key' })
  @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  signingKeys!: string[];
}

export class PeerConfig {
  @Expose() @Required() @Fqdn() fqdn!: string;
  @Expose() @Required() @PlmnList() plmns!: PlmnConfig[];
  /** `host:port` to dial, or a list of them (spread over and failed over); absent -> the FQDN through DNS, port 443. */
  @Expose() @Optional() @AddressList()
  address?: string | string[];
  @Expose() @Optional() @IsIn(INTERMEDIARY_POLICIES, { message: 'must be none, ip-routing or modifying' })
  intermediaries?: IntermediaryPolicy;
  /** N32 purposes (TS 29.573 N32Purpose) we accept from this peer; absent -> all. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of N32 purposes' }) @IsString({ each: true, message: 'every item must be a string' })
  purposes?: string[];
  /** The IPX relay between us and this peer (needs `intermediaries: modifying`). */
  @Expose() @Optional() @Type(() => PeerIpxConfig) @ValidateNested() ipx?: PeerIpxConfig;
  /** Border protection toward this peer: changes to the top-level `border` set. */
  @Expose() @Optional() @Type(() => BorderConfig) @ValidateNested() border?: BorderConfig;
}

/** One trust anchor (TS 33.501 13.1.2): the roots that certify the SEPPs of these PLMNs, and only them. */
export class TrustAnchorConfig {
  @Expose() @Required() @PlmnList() plmns!: PlmnConfig[];
  @Expose() @Required()
  @IsArray({ message: 'must be a list of PEM files' })
  @ArrayMinSize(1, { message: 'must list at least one trusted root' })
  @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  ca!: string[];
}

export class N32Config {
  @Expose() @Optional() @Type(() => ListenConfig) @ValidateNested() listen?: ListenConfig;
  @Expose() @Required() @IsArray({ message: 'must be a list of peers (may be empty)' }) @Type(() => PeerConfig) @ValidateNested({ each: true })
  peers!: PeerConfig[];
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' }) acceptUnknownPeers?: boolean;
  /** Largest N32-c request body we read, in bytes; larger -> 413. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (bytes)' }) @Min(1024, { message: 'must be at least 1024' }) @Max(16 * 1024 * 1024, { message: 'must be at most 16 MiB' })
  bodyLimit?: number;
  @Expose() @Optional() @Type(() => RetryConfig) @ValidateNested() retry?: RetryConfig;
  /** The responder's own renegotiation with a peer that sends N32-f without an agreement. */
  @Expose() @Optional() @Type(() => RenegotiationConfig) @ValidateNested() renegotiation?: RenegotiationConfig;
  /** How long the initiator waits for an N32-c answer (and for TLS to come up). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(100, { message: 'must be at least 100 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  requestTimeoutMs?: number;
  /** HTTP/2 PING period on established N32 connections, to notice a dead peer. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(100, { message: 'must be at least 100 ms' }) @Max(3_600_000, { message: 'must be at most 3600000 ms' })
  keepaliveMs?: number;
  /** Idle time after which the N32 server closes an HTTP/2 session (PINGs count as activity). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(1000, { message: 'must be at least 1000 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  idleTimeoutMs?: number;
  /** N32 purposes the initiator announces (intendedUsagePurpose); absent -> none announced. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of N32 purposes' }) @IsString({ each: true, message: 'every item must be a string' })
  purposes?: string[];
  /** Per-PLMN trust anchors; absent -> one anchor (`tls.ca`) for every peer. A PLMN is in at most one. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of { plmns, ca }' }) @Type(() => TrustAnchorConfig) @ValidateNested({ each: true })
  trustAnchors?: TrustAnchorConfig[];
}

export class TlsIdentityConfig {
  @Expose() @Required() @PemPath() cert!: string;
  @Expose() @Required() @PemPath() key!: string;
  /** Roots trusted for the NF side (client certificates of NFs, producer NF certificates). */
  @Expose() @Optional() @IsArray({ message: 'must be a list of PEM files' }) @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  ca?: string[];
}

export class AdminConfig {
  @Expose() @Required() @Type(() => ListenConfig) @ValidateNested() listen!: ListenConfig;
  /** HTTPS on the admin listener (OAM), client certificates required when `ca` is set. */
  @Expose() @Optional() @Type(() => TlsIdentityConfig) @ValidateNested() tls?: TlsIdentityConfig;
}

export class SbiConfig {
  /** NF-facing listener (cSEPP): HTTP/2, h2c unless `sbi.tls` is set. */
  @Expose() @Optional() @Type(() => ListenConfig) @ValidateNested() listen?: ListenConfig;
  /** pSEPP: the local NF apiRoots N32-f requests may be forwarded to; anything else -> 403. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of apiRoots' }) @IsString({ each: true, message: 'every item must be a string' })
  allowedTargets?: string[];
  /** Static name resolution for NF hosts (`fqdn: address`), before DNS. */
  @Expose() @Optional() @IsObject({ message: 'must be a mapping of host name to address' })
  hosts?: Record<string, string>;
  /** TLS on the NF-facing listener (and trust for https producer NFs); absent -> h2c. */
  @Expose() @Optional() @Type(() => TlsIdentityConfig) @ValidateNested() tls?: TlsIdentityConfig;
  /** Responder: HTTP/2 PING period on the sessions to local NFs, to notice a dead one (0: none). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(0, { message: 'must be 0 (none) or at least 100 ms' }) @Max(3_600_000, { message: 'must be at most 3600000 ms' })
  keepaliveMs?: number;
}

export class N32fTlsConfig {
  @Expose() @Required() @PemPath() cert!: string;
  @Expose() @Required() @PemPath() key!: string;
}

export class N32fConfig {
  /** `shared`: N32-f on the N32-c connection (DECISIONS.md §2); `dedicated`: its own connection. */
  @Expose() @Optional() @IsIn(['shared', 'dedicated'], { message: 'must be shared or dedicated' })
  connection?: 'shared' | 'dedicated';
  /** Responder: a separate N32-f listener, advertised as senderN32fFqdn / senderN32fPort. */
  @Expose() @Optional() @Type(() => ListenConfig) @ValidateNested() listen?: ListenConfig;
  /** The N32-f FQDN we advertise (default sepp.fqdn); must be a SAN of the N32-f certificate. */
  @Expose() @Optional() @Fqdn() fqdn?: string;
  /** A separate N32-f certificate (default: tls.cert / tls.key). */
  @Expose() @Optional() @Type(() => N32fTlsConfig) @ValidateNested() tls?: N32fTlsConfig;
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(100, { message: 'must be at least 100 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  requestTimeoutMs?: number;
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(100, { message: 'must be at least 100 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  establishTimeoutMs?: number;
  @Expose() @Optional() @IsInt({ message: 'must be an integer' }) @Min(1, { message: 'must be at least 1' })
  maxConcurrentPerPeer?: number;
  @Expose() @Optional() @IsInt({ message: 'must be an integer (bytes)' }) @Min(1024, { message: 'must be at least 1024' }) @Max(64 * 1024 * 1024, { message: 'must be at most 64 MiB' })
  bodyLimit?: number;
}

export class LoggingConfig {
  @Expose() @Optional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], { message: 'must be fatal, error, warn, info, debug or trace' })
  level?: string;
}

export class PrinsConfig {
  /** JWE `enc` values we accept, in our priority order (TS 33.210 JWE profile; A128GCM is mandatory). */
  @Expose() @Optional() @IsArray({ message: 'must be a list of A128GCM / A256GCM' }) @ArrayMinSize(1, { message: 'must list at least one cipher suite' })
  @IsIn(['A128GCM', 'A256GCM'], { each: true, message: 'every item must be A128GCM or A256GCM' })
  jweCipherSuites?: ('A128GCM' | 'A256GCM')[];
  /** Data types we encrypt on N32-f (TS 29.573 IeType); must equal the peer's (TS 33.501 13.2.3.2). */
  @Expose() @Optional() @IsArray({ message: 'must be a list of IeTypes' }) @ArrayMinSize(1, { message: 'must list at least one IeType' })
  @IsIn(['UEID', 'LOCATION', 'KEY_MATERIAL', 'AUTHENTICATION_MATERIAL', 'AUTHORIZATION_TOKEN', 'OTHER'], { each: true, message: 'every item must be a TS 29.573 IeType' })
  dataTypeEncPolicy?: string[];
  /** What a protection policy that differs from ours does: refuse the context (`reject`) or log (`warn`). */
  @Expose() @Optional() @IsIn(['reject', 'warn'], { message: 'must be reject or warn' })
  policyMismatch?: 'reject' | 'warn';
  /** Messages sent per key before a new N32-f context is negotiated (at most 2^32; lower for tests). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer' }) @Min(2, { message: 'must be at least 2' }) @Max(4_294_967_296, { message: 'must be at most 2^32' })
  maxMessagesPerContext?: number;
  /**
   * Also read the request-line placeholder `"encBlockIndex/<n>"` (a whole path or query encrypted,
   * the encoding this SEPP sent before Release 19's pathQueryProtectInd) from peers that still send it.
   */
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' })
  acceptLegacyUriPlaceholder?: boolean;
  /** How long a context replaced by a newer one with the same peer still serves messages on the way (ms). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(0, { message: 'must be at least 0 ms' }) @Max(600_000, { message: 'must be at most 600000 ms' })
  replacedContextGraceMs?: number;
  /** The most N32-f contexts kept with one peer: the current one and those replaced but still in their grace. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer' }) @Min(2, { message: 'must be at least 2' }) @Max(64, { message: 'must be at most 64' })
  maxContextsPerPeer?: number;
}

export class SeppConfigFile {
  @Expose() @Required() @Type(() => SeppIdentityConfig) @ValidateNested() sepp!: SeppIdentityConfig;
  @Expose() @Required() @Type(() => TlsConfig) @ValidateNested() tls!: TlsConfig;
  @Expose() @Required() @Type(() => N32Config) @ValidateNested() n32!: N32Config;
  @Expose() @Required() @Type(() => AdminConfig) @ValidateNested() admin!: AdminConfig;
  @Expose() @Optional() @Type(() => SbiConfig) @ValidateNested() sbi?: SbiConfig;
  @Expose() @Optional() @Type(() => N32fConfig) @ValidateNested() n32f?: N32fConfig;
  @Expose() @Optional() @Type(() => PrinsConfig) @ValidateNested() prins?: PrinsConfig;
  @Expose() @Optional() @Type(() => LoggingConfig) @ValidateNested() logging?: LoggingConfig;
  @Expose() @Optional() @Type(() => LimitsConfig) @ValidateNested() limits?: LimitsConfig;
  @Expose() @Optional() @Type(() => StateConfig) @ValidateNested() state?: StateConfig;
  /** Border protection of N32-f for every peer (topology hiding, allow-list, network IDs, schemas). */
  @Expose() @Optional() @Type(() => BorderConfig) @ValidateNested() border?: BorderConfig;
}
