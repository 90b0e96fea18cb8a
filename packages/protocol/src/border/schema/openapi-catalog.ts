import type Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { InvalidParam } from '../../models/common-data';
import { parsePathTemplate, PathRouter, pathSegments, type PathTemplate } from '../path-template';
import type { SchemaApi } from '../types';

/**
 * Request validation against the 3GPP OpenAPI documents (TS 29.500 5.2.7.2: malformed requests
 * are answered 400 with `invalidParams`). The documents are OpenAPI 3.0: each is added to ajv
 * under `https://forge.3gpp.org/5G_APIs/<file>`, so the relative `$ref`s between them
 * (`TS29571_CommonData.yaml#/components/schemas/Supi`) resolve among the loaded files. Each
 * operation's request body schemas and query parameters are compiled once. Unknown attributes
 * pass (TS 29.500 6.x extensibility: the 3GPP schemas do not close their objects, and nothing
 * here closes them).
 */
export interface ThreeGppOpenApiDocument {
  /** File name, as other documents refer to it (`TS29571_CommonData.yaml`). */
  readonly file: string;
  /** The parsed document. */
  readonly document: unknown;
}

/** Why a request does not follow its schema. */
export interface SchemaViolation {
  readonly cause: 'INVALID_MSG_FORMAT' | 'MANDATORY_IE_MISSING' | 'MANDATORY_IE_INCORRECT' | 'INVALID_QUERY_PARAM' | 'MANDATORY_QUERY_PARAM_MISSING';
  readonly detail: string;
  readonly invalidParams: readonly InvalidParam[];
}

/** A request as the validator sees it. */
export interface SchemaRequest {
  readonly query: string | undefined;
  /** Media type essence of the body (`application/json`), undefined without a body. */
  readonly mediaType: string | undefined;
  /** The parsed body: JSON, or a form as an object; undefined without a body. */
  readonly body: unknown;
  /** The body is present but could not be parsed as its media type. */
  readonly unparsable?: boolean;
}

const BASE = 'https://forge.3gpp.org/5G_APIs/';
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'options', 'head'] as const;
/** OpenAPI formats JSON Schema does not define: the number ranges stay with minimum/maximum. */
const OPENAPI_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password', 'uint32', 'uint64', 'uint16', 'uint8', 'int16', 'int8'];

interface QueryParameter {
  readonly name: string;
  readonly required: boolean;
  /** `content: application/json`: the value is JSON text. */
  readonly json: boolean;
  /** `style: form`, `explode: false` arrays are comma separated; exploded ones repeat the name. */
  readonly exploded: boolean;
  readonly array: boolean;
}

/** A validator compiled on first use (then kept), or at once when the catalog is built eagerly. */
class Validator {
  private compiled: ValidateFunction | null = null;

  constructor(private readonly compile: () => ValidateFunction) {}

  get fn(): ValidateFunction {
    return (this.compiled ??= this.compile());
  }
}

class CompiledOperation {
  constructor(
    readonly method: string,
    readonly template: PathTemplate,
    private readonly bodies: ReadonlyMap<string, Validator>,
    private readonly bodyRequired: boolean,
    private readonly queryParameters: readonly QueryParameter[],
    private readonly query: Validator | null,
  ) {}

  /** Compiles every validator now (a catalog built eagerly, or a test proving the documents complete). */
  compileAll(): void {
    void this.query?.fn;
    for (const validator of this.bodies.values()) void validator.fn;
  }

  /** Whether requests of this operation carry a body the catalog can validate. */
  get hasBody(): boolean {
    return this.bodies.size > 0 || this.bodyRequired;
  }

  /** The first violation, or null when the request follows the schema. */
  check(request: SchemaRequest): SchemaViolation | null {
    return this.checkQuery(request.query) ?? this.checkBody(request);
  }

