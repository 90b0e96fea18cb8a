import { runInNewContext } from 'node:vm';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import * as protocol from '@sepp/protocol';
import { SEPP_ROLE, type SeppRole } from '../runtime/sepp-runtime';
import { DOCS_SCRIPT } from './docs-page';
import { OpenApiController } from './openapi.controller';

async function adminApp(role: SeppRole): Promise<NestFastifyApplication> {
  @Module({ controllers: [OpenApiController], providers: [{ provide: SEPP_ROLE, useValue: role }] })
  class TestModule {}
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), { logger: false });
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

  it('serves a self-contained docs page', async () => {
    const answer = await get(responder, '/docs');
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(answer.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toMatch(/connect-src 'self'/);
    expect(answer.body).toContain('<title>SEPP responder: N32 APIs</title>');
    expect(answer.body).toContain(DOCS_SCRIPT);
    // No external script, stylesheet, font or image.
    expect(answer.body).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(answer.body).not.toMatch(/@import|url\(/i);
  });
});

/** Just enough DOM for the page script: elements, text, attributes, getElementById. */
class FakeNode {
  readonly children: FakeNode[] = [];
  readonly attributes: Record<string, string> = {};
  open = false;
  private text = '';
  constructor(readonly tagName: string) {}
  appendChild(child: FakeNode): FakeNode {
    this.children.push(child);
    return child;
  }
  setAttribute(name: string, value: string): void {
    this.attributes[name] = String(value);
  }
  getAttribute(name: string): string | null {
    return this.attributes[name] ?? null;
  }
  addEventListener(): void {}
  set textContent(value: string) {
    this.children.length = 0;
    this.text = value;
  }
  get textContent(): string {
    return this.text + this.children.map((child) => child.textContent).join('');
  }
  all(): FakeNode[] {
    return [this, ...this.children.flatMap((child) => child.all())];
  }
}

async function runPage(document: unknown, ok = true): Promise<FakeNode> {
  const root = new FakeNode('MAIN');
  const fakeDocument = {
    createElement: (tag: string) => new FakeNode(tag.toUpperCase()),
    createTextNode: (text: string) => Object.assign(new FakeNode('#text'), { textContent: text }),
    getElementById: (id: string) => (id === 'app' ? root : (root.all().find((node) => node.attributes.id === id) ?? null)),
    querySelectorAll: () => [],
  };
  const fakeFetch = () => Promise.resolve({ ok, status: ok ? 200 : 503, json: () => Promise.resolve(document) });
  const context = { document: fakeDocument, window: { addEventListener: () => undefined }, location: { hash: '' }, fetch: fakeFetch };
  // The script's completion value is the promise of its fetch chain.
  await (runInNewContext(DOCS_SCRIPT, context) as Promise<void>);
  return root;
}

describe('docs page script', () => {
  it('renders every operation and every schema with its properties', async () => {
    const document = protocol.buildN32OpenApi({ apis: ['n32c-handshake', 'n32f-forward', 'telescopic'], title: 'All', version: '1' });
    const root = await runPage(document);
    const text = root.textContent;
    const sections = root.all().filter((node) => node.tagName === 'DETAILS');
    const ids = sections.map((node) => node.attributes.id);
    for (const item of Object.values<Record<string, any>>(document.paths)) {
      for (const operation of Object.values<any>(item)) expect(ids).toContain(`op-${operation.operationId}`);
    }
    for (const name of Object.keys(document.components.schemas)) expect(ids).toContain(`schema-${name}`);
    for (const fragment of ['POST', 'OPTIONS', '/n32c-handshake/v1/exchange-capability', '/nsepp-telescopic/v1/mapping', 'foreign-fqdn', '3GppSbiTargetApiRootSupported', 'encrypted_key', 'senderN32fPortList', 'NO_CONNECTION_DUE_TO_CONNECTIVITY']) {
      expect(text).toContain(fragment);
    }
    // Schema names in bodies and types are links to their section.
    const links = root.all().filter((node) => node.tagName === 'A' && node.attributes.class === 'ref');
    expect(links.map((link) => link.attributes.href)).toEqual(expect.arrayContaining(['#schema-SecNegotiateReqData', '#schema-ProblemDetailsMsgForwarding', '#schema-IeLocation']));
    for (const link of links) expect(ids).toContain(link.attributes.href!.slice(1));
    // A property row: name, type, required, constraints.
    const row = root.all().find((node) => node.tagName === 'TR' && node.children[0]?.textContent === 'sender' && node.textContent.includes('pattern'));
    expect(row?.children.map((cell) => cell.textContent)).toEqual(['sender', 'string', 'yes', expect.stringContaining('minLength 4; maxLength 253')]);
  });

  it('says so when openapi.json cannot be loaded', async () => {
    const root = await runPage({}, false);
    expect(root.textContent).toBe('Could not load openapi.json: HTTP 503');
  });
});
