import * as http2 from 'node:http2';
import { parseProducerArgs, runProducer, UsageError } from './producer-cli';
import { bytePattern, parseQuery, startProducer, type Producer } from './producer';

interface Raw {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

let producer: Producer;
let session: http2.ClientHttp2Session;

function request(method: string, path: string, opts: { body?: string | Buffer; headers?: http2.OutgoingHttpHeaders } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': path, ...opts.headers }, { endStream: opts.body === undefined });
    let headers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    if (opts.body !== undefined) stream.end(opts.body);
  });
}

const json = (raw: Raw): any => JSON.parse(raw.body.toString('utf8'));
/** Response headers that must not vary: all but `date`. */
const stableHeaders = (raw: Raw): Record<string, unknown> =>
  Object.fromEntries(Object.entries(raw.headers).filter(([name]) => name !== 'date'));

beforeAll(async () => {
  producer = await startProducer({ host: '127.0.0.1', port: 0, name: 'udm-test' });
  session = http2.connect(`http://127.0.0.1:${producer.port}`);
});

afterAll(async () => {
  session.close();
  await producer.close();
});

describe('producer NF', () => {
  it('listens on 127.0.0.1 on the port the OS chose', () => {
    expect(producer.address).toBe('127.0.0.1');
    expect(producer.port).toBeGreaterThan(0);
    expect(producer.name).toBe('udm-test');
  });

  it('answers GET am-data with the subscription data, the parsed query and its name', async () => {
    const plmn = encodeURIComponent(JSON.stringify({ mcc: '001', mnc: '01' }));
    const raw = await request('GET', `/nudm-sdm/v2/imsi-001010000000001/am-data?plmn-id=${plmn}&supported-features=a&x=1&x=2&x=3`);
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/json');
    expect(Number(raw.headers['content-length'])).toBe(raw.body.length);
    const body = json(raw);
    expect(body).toEqual({
      supi: 'imsi-001010000000001',
      gpsis: ['msisdn-010000000001'],
      subscribedUeAmbr: { uplink: '1 Gbps', downlink: '2 Gbps' },
      nssai: { defaultSingleNssais: [{ sst: 1 }] },
      ratRestrictions: [],
      query: { 'plmn-id': { mcc: '001', mnc: '01' }, 'supported-features': 'a', x: ['1', '2', '3'] },
      servedBy: 'udm-test',
    });
  });

  it('serves am-data under an apiRoot prefix too, with an empty query object when there is none', async () => {
    const body = json(await request('GET', '/udm-prefix/nudm-sdm/v2/imsi-001010000000002/am-data'));
    expect(body.supi).toBe('imsi-001010000000002');
    expect(body.query).toEqual({});
  });

  it('echoes GET on other paths: method, path, raw query, headers without pseudo-headers, body, json', async () => {
    const raw = await request('GET', '/nudm-uecm/v1/imsi-1/registrations?a=1&b=%7B%7D', {
      headers: { '3gpp-sbi-target-apiroot': 'http://udm1.example:8081', 'x-demo': 'yes' },
    });
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/json');
    expect(json(raw)).toEqual({
      method: 'GET',
      path: '/nudm-uecm/v1/imsi-1/registrations',
      query: 'a=1&b=%7B%7D',
      headers: { '3gpp-sbi-target-apiroot': 'http://udm1.example:8081', 'x-demo': 'yes' },
      body: '',
      json: null,
      servedBy: 'udm-test',
    });
  });

  it('echoes PUT and PATCH with 200, parsing JSON bodies and keeping other text raw', async () => {
    const put = await request('PUT', '/nudm-uecm/v1/imsi-1/registrations/amf-3gpp-access', {
      body: '{"amfInstanceId":"a1"}',
      headers: { 'content-type': 'application/json' },
    });
    expect(put.status).toBe(200);
    expect(json(put)).toMatchObject({ method: 'PUT', body: '{"amfInstanceId":"a1"}', json: { amfInstanceId: 'a1' } });
    expect(json(put).headers['content-type']).toBe('application/json');

    const patch = await request('PATCH', '/x', { body: 'not json', headers: { 'content-type': 'text/plain' } });
    expect(patch.status).toBe(200);
    expect(json(patch)).toMatchObject({ method: 'PATCH', path: '/x', body: 'not json', json: null });
  });

  it('answers POST with 201 and a location that depends only on the request', async () => {
    const post = (body: string): Promise<Raw> =>
      request('POST', '/nudm-sdm/v2/imsi-1/sdm-subscriptions', { body, headers: { ':authority': 'udm1.example:8081', 'content-type': 'application/json' } });
    const first = await post('{"n":1}');
    const again = await post('{"n":1}');
    const other = await post('{"n":2}');
    expect(first.status).toBe(201);
    expect(first.headers['location']).toMatch(/^http:\/\/udm1\.example:8081\/nudm-sdm\/v2\/imsi-1\/sdm-subscriptions\/[0-9a-f]{16}$/);
    expect(again.headers['location']).toBe(first.headers['location']);
    expect(other.headers['location']).not.toBe(first.headers['location']);
    expect(json(first)).toMatchObject({ method: 'POST', json: { n: 1 } });
  });

  it('answers DELETE with 204 and no body', async () => {
    const raw = await request('DELETE', '/nudm-sdm/v2/imsi-1/sdm-subscriptions/abc');
    expect(raw.status).toBe(204);
    expect(raw.body.length).toBe(0);
    expect(raw.headers['content-type']).toBeUndefined();
  });

  it.each([
    [400, 'Bad Request'],
    [404, 'Not Found'],
    [429, 'Too Many Requests'],
    [503, 'Service Unavailable'],
  ])('answers /status/%i with application/problem+json', async (code, title) => {
    for (const method of ['GET', 'POST']) {
      const raw = await request(method, `/status/${code}`, method === 'POST' ? { body: '{}' } : {});
      expect(raw.status).toBe(code);
      expect(raw.headers['content-type']).toBe('application/problem+json');
      expect(json(raw)).toEqual({ status: code, title, cause: `DEMO_${code}`, detail: `${method} /status/${code} asked for status ${code}` });
    }
  });

  it('answers /status/2xx with that status (an echo, or no body for 204), and refuses codes outside 200..599', async () => {
    const ok = await request('PUT', '/prefix/status/202', { body: 'x' });
    expect(ok.status).toBe(202);
    expect(json(ok)).toMatchObject({ method: 'PUT', path: '/prefix/status/202', body: 'x' });
    const empty = await request('GET', '/status/204');
    expect(empty.status).toBe(204);
    expect(empty.body.length).toBe(0);
    const bad = await request('GET', '/status/999');
    expect(bad.status).toBe(400);
    expect(json(bad)).toMatchObject({ status: 400, cause: 'INVALID_DEMO_STATUS' });
  });

  it('answers /slow/{ms} after that time with an echo', async () => {
    const started = Date.now();
    const raw = await request('POST', '/slow/150', { body: '{"a":1}' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(raw.status).toBe(200);
    expect(json(raw)).toMatchObject({ method: 'POST', path: '/slow/150', json: { a: 1 } });
  });

  it('answers /bytes/{n} with n deterministic octets', async () => {
    const raw = await request('GET', '/bytes/1000');
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect(Number(raw.headers['content-length'])).toBe(1000);
    expect(raw.body.equals(bytePattern(1000))).toBe(true);
    expect(raw.body[0]).toBe(0);
    expect(raw.body[257]).toBe(1);
    expect((await request('GET', '/bytes/0')).body.length).toBe(0);
    expect((await request('GET', '/bytes/999999999999')).status).toBe(400);
  });

  it('is byte-stable: the same request gets the same bytes and the same headers (but date)', async () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['GET', '/nudm-sdm/v2/imsi-001010000000001/am-data?a=1', undefined],
      ['PUT', '/any/thing?x=y', '{"k":[1,2,3]}'],
      ['POST', '/any/collection', '{"k":"v"}'],
      ['GET', '/status/500', undefined],
      ['GET', '/bytes/77', undefined],
    ];
    for (const [method, path, body] of cases) {
      const headers = { 'x-one': '1', 'content-type': 'application/json', ':authority': 'udm1.example' };
      const first = await request(method, path, { body, headers });
      const second = await request(method, path, { body, headers });
      expect(second.body.equals(first.body)).toBe(true);
      expect(stableHeaders(second)).toEqual(stableHeaders(first));
    }
  });

  it('refuses bodies over the limit with 413', async () => {
    const small = await startProducer({ maxBodyBytes: 1024 });
    const client = http2.connect(`http://127.0.0.1:${small.port}`);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = client.request({ ':method': 'POST', ':path': '/x' });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.resume();
        stream.on('error', reject);
        stream.end(Buffer.alloc(4096));
      });
      expect(status).toBe(413);
    } finally {
      client.close();
      await small.close();
    }
  });

  it('counts requests per method and per method+path (query left out)', async () => {
    const own = await startProducer({ name: 'counter' });
    const client = http2.connect(`http://127.0.0.1:${own.port}`);
    const send = (method: string, path: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const stream = client.request({ ':method': method, ':path': path });
        stream.resume();
        stream.on('end', resolve);
        stream.on('error', reject);
      });
    try {
      await send('GET', '/nudm-sdm/v2/imsi-1/am-data?x=1');
      await send('GET', '/nudm-sdm/v2/imsi-1/am-data?x=2');
      await send('DELETE', '/a');
      expect(own.stats()).toEqual({
        total: 3,
        byMethod: { GET: 2, DELETE: 1 },
        byRoute: { 'GET /nudm-sdm/v2/imsi-1/am-data': 2, 'DELETE /a': 1 },
      });
      // a copy: the caller cannot change the producer's counters
      own.stats().total = 99;
      expect(own.stats().total).toBe(3);
    } finally {
      client.close();
      await own.close();
    }
  });

  it('closes promptly even with a slow request in flight', async () => {
    const own = await startProducer();
    const client = http2.connect(`http://127.0.0.1:${own.port}`);
    client.on('error', () => undefined);
    const stream = client.request({ ':method': 'GET', ':path': '/slow/60000' });
    stream.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    client.destroy();
  });
});