  private checkQuery(query: string | undefined): SchemaViolation | null {
    if (!this.query) return null;
    if (query === undefined && !this.queryParameters.some((p) => p.required)) return null;
    const validate = this.query.fn;
    const params = new URLSearchParams(query ?? '');
    const values: Record<string, unknown> = {};
    for (const parameter of this.queryParameters) {
      const all = params.getAll(parameter.name);
      if (all.length === 0) continue;
      if (parameter.json) {
        try {
          values[parameter.name] = JSON.parse(all[0]!);
        } catch {
          return queryViolation(parameter.name, 'must be JSON (content application/json)');
        }
      } else if (parameter.array) {
        values[parameter.name] = parameter.exploded ? all : all[0]!.split(',');
      } else {
        values[parameter.name] = all[0]!;
      }
    }
    if (validate(values)) return null;
    const error = validate.errors![0]!;
    if (error.keyword === 'required' && error.instancePath === '') {
      const name = String(error.params['missingProperty']);
      return { cause: 'MANDATORY_QUERY_PARAM_MISSING', detail: `the query parameter ${name} is mandatory`, invalidParams: [{ param: name, reason: 'is mandatory' }] };
    }
    const name = decodeToken(error.instancePath.split('/')[1] ?? '');
    const inside = [...error.instancePath.split('/').slice(2).map(decodeToken), ...(error.keyword === 'required' ? [String(error.params['missingProperty'])] : [])].join('.');
    return queryViolation(name, `${inside || 'the value'} ${error.keyword === 'required' ? 'is mandatory' : (error.message ?? 'is invalid')}`);
  }

  private checkBody(request: SchemaRequest): SchemaViolation | null {
    if (request.mediaType === undefined) {
      if (!this.bodyRequired) return null;
      return { cause: 'MANDATORY_IE_MISSING', detail: 'the request has no body and this operation needs one', invalidParams: [{ param: '/', reason: 'the body is mandatory' }] };
    }
    if (this.bodies.size === 0) return null;
    const validator = this.bodies.get(request.mediaType);
    if (!validator) {
      // multipart/related bodies (N1/N2 containers) are not parsed: their JSON part is not checked.
      if (request.mediaType === 'multipart/related') return null;
      return {
        cause: 'INVALID_MSG_FORMAT',
        detail: `${request.mediaType} is not a media type of this operation (${[...this.bodies.keys()].join(', ')})`,
        invalidParams: [{ param: 'header content-type', reason: `must be one of ${[...this.bodies.keys()].join(', ')}` }],
      };
    }
    if (request.unparsable) return { cause: 'INVALID_MSG_FORMAT', detail: `the body is not ${request.mediaType}`, invalidParams: [{ param: '/', reason: `must be ${request.mediaType}` }] };
    const validate = validator.fn;
    if (validate(request.body)) return null;
    return bodyViolation(validate.errors![0]!);
  }
}

function queryViolation(name: string, reason: string): SchemaViolation {
  return { cause: 'INVALID_QUERY_PARAM', detail: `the query parameter ${name} ${reason}`, invalidParams: [{ param: name, reason }] };
}

