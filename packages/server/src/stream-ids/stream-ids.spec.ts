import { once } from 'node:events';
import type { ClientHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { N32ErrorCode, parseApiRoot } from '@sepp/protocol';
import { exchangeBuffered, RequestNotProcessed } from '../n32f/buffered';
import { OriginPool } from '../n32f/origin-pool';
import { loopbackH2, setNextStreamID, type LoopbackH2 } from '../testing/loopback-h2.spec-support';
import { isRetiring, MAX_STREAM_ID, RETIRE_FROM_STREAM_ID, requestOn, SESSION_RETIRING, wasNotSent } from './stream-ids';

/**
 * Real HTTP/2 sessions on loopback, moved to the end of their stream IDs with Node's own
 * `setNextStreamID` (a session reaches it after about a billion requests in service).
 */
describe('client sessions at the end of their stream IDs', () => {
  const headers = { ':method': 'GET', ':path': '/x' };
  let loopback: LoopbackH2;
  let held: ServerHttp2Stream[];
  let hold: boolean;

  beforeEach(async () => {
    held = [];
    hold = false;
    loopback = await loopbackH2((stream) => {
      if (hold) held.push(stream);
      else answer(stream);
    });
    await once(loopback.client, 'connect');
  });
  afterEach(() => loopback.close());

  const answer = (stream: ServerHttp2Stream): void => {
    stream.respond({ ':status': 200 });
    stream.end(String(stream.id));
  };
  const statusOf = async (stream: ReturnType<typeof requestOn>): Promise<number> => {
    const [responseHeaders] = (await once(stream, 'response')) as [Record<string, string>];
    stream.resume();
    await once(stream, 'close');
    return Number(responseHeaders[':status']);
  };
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('a stream past RETIRE_FROM_STREAM_ID retires its session: SESSION_RETIRING, then a graceful close (the streams in flight are answered), and a request after it is one not sent', async () => {
    const client = loopback.client;
    const retiring: string[] = [];
    client.on(SESSION_RETIRING, (reason: string) => retiring.push(reason));
    setNextStreamID(client, RETIRE_FROM_STREAM_ID - 4);
    hold = true;
    const below = requestOn(client, headers, { endStream: true });
    await nextTurn();
    expect({ retiring, closed: client.closed }).toEqual({ retiring: [], closed: false });
    const before = requestOn(client, headers, { endStream: true });
    const crossing = requestOn(client, headers, { endStream: true });
    expect([below.id, before.id, crossing.id]).toEqual([RETIRE_FROM_STREAM_ID - 4, RETIRE_FROM_STREAM_ID - 2, RETIRE_FROM_STREAM_ID]);
    // Its owner knows at once (its next request opens a new session)...
    expect({ retiring, isRetiring: isRetiring(client), closed: client.closed }).toEqual({
      retiring: [`its stream IDs are nearly used up (stream ${RETIRE_FROM_STREAM_ID} of ${MAX_STREAM_ID})`],
      isRetiring: true,
      closed: false,
    });
    // ...and requests that had chosen the session already, in the same turn, still go out on it.
    const sameTurn = Array.from({ length: 20 }, () => requestOn(client, headers, { endStream: true }));
    const closed = once(client, 'close');
    await nextTurn();
    expect(client.closed).toBe(true);
    // Nothing new on it: refused before anything is sent, which the callers send elsewhere.
    let thrown: (Error & { code?: string }) | undefined;
    try {
      requestOn(client, headers, { endStream: true });
    } catch (error) {
      thrown = error as Error;
    }
    expect(thrown?.code).toBe('ERR_HTTP2_GOAWAY_SESSION');
    expect(wasNotSent(client, thrown!)).toBe(true);
    // The 23 in flight are answered, then the session closes.
    while (held.length < 23) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const stream of held) answer(stream);
    expect(await Promise.all([below, before, crossing, ...sameTurn].map(statusOf))).toEqual(Array.from({ length: 23 }, () => 200));
    await closed;
    expect(retiring).toHaveLength(1);
  });

  it('a session already past the end (ERR_HTTP2_OUT_OF_STREAMS on the stream): exchangeBuffered reports a request not processed, nothing reached the server, and the session is retired', async () => {
    const client: ClientHttp2Session = loopback.client;
    const options = { timeoutMs: 5_000, limit: 1 << 20, failure: N32ErrorCode.N32_CONNECTION_LOST };
    let served = 0;
    hold = false;
    loopback.server.on('stream', () => (served += 1));
    setNextStreamID(client, MAX_STREAM_ID);
    const closed = once(client, 'close');
    const [last, none] = await Promise.allSettled([exchangeBuffered(client, headers, undefined, options), exchangeBuffered(client, headers, undefined, options)]);
    expect(last).toMatchObject({ status: 'fulfilled', value: { status: 200, body: Buffer.from(String(MAX_STREAM_ID)) } });
    expect(none.status).toBe('rejected');
    expect((none as PromiseRejectedResult).reason).toBeInstanceOf(RequestNotProcessed);
    expect((none as PromiseRejectedResult).reason).toMatchObject({ detail: 'cannot open a stream: ERR_HTTP2_OUT_OF_STREAMS' });
    await closed;
    expect(served).toBe(1);
  });

  it('OriginPool and exchangeBuffered through sessions that each reach the end: every request answered, each session retired in turn and replaced by the pool', async () => {
    const { port } = loopback.server.address() as AddressInfo;
    const retired: string[] = [];
    const pool = new OriginPool({ hosts: { 'udm1.example.org': '127.0.0.1' }, ca: [], onRetired: (origin, reason) => retired.push(`${origin}: ${reason}`) });
    const root = parseApiRoot(`http://udm1.example.org:${port}`)!;
    const sessions = new Set<ClientHttp2Session>();
    const options = { timeoutMs: 5_000, limit: 1 << 20, failure: N32ErrorCode.TARGET_NF_NOT_REACHABLE };
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i += 1) {
        const session = pool.get(root);
        if (!sessions.has(session)) {
          sessions.add(session);
          if (session.connecting) await once(session, 'connect');
          // Three stream IDs left on each new session.
          setNextStreamID(session, MAX_STREAM_ID - 4);
        }
        statuses.push((await exchangeBuffered(session, headers, undefined, options)).status);
        await nextTurn();
      }
      expect(statuses).toEqual(Array.from({ length: 12 }, () => 200));
      // Each session was retired after its first request (already past RETIRE_FROM_STREAM_ID).
      expect(sessions.size).toBe(12);
      expect(retired).toHaveLength(12);
      expect(retired[0]).toBe(`http://udm1.example.org:${port}: its stream IDs are nearly used up (stream ${MAX_STREAM_ID - 4} of ${MAX_STREAM_ID})`);
    } finally {
      pool.close();
    }
    for (const session of sessions) if (!session.destroyed) session.destroy();
  });
});
