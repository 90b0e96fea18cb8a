import { join } from 'node:path';

/**
 * The one folder of vendored 3GPP Release 19 OpenAPI documents (`packages/protocol/openapi-3gpp-r19`,
 * its README gives source, versions and blob hashes). This package never reads it; the server's
 * border protection and the conformance probe do, from here (`dist/border/schema` or
 * `src/border/schema`, three levels below the package).
 */
export const OPENAPI_3GPP_DIR = join(__dirname, '..', '..', '..', 'openapi-3gpp-r19');
