import 'reflect-metadata';
import { Expose, Type } from 'class-transformer';
import {
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsInt,
  IsObject,
  IsString,
  Length,
  Matches,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { FQDN_MAX_LENGTH, FQDN_MIN_LENGTH, FQDN_PATTERN } from './patterns';

type ClassType = new () => object;

/**
 * The schema's optional attributes are not nullable: `null` is an invalid value, not an absent
 * one. class-validator's IsOptional treats both as absent, so we skip validation on `undefined`
 * only.
 */
export const Optional = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

const mandatoryAttributes = new WeakMap<object, Set<string | symbol>>();

/** Whether `key` is a mandatory attribute of the class whose prototype is `prototype`. */
export function isMandatoryAttribute(prototype: object, key: string | symbol): boolean {
  return mandatoryAttributes.get(prototype)?.has(key) ?? false;
}

/** Marks an attribute as known (kept by the transformer) and mandatory. */
export const Mandatory = (): PropertyDecorator => (target, key) => {
  const keys = mandatoryAttributes.get(target) ?? new Set<string | symbol>();
  keys.add(key);
  mandatoryAttributes.set(target, keys);
  Expose()(target, key);
  IsDefined({ message: 'is mandatory' })(target, key);
};

/** Marks an attribute as known and optional. */
export const Conditional = (): PropertyDecorator => (target, key) => {
  Expose()(target, key);
  Optional()(target, key);
};

export const FqdnValue = (): PropertyDecorator => (target, key) => {
  IsString({ message: 'must be a string (Fqdn)' })(target, key);
  Length(FQDN_MIN_LENGTH, FQDN_MAX_LENGTH, { message: 'must be an FQDN of 4 to 253 characters' })(target, key);
  Matches(FQDN_PATTERN, { message: 'must be an FQDN (TS 29.571 Fqdn)' })(target, key);
};

export const StringValue = (pattern?: RegExp, what?: string): PropertyDecorator => (target, key) => {
  IsString({ message: 'must be a string' })(target, key);
  if (pattern) Matches(pattern, { message: `must match ${what ?? pattern.source}` })(target, key);
};

export const BooleanValue = (): PropertyDecorator => IsBoolean({ message: 'must be a boolean' });

export const UintegerValue = (): PropertyDecorator => (target, key) => {
  IsInt({ message: 'must be an unsigned integer' })(target, key);
  Min(0, { message: 'must be an unsigned integer' })(target, key);
};

/** A non-empty array (every list in these schemas has minItems 1) of strings. */
export const StringList = (pattern?: RegExp, what?: string): PropertyDecorator => (target, key) => {
  IsArray({ message: 'must be an array' })(target, key);
  ArrayMinSize(1, { message: 'must have at least 1 item' })(target, key);
  IsString({ each: true, message: 'every item must be a string' })(target, key);
  if (pattern) Matches(pattern, { each: true, message: `every item must match ${what ?? pattern.source}` })(target, key);
};

export const UintegerList = (): PropertyDecorator => (target, key) => {
  IsArray({ message: 'must be an array' })(target, key);
  ArrayMinSize(1, { message: 'must have at least 1 item' })(target, key);
  IsInt({ each: true, message: 'every item must be an unsigned integer' })(target, key);
  Min(0, { each: true, message: 'every item must be an unsigned integer' })(target, key);
};

/**
 * A nested object of the given class. IsObject because ValidateNested alone accepts an array
 * (it validates the array's items instead), so `[[]]` or `[{...}]` would pass for an object.
 */
export const Nested = (cls: () => ClassType): PropertyDecorator => (target, key) => {
  IsObject({ message: 'must be an object' })(target, key);
  Type(cls)(target, key);
  ValidateNested({ message: 'must be an object' })(target, key);
};

/** A non-empty array of objects of the given class. */
export const NestedList = (cls: () => ClassType): PropertyDecorator => (target, key) => {
  IsArray({ message: 'must be an array' })(target, key);
  ArrayMinSize(1, { message: 'must have at least 1 item' })(target, key);
  IsObject({ each: true, message: 'every item must be an object' })(target, key);
  Type(cls)(target, key);
  ValidateNested({ each: true, message: 'every item must be an object' })(target, key);
};
