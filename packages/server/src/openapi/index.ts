export { OpenApiController, n32OpenApiOptions } from './openapi.controller';
export { DOCS_ASSETS, DOCS_CSP } from './docs-assets';
