/**
 * The OpenAPI 3.0 document of the N32 APIs a SEPP serves, generated from the classes that validate
 * the requests (class-validator metadata, through class-validator-jsonschema): what the document
 * says a body looks like is what `validateBody` checks. Paths, methods, operation IDs and response
 * codes follow the TS 29.573 Release 19 OpenAPI files (N32_Handshake 1.4.0 and
 * JOSEProtectedMessageForwarding 1.4.0: TS 29.573 V19.5.0; SeppTelescopicFqdnMapping 1.3.1:
 * V19.6.0). `official-surface.ts` lists those names independently and the spec compares the two.
 */
import type { targetConstructorToSchema as TargetConstructorToSchema } from 'class-validator-jsonschema';
import { ValidationTypes } from 'class-validator';
import { InvalidParam, PlmnId, PlmnIdNid, ProblemDetails } from '../models/common-data';
import { N32C_PATHS, N32F_PROCESS_PATH } from '../models/api-paths';
import { FQDN_MAX_LENGTH, FQDN_MIN_LENGTH, FQDN_PATTERN } from '../models/patterns';
import { IntendedN32Purpose, SecNegotiateReqData, SecNegotiateRspData } from '../models/sec-negotiate';
import { N32Purpose, SecurityCapability } from '../models/security-capability';
import { MsgReconstructFailReason, N32fErrorType } from '../prins/n32f-error';
import { HttpMethod, IeLocation, IeType, N32ReleaseIndication, RiN32fErrorType } from '../prins/messages/enums';
import {
  ApiIeMapping,
  CallbackName,
  FailedModificationInfo,
  IeInfo,
  IpxProviderSecInfo,
  N32fContextInfo,
  N32fErrorDetail,
  N32fErrorInfo,
  ProtectionPolicy,
  RiErrorInformation,
  SecParamExchReqData,
  SecParamExchRspData,
} from '../prins/messages/n32c-params';
import {
  DataToIntegrityProtectAndCipherBlock,
  DataToIntegrityProtectBlock,
  FlatJweJson,
  FlatJwsJson,
  HttpHeader,
  HttpPayload,
  IndexToEncryptedValue,
  MetaData,
  N32fReformattedReqMsg,
  N32fReformattedRspMsg,
  ProblemDetailsMsgForwarding,
  RequestLine,
} from '../prins/messages/n32f-forward';
import { MAX_LABEL_LENGTH } from '../sbi/telescopic';
import type { OneOfName, OpenEnumName } from './schema-hints';
import { NSEPP_TELESCOPIC_MAPPING_PATH, TelescopicMapping } from './telescopic-mapping';

// class-transformer's @Type metadata says which class a nested attribute (or list item) is; its
// storage is not exported from the package root (typestack/class-transformer#563).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { defaultMetadataStorage } = require('class-transformer/cjs/storage') as typeof import('class-transformer/types/storage');

export type N32ApiName = 'n32c-handshake' | 'n32f-forward' | 'telescopic';

export type N32OperationId =
  | 'PostExchangeCapability'
  | 'PostExchangeParams'
  | 'PostN32fTerminate'
  | 'PostN32fError'
  | 'PostN32fProcess'
  | 'N32fProcessOptions'
  | 'GetTelescopicMapping';

export interface N32OpenApiOptions {
  /** The APIs the document describes. */
  readonly apis: readonly N32ApiName[];
  readonly title: string;
  readonly version: string;
  /** The apiRoot the paths hang off; without it, an `{apiRoot}` variable as in the 3GPP files. */
  readonly serverUrl?: string;
  /** Only these operations of the selected APIs (default: every one of them). */
  readonly operations?: readonly N32OperationId[];
  /** Per operation, a sentence on which listener serves it, added to its description. */
  readonly servedBy?: Partial<Readonly<Record<N32OperationId, string>>>;
}

/** A JSON Schema / OpenAPI object, as plain JSON. */
export type OpenApiObject = { [key: string]: unknown };

