import 'reflect-metadata';
import { Expose, Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsString, Matches, Max, Min, MinLength, ValidateNested } from 'class-validator';
import { BORDER_MODES, type BorderMode, type HidingKind, type MessageKind, type NetworkIdFormat, type NetworkIdOwner } from '@sepp/protocol';
import { Optional, Required } from '../config/config-schema-parts';

/**
 * `border` (the rule set every peer gets) and `n32.peers[].border` (one peer's changes to it):
 * border protection of N32-f (README "Border protection"). A category that is present is on (in
 * `mode`); one that is absent from both is off. A peer's category replaces the keys it names.
 */

const Mode = (): PropertyDecorator => IsIn(BORDER_MODES, { message: 'must be enforce, dry-run or off' });
const Names = (what: string): PropertyDecorator => (target, key) => {
  IsArray({ message: `must be a list of ${what}` })(target, key);
  IsString({ each: true, message: `every item must be a string (${what})` })(target, key);
};
const Status = (): PropertyDecorator => (target, key) => {
  IsInt({ message: 'must be an HTTP status (400..599)' })(target, key);
  Min(400, { message: 'must be an HTTP status (400..599)' })(target, key);
  Max(599, { message: 'must be an HTTP status (400..599)' })(target, key);
};
const Cause = (): PropertyDecorator => (target, key) => {
  IsString({ message: 'must be a string (a TS 29.500 cause)' })(target, key);
  Matches(/^[A-Z0-9_]{1,64}$/, { message: 'must be an upper-case cause such as SERVICE_NOT_ALLOWED' })(target, key);
};
const Text = (): PropertyDecorator => (target, key) => {
  IsString({ message: 'must be a string' })(target, key);
  MinLength(1, { message: 'must not be empty' })(target, key);
};
const METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

/** Where a rule applies: `api` (`nudm-sdm`, `*`), optionally `methods` and a `path` template. */
class ScopeConfig {
  @Expose() @Required() @Text() api!: string;
  @Expose() @Optional() @IsArray({ message: 'must be a list of HTTP methods' }) @IsIn(METHODS, { each: true, message: `every item must be one of ${METHODS.join(', ')}` })
  methods?: string[];
  @Expose() @Optional() @Text() path?: string;
}

export class HidingPlaceConfig extends ScopeConfig {
  @Expose() @Required() @Text() name!: string;
  @Expose() @Optional() @IsArray({ message: 'must be a list of request / response' }) @ArrayMinSize(1, { message: 'must list request, response or both' })
  @IsIn(['request', 'response'], { each: true, message: 'every item must be request or response' })
  in?: MessageKind[];
  @Expose() @Optional() @Text() header?: string;
  @Expose() @Optional() @IsString({ message: 'must be a JSON Pointer (wildcard * allowed)' }) pointer?: string;
  @Expose() @Required() @IsIn(['uri', 'fqdn', 'ip'], { message: 'must be uri, fqdn or ip' }) kind!: HidingKind;
  @Expose() @Optional() @IsString({ message: 'must be a string' }) spec?: string;
}

export class TopologyHidingConfig {
  @Expose() @Optional() @Mode() mode?: BorderMode;
  /** Use the built-in places (default true); `places` add to them. */
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' }) defaultPlaces?: boolean;
  @Expose() @Optional() @IsArray({ message: 'must be a list of places' }) @Type(() => HidingPlaceConfig) @ValidateNested({ each: true })
  places?: HidingPlaceConfig[];
  /** Domains (suffixes) whose names are ours besides our PLMNs' 3gppnetwork.org domains. */
  @Expose() @Optional() @Names('domain names') internalDomains?: string[];
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' }) hideIpAddresses?: boolean;
}

export class ServiceRuleConfig {
  @Expose() @Required() @Text() name!: string;
  @Expose() @Required() @Names('operations (METHOD /path-template)') @ArrayMinSize(1, { message: 'must list at least one operation' })
  operations!: string[];
  @Expose() @Optional() @IsIn(['callback'], { message: 'must be callback' }) when?: 'callback';
  @Expose() @Optional() @IsString({ message: 'must be a string' }) spec?: string;
}

