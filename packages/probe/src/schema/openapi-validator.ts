import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENAPI_3GPP_DIR } from '@sepp/protocol';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** The folder of the vendored 3GPP YAML (the project's one folder, packages/protocol/openapi-3gpp-r19). */
export const OPENAPI_DIR = OPENAPI_3GPP_DIR;

/** The vendored files, by the name other files `$ref` them with. */
export const VENDORED_FILES = ['TS29571_CommonData.yaml', 'TS29573_N32_Handshake.yaml', 'TS29573_JOSEProtectedMessageForwarding.yaml'] as const;
export type VendoredFile = (typeof VENDORED_FILES)[number];

/** One way a body departs from its schema: where (RFC 6901 JSON Pointer into the body) and which rule. */
export interface SchemaViolation {
  /** JSON Pointer of the member at fault ('' = the whole body). */
  readonly pointer: string;
  /** The schema rule, e.g. `required`, `pattern`, `type`, `minItems`, `enum`, `anyOf`. */
  readonly rule: string;
  /** Where the rule sits in the 3GPP schema (`TS29573_N32_Handshake.yaml#/components/schemas/…`). */
  readonly schemaPath: string;
  readonly message: string;
}

export interface SchemaCheck {
  readonly schema: string;
  readonly ok: boolean;
  readonly violations: readonly SchemaViolation[];
}

type YamlDocument = { components?: { schemas?: Record<string, unknown> } };

/**
 * The Release 19 schemas of the N32 APIs, compiled once with Ajv (OpenAPI 3.0 dialect: `nullable`,
 * `discriminator`, the 3GPP formats), each validator built on first use. `$ref`s between the
 * vendored files resolve by file name; a `$ref` into a file that is not vendored (only optional
 * members of ProblemDetails need one) accepts any value, and `unchecked` lists them.
 */
export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** `$ref`s into files that are not vendored: accepted without a check. */
  readonly unchecked: readonly string[];

  constructor(dir = OPENAPI_DIR) {
    this.ajv = new Ajv({ strict: false, allErrors: true, discriminator: true, validateFormats: true, allowUnionTypes: true });
    addFormats(this.ajv);
    // OpenAPI 3.0 formats the JSON Schema vocabulary lacks; 3GPP uses them only as annotations.
    for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) {
      if (!this.ajv.formats[format]) this.ajv.addFormat(format, true);
    }
    const documents = new Map<string, YamlDocument>();
    for (const file of VENDORED_FILES) documents.set(file, parse(readFileSync(join(dir, file), 'utf8')) as YamlDocument);

    const missing = new Map<string, Set<string>>();
    for (const document of documents.values()) {
      for (const ref of collectRefs(document)) {
        const [file, pointer = ''] = ref.split('#');
        if (!file || documents.has(file)) continue;
        if (!missing.has(file)) missing.set(file, new Set());
        missing.get(file)!.add(pointer);
      }
    }
    this.unchecked = [...missing].flatMap(([file, pointers]) => [...pointers].map((pointer) => `${file}#${pointer}`)).sort();
    for (const [file, document] of documents) this.ajv.addSchema({ $id: file, components: document.components ?? {} });
    for (const [file, pointers] of missing) this.ajv.addSchema({ $id: file, ...stubAt([...pointers]) });
  }

  /** Whether `name` is a schema of `file`. */
  has(file: VendoredFile, name: string): boolean {
    return this.ajv.getSchema(file) !== undefined && this.schemaNames(file).includes(name);
  }

  /** The names under `components/schemas` of a vendored file. */
  schemaNames(file: VendoredFile): string[] {
    const root = this.ajv.getSchema(file)?.schema as { components?: { schemas?: Record<string, unknown> } } | undefined;
    return Object.keys(root?.components?.schemas ?? {});
  }

  /**
   * Ajv names a rule's place relative to the schema it was resolving: the validated component
   * (`#/properties/…`), a component of some file (`#/components/schemas/X/…`) or a file by name.
   */
  private locate(path: string, file: VendoredFile, schema: string): string {
    if (!path.startsWith('#')) return path;
    const component = /^#\/components\/schemas\/([^/]+)/.exec(path)?.[1];
    if (!component) return `${schema}${path.slice(1)}`;
    const owner = [file, ...VENDORED_FILES].find((candidate) => this.schemaNames(candidate).includes(component));
    return `${owner ?? file}${path}`;
  }

  /** Validates `body` against `<file>#/components/schemas/<name>`. */
  validate(file: VendoredFile, name: string, body: unknown): SchemaCheck {
    const schema = `${file}#/components/schemas/${name}`;
    let validate = this.compiled.get(schema);
    if (!validate) {
      validate = this.ajv.getSchema(schema);
      if (!validate) throw new Error(`no schema ${schema}`);
      this.compiled.set(schema, validate);
    }
    if (validate(body)) return { schema, ok: true, violations: [] };
    return { schema, ok: false, violations: violationsOf(validate.errors ?? [], (path) => this.locate(path, file, schema)) };
  }
}

/**
 * Ajv's errors as violations. A failed `anyOf`/`oneOf` comes with the failure of every branch:
 * when a branch failed deeper in the body those deeper reports are kept (they name the member);
 * otherwise the branches' reasons are folded into the one `anyOf` violation.
 */
function violationsOf(errors: readonly ErrorObject[], locate: (path: string) => string): SchemaViolation[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const branchOf = (error: ErrorObject): ErrorObject | undefined =>
    alternatives.find((alt) => alt !== error && error.schemaPath.startsWith(`${alt.schemaPath}/`) && error.instancePath === alt.instancePath);
  const out: SchemaViolation[] = [];
  const seen = new Set<string>();
  const push = (pointer: string, rule: string, schemaPath: string, message: string): void => {
    const key = `${pointer} ${rule} ${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ pointer, rule, schemaPath: locate(schemaPath), message });
  };
  for (const error of errors) {
    if (branchOf(error)) continue;
    if (alternatives.includes(error)) {
      const deeper = errors.some((e) => e.instancePath.startsWith(`${error.instancePath}/`) && e.schemaPath.startsWith(`${error.schemaPath}/`));
      if (deeper) continue;
      const reasons = [...new Set(errors.filter((e) => branchOf(e) === error).map(describe))];
      push(error.instancePath, error.keyword, error.schemaPath, `matches none of its alternatives${reasons.length ? `: ${reasons.join('; or ')}` : ''}`);
      continue;
    }
    const pointer = error.keyword === 'required' ? `${error.instancePath}/${escapePointer(String((error.params as { missingProperty?: string }).missingProperty))}` : error.instancePath;
    push(pointer, error.keyword, error.schemaPath, describe(error));
  }
  return out.sort((a, b) => a.pointer.localeCompare(b.pointer));
}

function describe(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `mandatory member ${String(params['missingProperty'])} is missing`;
    case 'pattern':
      return `must match ${String(params['pattern'])}`;
    case 'type':
      return `must be of type ${String(params['type'])}`;
    case 'enum':
      return `must be one of ${JSON.stringify(params['allowedValues'])}`;
    default:
      return error.message ?? error.keyword;
  }
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function collectRefs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) collectRefs(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') out.push(value);
      else collectRefs(value, out);
    }
  }
  return out;
}

/** An object with an empty schema (anything goes) at each JSON Pointer. */
function stubAt(pointers: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const pointer of pointers) {
    const tokens = pointer.split('/').slice(1);
    let node = root;
    tokens.forEach((token, index) => {
      const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      if (index === tokens.length - 1) node[key] = {};
      else node = (node[key] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}