export interface OpenApiOperation extends OpenApiObject {
  operationId: N32OperationId;
  summary: string;
  description: string;
  tags: string[];
  responses: Record<string, OpenApiObject>;
}

export interface OpenApiDocument extends OpenApiObject {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: OpenApiObject[];
  tags: { name: string; description: string; externalDocs: { description: string; url: string } }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiObject>; responses: Record<string, OpenApiObject> };
}

export const OPENAPI_VERSION = '3.0.3';
const REF = '#/components/schemas/';
const RESPONSE_REF = '#/components/responses/';
const SPEC_URL = 'https://www.3gpp.org/ftp/Specs/archive/29_series/29.573/';

/** `info.version` of the 3GPP OpenAPI file each API follows (TS 29.573 Release 19). */
export const N32_API_VERSIONS: Readonly<Record<N32ApiName, string>> = {
  'n32c-handshake': '1.4.0',
  'n32f-forward': '1.4.0',
  telescopic: '1.3.1',
};

interface ApiInfo {
  readonly tag: string;
  readonly root: string;
  readonly description: string;
  readonly note?: string;
  /** Components the API defines that no operation refers to, documented all the same. */
  readonly extraSchemas: readonly string[];
}

const APIS: Readonly<Record<N32ApiName, ApiInfo>> = {
  'n32c-handshake': {
    tag: 'N32_Handshake',
    root: '/n32c-handshake/v1',
    description: `N32-c Handshake API (TS 29.573 V19.5.0, API version ${N32_API_VERSIONS['n32c-handshake']})`,
    extraSchemas: [],
  },
  'n32f-forward': {
    tag: 'JOSEProtectedMessageForwarding',
    root: '/n32f-forward/v1',
    description: `JOSE Protected Message Forwarding API (TS 29.573 V19.5.0, API version ${N32_API_VERSIONS['n32f-forward']})`,
    note: 'DataToIntegrityProtectBlock is the JWE AAD and DataToIntegrityProtectAndCipherBlock the JWE plaintext of reformattedData.',
    extraSchemas: ['DataToIntegrityProtectBlock', 'DataToIntegrityProtectAndCipherBlock'],
  },
  telescopic: {
    tag: 'SeppTelescopicFqdnMapping',
    root: '/nsepp-telescopic/v1',
    description: `SEPP Telescopic FQDN Mapping API (TS 29.573 V19.6.0, API version ${N32_API_VERSIONS.telescopic})`,
    extraSchemas: [],
  },
};

type HttpVerb = 'get' | 'post' | 'options';

interface OperationDefinition {
  readonly api: N32ApiName;
  readonly path: string;
  readonly method: HttpVerb;
  readonly operationId: N32OperationId;
  readonly summary: string;
  readonly description: string;
  readonly requestBody?: { readonly schema: string; readonly description: string };
  readonly parameters?: readonly OpenApiObject[];
  /** Status, description and (when there is a body) schema of the success answer. */
  readonly success: { readonly status: string; readonly description: string; readonly schema?: string };
  /** Error statuses, each a `components/responses` entry (problem+json) unless overridden. */
  readonly errors: readonly string[];
  readonly errorOverrides?: Readonly<Record<string, OpenApiObject>>;
}

/** The N32-c operations' error answers (TS 29.573 N32_Handshake 1.4.0). */
const N32C_ERRORS = ['400', '401', '403', '404', '411', '413', '415', '429', '500', '502', '503', 'default'] as const;

