import { once } from 'node:events';
import { Duplex } from 'node:stream';
import { connect, constants, createServer, type ClientHttp2Session, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { N32Error, N32ErrorCode } from '@sepp/protocol';
import { MAX_STREAM_ID } from '../stream-ids';
import { setNextStreamID } from '../testing/loopback-h2.spec-support';
import { forwardStream, type ForwardOutcome } from './forward-stream';
import { respondWithProblem } from './raw-problem';

/**
 * forwardStream over real HTTP/2 sessions on loopback: an NF client -> a relay that forwards every
 * stream with forwardStream -> an upstream server whose behaviour each test sets.
 */
interface Rig {
  readonly nf: ClientHttp2Session;
  readonly relayStreams: ServerHttp2Stream[];
  readonly upstreamStreams: ServerHttp2Stream[];
  readonly outcomes: ForwardOutcome[];
  /** Bytes the relay has read from the NF's connection. */
  relayBytesRead(): number;
  close(): Promise<void>;
}

/** Listens on loopback; `server.close()` then also ends the sessions still open. */
async function listen(server: Http2Server): Promise<number> {
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const close = server.close.bind(server);
  server.close = (callback?: (error?: Error) => void) => {
    for (const session of sessions) session.destroy();
    return close(callback);
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function rig(upstreamHandler: (stream: ServerHttp2Stream) => void, bodyLimit = 1 << 20): Promise<Rig> {
  const upstreamStreams: ServerHttp2Stream[] = [];
  const upstreamServer = createServer();
  upstreamServer.on('stream', (stream) => {
    upstreamStreams.push(stream);
    upstreamHandler(stream);
  });
  const upstream = connect(`http://127.0.0.1:${await listen(upstreamServer)}`);
  const relayStreams: ServerHttp2Stream[] = [];
  const outcomes: ForwardOutcome[] = [];
  const relay = createServer();
  let relaySocket: { bytesRead: number } | undefined;
  relay.on('session', (session: ServerHttp2Session) => (relaySocket = session.socket));
  relay.on('stream', (stream, headers) => {
    relayStreams.push(stream);
    const out = { ':method': headers[':method'], ':path': headers[':path'], 'content-type': headers['content-type'] };
    forwardStream(stream, upstream, out, { timeoutMs: 5_000, bodyLimit, upstreamFailure: N32ErrorCode.N32_CONNECTION_LOST, onDone: (o) => outcomes.push(o) });
  });
  const nf = connect(`http://127.0.0.1:${await listen(relay)}`);
  return {
    nf,
    relayStreams,
    upstreamStreams,
    outcomes,
    relayBytesRead: () => relaySocket?.bytesRead ?? 0,
    async close() {
      nf.destroy();
      upstream.destroy();
      await Promise.all([new Promise((r) => relay.close(r)), new Promise((r) => upstreamServer.close(r))]);
    },
  };
}

interface NfResult {
  readonly status: number | undefined;
  readonly body: string;
  readonly ended: boolean;
  readonly rstCode: number | undefined;
}

/**
 * Sends a request with `body` written in `chunks` pieces (`gapMs` apart), collects the answer until
 * the stream closes, starting to read it `readAfterMs` after the request.
 */
function send(nf: ClientHttp2Session, body: string, chunks = 1, gapMs = 0, readAfterMs = 0): Promise<NfResult> {
  return new Promise((resolve) => {
    const stream = nf.request({ ':method': 'POST', ':path': '/nudm-sdm/v2/x', 'content-type': 'text/plain' });
    let status: number | undefined;
    let ended = false;
    const parts: Buffer[] = [];
    stream.on('response', (headers) => (status = Number(headers[':status'])));
    const read = (): void =>
      void stream.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        if (readAfterMs <= 0) return;
        // A slow reader: a pause after every chunk.
        stream.pause();
        setTimeout(() => stream.resume(), 2);
      });
    if (readAfterMs > 0) setTimeout(read, readAfterMs);
    else read();
    stream.on('end', () => (ended = true));
    stream.on('error', () => undefined);
    stream.on('close', () => resolve({ status, body: Buffer.concat(parts).toString(), ended, rstCode: stream.rstCode }));
    const size = Math.ceil(body.length / chunks);
    let i = 0;
    const next = (): void => {
      if (stream.closed || stream.destroyed) return;
      const piece = body.slice(i * size, (i + 1) * size);
      i += 1;
      if (i >= chunks) stream.end(piece);
      else {
        stream.write(piece);
        setTimeout(next, gapMs);
      }
    };
    next();
  });
}

/** Resolves once every stream has closed. */
async function allClosed(streams: readonly ServerHttp2Stream[]): Promise<void> {
  await Promise.all(streams.filter((s) => !s.destroyed).map((s) => once(s, 'close')));
}

/** Waits for `promise`, failing after `ms` with what is still open. */
async function within<T>(ms: number, promise: Promise<T>, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const PROBLEM = JSON.stringify({ title: 'Forbidden', status: 403, detail: 'refused before the body was read' });
const BIG_ANSWER = 'z'.repeat(300_000);
const answerAtOnce = (stream: ServerHttp2Stream): void => {
  stream.respond({ ':status': 403, 'content-type': 'application/problem+json' });
  stream.end(PROBLEM);
};

describe('forwardStream: an answer that comes before the whole request body (RFC 9113 §8.1)', () => {
  it('relays the complete answer, then reads and drops the rest of each request body: no stream left half-open waiting for flow-control credit', async () => {
    const r = await rig(answerAtOnce);
    try {
      // Bodies beyond the 64 KiB stream window: without the reset the sender waits for credit forever.
      const body = 'a'.repeat(100_000);
      const results = await within(
        4_000,
        Promise.all(Array.from({ length: 12 }, () => send(r.nf, body))),
        () => `${r.relayStreams.filter((s) => !s.closed).length} of ${r.relayStreams.length} relay streams still open`,
      );
      for (const result of results) expect(result).toEqual({ status: 403, body: PROBLEM, ended: true, rstCode: constants.NGHTTP2_NO_ERROR });
      expect(r.outcomes).toEqual(Array.from({ length: 12 }, () => ({ kind: 'answered', status: 403 })));
      await within(2_000, allClosed(r.relayStreams), () => 'relay streams not closed');
    } finally {
      await r.close();
    }
  });

  it('relays the whole answer when the upstream resets with NO_ERROR while a slow reader holds the answer back and body chunks are still arriving', async () => {
    // A large answer read slowly: the upstream's reset often arrives while the rest of the answer waits in the relay.
    const r = await rig((stream) => {
      stream.respond({ ':status': 403, 'content-type': 'text/plain' });
      stream.end(BIG_ANSWER);
    });
    try {
      const results = await within(
        4_000,
        Promise.all(Array.from({ length: 4 }, () => send(r.nf, 'b'.repeat(40_000), 40, 5, 60))),
        () => `${r.relayStreams.filter((s) => !s.closed).length} relay streams still open`,
      );
      for (const result of results) expect(result).toEqual({ status: 403, body: BIG_ANSWER, ended: true, rstCode: constants.NGHTTP2_NO_ERROR });
      expect(r.outcomes.every((o) => o.kind === 'answered')).toBe(true);
    } finally {
      await r.close();
    }
  });

  it('an upstream that answered but keeps its side open gets a CANCEL for the request it no longer reads', async () => {
    // Answers after the first chunk, then neither reads nor resets: the relay must not leave that stream open.
    const r = await rig((stream) => {
      stream.once('data', () => {
        stream.pause();
        answerAtOnce(stream);
      });
    });
    try {
      const result = await within(5_000, send(r.nf, 'c'.repeat(100_000), 10, 5), () => 'the NF request is still open');
      expect(result).toMatchObject({ status: 403, body: PROBLEM, ended: true });
      const [upstream] = r.upstreamStreams;
      if (!upstream) throw new Error('the request never reached the upstream');
      if (!upstream.closed) await within(2_000, once(upstream, 'close'), () => 'the upstream stream is still open');
      expect(upstream.rstCode).toBe(constants.NGHTTP2_CANCEL);
    } finally {
      await r.close();
    }
  });

  it('drops at most limits.bodyLimit more bytes, then ends the request with RST_STREAM(NO_ERROR) after the answer', async () => {
    const r = await rig(answerAtOnce, 20_000);
    try {
      const results = await within(4_000, Promise.all(Array.from({ length: 4 }, () => send(r.nf, 'e'.repeat(200_000), 40, 1))), () => 'NF requests still open');
      for (const result of results) expect(result).toMatchObject({ status: 403, body: PROBLEM, ended: true });
      await within(2_000, allClosed(r.relayStreams), () => 'relay streams not closed');
      // Each sender was stopped well before its 200 kB: the relay read far less than the 800 kB sent in full.
      expect(r.relayStreams.every((s) => s.rstCode === constants.NGHTTP2_NO_ERROR)).toBe(true);
      expect(r.relayBytesRead()).toBeLessThan(400_000);
    } finally {
      await r.close();
    }
  });

  it('a request whose body was read completely before the answer ends normally (no reset)', async () => {
    const r = await rig((stream) => {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => parts.push(chunk));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain' });
        stream.end(`got ${Buffer.concat(parts).length}`);
      });
    });
    try {
      const results = await Promise.all(Array.from({ length: 8 }, () => send(r.nf, 'd'.repeat(100_000), 4, 1)));
      for (const result of results) expect(result).toEqual({ status: 200, body: 'got 100000', ended: true, rstCode: constants.NGHTTP2_NO_ERROR });
      expect(r.upstreamStreams.every((s) => s.rstCode === constants.NGHTTP2_NO_ERROR)).toBe(true);
    } finally {
      await r.close();
    }
  });
});

