import type { ClientHttp2Session, OutgoingHttpHeaders } from 'node:http2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fastify from 'fastify';
import { N32C_PATHS, N32Error, N32ErrorCode } from '@sepp/protocol';
import { createJsonLogger } from '../logging/logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import type { Problem } from '../problem/to-problem';
import { n32cFastPath } from './n32c-fast-route';
import { loopbackH2, type LoopbackH2 } from '../testing/loopback-h2.spec-support';

/**
 * The N32-c fast path on a real HTTP/2 server: what it takes, and that its answers are the ones the
 * Nest route gives (same parser, same problem mapping, same log line and refusal report, same
 * metric). What it does not take falls through (the server answers 404 here: "Nest").
 */
describe('n32cFastPath: exchange-capability without the framework', () => {
  const BODY_LIMIT = 1024;
  const PATH = N32C_PATHS.exchangeCapability;
  let loopback: LoopbackH2;
  let client: ClientHttp2Session;
  let lines: Record<string, unknown>[];
  let refused: Array<{ problem: Problem; url: string }>;
  let metrics: SeppMetrics;
  let seen: unknown[];

  beforeEach(async () => {
    lines = [];
    refused = [];
    seen = [];
    metrics = new SeppMetrics('responder');
    const logger = createJsonLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    // What the fast path reads of the Nest app: its Fastify instance (body limit, JSON parser).
    const app = { getHttpAdapter: () => ({ getInstance: () => fastify({ bodyLimit: BODY_LIMIT }) }) } as unknown as NestFastifyApplication;
    const fastPath = n32cFastPath(app, { listener: 'n32', logger, metrics, onRefused: (_e, problem, request) => refused.push({ problem, url: request.url }) }, [
      {
        path: PATH,
        answer: (body) => {
          seen.push(body);
          const sender = (body as { sender?: unknown }).sender;
          if (sender === 'stranger.example.org') throw new N32Error(N32ErrorCode.UNKNOWN_PEER, 'not a partner', [{ param: '/sender', reason: 'is not a configured peer' }]);
          if (sender === 'bug.example.org') throw new Error('a bug of ours');
          return { sender: 'sepp.example.org', selectedSecCapability: 'TLS' };
        },
      },
    ]);
    loopback = await loopbackH2((stream, headers) => {
      if (fastPath(stream, headers)) return;
      stream.respond({ ':status': 404, 'x-taken-by': 'fallback' });
      stream.end();
    });
    client = loopback.client;
  });

  afterEach(() => loopback.close());

  const send = (body: string | Buffer | undefined, headers: OutgoingHttpHeaders = {}): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> | null }> =>
    new Promise((resolve, reject) => {
      const stream = client.request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/json', ...headers }, { endStream: body === undefined });
      let answer: Record<string, unknown> = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (answer = h));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: Number(answer[':status']), headers: answer, json: text ? (JSON.parse(text) as Record<string, unknown>) : null });
      });
      if (body !== undefined) stream.end(body);
    });

  const timedStatuses = async (): Promise<string[]> => {
    const metric = await metrics.n32cRequests.get();
    return metric.values.filter((v) => v.metricName?.endsWith('_count') && v.value > 0).map((v) => `${v.labels.operation}/${v.labels.direction}/${v.labels.status}`);
  };

  it('answers a valid request with the route answer (200 application/json) and times it', async () => {
    const answer = await send(JSON.stringify({ sender: 'peer.example.org', supportedSecCapabilityList: ['TLS'] }));
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.json).toEqual({ sender: 'sepp.example.org', selectedSecCapability: 'TLS' });
    expect(seen).toEqual([{ sender: 'peer.example.org', supportedSecCapabilityList: ['TLS'] }]);
    expect(await timedStatuses()).toEqual(['exchange-capability/inbound/200']);
    expect(refused).toEqual([]);
  });

  it.each([
    ['not JSON', '{sender: x}', 400, 'the body is not valid JSON: Body is not valid JSON but content-type is set to \'application/json\''],
    ['an empty body', '', 400, 'the body is not valid JSON: Body cannot be empty when content-type is set to \'application/json\''],
    ['a __proto__ key', '{"__proto__":{"x":1}}', 400, null],
    ['a repeated member', '{"sender":"a.example.org","sender":"b.example.org"}', 400, null],
    ['a body over the limit', JSON.stringify({ padding: 'x'.repeat(64 * 1024) }), 413, `the body exceeds the limit of ${BODY_LIMIT} bytes`],
    ['a sender the route refuses', JSON.stringify({ sender: 'stranger.example.org' }), 403, 'not a partner'],
  ])('refuses %s as the Nest route does: problem+json, the log line, the refusal report, the metric', async (_name, body, status, detail) => {
    const answer = await send(body);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.json).toMatchObject({ status });
    if (detail) expect(answer.json?.['detail']).toBe(detail);
    expect(lines.filter((l) => l['msg'] === 'request refused')).toEqual([expect.objectContaining({ method: 'POST', url: PATH, status, detail: answer.json?.['detail'] })]);
    expect(refused.map((r) => [r.url, r.problem.status])).toEqual([[PATH, status]]);
    expect(await timedStatuses()).toEqual([`exchange-capability/inbound/${status}`]);
  });

  it('a body over the limit is read to its end (its sender can go on using the connection)', async () => {
    for (const size of [1 << 20, 3 << 20, 8 << 20]) expect((await send(Buffer.alloc(size, 0x20))).status).toBe(413);
    expect((await send(JSON.stringify({ sender: 'peer.example.org' }))).status).toBe(200);
  });

  it('a declared content-length over the limit is refused before any byte is read', async () => {
    const body = JSON.stringify({ padding: 'x'.repeat(4096) });
    expect((await send(body, { 'content-length': Buffer.byteLength(body) })).status).toBe(413);
    expect(seen).toEqual([]);
  });

  it('a fault of ours is a 500 SYSTEM_FAILURE logged with its stack, not a refusal', async () => {
    const answer = await send(JSON.stringify({ sender: 'bug.example.org' }));
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ cause: 'SYSTEM_FAILURE' });
    expect(lines.filter((l) => l['msg'] === 'request failed')).toHaveLength(1);
    expect(refused).toEqual([]);
  });

  it.each([
    ['another method', { ':method': 'PUT' }],
    ['a query string', { ':path': `${PATH}?x=1` }],
    ['another path', { ':path': N32C_PATHS.exchangeParams }],
    ['another media type', { 'content-type': 'text/plain' }],
    ['no media type', { 'content-type': undefined }],
    ['an expect header', { expect: '100-continue' }],
  ])('leaves %s to Nest', async (_name, headers) => {
    const answer = await send('{}', headers);
    expect(answer.status).toBe(404);
    expect(answer.headers['x-taken-by']).toBe('fallback');
    expect(seen).toEqual([]);
  });
});
