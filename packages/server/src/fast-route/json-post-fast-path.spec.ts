import type { ClientHttp2Session, IncomingHttpHeaders } from 'node:http2';
import fastify from 'fastify';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import { createJsonLogger } from '../logging/logger';
import { fastifyJsonParser } from '../n32c/n32c-http-rules';
import { loopbackH2, type LoopbackH2 } from '../testing/loopback-h2.spec-support';
import { jsonPostFastPath, type FastAnswer } from './json-post-fast-path';

/**
 * What `jsonPostFastPath` adds to the N32-c use (n32c-fast-route.spec.ts holds its refusals to the
 * Nest route's): an answer computed asynchronously with its own status and headers (the IPX relay
 * answers what its next hop answered), statuses without content, a rejection, and the completion
 * callback with the status written.
 */
describe('jsonPostFastPath: a JSON POST resource without the framework', () => {
  const PATH = '/api/v1/op';
  let loopback: LoopbackH2;
  let client: ClientHttp2Session;
  let next: (body: unknown, headers: IncomingHttpHeaders) => Promise<FastAnswer>;
  let written: number[];
  let lines: Array<Record<string, unknown>>;

  beforeEach(async () => {
    written = [];
    lines = [];
    const logger = createJsonLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const fastPath = jsonPostFastPath([{ path: PATH, answer: (body, _stream, headers) => next(body, headers) }], {
      logger,
      bodyLimit: 1024,
      parse: fastifyJsonParser(fastify()),
      onTaken: () => (status) => written.push(status),
    });
    loopback = await loopbackH2((stream, headers) => {
      if (fastPath(stream, headers)) return;
      stream.respond({ ':status': 404 });
      stream.end();
    });
    client = loopback.client;
  });

  afterEach(() => loopback.close());

  const send = (body: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> =>
    new Promise((resolve, reject) => {
      const stream = client.request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/json', ...headers });
      let answer: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (answer = h));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => resolve({ status: Number(answer[':status']), headers: answer, text: Buffer.concat(chunks).toString('utf8') }));
      stream.end(body);
    });

  it('writes an asynchronous answer with its status, headers and a content-length', async () => {
    next = async (body, headers) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 403, headers: { 'content-type': 'application/problem+json', 'retry-after': '5', 'x-seen': String(headers['x-in']) }, body: Buffer.from(JSON.stringify({ got: body })) };
    };
    const answer = await send('{"a":1}', { 'x-in': 'yes' });
    expect(answer.status).toBe(403);
    expect(answer.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '5', 'x-seen': 'yes', 'content-length': String(Buffer.byteLength(answer.text)) });
    expect(JSON.parse(answer.text)).toEqual({ got: { a: 1 } });
    expect(written).toEqual([403]);
  });

  it.each([204, 205, 304])('answers %i without content (the body is dropped, no content-length)', async (status) => {
    next = async () => ({ status, headers: { 'x-kept': '1' }, body: 'dropped' });
    const answer = await send('{}');
    expect(answer.status).toBe(status);
    expect(answer.headers['x-kept']).toBe('1');
    expect(answer.headers['content-length']).toBeUndefined();
    expect(answer.text).toBe('');
    expect(written).toEqual([status]);
  });

  it('maps a rejection to problem+json and logs the refusal', async () => {
    next = async () => {
      throw new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, 'not a message of ours', [{ param: '/x', reason: 'unknown' }]);
    };
    const answer = await send('{"x":1}');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toMatchObject({ status: 400, cause: 'INVALID_MSG_FORMAT', detail: 'not a message of ours' });
    expect(lines.filter((line) => line['msg'] === 'request refused')).toEqual([expect.objectContaining({ url: PATH, status: 400 })]);
    expect(written).toEqual([400]);
  });

  it('leaves a query string, another media type or method to the framework', async () => {
    next = async () => ({ status: 200, headers: {}, body: '{}' });
    expect((await send('{}', { ':path': `${PATH}?q=1` })).status).toBe(404);
    expect((await send('{}', { 'content-type': 'text/plain' })).status).toBe(404);
    expect((await send('{}', { ':method': 'PUT' })).status).toBe(404);
    expect(written).toEqual([]);
  });
});