describe('respondWithProblem before the request body was read', () => {
  it('reads and drops the rest of the body, so the sender finishes its request rather than being reset', async () => {
    const server = createServer();
    const streams: ServerHttp2Stream[] = [];
    let socket: { bytesRead: number } | undefined;
    server.on('session', (session: ServerHttp2Session) => (socket = session.socket));
    server.on('stream', (stream) => {
      streams.push(stream);
      respondWithProblem(stream, new N32Error(N32ErrorCode.TARGET_NOT_ALLOWED, 'refused at the headers'), 1 << 20);
    });
    const nf = connect(`http://127.0.0.1:${await listen(server)}`);
    try {
      const results = await within(4_000, Promise.all(Array.from({ length: 4 }, () => send(nf, 'f'.repeat(200_000), 20, 1))), () => 'requests still open');
      for (const result of results) expect(result).toMatchObject({ status: 403, ended: true, rstCode: constants.NGHTTP2_NO_ERROR });
      await within(2_000, allClosed(streams), () => 'server streams not closed');
      // All four bodies crossed: none was cut by a reset.
      expect(socket?.bytesRead).toBeGreaterThan(800_000);
    } finally {
      nf.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('forwardStream: a request the upstream did not process goes out again (RFC 9113 §8.7)', () => {
  /** An upstream server on loopback and a client session to it. */
  async function upstreamOf(handler: (stream: ServerHttp2Stream) => void): Promise<{ server: Http2Server; session: ClientHttp2Session; streams: ServerHttp2Stream[] }> {
    const streams: ServerHttp2Stream[] = [];
    const server = createServer();
    server.on('stream', (stream) => {
      streams.push(stream);
      handler(stream);
    });
    const session = connect(`http://127.0.0.1:${await listen(server)}`);
    session.on('error', () => undefined);
    return { server, session, streams };
  }

  /** Reads the whole body, then answers 200 with its length and its text. */
  const echo = (stream: ServerHttp2Stream): void => {
    const parts: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end(`${Buffer.concat(parts).length}:${Buffer.concat(parts).toString()}`);
    });
  };
  /** Refuses the stream once part of its body has come (REFUSED_STREAM: not processed). */
  const refuseAfterFirstChunk = (stream: ServerHttp2Stream): void => {
    stream.on('error', () => undefined);
    stream.once('data', () => stream.close(constants.NGHTTP2_REFUSED_STREAM));
  };

  async function relayTo(first: ClientHttp2Session, options: { reroute?: () => Promise<ClientHttp2Session> }): Promise<{ nf: ClientHttp2Session; outcomes: ForwardOutcome[]; close: () => Promise<void> }> {
    const outcomes: ForwardOutcome[] = [];
    const relay = createServer();
    relay.on('stream', (stream, headers) => {
      const out = { ':method': headers[':method'], ':path': headers[':path'], 'content-type': headers['content-type'] };
      forwardStream(stream, first, out, { timeoutMs: 5_000, bodyLimit: 1 << 20, upstreamFailure: N32ErrorCode.N32_CONNECTION_LOST, onDone: (o) => outcomes.push(o), ...options });
    });
    const nf = connect(`http://127.0.0.1:${await listen(relay)}`);
    return {
      nf,
      outcomes,
      close: async () => {
        nf.destroy();
        await new Promise((r) => relay.close(r));
      },
    };
  }

  async function closeAll(...servers: { server: Http2Server; session: ClientHttp2Session }[]): Promise<void> {
    for (const { session } of servers) session.destroy();
    await Promise.all(servers.map(({ server }) => new Promise((r) => server.close(r))));
  }

  it('a stream refused after part of the body was sent: the whole body goes out again on the session reroute gives, and the NF gets that answer', async () => {
    const refusing = await upstreamOf(refuseAfterFirstChunk);
    const serving = await upstreamOf(echo);
    let reroutes = 0;
    const relay = await relayTo(refusing.session, { reroute: () => Promise.resolve((reroutes++, serving.session)) });
    try {
      const body = Array.from({ length: 2_000 }, (_, i) => `${i};`).join('');
      const results = await within(5_000, Promise.all(Array.from({ length: 4 }, () => send(relay.nf, body, 8, 2))), () => 'NF requests still open');
      for (const result of results) expect(result).toEqual({ status: 200, body: `${body.length}:${body}`, ended: true, rstCode: constants.NGHTTP2_NO_ERROR });
      expect(reroutes).toBe(4);
      expect(refusing.streams.map((s) => s.rstCode)).toEqual(Array.from({ length: 4 }, () => constants.NGHTTP2_REFUSED_STREAM));
      expect(relay.outcomes).toEqual(Array.from({ length: 4 }, () => ({ kind: 'answered', status: 200 })));
    } finally {
      await relay.close();
      await closeAll(refusing, serving);
    }
  });

  it('a session that got GOAWAY before the request (nothing sent on it): the request goes out on the session reroute gives', async () => {
    const going = await upstreamOf(echo);
    going.server.on('session', (session: ServerHttp2Session) => session.close());
    await once(going.session, 'goaway');
    const serving = await upstreamOf(echo);
    const relay = await relayTo(going.session, { reroute: () => Promise.resolve(serving.session) });
    try {
      expect(await within(5_000, send(relay.nf, 'hello'), () => 'NF request still open')).toEqual({ status: 200, body: '5:hello', ended: true, rstCode: constants.NGHTTP2_NO_ERROR });
      expect(going.streams).toHaveLength(0);
    } finally {
      await relay.close();
      await closeAll(going, serving);
    }
  });

  it('a session out of stream IDs (ERR_HTTP2_OUT_OF_STREAMS, on the stream): the request goes out on the session reroute gives, and the used-up session is retired', async () => {
    const ending = await upstreamOf(echo);
    const serving = await upstreamOf(echo);
    await once(ending.session, 'connect');
    // One stream ID left: the first request takes it, the second one has none.
    setNextStreamID(ending.session, MAX_STREAM_ID);
    const closed = once(ending.session, 'close');
    const relay = await relayTo(ending.session, { reroute: () => Promise.resolve(serving.session) });
    try {
      const results = await within(5_000, Promise.all([send(relay.nf, 'one'), send(relay.nf, 'two')]), () => 'NF requests still open');
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      expect(results.map((r) => r.body).sort()).toEqual(['3:one', '3:two']);
      expect(ending.streams).toHaveLength(1);
      expect(serving.streams).toHaveLength(1);
      await within(5_000, closed, () => 'the used-up session is still open');
    } finally {
      await relay.close();
      await closeAll(ending, serving);
    }
  });

  it('refused again and again: after two more attempts the NF gets the 502; without reroute at once', async () => {
    const refusing = await upstreamOf(refuseAfterFirstChunk);
    const relay = await relayTo(refusing.session, { reroute: () => Promise.resolve(refusing.session) });
    const plain = await relayTo(refusing.session, {});
    try {
      const [rerouted, unrerouted] = await within(5_000, Promise.all([send(relay.nf, 'x'.repeat(1_000)), send(plain.nf, 'y'.repeat(1_000))]), () => 'NF requests still open');
      for (const result of [rerouted, unrerouted]) {
        expect(result).toMatchObject({ status: 502, ended: true });
        expect(JSON.parse(result.body)).toMatchObject({ cause: 'N32_CONNECTION_LOST', detail: 'the upstream refused the stream before answering' });
      }
      expect(refusing.streams).toHaveLength(4);
      expect(relay.outcomes).toEqual([{ kind: 'refused', status: 502, code: N32ErrorCode.N32_CONNECTION_LOST, cause: 'N32_CONNECTION_LOST', detail: 'the upstream refused the stream before answering' }]);
    } finally {
      await relay.close();
      await plain.close();
      await closeAll(refusing);
    }
  });
});

describe('forwardStream: the upstream fails after its answer started', () => {
  it.each([
    // destroy(error) sends RST_STREAM(INTERNAL_ERROR) alone; close(code) would end the answer (END_STREAM) first.
    ['resets the stream (INTERNAL_ERROR)', (stream: ServerHttp2Stream) => stream.destroy(new Error('the producer failed'))],
    ['goes away with its session', (stream: ServerHttp2Stream) => stream.session?.destroy()],
  ])('an upstream that %s mid-answer: the NF stream is reset, never left open or ended as if complete', async (_name, fail) => {
    const r = await rig((stream) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.write('{"partial":');
      setTimeout(() => fail(stream), 20);
    });
    try {
      const result = await within(4_000, send(r.nf, 'x'), () => 'the NF stream is still open');
      expect(result).toMatchObject({ status: 200, body: '{"partial":', ended: false, rstCode: constants.NGHTTP2_INTERNAL_ERROR });
      expect(r.outcomes).toEqual([{ kind: 'abandoned', by: 'upstream', detail: expect.stringMatching(/after the answer started/) }]);
    } finally {
      await r.close();
    }
  });
});

/**
 * An upstream stream whose events the test orders itself. Node's real streams cannot be held in
 * the state below long enough (the relay drains the answer within a few event-loop turns), so
 * this one does what Node's http2 core does when RST_STREAM(NO_ERROR) arrives on a client stream
 * whose request side is still open (`closeStream` in lib/internal/http2/core.js): `rstCode` set,
 * `aborted` emitted, the writable side ended, its shutdown completing later (a ShutdownWrap in
 * C++, so `finish` comes an event-loop turn after); the readable side ends only once what was
 * received of the answer has been read.
 */
class ScriptedUpstream extends Duplex {
  rstCode: number | undefined;
  readonly endAfterHeaders = false;
  readonly written: Buffer[] = [];
  private wrote: () => void = () => undefined;

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.written.push(chunk);
    this.wrote();
    callback();
  }

  override _read(): void {}

  private shutdown: (() => void) | undefined;

  override _final(callback: () => void): void {
    this.shutdown = callback;
  }

  /** The writable side's shutdown completes (`finish`). */
  shutdownDone(): void {
    this.shutdown?.();
  }

  /** Resolves once `count` body chunks have been written to this stream. */
  chunks(count: number): Promise<void> {
    if (this.written.length >= count) return Promise.resolve();
    return new Promise((resolve) => {
      this.wrote = () => {
        if (this.written.length >= count) resolve();
      };
    });
  }

  resetNoError(): void {
    this.rstCode = constants.NGHTTP2_NO_ERROR;
    this.emit('aborted');
    this.end();
  }
}

describe('forwardStream: a body chunk that arrives after the upstream reset with NO_ERROR, before the answer is through', () => {
  it('is dropped, not written to the ended upstream stream: the NF gets the whole answer', async () => {
    const upstream = new ScriptedUpstream();
    const session = { request: () => upstream } as unknown as ClientHttp2Session;
    const outcomes: ForwardOutcome[] = [];
    const relay = createServer();
    relay.on('stream', (stream, headers) => {
      forwardStream(stream, session, { ':method': headers[':method'], ':path': headers[':path'] }, { timeoutMs: 5_000, bodyLimit: 1 << 20, upstreamFailure: N32ErrorCode.N32_CONNECTION_LOST, onDone: (o) => outcomes.push(o) });
    });
    const nf = connect(`http://127.0.0.1:${await listen(relay)}`);
    try {
      const request = nf.request({ ':method': 'POST', ':path': '/nudm-sdm/v2/x', 'content-type': 'text/plain' });
      const parts: Buffer[] = [];
      let status: number | undefined;
      request.on('response', (headers) => (status = Number(headers[':status'])));
      request.on('data', (chunk: Buffer) => parts.push(chunk));
      request.on('error', () => undefined);
      const closed = new Promise((resolve) => request.on('close', resolve));
      request.write('f'.repeat(1_000));
      await within(4_000, upstream.chunks(1), () => 'the first body chunk never reached the upstream');
      upstream.emit('response', { ':status': 403, 'content-type': 'text/plain' });
      upstream.push('y'.repeat(100));
      upstream.resetNoError();
      // Another body chunk now, the answer not complete yet. Once the NF has handed it to its
      // session, a PING sent after it comes back only when the relay has received it.
      request.end('g'.repeat(1_000));
      await within(4_000, once(request, 'finish'), () => 'the NF never sent the second body chunk');
      await new Promise<void>((resolve, reject) => nf.ping((error) => (error ? reject(error) : resolve())));
      await new Promise((resolve) => setImmediate(resolve));
      upstream.shutdownDone();
      upstream.push('z'.repeat(100));
      upstream.push(null);
      await within(4_000, closed, () => 'the NF stream is still open');
      expect({ status, body: Buffer.concat(parts).toString(), rstCode: request.rstCode }).toEqual({ status: 403, body: 'y'.repeat(100) + 'z'.repeat(100), rstCode: constants.NGHTTP2_NO_ERROR });
      expect(outcomes).toEqual([{ kind: 'answered', status: 403 }]);
      expect(upstream.written.map((chunk) => chunk.length)).toEqual([1_000]);
    } finally {
      nf.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });
});