function bodyViolation(error: ErrorObject): SchemaViolation {
  if (error.keyword === 'required') {
    const param = `${error.instancePath}/${String(error.params['missingProperty']).replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return { cause: 'MANDATORY_IE_MISSING', detail: `${param} is mandatory`, invalidParams: [{ param, reason: 'is mandatory' }] };
  }
  const param = error.instancePath === '' ? '/' : error.instancePath;
  const reason = error.message ?? 'is invalid';
  return { cause: 'MANDATORY_IE_INCORRECT', detail: `${param} ${reason}`, invalidParams: [{ param, reason }] };
}

function decodeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

const escapeToken = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** Thrown when the documents cannot be compiled (a missing file, an unresolvable `$ref`). */
export class SchemaCatalogError extends Error {
  override readonly name = 'SchemaCatalogError';
}

/**
 * The operations of some APIs, each validator compiled once (on first use, or all at once when
 * built eagerly); looking an operation up and validating are cheap.
 */
export class SchemaCatalog {
  private readonly routers = new Map<string, PathRouter<CompiledOperation>>();

  private constructor(
    private readonly operations: ReadonlyMap<string, readonly CompiledOperation[]>,
    /** Compilation time in ms (logged at start-up). */
    readonly compileMs: number,
  ) {
    for (const [api, list] of operations) {
      const router = new PathRouter<CompiledOperation>();
      for (const operation of list) router.add(operation.template, operation);
      this.routers.set(api, router);
    }
  }

  /**
   * The operations of `apis` from `documents` (which must hold every file they refer to). Lazy
   * (the default): each validator is compiled the first time a request needs it, so a SEPP holds
   * only the code of the operations its peers use (all of them cost ~25 MB of heap and seconds of
   * start-up); `eager` compiles everything now and throws on a `$ref` that does not resolve.
   */
  static compile(documents: readonly ThreeGppOpenApiDocument[] | OpenApiSource, apis: readonly SchemaApi[], how: { eager?: boolean } = {}): SchemaCatalog {
    const started = performance.now();
    const source = sourceOf(documents);
    // ajv is loaded and its two instances made when the first validator is compiled: a SEPP whose
    // border protection does not validate schemas, or that has seen no request yet, does not hold it.
    let instances: { bodies: Ajv; text: Ajv } | null = null;
    // Documents are read as needed: to list operations, the APIs' own files (and what their
    // parameters refer to); every file only when a validator is first compiled.
    const byFile = new Map<string, unknown>();
    const load = (file: string): unknown => {
      if (!byFile.has(file)) {
        if (!source.files.includes(file)) return undefined;
        byFile.set(file, source.load(file));
      }
      return byFile.get(file);
    };
    const ready = (): { bodies: Ajv; text: Ajv } => {
      if (!instances) {
        const made = makeAjvInstances();
        for (const file of source.files) {
          made.bodies.addSchema(load(file) as object, BASE + file);
          made.text.addSchema(load(file) as object, BASE + file);
        }
        instances = made;
      }
      return instances;
    };
    const operations = new Map<string, CompiledOperation[]>();
    for (const api of apis) {
      const document = load(api.file) as OpenApi | undefined;
      if (!document) throw new SchemaCatalogError(`${api.file} (${api.api}) is not among the loaded OpenAPI documents`);
      try {
        const compiled = compileApi(api, document, load, (ajv, schema) => new Validator(() => ready()[ajv].compile(schema)));
        if (how.eager) for (const operation of compiled) operation.compileAll();
        operations.set(api.api, compiled);
      } catch (error) {
        if (error instanceof SchemaCatalogError) throw error;
        throw new SchemaCatalogError(`${api.file}: ${(error as Error).message}`);
      }
    }
    return new SchemaCatalog(operations, Math.round(performance.now() - started));
  }

  /** The operation a request is for, or null when its API is not compiled or defines no such path. */
  operation(api: string, method: string, path: string): CompiledOperation | null {
    const parts = pathSegments(path);
    return parts ? this.operationOf(api, method, parts) : null;
  }

  /** {@link operation} on a path already split (pathSegments). */
  operationOf(api: string, method: string, parts: readonly string[]): CompiledOperation | null {
    return this.routers.get(api)?.first(parts, (operation) => operation.method === method) ?? null;
  }

  /** Every compiled `METHOD /template`, per API (for tests and the admin view). */
  listOperations(api: string): string[] {
    return (this.operations.get(api) ?? []).map((operation) => `${operation.method} ${operation.template.text}`);
  }

  get apis(): string[] {
    return [...this.operations.keys()];
  }
}

export type { CompiledOperation };

/** Where the documents come from, read one file at a time as they are needed. */
export interface OpenApiSource {
  /** Every file name available. */
  readonly files: readonly string[];
  load(file: string): unknown;
}

function sourceOf(documents: readonly ThreeGppOpenApiDocument[] | OpenApiSource): OpenApiSource {
  if (!Array.isArray(documents)) return documents as OpenApiSource;
  const byName = new Map((documents as readonly ThreeGppOpenApiDocument[]).map((d) => [d.file, d.document]));
  return { files: [...byName.keys()], load: (file) => byName.get(file) };
}

type OpenApi = { servers?: { url?: string }[]; paths?: Record<string, Record<string, unknown>> };
type Ref = { $ref?: string };

type Load = (file: string) => unknown;
/** The catalog's two ajv instances, each with the JSON Schema and OpenAPI formats. */
function makeAjvInstances(): { bodies: Ajv; text: Ajv } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { default: AjvClass } = require('ajv') as typeof import('ajv');
  const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const options = { strict: false, allErrors: false, unicodeRegExp: false, logger: false, validateSchema: false, inlineRefs: false } as const;
  // Query values and form fields are text: the coercing instance turns "5" into 5 where the schema says integer.
  const made = { bodies: new AjvClass(options), text: new AjvClass({ ...options, coerceTypes: 'array' }) };
  for (const ajv of [made.bodies, made.text]) {
    addFormats(ajv);
    for (const format of OPENAPI_FORMATS) ajv.addFormat(format, true);
  }
  return made;
}

type MakeValidator = (ajv: 'bodies' | 'text', schema: object) => Validator;

function compileApi(api: SchemaApi, document: OpenApi, byFile: Load, validator: MakeValidator): CompiledOperation[] {
  // `{apiRoot}/nudm-sdm/v2` -> `/nudm-sdm/v2`; Nnrf_AccessToken's server is `{nrfApiRoot}` alone.
  const base = (document.servers?.[0]?.url ?? '').replace(/^\{[^}]+\}/, '');
  const compiled: CompiledOperation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const template = parsePathTemplate(`${base}${path}`);
    if (typeof template === 'string') throw new SchemaCatalogError(`path ${path}: ${template}`);
    for (const method of METHODS) {
      const operation = item[method] as { parameters?: unknown[]; requestBody?: unknown } | undefined;
      if (!operation) continue;
      const pointer = `#/paths/${escapeToken(path)}/${method}`;
      const parameters = [
        ...((item['parameters'] as unknown[] | undefined) ?? []).map((_, index) => ({ file: api.file, pointer: `#/paths/${escapeToken(path)}/parameters/${index}` })),
        ...(operation.parameters ?? []).map((_, index) => ({ file: api.file, pointer: `${pointer}/parameters/${index}` })),
      ];
      const query = queryParameters(parameters, byFile);
      const querySchema = {
        type: 'object',
        properties: Object.fromEntries(query.map(({ parameter, schemaRef }) => [parameter.name, { $ref: schemaRef }])),
        required: query.filter(({ parameter }) => parameter.required).map(({ parameter }) => parameter.name),
      };
      const queryValidator = query.length === 0 ? null : validator('text', querySchema);
      const body = operation.requestBody ? resolve({ file: api.file, pointer: `${pointer}/requestBody` }, byFile) : null;
      const contents = (body?.value as { content?: Record<string, { schema?: unknown }>; required?: boolean } | undefined) ?? {};
      const validators = new Map<string, Validator>();
      for (const [mediaType, content] of Object.entries(contents.content ?? {})) {
        if (!content.schema || mediaType === 'multipart/related') continue;
        const schemaRef = `${BASE}${body!.file}${body!.pointer}/content/${escapeToken(mediaType)}/schema`;
        validators.set(mediaType, validator(mediaType === 'application/x-www-form-urlencoded' ? 'text' : 'bodies', { $ref: schemaRef }));
      }
      compiled.push(new CompiledOperation(method.toUpperCase(), template, validators, contents.required === true, query.map(({ parameter }) => parameter), queryValidator));
    }
  }
  // The most specific template first: `/shared-data` before `/{supi}`.
  return compiled.sort((a, b) => literalCount(b.template) - literalCount(a.template));
}

