/**
 * Field decorators the PRINS schemas need beyond `models/field-decorators.ts`: the two `oneOf`s
 * (a string or an object), free-form JSON values, maps of booleans and bounded lists. They follow
 * the same contract as the shared ones, so `validateBody` reports every failure as a JSON Pointer.
 */
import 'reflect-metadata';
import { Transform, plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { Mandatory, StringValue } from '../../models/field-decorators';
import { ArrayMaxSize, IsInt, IsObject, MaxLength, ValidateBy, ValidateIf, validateSync, type ValidationError } from 'class-validator';

type ClassType<T extends object = object> = new () => T;

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Mandatory, but `null` is a value here, not an absence: `Mandatory()`'s IsDefined refuses null,
 * and ValidateIf(false) skips every check of the attribute (IsDefined included), so a null value
 * passes while an absent one still reports "is mandatory" as MANDATORY_IE_MISSING.
 */
const MandatoryNullable = (): PropertyDecorator => (target, key) => {
  Mandatory()(target, key);
  ValidateIf((_object: object, value: unknown) => value !== null)(target, key);
};

/**
 * A mandatory attribute whose value may be any JSON value, `null` included (HttpPayload `value`:
 * the schema says `object`, but a top-level JSON member can be a string, a number, an array or
 * `null`, and an encrypted one is an IndexToEncryptedValue; N32-DIGEST §5.3 says be lenient).
 */
export const MandatoryAnyJson = (): PropertyDecorator => MandatoryNullable();

/**
 * A mandatory string that may also arrive as JSON `null`. For MetaData `authorizedIpxId`:
 * 33.501 13.2.4.3.1.2 says "set to null" when no RI is authorized, the schema says string; we send
 * `"NULL"` and accept `"NULL"`, `null` and `""` alike (N32-DIGEST §5.3, DECISIONS.md §7).
 */
export const MandatoryNullableString = (): PropertyDecorator => (target, key) => {
  MandatoryNullable()(target, key);
  StringValue()(target, key);
};

/** Any JSON object (not an array, not null): the free-form `header` / `unprotected` of JOSE. */
export const JsonObjectValue = (): PropertyDecorator => IsObject({ message: 'must be an object' });

/** A plain `type: integer` (AdditionInfoMsgForwarding `suggestedStatusCode`). */
export const IntegerValue = (): PropertyDecorator => IsInt({ message: 'must be an integer' });

/** Upper bound on a list already checked by `StringList`/`NestedList` (maxItems of the schema). */
export const MaxItems = (max: number): PropertyDecorator => ArrayMaxSize(max, { message: `must have at most ${max} items` });

/** A string of at most `max` characters: what the receiver keeps of a message (its messageId) stays bounded. */
export const MaxChars = (max: number): PropertyDecorator => MaxLength(max, { message: `must be at most ${max} characters long` });

/** An array with at least one item of any JSON value (DataToIntegrityProtectAndCipherBlock `dataToEncrypt`). */
export const AnyJsonList = (): PropertyDecorator =>
  ValidateBy({
    name: 'anyJsonList',
    validator: {
      validate: (value: unknown) => Array.isArray(value) && value.length >= 1,
      defaultMessage: () => 'must be an array with at least 1 item',
    },
  });

/** `type: object, additionalProperties: {type: boolean}, minProperties: 1` (IeInfo `isModifiableByIpx`). */
export const BooleanMap = (): PropertyDecorator =>
  ValidateBy({
    name: 'booleanMap',
    validator: {
      validate: (value: unknown) =>
        isJsonObject(value) && Object.keys(value).length >= 1 && Object.values(value).every((item) => typeof item === 'boolean'),
      defaultMessage: () => 'must be an object with at least 1 property, every value a boolean',
    },
  });

/**
 * A schema `oneOf: [string, <object class>]` (ApiSignature: Uri | CallbackName;
 * EncodedHttpHeaderValue: string | IndexToEncryptedValue). class-validator cannot branch per
 * value, so the choice is made by hand: a string passes; an object is turned into an instance of
 * `cls` (unknown attributes dropped, like everywhere else) and validated as one. The failure is
 * reported on the attribute itself, with the nested reason in the text (`callbackType: is
 * mandatory`), since a custom constraint cannot add child errors to the pointer list.
 */
export const StringOrObject = <T extends object>(cls: () => ClassType<T>, what: string): PropertyDecorator => (target, key) => {
  Transform(({ value, options }: { value: unknown; options: ClassTransformOptions }) => (isJsonObject(value) ? plainToInstance(cls(), value, options) : value))(target, key);
  ValidateBy({
    name: 'stringOrObject',
    validator: {
      validate: (value: unknown) => typeof value === 'string' || (value instanceof cls() && validateSync(value, { forbidUnknownValues: false }).length === 0),
      defaultMessage: (args) => {
        const value: unknown = args?.value;
        const detail = value instanceof cls() ? `: ${describe(validateSync(value, { forbidUnknownValues: false }))}` : '';
        return `must be a string or ${what}${detail}`;
      },
    },
  })(target, key);
};

function describe(errors: ValidationError[]): string {
  return errors
    .map((error) => {
      const constraints = error.constraints ?? {};
      const missing = 'isDefined' in constraints && error.value === undefined;
      return `${error.property}: ${missing ? 'is mandatory' : [...new Set(Object.values(constraints))].join(', ')}`;
    })
    .join('; ');
}
