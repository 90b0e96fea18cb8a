import { once } from 'node:events';
import { constants, type ClientHttp2Session, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import { exchangeBuffered, readBody, RequestNotProcessed, respondWhole } from './buffered';
import { respondWithProblem } from './raw-problem';
import { loopbackH2, type LoopbackH2 } from '../testing/loopback-h2.spec-support';

/** exchangeBuffered against a real HTTP/2 server on loopback whose behaviour each test sets. */
describe('exchangeBuffered: a request the upstream did not process is a RequestNotProcessed (RFC 9113 §8.7)', () => {
  const options = { timeoutMs: 5_000, limit: 1 << 20, failure: N32ErrorCode.N32_CONNECTION_LOST };
  const headers = { ':method': 'POST', ':path': '/n32f-forward/v1/n32f-process', 'content-type': 'application/json' };
  let loopback: LoopbackH2;
  let client: ClientHttp2Session;
  let handler: (stream: ServerHttp2Stream, session: ServerHttp2Session) => void;

  beforeEach(async () => {
    loopback = await loopbackH2((stream) => handler(stream, stream.session as ServerHttp2Session));
    client = loopback.client;
  });

  afterEach(() => loopback.close());

  it('a refused stream (REFUSED_STREAM)', async () => {
    handler = (stream) => stream.close(constants.NGHTTP2_REFUSED_STREAM);
    const failure = await exchangeBuffered(client, headers, Buffer.from('{}'), options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestNotProcessed);
    expect(failure).toMatchObject({ code: N32ErrorCode.N32_CONNECTION_LOST, detail: 'the upstream refused the stream before answering' });
  });

  it('a session that got GOAWAY before the request: nothing is sent', async () => {
    let streams = 0;
    handler = () => (streams += 1);
    loopback.server.on('session', (session: ServerHttp2Session) => session.close());
    await once(client, 'goaway');
    const failure = await exchangeBuffered(client, headers, Buffer.from('{}'), options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RequestNotProcessed);
    expect(streams).toBe(0);
  });

  it('a stream reset otherwise (the upstream may have processed it) is a plain N32Error', async () => {
    handler = (stream) => stream.once('data', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    const failure = await exchangeBuffered(client, headers, Buffer.from('{}'), options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(N32Error);
    expect(failure).not.toBeInstanceOf(RequestNotProcessed);
  });

  it('a stream reset after its answer started: a failure, not a cut answer, and not retryable', async () => {
    handler = (stream) => {
      stream.respond({ ':status': 200 });
      stream.write('{"par');
      // destroy: RST_STREAM at once (close() would end the answer first, making it look complete).
      setImmediate(() => stream.destroy(new Error('gone')));
    };
    const failure = await exchangeBuffered(client, headers, Buffer.from('{}'), options).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(N32Error);
    expect(failure).not.toBeInstanceOf(RequestNotProcessed);
  });

  it('our session destroyed while the request waits for its answer (a keepalive that gave the peer up): a failure, never an answer of status 0', async () => {
    handler = () => setImmediate(() => client.destroy());
    const outcome = await exchangeBuffered(client, headers, Buffer.from('{}'), options).then(
      (answer) => answer,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(N32Error);
    expect(outcome).not.toBeInstanceOf(RequestNotProcessed);
    expect(outcome).toMatchObject({ code: N32ErrorCode.N32_CONNECTION_LOST });
  });
});

/** readBody over its limit, answered 413 by respondWithProblem: the sender gets the answer and its stream ends. */
describe('readBody: a body over the limit', () => {
  let loopback: LoopbackH2;

  afterEach(() => loopback.close());

  it('is refused, and the rest of the body is read on and dropped until the stream ends (it is not paused again at every chunk)', async () => {
    const limit = 1024;
    loopback = await loopbackH2((stream) => {
      readBody(stream, limit).then(
        () => stream.close(constants.NGHTTP2_INTERNAL_ERROR),
        (error: unknown) => respondWithProblem(stream, error, limit),
      );
    });
    const client = loopback.client;
    // 1 MiB: far beyond the limit and the stream's flow-control window, so the sender needs the rest read.
    const stream = client.request({ ':method': 'POST', ':path': '/x', 'content-type': 'application/json' });
    stream.on('error', () => undefined);
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.end(Buffer.alloc(1 << 20, 0x20));
    await once(stream, 'close');
    expect(status).toBe(413);
    expect(JSON.parse(Buffer.concat(chunks).toString('utf8'))).toMatchObject({ status: 413 });
  });
});

/**
 * respondWhole after the request was read to its end: Node 20 destroys such a stream as soon as it
 * closes, so an answer sent with end(body) (data and END_STREAM at once) is destroyed before its
 * write completes; the answer must arrive whole and the stream's writable side finish normally.
 */
describe('respondWhole: the answer is written and the stream finishes', () => {
  let loopback: LoopbackH2;

  afterEach(() => loopback.close());

  async function exchange(method: 'GET' | 'POST', requests: number): Promise<{ answers: string[]; finished: number; closed: number }> {
    const answer = Buffer.from(JSON.stringify({ servedBy: 'udm1', pad: 'x'.repeat(3000) }));
    let finished = 0;
    let closed = 0;
    loopback = await loopbackH2((stream) => {
      stream.once('finish', () => (finished += 1));
      stream.once('close', () => (closed += 1));
      void readBody(stream, 1 << 20).then(() => respondWhole(stream, 200, { 'content-type': 'application/json' }, answer));
    });
    const answers = await Promise.all(
      Array.from({ length: requests }, async () => {
        const stream = loopback.client.request({ ':method': method, ':path': '/x' }, { endStream: method === 'GET' });
        if (method === 'POST') stream.end(Buffer.from('{"a":1}'));
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        await once(stream, 'end');
        return Buffer.concat(chunks).toString('utf8');
      }),
    );
    // The server side closes its streams on its own schedule: wait until all have.
    while (closed < requests) await new Promise((resolve) => setImmediate(resolve));
    return { answers, finished, closed };
  }

  it('after a POST body read to its end (fails with end(body): no stream emits finish)', async () => {
    const { answers, finished } = await exchange('POST', 50);
    expect(answers.every((text) => JSON.parse(text).servedBy === 'udm1' && text.length > 3000)).toBe(true);
    expect(finished).toBe(50);
  });

  it('after a GET (the request is not read): end(body) as before', async () => {
    const { answers, finished } = await exchange('GET', 50);
    expect(answers.every((text) => JSON.parse(text).servedBy === 'udm1')).toBe(true);
    expect(finished).toBe(50);
  });
});
