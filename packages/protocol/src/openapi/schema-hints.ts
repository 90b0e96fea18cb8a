/**
 * Schema hints for `@JSONSchema(...)` (class-validator-jsonschema) on the model classes, where the
 * validation decorators alone cannot say what the wire schema is: an open enumeration (validated as
 * a plain string on purpose, DECISIONS.md §1) and the two hand-validated `oneOf`s. Each one names a
 * component of the document `buildN32OpenApi` generates. No imports of the models here: the models
 * import this file.
 */
import type { JSONSchema } from 'class-validator-jsonschema';

type SchemaHint = Parameters<typeof JSONSchema>[0];

/** The open enumerations (`anyOf: [enum, string]`) of TS 29.573 / TS 29.571 Release 19 our models carry. */
export type OpenEnumName =
  | 'SecurityCapability'
  | 'N32Purpose'
  | 'IeType'
  | 'IeLocation'
  | 'HttpMethod'
  | 'N32fErrorType'
  | 'FailureReason'
  | 'N32ReleaseIndication'
  | 'UriScheme';

/** The `oneOf: [string, <object>]` schemas, which `StringOrObject` checks by hand. */
export type OneOfName = 'ApiSignature' | 'EncodedHttpHeaderValue';

/**
 * The attribute is the named open enumeration: a `$ref` to its component instead of the
 * `type: string` its StringValue/StringList validation gives. On a list, each item is.
 */
export function openEnum(name: OpenEnumName): SchemaHint {
  return (schema, options) => {
    const ref = { $ref: `${options.refPointerPrefix}${name}` };
    return schema.type === 'array' ? { ...schema, items: ref } : ref;
  };
}

/** The attribute is the named `oneOf` (ApiSignature: Uri | CallbackName; EncodedHttpHeaderValue: string | IndexToEncryptedValue). */
export function oneOf(name: OneOfName): SchemaHint {
  return (_schema, options) => ({ $ref: `${options.refPointerPrefix}${name}` });
}
