import type { IncomingHttpHeaders } from 'node:http2';
import { N32C_PATHS, N32F_PROCESS_PATH } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml } from './support/configs';
import { H2Client } from './support/h2-client';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TARGET_HEADER } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

/** One answer of any listener, reduced to what these test cases look at. */
interface Seen {
  readonly where: string;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** What an error page must not carry: a stack trace, file paths, error class names, product names or versions. */
const LEAKS: readonly [string, RegExp][] = [
  ['a stack frame', /\bat \S+ \(|\bat (async )?[\w$.<>]+ \(?\/|:\d+:\d+\)?$/m],
  ['a source file', /\.(ts|js|mjs|cjs)(:\d+)?\b/],
  ['a file system path', /\/(work|home|usr|opt|app|srv)\/|node_modules|[A-Z]:\\/],
  ['an error class name', /\b(Type|Reference|Syntax|Range|Http|Fastify|Internal|Unknown)?Error\b|Exception\b/],
  ['a web framework or runtime name', /\b(nest|nestjs|fastify|express|node(\.js)?|pino|openssl|nghttp2)\b/i],
  ['a framework message style', /\bCannot (GET|POST|PUT|PATCH|DELETE|OPTIONS|HEAD) /],
  ['a product version', /\bv\d+\.\d+(\.\d+)?\b|[A-Za-z]\/\d+\.\d+/],
];

function expectNoServerInformation(seen: Seen): void {
  expect({ where: seen.where, server: seen.headers['server'], poweredBy: seen.headers['x-powered-by'], via: seen.headers['via'] }).toEqual({
    where: seen.where,
    server: undefined,
    poweredBy: undefined,
    via: undefined,
  });
}

function expectCleanErrorPage(seen: Seen): void {
  expect({ where: seen.where, error: seen.status >= 400 }).toEqual({ where: seen.where, error: true });
  expectNoServerInformation(seen);
  if (seen.text === '') return; // HEAD
  expect({ where: seen.where, type: String(seen.headers['content-type']), text: seen.text.slice(0, 300) }).toEqual({
    where: seen.where,
    type: expect.stringMatching(/^application\/problem\+json/),
    text: seen.text.slice(0, 300),
  });
  const body = JSON.parse(seen.text) as Record<string, unknown>;
  expect({ where: seen.where, status: body['status'], cause: typeof body['cause'] }).toEqual({ where: seen.where, status: seen.status, cause: 'string' });
  // Only ProblemDetails members (TS 29.571), and ProblemDetailsMsgForwarding's on N32-f.
  const known = ['type', 'title', 'status', 'detail', 'instance', 'cause', 'invalidParams', 'supportedFeatures', 'accessTokenError', 'accessTokenRequest', 'nrfId', 'supportedApiVersions', 'suggestedStatusCode', 'suggestedProblemDetails'];
  expect({ where: seen.where, unknown: Object.keys(body).filter((key) => !known.includes(key)) }).toEqual({ where: seen.where, unknown: [] });
  for (const [what, pattern] of LEAKS) {
    const match = pattern.exec(seen.text);
    expect({ where: seen.where, what, leak: match?.[0] ?? null, text: match ? seen.text : '' }).toEqual({ where: seen.where, what, leak: null, text: '' });
  }
}

/**
 * TS 33.117 4.3.4.11 TC_NO_WEB_SERVER_HEADER_INFORMATION and 4.3.4.12
 * TC_NO_WEB_SERVER_ERROR_PAGES_INFORMATION, on every listener of both apps: the admin listeners
 * (HTTP/1.1), the responder's N32 and dedicated N32-f listeners, the initiator's NF-facing (h2c)
 * and N32 listeners. No answer (errors and successes) carries `server`, `x-powered-by` or `via`;
 * every error is an RFC 7807 problem+json whose body names no framework, runtime, version, file
 * or stack frame (a 500 hides its internals too: packages/server/src/problem/to-problem.spec.ts).
 */
describe('TC_NO_WEB_SERVER_HEADER_INFORMATION and TC_NO_WEB_SERVER_ERROR_PAGES_INFORMATION', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  const answers: Seen[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    const responderConfig = { ...n32fResponderYaml(certA, pki, 1), n32f: { listen: { host: '127.0.0.1', port: 0 } } };
    responderConfig.n32.bodyLimit = 2048;
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderConfig));
    // The initiator's peer address leads nowhere: its NF requests fail on our side (no agreement).
    const initiatorConfig = n32fInitiatorYaml(certB, pki, await freePort(), { initiatorN32: { listen: { host: '127.0.0.1', port: 0 } } });
    initiatorConfig.n32f = { establishTimeoutMs: 300 };
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', initiatorConfig));

    const admin = async (app: SeppProcess, method: string, path: string, body?: string): Promise<void> => {
      const response = await fetch(`http://127.0.0.1:${app.port('admin')}${path}`, { method, body, headers: body === undefined ? {} : { 'content-type': 'application/json' } });
      const headers: Seen['headers'] = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      answers.push({ where: `${app.name} admin ${method} ${path}`, status: response.status, headers, text: await response.text() });
    };
    const n32 = async (app: SeppProcess, listener: string, servername: string, cert: CertFiles, method: string, path: string, body?: string, contentType = 'application/json'): Promise<void> => {
      const client = await H2Client.open(app.port(listener), servername, pki.clientTls(cert));
      try {
        const answer = await client.request(method, path, body, body === undefined ? {} : { 'content-type': contentType });
        answers.push({ where: `${app.name} ${listener} ${method} ${path}`, status: answer.status, headers: headersOf(answer.headers), text: answer.text });
      } finally {
        client.close();
      }
    };
    const nf = await NfClient.connect(initiator.port('sbi'));
    const sbi = async (method: string, path: string, headers: Record<string, string>): Promise<void> => {
      const answer = await nf.request({ method, path, headers });
      answers.push({ where: `initiator sbi ${method} ${path} ${JSON.stringify(headers)}`, status: answer.status, headers: headersOf(answer.headers), text: answer.text });
    };

    try {
      for (const app of [responder, initiator]) {
        await admin(app, 'GET', '/no-such-page');
        await admin(app, 'GET', '/admin/peers/sepp.5gc.mnc009.mcc009.3gppnetwork.org');
        await admin(app, 'DELETE', '/admin/peers');
        await admin(app, 'POST', '/admin/peers/renegotiate', '{"a":');
        await admin(app, 'GET', '/%E0%A4%A');
        await admin(app, 'GET', `/admin/peers?${'x'.repeat(100)}`);
      }
      await admin(responder, 'GET', '/readyz');
      for (const [listener, body] of [['n32', 'x'.repeat(4096)], ['n32f', 'x']] as const) {
        await n32(responder, listener, FQDN_A, certB, 'GET', '/no-such-api/v1/x');
        await n32(responder, listener, FQDN_A, certB, 'GET', N32F_PROCESS_PATH);
        await n32(responder, listener, FQDN_A, certB, 'POST', N32F_PROCESS_PATH, '{"reformattedData":');
        await n32(responder, listener, FQDN_A, certB, 'POST', N32F_PROCESS_PATH, '{}', 'text/plain');
        await n32(responder, listener, FQDN_A, certB, 'PUT', '/nudm-sdm/v2/imsi-001010000000001/am-data', body, 'application/octet-stream');
      }
      await n32(responder, 'n32', FQDN_A, certB, 'POST', N32C_PATHS.exchangeCapability, '{"sender": }');
      await n32(responder, 'n32', FQDN_A, certB, 'POST', N32C_PATHS.exchangeCapability, JSON.stringify({ sender: FQDN_B, pad: 'x'.repeat(4096) }));
      await n32(responder, 'n32', FQDN_A, certB, 'POST', N32C_PATHS.exchangeCapability, '<xml/>', 'application/xml');
      await n32(responder, 'n32', FQDN_A, certB, 'GET', N32C_PATHS.exchangeCapability);
      await n32(responder, 'n32', FQDN_A, certB, 'POST', `${N32C_PATHS.exchangeCapability}%E0%A4%A`, '{}');
      await n32(responder, 'n32', FQDN_A, certB, 'HEAD', N32C_PATHS.exchangeCapability);
      await n32(responder, 'n32', FQDN_A, certB, 'POST', N32C_PATHS.exchangeCapability, JSON.stringify({ sender: 'sepp.5gc.mnc009.mcc009.3gppnetwork.org', supportedSecCapabilityList: ['TLS'] }));
      await n32(responder, 'n32', FQDN_A, certB, 'POST', N32C_PATHS.exchangeCapability, '{"__proto__":{"x":1},"sender":"a"}');
      await n32(initiator, 'n32', FQDN_B, certA, 'POST', N32C_PATHS.n32fError, '{}');
      await n32(initiator, 'n32', FQDN_B, certA, 'GET', '/no-such-api/v1/x');
      await sbi('GET', '/nudm-sdm/v2/imsi-001010000000001/am-data', {});
      await sbi('GET', '/nudm-sdm/v2/imsi-001010000000001/am-data', { [TARGET_HEADER]: 'not an api root' });
      await sbi('GET', '/nudm-sdm/v2/imsi-001010000000001/am-data', { [TARGET_HEADER]: 'http://udm1.5gc.mnc009.mcc009.3gppnetwork.org' });
      await sbi('GET', '/nudm-sdm/v2/imsi-001010000000001/am-data', { [TARGET_HEADER]: 'http://udm1.5gc.mnc001.mcc001.3gppnetwork.org' });
      await sbi('GET', '/nsepp-telescopic/v1/mapping', {});
      await sbi('GET', '/nsepp-telescopic/v1/mapping?telescopic-label=m-0aaaaaaaaaaaaaaaaaaaaaaaaaa', {});
      await sbi('POST', '/nsepp-telescopic/v1/mapping', {});
      await sbi('GET', '/nsepp-telescopic/v1/mapping%E0%A4%A', {});
    } finally {
      nf.close();
    }
  });

  afterAll(async () => {
    await initiator?.stop();
    await responder?.stop();
  });

  it('covers every listener of both apps, with errors from the framework, the fast paths and our own refusals', () => {
    const where = new Set(answers.map((a) => a.where.split(' ').slice(0, 2).join(' ')));
    expect([...where].sort()).toEqual(['initiator admin', 'initiator n32', 'initiator sbi', 'responder admin', 'responder n32', 'responder n32f']);
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 400, 403, 404, 405, 413, 415, 503]));
  });

  describe('TC_NO_WEB_SERVER_HEADER_INFORMATION', () => {
    it('no answer carries server, x-powered-by or via', () => {
      for (const seen of answers) expectNoServerInformation(seen);
    });
  });

  describe('TC_NO_WEB_SERVER_ERROR_PAGES_INFORMATION', () => {
    it('every error is a problem+json without server type, version, stack trace or file path', () => {
      const errors = answers.filter((a) => a.status >= 400);
      expect(errors.length).toBeGreaterThanOrEqual(30);
      for (const seen of errors) expectCleanErrorPage(seen);
    });

    it('neither app logged any of these as its own failure (nothing reached an internal error path)', () => {
      for (const app of [responder, initiator]) expect(app.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    });
  });
});

function headersOf(headers: IncomingHttpHeaders): Seen['headers'] {
  const out: Seen['headers'] = {};
  for (const [name, value] of Object.entries(headers)) out[name] = value === undefined ? undefined : Array.isArray(value) ? value : String(value);
  return out;
}
