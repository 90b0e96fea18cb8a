import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { parseConsumerArgs, renderResponse, runConsumerCli, UsageError } from './consumer-cli';
import { buildRequestHeaders, connectSepp, DEFAULT_NF_PATH, parseHeaderLine, sendViaSepp, TransportError } from './consumer';
import { startProducer, type Producer } from './producer';

/**
 * A fake SEPP: an h2c server that records each request's headers and forwards it, unchanged
 * but for the pseudo-headers, to the producer.
 */
async function startFakeSepp(producerPort: number): Promise<{ port: number; seen: http2.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const upstream = http2.connect(`http://127.0.0.1:${producerPort}`);
  const seen: http2.IncomingHttpHeaders[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    const out: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
    const forwarded = upstream.request({ ...out, ':method': headers[':method'], ':path': headers[':path'] }, { endStream: stream.endAfterHeaders });
    if (!stream.endAfterHeaders) stream.pipe(forwarded);
    forwarded.on('response', (h) => {
      const back: http2.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(h)) if (!name.startsWith(':')) back[name] = value;
      stream.respond({ ...back, ':status': h[':status'] });
      forwarded.pipe(stream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => sessions.add(s));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        upstream.close();
        sessions.forEach((s) => s.close());
        server.close(() => resolve());
      }),
  };
}

const TARGET = 'https://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081';

let producer: Producer;
let sepp: Awaited<ReturnType<typeof startFakeSepp>>;

beforeAll(async () => {
  producer = await startProducer({ name: 'udm1' });
  sepp = await startFakeSepp(producer.port);
});

afterAll(async () => {
  await sepp.close();
  await producer.close();
});

function capture(): { io: { out: (t: string) => void; err: (t: string) => void }; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (t) => (out += t), err: (t) => (err += t) }, out: () => out, err: () => err };
}

describe('sendViaSepp', () => {
  it('sends the target apiRoot header with the SEPP as :authority, and returns the parsed answer', async () => {
    const response = await sendViaSepp({ sepp: `http://127.0.0.1:${sepp.port}`, target: TARGET });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
    const seen = sepp.seen.at(-1)!;
    expect(seen[':method']).toBe('GET');
    expect(seen[':path']).toBe(DEFAULT_NF_PATH);
    expect(seen[':scheme']).toBe('http');
    expect(seen[':authority']).toBe(`127.0.0.1:${sepp.port}`);
    expect(seen['3gpp-sbi-target-apiroot']).toBe(TARGET);
  });

  it('in telescopic mode puts the authority in :authority and sends no target header', async () => {
    const authority = 'udm1--5gc--mnc001--mcc001--3gppnetwork--org.sepp.5gc.mnc002.mcc002.3gppnetwork.org:443';
    const response = await sendViaSepp({ sepp: `http://127.0.0.1:${sepp.port}`, telescopic: authority, target: TARGET, path: '/nudm-x/v1/y' });
    expect(response.status).toBe(200);
    const seen = sepp.seen.at(-1)!;
    expect(seen[':authority']).toBe(authority);
    expect(seen['3gpp-sbi-target-apiroot']).toBeUndefined();
    expect((response.json as any).headers['3gpp-sbi-target-apiroot']).toBeUndefined();
  });

  it('pointed at the producer itself, the target header is simply echoed back', async () => {
    const response = await sendViaSepp({
      sepp: `http://127.0.0.1:${producer.port}`,
      target: TARGET,
      method: 'put',
      path: '/nudm-uecm/v1/imsi-1/registrations/amf-3gpp-access?a=b',
      body: '{"amfInstanceId":"x"}',
      headers: [
        ['X-Trace', '1'],
        ['x-trace', '2'],
      ],
    });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      method: 'PUT',
      path: '/nudm-uecm/v1/imsi-1/registrations/amf-3gpp-access',
      query: 'a=b',
      headers: { 'x-trace': '1, 2', '3gpp-sbi-target-apiroot': TARGET, 'content-type': 'application/json' },
      body: '{"amfInstanceId":"x"}',
      json: { amfInstanceId: 'x' },
      servedBy: 'udm1',
    });
  });

  it('returns error statuses as answers, with problem+json parsed', async () => {
    const response = await sendViaSepp({ sepp: `http://127.0.0.1:${sepp.port}`, target: TARGET, path: '/status/504' });
    expect(response.status).toBe(504);
    expect(response.json).toMatchObject({ status: 504, cause: 'DEMO_504' });
  });

  it('leaves a given session open and reuses it', async () => {
    const session = await connectSepp(`http://127.0.0.1:${producer.port}`);
    try {
      const first = await sendViaSepp({ sepp: `http://127.0.0.1:${producer.port}`, session, target: TARGET, method: 'DELETE', path: '/a' });
      const second = await sendViaSepp({ sepp: `http://127.0.0.1:${producer.port}`, session, target: TARGET, path: '/bytes/3' });
      expect(first.status).toBe(204);
      expect(second.body).toEqual(Buffer.from([0, 1, 2]));
      expect(second.json).toBeUndefined();
      expect(session.closed).toBe(false);
    } finally {
      session.close();
    }
  });

  it('rejects with a TransportError when nobody listens, and on timeout', async () => {
    const closed = await startProducer();
    const port = closed.port;
    await closed.close();
    await expect(sendViaSepp({ sepp: `http://127.0.0.1:${port}`, target: TARGET })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(sendViaSepp({ sepp: `http://127.0.0.1:${producer.port}`, target: TARGET, path: '/slow/5000', timeoutMs: 200 })).rejects.toBeInstanceOf(TransportError);
  });
});

