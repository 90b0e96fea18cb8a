import { dirname, join } from 'node:path';
import { ASSETS_DIR, StaticAssets } from '../status/static-assets';

/**
 * GET /docs: Swagger UI from the swagger-ui-dist package, served by this process (no CDN). Its
 * policy allows scripts and styles of this origin only (no inline script, no eval), data: images
 * (the UI's icons), and requests to this origin only (openapi.json).
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const DOCS_DIR = join(ASSETS_DIR, 'docs');

export const DOCS_ASSETS = new StaticAssets(
  {
    'index.html': join(DOCS_DIR, 'index.html'),
    'docs.js': join(DOCS_DIR, 'docs.js'),
    'docs.css': join(DOCS_DIR, 'docs.css'),
    'swagger-ui-bundle.js': join(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'),
    'swagger-ui.css': join(SWAGGER_UI_DIR, 'swagger-ui.css'),
  },
  DOCS_CSP,
);
