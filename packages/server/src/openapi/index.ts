export { OpenApiController, n32OpenApiOptions } from './openapi.controller';
export { DOCS_CSP, DOCS_SCRIPT, docsPage } from './docs-page';