describe('parseQuery', () => {
  it('keeps text, parses JSON-looking values, gathers repeated keys, and treats __proto__ as a plain key', () => {
    const query = parseQuery('a=1&b=%7B%22x%22%3A1%7D&c=%7Bbroken&a=2&__proto__=p');
    expect(query['a']).toEqual(['1', '2']);
    expect(query['b']).toEqual({ x: 1 });
    expect(query['c']).toBe('{broken');
    expect(query['__proto__']).toBe('p');
    expect(JSON.stringify(query)).toBe('{"a":["1","2"],"b":{"x":1},"c":"{broken","__proto__":"p"}');
  });
});

describe('producer CLI', () => {
  it('parses its flags', () => {
    expect(parseProducerArgs(['--host', '127.0.0.1', '--port', '0', '--name', 'udm1'])).toEqual({ host: '127.0.0.1', port: 0, name: 'udm1' });
    expect(parseProducerArgs([])).toEqual({ host: '127.0.0.1', port: 0, name: 'udm1' });
    expect(parseProducerArgs(['--help'])).toBe('help');
    expect(() => parseProducerArgs(['--port', 'x'])).toThrow(UsageError);
    expect(() => parseProducerArgs(['--port', '70000'])).toThrow(UsageError);
    expect(() => parseProducerArgs(['--bogus'])).toThrow(UsageError);
  });

  it('logs one listening line with the real port', async () => {
    const lines: string[] = [];
    const running = await runProducer({ host: '127.0.0.1', port: 0, name: 'udm9' }, (line) => lines.push(line));
    try {
      expect(lines).toHaveLength(1);
      expect(lines[0]!.endsWith('\n')).toBe(true);
      expect(JSON.parse(lines[0]!)).toEqual({ msg: 'listening', listener: 'nf', address: '127.0.0.1', port: running.port, protocol: 'h2c' });
    } finally {
      await running.close();
    }
  });
});
