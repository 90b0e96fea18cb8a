import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENAPI_3GPP_DIR, SCHEMA_APIS, SchemaCatalog, type OpenApiSource, type ThreeGppOpenApiDocument } from '@sepp/protocol';

/**
 * The vendored 3GPP Release 19 OpenAPI documents (`packages/protocol/openapi-3gpp-r19/`, README
 * there for their source and versions), read with js-yaml (one of the 3GPP files is YAML that
 * strict YAML 1.2 parsers refuse) and compiled once per set of APIs for the process.
 */

/** js-yaml's `load`, required on first use: a SEPP without schema validation never loads it. */
function load(text: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('js-yaml') as typeof import('js-yaml')).load(text);
}

let documents: ThreeGppOpenApiDocument[] | null = null;
const catalogs = new Map<string, SchemaCatalog>();
const parsed = new Map<string, unknown>();

/** The vendored folder as a source the catalog reads one file at a time, when it needs it (parsed once). */
const lazySource: OpenApiSource = {
  get files(): readonly string[] {
    return fileNames();
  },
  load(file: string): unknown {
    if (!parsed.has(file)) parsed.set(file, load(readFileSync(join(OPENAPI_3GPP_DIR, file), 'utf8')));
    return parsed.get(file);
  },
};
let names: string[] | null = null;
const fileNames = (): string[] => (names ??= readdirSync(OPENAPI_3GPP_DIR).filter((file) => file.endsWith('.yaml')).sort());

/** Every vendored document, parsed (read once). */
export function threeGppDocuments(dir: string = OPENAPI_3GPP_DIR): ThreeGppOpenApiDocument[] {
  if (documents && dir === OPENAPI_3GPP_DIR) return documents;
  const read = readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, document: load(readFileSync(join(dir, file), 'utf8')) }));
  if (dir === OPENAPI_3GPP_DIR) documents = read;
  return read;
}

/**
 * The operations of `apis` (names of SCHEMA_APIS), built once per set for the process from the
 * APIs' own files; the other documents are read, and each validator compiled, the first time a
 * request needs one (a SEPP holds only what its peers use).
 */
export function schemaCatalog(apis: readonly string[]): SchemaCatalog {
  const key = [...apis].sort().join(',');
  let catalog = catalogs.get(key);
  if (!catalog) {
    catalog = SchemaCatalog.compile(
      lazySource,
      SCHEMA_APIS.filter((api) => apis.includes(api.api)),
    );
    catalogs.set(key, catalog);
  }
  return catalog;
}
