import 'reflect-metadata';
import { Expose } from 'class-transformer';
import { IsDefined, IsInt, IsString, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { FQDN_PATTERN } from '@sepp/protocol';

/**
 * The pieces every configuration file here is validated with (the SEPPs' CONFIG.md, the IPX
 * relay's file), so that a key means and reports the same in each.
 */

/** A key that may be absent; when present it is validated. */
export const Optional = (): PropertyDecorator => ValidateIf((_o: object, value: unknown) => value !== undefined);
/** A key that must be present; a missing key is reported as just that. */
export const Required = (): PropertyDecorator => IsDefined({ message: 'is required' });
export const Fqdn = (): PropertyDecorator => (target, key) => {
  IsString({ message: 'must be a string' })(target, key);
  Matches(FQDN_PATTERN, { message: 'must be a fully qualified domain name' })(target, key);
};
/** A path to a PEM file (read and checked by the loader). */
export const PemPath = (): PropertyDecorator => (target, key) => {
  IsString({ message: 'must be a path to a PEM file' })(target, key);
  MinLength(1, { message: 'must not be empty' })(target, key);
};

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
export const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\],]+):\d{1,5}$/;

/** `host:port` (checked with {@link HOST_PORT}) split, without the brackets of an IPv6 address. */
export function parseHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  return { host: address.slice(0, index).replace(/^\[|\]$/g, ''), port: Number(address.slice(index + 1)) };
}

/** `{ host, port }` of a listener. */
export class ListenConfig {
  @Expose() @Required() @IsString({ message: 'must be a host name or IP address' }) @MinLength(1, { message: 'must not be empty' })
  host!: string;
  @Expose() @Required() @IsInt({ message: 'must be an integer port (0 picks a free one)' }) @Min(0, { message: 'must be 0..65535' }) @Max(65535, { message: 'must be 0..65535' })
  port!: number;
}
