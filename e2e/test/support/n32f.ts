import { connect, constants, type ClientHttp2Session, type Http2Server, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { createRequire } from 'node:module';
import { startProducer, type Producer, type ProducerStats } from '@sepp/infra/dist/nf/producer';
import { createPkiAB, initiatorYaml, responderYaml, type SeppYaml } from './configs';
import type { CertFiles, TestPki } from './pki';
import { parseJson } from './h2-client';
import type { SeppProcess } from './sepp-process';
import { waitFor } from './wait-for';

/** The producer NF of PLMN 001/01 the tests reach through the SEPP pair. */
export const UDM1_FQDN = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
export const TARGET_HEADER = '3gpp-sbi-target-apiroot';

/** `http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:<port>`: the producer's apiRoot. */
export const udmApiRoot = (port: number, fqdn = UDM1_FQDN): string => `http://${fqdn}:${port}`;

const realHttp2 = createRequire(__filename)('node:http2') as typeof import('node:http2');
/** The real `createServer`, whatever a hook in progress has put in its place. */
const createServer = realHttp2.createServer;
let startingProducers: Promise<void> = Promise.resolve();

/** One HTTP/2 stream as the producer's server saw it (every stream, even those it never answered). */
export interface SeenRequest {
  readonly headers: IncomingHttpHeaders;
  /** Body bytes received so far. */
  bytes: number;
  readonly chunks: Buffer[];
  /** The request ended with END_STREAM: a complete request. */
  ended: boolean;
  /**
   * The stream was reset before the request was complete. (Node still emits 'end' on a stream
   * reset with CANCEL, with `aborted` set, and the demo producer answers on 'end' without looking
   * at `aborted`: its stats count such streams too.)
   */
  reset: boolean;
  /** The client port of the connection it came on (tells a SEPP's connection from a test's). */
  readonly remotePort: number | undefined;
}

/**
 * The demo producer NF (infra/src/nf/producer.ts) in the test process, with a tap on its HTTP/2
 * server: every stream that arrives is recorded (headers with pseudo-headers, body bytes, whether
 * it ended or was reset), so a test can say exactly what reached the NF, including requests the
 * producer never got to answer.
 */
export class TappedProducer {
  readonly seen: SeenRequest[] = [];
  sessions = 0;

  private constructor(readonly producer: Producer) {}

  static start(name = 'udm1'): Promise<TappedProducer> {
    // One at a time: the server is caught through a module-wide hook.
    const started = startingProducers.then(() => TappedProducer.startOne(name));
    startingProducers = started.then(
      () => undefined,
      () => undefined,
    );
    return started;
  }

  private static async startOne(name: string): Promise<TappedProducer> {
    // The producer does not expose its server: catch it as it is created (on the real module
    // object, which the producer's compiled code reads through live bindings).
    let server: Http2Server | undefined;
    realHttp2.createServer = ((...args: Parameters<typeof createServer>) => {
      server = (createServer as (...a: unknown[]) => Http2Server).apply(realHttp2, args);
      return server;
    }) as typeof createServer;
    let producer: Producer;
    try {
      producer = await startProducer({ host: '127.0.0.1', port: 0, name });
    } finally {
      realHttp2.createServer = createServer;
    }
    const address = server?.address();
    if (!server || typeof address !== 'object' || address?.port !== producer.port) {
      await producer.close();
      throw new Error('could not attach to the producer server (it is no longer created through node:http2 createServer)');
    }
    const tapped = new TappedProducer(producer);
    server.on('session', () => (tapped.sessions += 1));
    server.on('stream', (stream, headers) => {
      const seen: SeenRequest = { headers, bytes: 0, chunks: [], ended: false, reset: false, remotePort: stream.session?.socket.remotePort };
      tapped.seen.push(seen);
      stream.on('data', (chunk: Buffer) => {
        seen.bytes += chunk.length;
        seen.chunks.push(chunk);
      });
      stream.on('aborted', () => (seen.reset = true));
      stream.on('end', () => {
        if (stream.aborted) seen.reset = true;
        else seen.ended = true;
      });
      stream.on('close', () => {
        if (!seen.ended) seen.reset = true;
      });
    });
    return tapped;
  }

  get port(): number {
    return this.producer.port;
  }

  get apiRoot(): string {
    return udmApiRoot(this.port, `${this.producer.name}.5gc.mnc001.mcc001.3gppnetwork.org`);
  }

  stats(): ProducerStats {
    return this.producer.stats();
  }

  /** Streams whose `:path` is `path` (query included). */
  byPath(path: string): SeenRequest[] {
    return this.seen.filter((s) => s.headers[':path'] === path);
  }

  body(seen: SeenRequest): Buffer {
    return Buffer.concat(seen.chunks);
  }

  close(): Promise<void> {
    return this.producer.close();
  }
}

export interface NfRequest {
  method?: string;
  /** Path and query. */
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** The test fails the request (rejects) when no complete answer came within this. */
  timeoutMs?: number;
}

export interface NfAnswer {
  status: number;
  /** Response headers without pseudo-headers. */
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: unknown;
  /** ms from sending to the end of the answer. */
  ms: number;
  /** `performance.now()` at the end of the answer. */
  endedAt: number;
}

/** An HTTP/2 cleartext (h2c) client, as a consumer NF talks to its SEPP (or to a producer directly). */
export class NfClient {
  private constructor(
    readonly session: ClientHttp2Session,
    readonly origin: string,
  ) {
    session.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<NfClient> {
    return new Promise((resolve, reject) => {
      const origin = `http://${host}:${port}`;
      const session = connect(origin);
      session.once('error', reject);
      session.once('connect', () => {
        session.off('error', reject);
        resolve(new NfClient(session, origin));
      });
    });
  }

  /**
   * One request; resolves with the complete answer. Rejects when the stream fails or is reset (an
   * answer that is not an HTTP answer), or after `timeoutMs` (a hang).
   */
  request({ method = 'GET', path, headers = {}, body, timeoutMs = 15_000 }: NfRequest): Promise<NfAnswer> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${method} ${path}: ${why}`));
      };
      const stream = this.session.request({ ':method': method, ':path': path, ...headers }, { endStream: body === undefined });
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        fail(`no complete answer within ${timeoutMs} ms`);
        stream.close(constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      stream.on('response', (h) => (responseHeaders = h));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => fail(`stream failed: ${error.message}`));
      stream.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const { ':status': status, ...rest } = responseHeaders;
        const raw = Buffer.concat(chunks);
        const text = raw.toString('utf8');
        const endedAt = performance.now();
        resolve({ status: Number(status), headers: rest, body: raw, text, json: parseJson(text), ms: endedAt - started, endedAt });
      });
      // A reset (or a session that went away) before the end of the answer is never an answer.
      stream.on('close', () => fail(`stream closed (code ${stream.rstCode}) before a complete answer`));
      if (body !== undefined) stream.end(body);
    });
  }

  /** Our port of the connection (what the server sees as the remote port). */
  get localPort(): number | undefined {
    return this.session.socket.localPort;
  }

  close(): void {
    this.session.destroy();
  }
}

/** A ProblemDetails answer of any status (4xx or 5xx): content type, body status = HTTP status, a cause. */
export function expectProblemAnswer(answer: Pick<NfAnswer, 'status' | 'headers' | 'text' | 'json'>, status: number, cause?: string): { status: number; cause: string; detail?: string; title?: string } {
  const context = `HTTP ${answer.status} ${String(answer.headers['content-type'])} ${answer.text.slice(0, 500)}`;
  if (answer.status !== status) throw new Error(`expected status ${status}, got ${context}`);
  expect(String(answer.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = answer.json as { status: number; cause: string; detail?: string; title?: string };
  if (!body || typeof body !== 'object') throw new Error(`not a JSON object: ${context}`);
  expect(body.status).toBe(status);
  expect(typeof body.cause).toBe('string');
  if (cause !== undefined) expect({ cause: body.cause, context }).toEqual({ cause, context });
  return body;
}

/**
 * Concurrent answers to one peer past its rate budget: the ones it handled are problems of
 * `status` (bad requests that change nothing), the rest 429 NF_CONGESTION_RISK with `detail` and a
 * retry-after of a second or more. Returns both, for the counts.
 */
export function splitByBudget<T extends Pick<NfAnswer, 'status' | 'headers' | 'text' | 'json'>>(answers: readonly T[], status: number, detail: string): { handled: T[]; limited: T[] } {
  const limited = answers.filter((a) => a.status === 429);
  const handled = answers.filter((a) => a.status !== 429);
  for (const answer of handled) expectProblemAnswer(answer, status);
  for (const answer of limited) {
    expect(expectProblemAnswer(answer, 429, 'NF_CONGESTION_RISK').detail).toBe(detail);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  }
  return { handled, limited };
}

/** Headers of an answer without `date` (which differs between two answers of the same bytes). */
export function withoutDate(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { date: _date, ...rest } = headers;
  return rest;
}

export interface ConnectionView {
  id: number;
  listener: string;
  remoteAddress: string;
  remotePort: number;
  certificate: string[];
  peer: string | null;
  n32cRequests: number;
  n32fRequests: number;
  since: string;
}

/** The responder's `GET /admin/connections`. */
export async function connections(responder: SeppProcess): Promise<ConnectionView[]> {
  const answer = await responder.admin<{ connections: ConnectionView[] }>('/admin/connections');
  if (answer.status !== 200) throw new Error(`/admin/connections: ${answer.status}`);
  return answer.body.connections;
}

export interface PairOptions {
  /** The responder's `sbi.allowedTargets` (default: the producer's apiRoot). */
  allowedTargets?: string[];
  /** The responder's `sbi.hosts` in addition to the producer's FQDN. */
  hosts?: Record<string, string>;
  responderN32f?: Record<string, unknown>;
  initiatorN32f?: Record<string, unknown>;
  responderN32?: Parameters<typeof responderYaml>[2];
  initiatorN32?: Parameters<typeof initiatorYaml>[3];
}

/** The responder (PLMN 001/01) forwarding to the producer `udm1` at `producerPort`. */
export function n32fResponderYaml(cert: CertFiles, pki: TestPki, producerPort: number, options: PairOptions = {}): SeppYaml {
  const yaml = responderYaml(cert, pki, options.responderN32);
  yaml.sbi = {
    allowedTargets: options.allowedTargets ?? [udmApiRoot(producerPort)],
    hosts: { [UDM1_FQDN]: '127.0.0.1', ...options.hosts },
  };
  if (options.responderN32f) yaml.n32f = options.responderN32f;
  return yaml;
}

/** The initiator (PLMN 002/02) with its NF-facing listener on a free loopback port. */
export function n32fInitiatorYaml(cert: CertFiles, pki: TestPki, responderPort: number, options: PairOptions = {}): SeppYaml {
  const yaml = initiatorYaml(cert, pki, responderPort, options.initiatorN32);
  yaml.sbi = { listen: { host: '127.0.0.1', port: 0 } };
  if (options.initiatorN32f) yaml.n32f = options.initiatorN32f;
  return yaml;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * One NF request that the producer holds 3 s (its `/slow/3000` route); resolves once the request is
 * there, with its answer to come (wrapped, so that awaiting this does not wait for the answer).
 */
export async function holdAtProducer(nf: NfClient, producer: TappedProducer, tag: string): Promise<{ answer: Promise<NfAnswer> }> {
  const path = `/nudm-sdm/v2/slow/3000?held=${tag}`;
  const answer = nf.request({ path, headers: { [TARGET_HEADER]: producer.apiRoot }, timeoutMs: 15_000 });
  await waitFor(`${tag}: held at the producer`, () => producer.byPath(path).length === 1, 10_000);
  return { answer };
}

/** What most suites share: the PKI of PLMNs A and B, and the producer `udm1`. */
export interface PkiAndProducer {
  readonly pki: TestPki;
  readonly certA: CertFiles;
  readonly certB: CertFiles;
  readonly producer: TappedProducer;
}

/**
 * Registers hooks in the suite or `describe` block it is called in: the PKI and the producer are
 * made before its tests and handed to `take`, and the producer is closed after them.
 */
export function withPkiAndProducer(take: (made: PkiAndProducer) => void): void {
  let producer: TappedProducer | undefined;
  beforeAll(async () => {
    const pkiAB = await createPkiAB();
    producer = await TappedProducer.start('udm1');
    take({ ...pkiAB, producer });
  });
  afterAll(async () => {
    await producer?.close();
  });
}