const OPERATIONS: readonly OperationDefinition[] = [
  {
    api: 'n32c-handshake',
    path: N32C_PATHS.exchangeCapability,
    method: 'post',
    operationId: 'PostExchangeCapability',
    summary: 'Security Capability Negotiation',
    description: 'N32-c handshake: the initiating SEPP offers its security capabilities (TLS, PRINS, NONE to release N32); the answer carries the selected one.',
    requestBody: { schema: 'SecNegotiateReqData', description: 'Custom operation for security capability negotiation' },
    success: { status: '200', description: 'OK (successful negotiation of security capabilities)', schema: 'SecNegotiateRspData' },
    errors: [...N32C_ERRORS.slice(0, 4), '409', ...N32C_ERRORS.slice(4)],
  },
  {
    api: 'n32c-handshake',
    path: N32C_PATHS.exchangeParams,
    method: 'post',
    operationId: 'PostExchangeParams',
    summary: 'Parameter Exchange',
    description: 'PRINS parameter exchange: N32-f context IDs, JWE/JWS cipher suites, protection policy, RI security information.',
    requestBody: { schema: 'SecParamExchReqData', description: 'Custom operation for parameter exchange' },
    success: { status: '200', description: 'OK (successful exchange of parameters)', schema: 'SecParamExchRspData' },
    errors: [...N32C_ERRORS.slice(0, 4), '409', ...N32C_ERRORS.slice(4)],
  },
  {
    api: 'n32c-handshake',
    path: N32C_PATHS.n32fTerminate,
    method: 'post',
    operationId: 'PostN32fTerminate',
    summary: 'N32-f Context Terminate',
    description: "Terminates an N32-f context; the request names the receiver's context, the answer the sender's.",
    requestBody: { schema: 'N32fContextInfo', description: 'Custom operation for N32-f context termination' },
    success: { status: '200', description: 'OK (N32-f context terminated)', schema: 'N32fContextInfo' },
    errors: N32C_ERRORS,
  },
  {
    api: 'n32c-handshake',
    path: N32C_PATHS.n32fError,
    method: 'post',
    operationId: 'PostN32fError',
    summary: 'N32-f Error Reporting Procedure',
    description: 'Reports an N32-f message the receiving SEPP could not process (integrity, deciphering, reconstruction, policy).',
    requestBody: { schema: 'N32fErrorInfo', description: 'Custom operation for N32-f error reporting procedure' },
    success: { status: '204', description: 'Successful error reporting' },
    errors: N32C_ERRORS,
  },
  {
    api: 'n32f-forward',
    path: N32F_PROCESS_PATH,
    method: 'post',
    operationId: 'PostN32fProcess',
    summary: 'N32-f Message Forwarding',
    description:
      'PRINS: an NF request reformatted and protected with JWE (reformattedData), answered with the protected NF response (200, whatever the NF answered). A message that fails verification is answered 403 ProblemDetailsMsgForwarding and reported with n32f-error.',
    parameters: [
      {
        name: '3gpp-Sbi-Message-Priority',
        in: 'header',
        description:
          '3gpp-Sbi-Message-Priority, defined in 3GPP TS 29.500 (0..31, 0 the highest): the priority of the NF request inside. Past limits.maxRequestsInFlight, a request of limits.priorityReserveUpTo or higher may use limits.priorityReserve; absent or malformed, the request is ordinary.',
        schema: { type: 'string' },
      },
    ],
    requestBody: { schema: 'N32fReformattedReqMsg', description: 'Custom operation N32-f Message Forwarding' },
    success: { status: '200', description: 'OK (successful forwarding of reformatted message over N32-f)', schema: 'N32fReformattedRspMsg' },
    errors: ['400', '401', '403', '404', '411', '413', '415', '429', '500', '502', '503', 'default'],
    errorOverrides: {
      '403': { description: 'Forbidden', content: { 'application/problem+json': { schema: { $ref: `${REF}ProblemDetailsMsgForwarding` } } } },
    },
  },
  {
    api: 'n32f-forward',
    path: N32F_PROCESS_PATH,
    method: 'options',
    operationId: 'N32fProcessOptions',
    summary: 'Discover communication options supported by next hop (RI or SEPP)',
    description: 'Communication options (Accept-Encoding) of the next hop.',
    success: { status: '204', description: 'No Content' },
    errors: ['400', '401', '403', '404', '405', '429', '500', '501', '502', '503', 'default'],
  },
  {
    api: 'telescopic',
    path: NSEPP_TELESCOPIC_MAPPING_PATH,
    method: 'get',
    operationId: 'GetTelescopicMapping',
    summary: 'Maps an FQDN to/from a telescopic FQDN',
    description: 'Give exactly one of foreign-fqdn (to get its telescopic label) and telescopic-label (to get the foreign FQDN it stands for).',
    parameters: [
      {
        name: 'foreign-fqdn',
        in: 'query',
        description: 'FQDN of the NF in the foreign PLMN',
        schema: { type: 'string', minLength: FQDN_MIN_LENGTH, maxLength: FQDN_MAX_LENGTH, pattern: FQDN_PATTERN.source },
      },
      {
        name: 'telescopic-label',
        in: 'query',
        description: 'Telescopic label (one DNS label)',
        schema: { type: 'string', minLength: 1, maxLength: MAX_LABEL_LENGTH },
      },
    ],
    success: { status: '200', description: 'Expected response to a valid request', schema: 'TelescopicMapping' },
    errors: ['400', '401', '403', '404', '406', '429', '500', '502', '503', 'default'],
  },
];