function literalCount(template: PathTemplate): number {
  return template.segments.filter((segment) => 'literal' in segment).length;
}

function queryParameters(locations: readonly { file: string; pointer: string }[], byFile: Load): { parameter: QueryParameter; schemaRef: string }[] {
  const found: { parameter: QueryParameter; schemaRef: string }[] = [];
  for (const location of locations) {
    const resolved = resolve(location, byFile);
    const value = resolved.value as { name?: string; in?: string; required?: boolean; schema?: unknown; content?: Record<string, { schema?: unknown }>; style?: string; explode?: boolean };
    if (value.in !== 'query' || typeof value.name !== 'string') continue;
    const jsonContent = value.content?.['application/json']?.schema !== undefined;
    const schemaPointer = jsonContent ? `${resolved.pointer}/content/application~1json/schema` : `${resolved.pointer}/schema`;
    if (!jsonContent && value.schema === undefined) continue;
    const schema = resolve({ file: resolved.file, pointer: schemaPointer }, byFile).value as { type?: string };
    found.push({
      parameter: {
        name: value.name,
        required: value.required === true,
        json: jsonContent,
        exploded: value.explode ?? (value.style === undefined || value.style === 'form'),
        array: schema?.type === 'array',
      },
      schemaRef: `${BASE}${resolved.file}${schemaPointer}`,
    });
  }
  return found;
}

/** Follows `$ref`s (within and across documents) from a location to the value it ends at. */
function resolve(location: { file: string; pointer: string }, byFile: Load): { file: string; pointer: string; value: unknown } {
  let { file, pointer } = location;
  for (let hops = 0; hops < 32; hops++) {
    const document = byFile(file);
    if (document === undefined) throw new SchemaCatalogError(`${file} is not among the loaded OpenAPI documents`);
    const value = pointer.slice(1).split('/').slice(1).map(decodeToken).reduce<unknown>((node, token) => (node as Record<string, unknown> | undefined)?.[token], document);
    const ref = (value as Ref | undefined)?.$ref;
    if (typeof ref !== 'string') return { file, pointer, value };
    const [target, fragment] = ref.split('#');
    file = target ? target : file;
    pointer = `#${fragment ?? ''}`;
  }
  throw new SchemaCatalogError(`too many $ref hops from ${location.file}${location.pointer}`);
}
