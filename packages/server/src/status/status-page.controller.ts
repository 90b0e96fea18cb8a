import { Controller, Get, Header, Inject, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { join } from 'node:path';
import { ASSETS_DIR, BROWSER_HEADERS, StaticAssets } from './static-assets';
import { STATUS_JSON_PATH, type StatusDocument } from './status-document';

/**
 * The status page's policy: its own script and style only (no inline script or style, no other
 * origin), data only from this origin (the JSON it polls and the actions it posts), no framing,
 * no forms, no base URI.
 */
export const STATUS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What builds the status document of this app (a SEPP's or the IPX relay's). */
export interface StatusSource {
  document(): StatusDocument;
}
export const STATUS_SOURCE = Symbol('STATUS_SOURCE');

const STATUS_DIR = join(ASSETS_DIR, 'status');
const ASSETS = new StaticAssets(
  {
    'index.html': join(STATUS_DIR, 'index.html'),
    'status.js': join(STATUS_DIR, 'status.js'),
    'status.css': join(STATUS_DIR, 'status.css'),
  },
  STATUS_CSP,
);

/**
 * The live status page on the admin listener: `GET /` (one HTML page, its script and style under
 * `/status/`), and `GET /admin/status`, the one JSON document the page polls and scripts may use.
 * Everything is served from this process (no CDN); the page shows what the JSON shows.
 */
@Controller()
export class StatusPageController {
  constructor(@Inject(STATUS_SOURCE) private readonly source: StatusSource) {}

  @Get()
  page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    ASSETS.send('index.html', request, reply);
  }

  @Get('status/:file')
  asset(@Param('file') file: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    ASSETS.serveFile(file, request, reply);
  }

  @Get(STATUS_JSON_PATH)
  @Header('cache-control', BROWSER_HEADERS['cache-control']!)
  @Header('x-content-type-options', 'nosniff')
  status(): StatusDocument {
    return this.source.document();
  }
}