describe('request headers', () => {
  it('defaults the content type of a body by its shape and keeps an explicit one', () => {
    expect(buildRequestHeaders({ sepp: 'http://s:1', body: '{"a":1}' })['content-type']).toBe('application/json');
    expect(buildRequestHeaders({ sepp: 'http://s:1', body: 'plain' })['content-type']).toBe('application/octet-stream');
    expect(buildRequestHeaders({ sepp: 'http://s:1', body: '{}', headers: { 'Content-Type': 'application/merge-patch+json' } })['content-type']).toBe(
      'application/merge-patch+json',
    );
    expect(buildRequestHeaders({ sepp: 'http://s:1' })['content-type']).toBeUndefined();
  });

  it('parses --header lines', () => {
    expect(parseHeaderLine('X-Demo: a: b ')).toEqual(['x-demo', 'a: b']);
    expect(parseHeaderLine('x-empty:')).toEqual(['x-empty', '']);
    expect(parseHeaderLine('no colon')).toBeNull();
    expect(parseHeaderLine(': v')).toBeNull();
  });
});

describe('consumer CLI', () => {
  it('prints status, headers and pretty JSON, exit 0', async () => {
    const c = capture();
    const code = await runConsumerCli(['--sepp', `http://127.0.0.1:${sepp.port}`, '--target', TARGET, '--header', 'x-a: 1'], c.io);
    expect(code).toBe(0);
    expect(c.out()).toMatch(/^HTTP\/2 200\n/);
    expect(c.out()).toContain('content-type: application/json\n');
    expect(c.out()).toContain('\n\n{\n  "supi": "imsi-001010000000001",\n');
    expect(sepp.seen.at(-1)!['x-a']).toBe('1');
  });

  it('exits 0 on an error status too, and sends --method/--body', async () => {
    const c = capture();
    expect(await runConsumerCli(['--sepp', `http://127.0.0.1:${sepp.port}`, '--target', TARGET, '--method', 'post', '--path', '/status/403', '--body', '{}'], c.io)).toBe(0);
    expect(c.out()).toMatch(/^HTTP\/2 403\n/);
    expect(c.out()).toContain('"cause": "DEMO_403"');
    expect(sepp.seen.at(-1)![':method']).toBe('POST');
  });

  it('exits 1 when there is no answer', async () => {
    const closed = await startProducer();
    const port = closed.port;
    await closed.close();
    const c = capture();
    expect(await runConsumerCli(['--sepp', `http://127.0.0.1:${port}`, '--target', TARGET], c.io)).toBe(1);
    expect(c.err()).toContain('ECONNREFUSED');
    expect(c.out()).toBe('');
  });

  it.each([
    [[]],
    [['--target', TARGET]],
    [['--sepp', 'not a url', '--target', TARGET]],
    [['--sepp', 'ftp://h:1', '--target', TARGET]],
    [['--sepp', 'http://h:1']],
    [['--sepp', 'http://h:1', '--target', TARGET, '--telescopic', 'a.b']],
    [['--sepp', 'http://h:1', '--target', 'udm1:8081']],
    [['--sepp', 'http://h:1', '--target', TARGET, '--header', 'nocolon']],
    [['--sepp', 'http://h:1', '--target', TARGET, '--path', 'relative']],
    [['--sepp', 'http://h:1', '--target', TARGET, '--timeout', '-1']],
    [['--sepp', 'http://h:1', '--target', TARGET, '--bogus']],
  ])('exits 2 on usage errors: %j', async (argv) => {
    const c = capture();
    expect(await runConsumerCli(argv, c.io)).toBe(2);
    expect(c.err()).toContain('usage:');
  });

  it('parses its flags into a request', () => {
    const request = parseConsumerArgs(['--', '--sepp', 'http://127.0.0.1:7777', '--telescopic', 'x.sepp.example:443', '--header', 'a: 1', '--header', 'b: 2']);
    expect(request).toMatchObject({ telescopic: 'x.sepp.example:443', method: 'GET', path: DEFAULT_NF_PATH, headers: [['a', '1'], ['b', '2']] });
    expect(() => parseConsumerArgs(['--sepp', 'http://h:1'])).toThrow(UsageError);
  });

  it('renders binary bodies as a size note and empty bodies as nothing', () => {
    expect(renderResponse({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2]), text: '', json: undefined })).toBe(
      'HTTP/2 200\ncontent-type: application/octet-stream\n\n<3 bytes of application/octet-stream>\n',
    );
    expect(renderResponse({ status: 204, headers: {}, body: Buffer.alloc(0), text: '', json: undefined })).toBe('HTTP/2 204\n');
  });
});