export class ServiceAllowListConfig {
  @Expose() @Optional() @Mode() mode?: BorderMode;
  /** Names of the built-in rules to keep (default: all of them). */
  @Expose() @Optional() @Names('built-in rule names') services?: string[];
  /** Rules of our own, added to those. */
  @Expose() @Optional() @IsArray({ message: 'must be a list of rules' }) @Type(() => ServiceRuleConfig) @ValidateNested({ each: true })
  rules?: ServiceRuleConfig[];
  @Expose() @Optional() @Status() status?: number;
  @Expose() @Optional() @Cause() cause?: string;
}

export class NetworkIdPlaceConfig extends ScopeConfig {
  @Expose() @Required() @Text() name!: string;
  @Expose() @Optional() @Text() header?: string;
  @Expose() @Optional() @IsString({ message: 'must be a JSON Pointer (wildcard * allowed)' }) pointer?: string;
  @Expose() @Optional() @Text() query?: string;
  @Expose() @Optional() @IsString({ message: 'must be a JSON Pointer into the JSON value of the query parameter' }) queryPointer?: string;
  @Expose() @Optional() @Text() param?: string;
  @Expose() @Required() @IsIn(['plmnId', 'plmnIdList', 'servingNetworkName', 'originatingNetworkId', 'ueIdentity'], { message: 'must be plmnId, plmnIdList, servingNetworkName, originatingNetworkId or ueIdentity' })
  format!: NetworkIdFormat;
  @Expose() @Required() @IsIn(['sender', 'receiver'], { message: 'must be sender or receiver' }) owner!: NetworkIdOwner;
  @Expose() @Optional() @IsString({ message: 'must be a string' }) spec?: string;
}

export class NetworkIdConfig {
  @Expose() @Optional() @Mode() mode?: BorderMode;
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' }) defaultPlaces?: boolean;
  @Expose() @Optional() @IsArray({ message: 'must be a list of places' }) @Type(() => NetworkIdPlaceConfig) @ValidateNested({ each: true })
  places?: NetworkIdPlaceConfig[];
  @Expose() @Optional() @Status() status?: number;
  @Expose() @Optional() @Cause() cause?: string;
}

export class SchemaValidationConfig {
  @Expose() @Optional() @Mode() mode?: BorderMode;
  /** The APIs validated (default: every API of the vendored set). */
  @Expose() @Optional() @Names('API names') apis?: string[];
  @Expose() @Optional() @IsBoolean({ message: 'must be true or false' }) queryParameters?: boolean;
}

export class ExtensionChecksConfig {
  @Expose() @Optional() @Mode() mode?: BorderMode;
}

export class BorderConfig {
  /** The default mode of the categories of this set (each may say otherwise). */
  @Expose() @Optional() @IsIn(['enforce', 'dry-run'], { message: 'must be enforce or dry-run' }) mode?: 'enforce' | 'dry-run';
  @Expose() @Optional() @IsIn(['verbose', 'terse'], { message: 'must be verbose or terse' }) details?: 'verbose' | 'terse';
  @Expose() @Optional() @Type(() => TopologyHidingConfig) @ValidateNested() topologyHiding?: TopologyHidingConfig;
  @Expose() @Optional() @Type(() => ServiceAllowListConfig) @ValidateNested() serviceAllowList?: ServiceAllowListConfig;
  @Expose() @Optional() @Type(() => NetworkIdConfig) @ValidateNested() networkId?: NetworkIdConfig;
  @Expose() @Optional() @Type(() => SchemaValidationConfig) @ValidateNested() schemaValidation?: SchemaValidationConfig;
  @Expose() @Optional() @Type(() => ExtensionChecksConfig) @ValidateNested() extensions?: ExtensionChecksConfig;
}
