import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import * as protocol from '@sepp/protocol';
import { createLogger } from '../logging/logger';
import { ProblemDetailsFilter } from '../problem/problem-details.filter';
import { SEPP_ROLE, type SeppRole } from '../runtime/sepp-runtime';
import { OpenApiController } from './openapi.controller';

async function adminApp(role: SeppRole): Promise<NestFastifyApplication> {
  @Module({ controllers: [OpenApiController], providers: [{ provide: SEPP_ROLE, useValue: role }] })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false });
  app.useGlobalFilters(new ProblemDetailsFilter(createLogger(role, 'fatal'), 16_384));
  await app.listen(0, '127.0.0.1');
  return app;
}

async function get(app: NestFastifyApplication, path: string) {
  const answer = await fetch(`${await app.getUrl()}${path}`);
  const body = await answer.text();
  return { statusCode: answer.status, headers: Object.fromEntries(answer.headers), body, json: (): any => JSON.parse(body) };
}

const operationsOf = (document: any): string[] =>
  Object.entries<Record<string, unknown>>(document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)).sort();

describe('OpenApiController', () => {
  let responder: NestFastifyApplication;
  let initiator: NestFastifyApplication;

  beforeAll(async () => {
    responder = await adminApp('responder');
    initiator = await adminApp('initiator');
  });
  afterAll(async () => {
    await responder.close();
    await initiator.close();
  });

  it('serves the responder its N32-c handshake and N32-f forwarding APIs', async () => {
    const answer = await get(responder, '/openapi.json');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const document = answer.json();
    expect(document.openapi).toMatch(/^3\.0\./);
    expect(document.info.version).toBe('n32c-handshake 1.4.0, n32f-forward 1.4.0');
    expect(operationsOf(document)).toEqual([
      'POST /n32c-handshake/v1/exchange-capability',
      'POST /n32c-handshake/v1/exchange-params',
      'POST /n32c-handshake/v1/n32f-error',
      'POST /n32c-handshake/v1/n32f-terminate',
      'OPTIONS /n32f-forward/v1/n32f-process',
      'POST /n32f-forward/v1/n32f-process',
    ].sort());
    for (const item of Object.values<Record<string, any>>(document.paths)) {
      for (const operation of Object.values<any>(item)) expect(operation.description).toMatch(/Served by: the N32 listener \(n32\.listen\)/);
    }
    expect(document.paths['/n32f-forward/v1/n32f-process'].post.description).toMatch(/n32f\.listen/);
  });

  it('serves the initiator n32f-error, n32f-terminate and the telescopic mapping API', async () => {
    const document = (await get(initiator, '/openapi.json')).json();
    expect(operationsOf(document)).toEqual(['GET /nsepp-telescopic/v1/mapping', 'POST /n32c-handshake/v1/n32f-error', 'POST /n32c-handshake/v1/n32f-terminate']);
    expect(document.paths['/nsepp-telescopic/v1/mapping'].get.description).toMatch(/Served by: the NF-facing listener \(sbi\.listen\)/);
    expect(document.paths['/n32c-handshake/v1/n32f-error'].post.description).toMatch(/only when n32\.listen is configured/);
    expect(Object.keys(document.components.schemas)).not.toContain('SecNegotiateReqData');
  });

  it('builds the document once', async () => {
    const build = jest.spyOn(protocol, 'buildN32OpenApi');
    const controller = new OpenApiController('responder');
    const first = controller.openApi();
    expect(controller.openApi()).toBe(first);
    expect(build).toHaveBeenCalledTimes(1);
    build.mockRestore();
    expect((await get(responder, '/openapi.json')).body).toBe((await get(responder, '/openapi.json')).body);
  });

  it('serves Swagger UI at /docs from the swagger-ui-dist package, under a strict policy and without inline script', async () => {
    const answer = await get(responder, '/docs');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(answer.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    // Every script is a file of this origin: none inline, none elsewhere.
    const scripts = [...answer.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => [/src="([^"]+)"/.exec(m[1]!)?.[1], m[2]!.trim()])).toEqual([
      ['docs/swagger-ui-bundle.js', ''],
      ['docs/docs.js', ''],
    ]);
    expect(answer.body).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(answer.body).not.toMatch(/style=/i);

    const bundle = await get(responder, '/docs/swagger-ui-bundle.js');
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(bundle.body).toBe(readFileSync(join(dirname(require.resolve('swagger-ui-dist/package.json')), 'swagger-ui-bundle.js'), 'utf8'));
    const css = await get(responder, '/docs/swagger-ui.css');
    expect({ status: css.statusCode, type: css.headers['content-type'] }).toEqual({ status: 200, type: 'text/css; charset=utf-8' });
    const init = await get(responder, '/docs/docs.js');
    expect(init.body).toContain("url: 'openapi.json'");
    expect(init.body).toContain('validatorUrl: null');
  });

  it('answers /docs assets with an ETag (304 when unchanged), and 404 for anything it does not ship', async () => {
    const first = await get(responder, '/docs/swagger-ui.css');
    const etag = first.headers['etag']!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(`${await responder.getUrl()}/docs/swagger-ui.css`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    for (const path of ['/docs/index.html', '/docs/package.json', '/docs/..%2Fpackage.json', '/docs/swagger-ui-bundle.js.map']) {
      const answer = await get(responder, path);
      expect({ path, status: answer.statusCode }).toEqual({ path, status: 404 });
    }
  });
});
