import 'reflect-metadata';
import { Expose, Type } from 'class-transformer';
import { Allow, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Matches, Max, Min, MinLength, ValidateNested } from 'class-validator';
import { Fqdn, LimitsConfig, ListenConfig, Optional, PemPath, Required } from '@sepp/server';

/**
 * The IPX configuration file (README.md of this app), in the style of the SEPPs' CONFIG.md: every
 * class is validated at start-up and a failure names the key (`rules[0].operations[1].op`).
 */
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/;

/** The RI identity: what it signs with, and under which name the SEPPs know it. */
export class IpxIdentityConfig {
  /** The RI's FQDN: the `identity` of its JWS and the `ipxProviderId` the SEPPs exchange. */
  @Expose() @Required() @Fqdn() fqdn!: string;
  /** PEM private key, EC P-256: the ES256 signing key of the modifications. */
  @Expose() @Required() @PemPath() signingKey!: string;
  /** PEM certificate of the signing key (optional): checked against the key, sent in certificateList. */
  @Expose() @Optional() @PemPath() certificate?: string;
  /** Optional `kid` of the JWS protected header. */
  @Expose() @Optional() @IsString({ message: 'must be a string' }) @MinLength(1, { message: 'must not be empty' }) kid?: string;
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
  /** Certificate revocation lists (PEM files) both hops' peers are checked against, as a SEPP's `tls.crl`. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of PEM files' }) @IsString({ each: true, message: 'every item must be a path to a PEM file' })
  crl?: string[];
}

export class ForwardConfig {
  /** `host:port` of the next hop's N32-f endpoint. */
  @Expose() @Required() @IsString({ message: 'must be host:port' }) @Matches(HOST_PORT, { message: 'must be host:port' })
  address!: string;
  /** The next hop's FQDN: the SNI, and a SAN its certificate must carry. */
  @Expose() @Required() @Fqdn() fqdn!: string;
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(100, { message: 'must be at least 100 ms' }) @Max(86_400_000, { message: 'must be at most 86400000 ms' })
  timeoutMs?: number;
  /** HTTP/2 PING period on the session to the next hop, to notice a dead one (0: none). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (ms)' }) @Min(0, { message: 'must be 0 (none) or at least 100 ms' }) @Max(3_600_000, { message: 'must be at most 3600000 ms' })
  keepaliveMs?: number;
}

export class PatchItemConfig {
  @Expose() @Required() @IsIn(['add', 'copy', 'move', 'remove', 'replace', 'test'], { message: 'must be add, copy, move, remove, replace or test' })
  op!: string;
  @Expose() @Required() @IsString({ message: 'must be a JSON Pointer string' })
  path!: string;
  @Expose() @Optional() @IsString({ message: 'must be a JSON Pointer string' })
  from?: string;
  /** Any JSON (checked in the loader: required for add, replace and test). */
  @Expose() @Allow() value?: unknown;
}

export class RuleConfig {
  @Expose() @Optional() @IsString({ message: 'must be a string' }) name?: string;
  /** An ApiSignature template (`/nausf-auth/v1/ue-authentications`, `/nudm-sdm/v2/{supi}/am-data`, `/**`). */
  @Expose() @Optional() @IsString({ message: 'must be an API path template' }) @Matches(/^\//, { message: 'must start with /' })
  apiPath?: string;
  /** Or a regular expression on the clear request path. */
  @Expose() @Optional() @IsString({ message: 'must be a regular expression' })
  apiPathPattern?: string;
  @Expose() @Optional() @IsIn(['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'], { message: 'must be an HTTP method in upper case' })
  method?: string;
  @Expose() @Required() @IsIn(['request', 'response'], { message: 'must be request or response' })
  direction!: 'request' | 'response';
  @Expose() @Required() @IsArray({ message: 'must be a list of JSON Patch operations (may be empty)' }) @Type(() => PatchItemConfig) @ValidateNested({ each: true })
  operations!: PatchItemConfig[];
  /** Test rigs only: sign the operations even when they would touch an encrypted IE. */
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' })
  unchecked?: boolean;
}

export class AdminConfig {
  @Expose() @Required() @Type(() => ListenConfig) @ValidateNested() listen!: ListenConfig;
}

export class LoggingConfig {
  @Expose() @Optional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { message: 'must be fatal, error, warn, info, debug, trace or silent' })
  level?: string;
}

export class IpxConfigFile {
  @Expose() @Required() @Type(() => IpxIdentityConfig) @ValidateNested() ipx!: IpxIdentityConfig;
  @Expose() @Required() @Type(() => TlsConfig) @ValidateNested() tls!: TlsConfig;
  @Expose() @Required() @Type(() => ListenConfig) @ValidateNested() listen!: ListenConfig;
  @Expose() @Required() @Type(() => ForwardConfig) @ValidateNested() forward!: ForwardConfig;
  @Expose() @Optional() @IsArray({ message: 'must be a list of rules' }) @Type(() => RuleConfig) @ValidateNested({ each: true })
  rules?: RuleConfig[];
  @Expose() @Required() @Type(() => AdminConfig) @ValidateNested() admin!: AdminConfig;
  /** Largest n32f-process body (request or answer) in bytes. */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (bytes)' }) @Min(1024, { message: 'must be at least 1024' }) @Max(64 * 1024 * 1024, { message: 'must be at most 64 MiB' })
  bodyLimit?: number;
  @Expose() @Optional() @Type(() => LoggingConfig) @ValidateNested() logging?: LoggingConfig;
  /** Messages of one sending SEPP in flight through the relay at once (a bulkhead). */
  @Expose() @Optional() @IsInt({ message: 'must be an integer (messages)' }) @Min(1, { message: 'must be at least 1' }) @Max(10_000_000, { message: 'must be at most 10000000' })
  maxConcurrentPerSender?: number;
  /** The N32-f listener's protections: the SEPPs' `limits` (README, "Abuse and overload"), but the N32-c keys. */
  @Expose() @Optional() @Type(() => LimitsConfig) @ValidateNested() limits?: LimitsConfig;
}
