import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem.exception';

/** The package's folder of browser assets (`packages/server/assets`), from src/ and dist/ alike. */
export const ASSETS_DIR = join(__dirname, '..', '..', 'assets');

/** Headers every page and asset of the admin listener carries: nothing framed, sniffed or referred. */
export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

interface Asset {
  readonly body: Buffer;
  readonly etag: string;
  readonly contentType: string;
}

/**
 * A fixed set of files served from memory (read on first use, never from a path a request names):
 * with an ETag, so browsers revalidate instead of downloading again, and the given
 * Content-Security-Policy on each.
 */
export class StaticAssets {
  private readonly loaded = new Map<string, Asset>();

  /** `files`: public name -> absolute path. */
  constructor(
    private readonly files: Readonly<Record<string, string>>,
    private readonly csp: string,
  ) {}

  has(name: string): boolean {
    return Object.hasOwn(this.files, name);
  }

  /** Answers with the asset (200, or 304 when the browser has it); false when there is no such asset. */
  send(name: string, request: FastifyRequest, reply: FastifyReply): boolean {
    if (!this.has(name)) return false;
    const asset = this.load(name);
    void reply.headers({ ...BROWSER_HEADERS, 'content-security-policy': this.csp, etag: asset.etag });
    if (request.headers['if-none-match'] === asset.etag) {
      void reply.status(304).send();
      return true;
    }
    void reply.status(200).header('content-type', asset.contentType).send(asset.body);
    return true;
  }

  /** A request for one of the assets by name (`GET .../:file`): answered, or a 404 problem for anything else (the page itself included). */
  serveFile(name: string, request: FastifyRequest, reply: FastifyReply, page = 'index.html'): void {
    if (name === page || !this.send(name, request, reply)) {
      throw new ProblemException({ status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND', detail: `no such file: ${name}` });
    }
  }

  private load(name: string): Asset {
    let asset = this.loaded.get(name);
    if (!asset) {
      const file = this.files[name]!;
      const body = readFileSync(file);
      const extension = file.slice(file.lastIndexOf('.'));
      asset = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream' };
      this.loaded.set(name, asset);
    }
    return asset;
  }
}