/** TS 29.571 common responses (`components/responses`), every error one problem+json. */
const RESPONSES: Readonly<Record<string, { description: string; problem: boolean }>> = {
  '400': { description: 'Bad request', problem: true },
  '401': { description: 'Unauthorized', problem: true },
  '403': { description: 'Forbidden', problem: true },
  '404': { description: 'Not Found', problem: true },
  '405': { description: 'Method Not Allowed', problem: false },
  '406': { description: 'Not Acceptable', problem: false },
  '409': { description: 'Conflict', problem: true },
  '411': { description: 'Length Required', problem: true },
  '413': { description: 'Content Too Large', problem: true },
  '415': { description: 'Unsupported Media Type', problem: true },
  '429': { description: 'Too Many Requests', problem: true },
  '500': { description: 'Internal Server Error', problem: true },
  '501': { description: 'Not Implemented', problem: true },
  '502': { description: 'Bad Gateway', problem: true },
  '503': { description: 'Service Unavailable', problem: true },
  default: { description: 'Generic Error', problem: false },
};

type ModelClass = new () => object;

/** Every class a document may refer to, with the OpenAPI file that defines it. */
const MODEL_CLASSES: readonly (readonly [ModelClass, string])[] = [
  [SecNegotiateReqData, 'TS 29.573 N32_Handshake'],
  [SecNegotiateRspData, 'TS 29.573 N32_Handshake'],
  [IntendedN32Purpose, 'TS 29.573 N32_Handshake'],
  [SecParamExchReqData, 'TS 29.573 N32_Handshake'],
  [SecParamExchRspData, 'TS 29.573 N32_Handshake'],
  [ProtectionPolicy, 'TS 29.573 N32_Handshake'],
  [ApiIeMapping, 'TS 29.573 N32_Handshake'],
  [IeInfo, 'TS 29.573 N32_Handshake'],
  [CallbackName, 'TS 29.573 N32_Handshake'],
  [IpxProviderSecInfo, 'TS 29.573 N32_Handshake'],
  [N32fContextInfo, 'TS 29.573 N32_Handshake'],
  [N32fErrorInfo, 'TS 29.573 N32_Handshake'],
  [FailedModificationInfo, 'TS 29.573 N32_Handshake'],
  [N32fErrorDetail, 'TS 29.573 N32_Handshake'],
  [RiErrorInformation, 'TS 29.573 N32_Handshake'],
  [FlatJweJson, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [FlatJwsJson, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [N32fReformattedReqMsg, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [N32fReformattedRspMsg, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [DataToIntegrityProtectBlock, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [DataToIntegrityProtectAndCipherBlock, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [MetaData, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [RequestLine, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [HttpHeader, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [HttpPayload, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [IndexToEncryptedValue, 'TS 29.573 JOSEProtectedMessageForwarding'],
  [ProblemDetailsMsgForwarding, 'TS 29.573 JOSEProtectedMessageForwarding (ProblemDetails + AdditionInfoMsgForwarding)'],
  [TelescopicMapping, 'TS 29.573 SeppTelescopicFqdnMapping'],
  [PlmnId, 'TS 29.571 CommonData'],
  [PlmnIdNid, 'TS 29.571 CommonData'],
  [InvalidParam, 'TS 29.571 CommonData'],
  [ProblemDetails, 'TS 29.571 CommonData'],
];

/** The open enumerations: `anyOf: [{enum}, string]` like the 3GPP files, values from our constants. */
const OPEN_ENUMS: Readonly<Record<OpenEnumName, { readonly description: string; readonly values: readonly string[] }>> = {
  SecurityCapability: { description: 'Security capabilities (TS 29.573 N32_Handshake)', values: Object.values(SecurityCapability) },
  N32Purpose: { description: 'Usage purposes of an N32 connection (TS 29.573 N32_Handshake)', values: Object.values(N32Purpose) },
  IeType: { description: 'Kinds of IE, the unit of the data-type encryption policy (TS 29.573 N32_Handshake)', values: Object.values(IeType) },
  IeLocation: { description: 'Location of an IE in an HTTP message (TS 29.573 N32_Handshake)', values: Object.values(IeLocation) },
  HttpMethod: { description: 'HTTP methods (TS 29.573 N32_Handshake)', values: Object.values(HttpMethod) },
  N32fErrorType: {
    description: 'Errors of N32-f message processing (TS 29.573 N32_Handshake)',
    values: [...Object.values(N32fErrorType), ...Object.values(RiN32fErrorType)],
  },
  FailureReason: { description: 'Why an HTTP message could not be rebuilt from an N32-f message (TS 29.573 N32_Handshake)', values: Object.values(MsgReconstructFailReason) },
  N32ReleaseIndication: { description: 'N32-f connection/context release indication (TS 29.573 N32_Handshake)', values: Object.values(N32ReleaseIndication) },
  // RequestLine `scheme` carries any string; these are the two TS 29.571 names.
  UriScheme: { description: 'HTTP and HTTPS URI scheme (TS 29.571 CommonData)', values: ['http', 'https'] },
};

/** The `oneOf: [string, <class>]` attributes `StringOrObject` validates. */
const ONE_OFS: Readonly<Record<OneOfName, { readonly description: string; readonly string: string; readonly object: ModelClass }>> = {
  ApiSignature: { description: 'API URI of the service operation (a Uri) or a CallbackName (TS 29.573 N32_Handshake)', string: 'Uri', object: CallbackName },
  EncodedHttpHeaderValue: {
    description: 'HTTP header value, or the index of its encrypted value (TS 29.573 JOSEProtectedMessageForwarding)',
    string: 'header value',
    object: IndexToEncryptedValue,
  },
};

function unexpected(kind: string) {
  return (meta: { type: string; target: unknown; propertyName: string }): never => {
    const owner = typeof meta.target === 'function' ? meta.target.name : String(meta.target);
    throw new Error(`buildN32OpenApi: no schema for the ${kind} validator "${meta.type}" of ${owner}.${meta.propertyName}`);
  };
}

const SCHEMA_OPTIONS: NonNullable<Parameters<typeof TargetConstructorToSchema>[1]> = {
  refPointerPrefix: REF,
  classTransformerMetadataStorage: defaultMetadataStorage,
  // `required` lists the attributes our Mandatory decorators mark (IsDefined), nullable ones included.
  skipMissingProperties: true,
  additionalConverters: {
    // IsDefined is `required`, not `not: {type: null}` (JSON Schema `type: null` is not OpenAPI 3.0).
    [ValidationTypes.IS_DEFINED]: {},
    // Min is used on integers only (Uinteger); the default converter would say `type: number`.
    min: (meta) => ({ minimum: meta.constraints[0] as number }),
    anyJsonList: { type: 'array', items: {}, minItems: 1 },
    booleanMap: { type: 'object', additionalProperties: { type: 'boolean' }, minProperties: 1 },
    // The @JSONSchema(oneOf(...)) hint on the attribute gives the schema.
    stringOrObject: {},
    // A validator without a converter would silently become `$ref: <design type>`: refuse instead.
    [ValidationTypes.CUSTOM_VALIDATION]: unexpected('custom'),
  },
};

/** `$ref` siblings are ignored by OpenAPI 3.0: keep the reference alone, recursively. */
function tidy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(tidy);
  if (schema === null || typeof schema !== 'object') return schema;
  const object = schema as OpenApiObject;
  if (typeof object.$ref === 'string') return { $ref: object.$ref };
  // `type` first, for whoever reads the JSON.
  const keys = Object.keys(object).sort((a, b) => Number(b === 'type') - Number(a === 'type'));
  return Object.fromEntries(keys.map((key) => [key, key === 'properties' ? mapValues(object[key] as OpenApiObject, tidy) : tidy(object[key])]));
}

function mapValues(object: OpenApiObject, map: (value: unknown) => unknown): OpenApiObject {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));
}

/**
 * class-validator-jsonschema's generator, required when a document is first built (a SEPP builds
 * it on the first GET /openapi.json): its index and lodash helpers are not held by an idle process.
 */
function targetConstructorToSchema(...args: Parameters<typeof TargetConstructorToSchema>): ReturnType<typeof TargetConstructorToSchema> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('class-validator-jsonschema') as typeof import('class-validator-jsonschema')).targetConstructorToSchema(...args);
}

function classSchema(model: ModelClass, source: string): OpenApiObject {
  const generated = tidy(targetConstructorToSchema(model, SCHEMA_OPTIONS)) as OpenApiObject;
  const properties = (generated.properties ?? {}) as OpenApiObject;
  // Attributes of a parent class first (ProblemDetails before its extensions).
  const parent = Object.getPrototypeOf(model) as ModelClass;
  const parentEntry = MODEL_CLASSES.find(([candidate]) => candidate === parent);
  const inheritedKeys = parentEntry ? Object.keys((tidy(targetConstructorToSchema(parent, SCHEMA_OPTIONS)) as OpenApiObject).properties ?? {}) : [];
  const ordered = [...inheritedKeys.filter((key) => key in properties), ...Object.keys(properties).filter((key) => !inheritedKeys.includes(key))];
  const schema: OpenApiObject = { description: `${model.name} (${source})`, type: 'object' };
  if (Array.isArray(generated.required) && generated.required.length > 0) schema.required = generated.required;
  schema.properties = Object.fromEntries(ordered.map((key) => [key, properties[key]]));
  return schema;
}

function enumSchema(name: OpenEnumName): OpenApiObject {
  const { description, values } = OPEN_ENUMS[name];
  return { description: `${description}; an open enumeration: any other string is carried as it is`, anyOf: [{ type: 'string', enum: [...values] }, { type: 'string' }] };
}

function oneOfSchema(name: OneOfName): OpenApiObject {
  const { description, string, object } = ONE_OFS[name];
  return { description, oneOf: [{ type: 'string', description: string }, { $ref: `${REF}${object.name}` }] };
}

/** Every component schema that can be referred to, by name. Built once: the classes never change. */
let catalogue: ReadonlyMap<string, OpenApiObject> | undefined;

function schemaCatalogue(): ReadonlyMap<string, OpenApiObject> {
  if (!catalogue) {
    const entries = new Map<string, OpenApiObject>();
    for (const [model, source] of MODEL_CLASSES) entries.set(model.name, classSchema(model, source));
    for (const name of Object.keys(ONE_OFS) as OneOfName[]) entries.set(name, oneOfSchema(name));
    for (const name of Object.keys(OPEN_ENUMS) as OpenEnumName[]) entries.set(name, enumSchema(name));
    catalogue = entries;
  }
  return catalogue;
}

function refsOf(value: unknown, found: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) refsOf(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith(REF)) found.add(item.slice(REF.length));
      else refsOf(item, found);
    }
  }
}

/** The named schemas and every schema they refer to, transitively, in catalogue order. */
function closure(roots: Iterable<string>): Record<string, OpenApiObject> {
  const all = schemaCatalogue();
  const wanted = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (wanted.has(name)) continue;
    const schema = all.get(name);
    if (!schema) throw new Error(`buildN32OpenApi: no component schema ${name}`);
    wanted.add(name);
    const refs = new Set<string>();
    refsOf(schema, refs);
    pending.push(...refs);
  }
  return Object.fromEntries([...all].filter(([name]) => wanted.has(name)).map(([name, schema]) => [name, structuredClone(schema)]));
}

function jsonBody(schema: string, mediaType = 'application/json'): OpenApiObject {
  return { [mediaType]: { schema: { $ref: `${REF}${schema}` } } };
}

function operationObject(definition: OperationDefinition, servedBy: string | undefined): OpenApiOperation {
  const responses: Record<string, OpenApiObject> = {
    [definition.success.status]: {
      description: definition.success.description,
      ...(definition.success.schema ? { content: jsonBody(definition.success.schema) } : {}),
    },
  };
  for (const status of definition.errors) responses[status] = definition.errorOverrides?.[status] ?? { $ref: `${RESPONSE_REF}${status}` };
  const operation: OpenApiOperation = {
    operationId: definition.operationId,
    summary: definition.summary,
    description: servedBy ? `${definition.description}\n\nServed by: ${servedBy}` : definition.description,
    tags: [APIS[definition.api].tag],
    responses,
  };
  if (definition.parameters) operation.parameters = definition.parameters.map((parameter) => structuredClone(parameter));
  if (definition.requestBody) {
    operation.requestBody = { description: definition.requestBody.description, required: true, content: jsonBody(definition.requestBody.schema) };
  }
  return operation;
}

function responseObject(status: string): OpenApiObject {
  const { description, problem } = RESPONSES[status]!;
  return problem ? { description, content: jsonBody('ProblemDetails', 'application/problem+json') } : { description };
}

/** Builds the OpenAPI 3.0 document of the selected N32 APIs. */
export function buildN32OpenApi(options: N32OpenApiOptions): OpenApiDocument {
  const apis = new Set(options.apis);
  const only = options.operations ? new Set(options.operations) : null;
  const operations = OPERATIONS.filter((operation) => apis.has(operation.api) && (!only || only.has(operation.operationId)));

  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  const roots = new Set<string>(['ProblemDetails']);
  const responseCodes = new Set<string>();
  for (const definition of operations) {
    const operation = operationObject(definition, options.servedBy?.[definition.operationId]);
    (paths[definition.path] ??= {})[definition.method] = operation;
    refsOf(operation, roots);
    for (const status of definition.errors) if (!definition.errorOverrides?.[status]) responseCodes.add(status);
  }
  const used = [...new Set(operations.map((operation) => operation.api))];
  for (const api of used) for (const name of APIS[api].extraSchemas) roots.add(name);

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: options.title,
      version: options.version,
      description: `${used.map((api) => APIS[api].description).join('; ')}. Schemas are generated from the classes that validate the bodies.`,
    },
    externalDocs: { description: '3GPP TS 29.573; 5G System; Public Land Mobile Network (PLMN) Interconnection; Stage 3', url: SPEC_URL },
    servers: options.serverUrl
      ? [{ url: options.serverUrl }]
      : [{ url: '{apiRoot}', variables: { apiRoot: { default: 'https://example.com', description: 'apiRoot as defined in clause 4.4 of 3GPP TS 29.501' } } }],
    tags: used.map((api) => {
      const { tag, description, root, note } = APIS[api];
      return { name: tag, description: `${description}: ${root}.${note ? ` ${note}` : ''}`, externalDocs: { description: '3GPP TS 29.573', url: SPEC_URL } };
    }),
    paths,
    components: {
      schemas: closure(roots),
      responses: Object.fromEntries(Object.keys(RESPONSES).filter((status) => responseCodes.has(status)).map((status) => [status, responseObject(status)])),
    },
  };
}
