import { writeFileSync } from 'node:fs';
import { constants, createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FQDN_A, writeYaml } from './support/configs';
import { IpxPath } from './support/ipx';
import { mapLimit, n32fInitiatorYaml, n32fResponderYaml, NfClient, TARGET_HEADER, udmApiRoot, withPkiAndProducer, type NfAnswer, type TappedProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { PrinsPair } from './support/prins';
import type { AppProcess } from './support/app-process';
import { REPO_ROOT } from './support/paths';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(90_000);

/**
 * HTTP/2 stream IDs only grow, and a client session has about 2^30 of them: a busy N32 connection
 * or NF session uses them up in days. Node then fails every new request on that session
 * (ERR_HTTP2_OUT_OF_STREAMS) and keeps the session open. The apps retire a session shortly before
 * (at RETIRE_FROM_STREAM_ID, packages/server/src/stream-ids; its unit spec shows the failure at the
 * very end). To get there without a billion requests, a preload (NODE_OPTIONS=--require) moves
 * every client session the apps open, as soon as it connects, to LEFT requests before that point
 * with Node's own `setNextStreamID`.
 */
const LEFT = 6;
const PRELOAD = `const http2 = require('node:http2');
const { RETIRE_FROM_STREAM_ID } = require(${JSON.stringify(join(REPO_ROOT, 'packages/server/dist/stream-ids/stream-ids.js'))});
const connect = http2.connect;
http2.connect = function (...args) {
  const session = connect.apply(this, args);
  session.once('connect', () => session.setNextStreamID(RETIRE_FROM_STREAM_ID - 2 * ${LEFT}));
  return session;
};
`;
/** More requests than any session has IDs for, WAVE at a time (sharing sessions). */
const REQUESTS = 6 * LEFT;
const WAVE = 3;
/**
 * Retirements at the least: a session carries at most LEFT requests before the point and those
 * that choose it in the same turn of the event loop (WAVE at most), and the last one may stay.
 */
const RETIRED = Math.floor(REQUESTS / (LEFT + WAVE + 1));

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;

withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

const preloadEnv = (): NodeJS.ProcessEnv => {
  const file = join(pki.dir, 'stream-ids-preload.js');
  writeFileSync(file, PRELOAD);
  return { NODE_OPTIONS: `--require ${file}` };
};

/** REQUESTS NF requests, WAVE at a time: every one must be the producer's answer. */
async function sendAll(nf: NfClient, tag: string): Promise<NfAnswer[]> {
  return mapLimit(Array.from({ length: REQUESTS }, (_, i) => i), WAVE, (i) =>
    nf.request({ path: `/nudm-sdm/v2/imsi-00101000000${String(i).padStart(4, '0')}/am-data?ids=${tag}-${i}`, headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' }, timeoutMs: 20_000 }),
  );
}

const count = (app: AppProcess, msg: string): number => app.lines.filter((line) => line.msg === msg).length;

/**
 * A TLS-mode pair in front of the NF at `nfPort` (environment `env` for both), agreed, with an NF
 * consumer's connection to the initiator: `test` runs with them, then everything is stopped.
 */
async function withTlsPair(name: string, nfPort: number, env: NodeJS.ProcessEnv, test: (pair: { responder: SeppProcess; initiator: SeppProcess; nf: NfClient }) => Promise<void>): Promise<void> {
  const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, `${name}-responder`, n32fResponderYaml(certA, pki, nfPort)), env);
  const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, `${name}-initiator`, n32fInitiatorYaml(certB, pki, responder.port('n32'))), env);
  const nf = await NfClient.connect(initiator.port('sbi'));
  try {
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    await test({ responder, initiator, nf });
  } finally {
    nf.close();
    await initiator.stop();
    await responder.stop();
  }
}

describe('HTTP/2 sessions whose stream IDs run out, through the real processes', () => {
  it('TLS mode: every NF request is answered; the initiator retires its N32 connections and the responder its NF sessions as they near the end', async () => {
    await withTlsPair('ids', producer.port, preloadEnv(), async ({ responder, initiator, nf }) => {
      const seenBefore = producer.seen.length;
      const answers = await sendAll(nf, 'tls');
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: REQUESTS }, () => 200));
      expect(producer.seen.length - seenBefore).toBe(REQUESTS);
      // Each N32 connection and NF session had LEFT IDs: several were retired and replaced.
      expect(count(initiator, 'N32 connection retired: opening a new one')).toBeGreaterThanOrEqual(RETIRED);
      expect(count(responder, 'NF session retired: the next request opens a new one')).toBeGreaterThanOrEqual(RETIRED);
      expect(initiator.lines.filter((line) => line.msg === 'NF request refused')).toEqual([]);
    });
  });

  it('PRINS: every NF request is answered across retired N32 connections (the N32-f context stays)', async () => {
    const env = preloadEnv();
    const pair = await PrinsPair.start(pki, certA, certB, producer, { name: 'ids-prins', responder: { env }, initiator: { env } });
    try {
      const answers = await sendAll(pair.nf!, 'prins');
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: REQUESTS }, () => 200));
      expect(count(pair.initiator, 'N32 connection retired: opening a new one')).toBeGreaterThanOrEqual(RETIRED);
      expect(count(pair.responder, 'NF session retired: the next request opens a new one')).toBeGreaterThanOrEqual(RETIRED);
      // One context throughout: retiring a connection is not renegotiating PRINS.
      expect(count(pair.initiator, 'N32-f context established')).toBe(1);
    } finally {
      await pair.stop();
    }
  });

  it('through the IPX relay: every NF request is answered, the relay retiring its sessions to the next hop as they near the end', async () => {
    const env = preloadEnv();
    const path = await IpxPath.start(pki, certA, certB, producer, { name: 'ids-ipx', env });
    try {
      const answers = await sendAll(path.nf!, 'ipx');
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: REQUESTS }, () => 200));
      expect(count(path.ipx, 'next hop session retired: the next message opens a new one')).toBeGreaterThanOrEqual(RETIRED);
      expect(count(path.responder, 'NF session retired: the next request opens a new one')).toBeGreaterThanOrEqual(RETIRED);
    } finally {
      await path.stop();
    }
  });
});

/**
 * An NF that refuses each new request once, before processing it (RST_STREAM REFUSED_STREAM, RFC
 * 9113 §8.7: the client may send it again), and answers it the second time: what a producer replica
 * does to the streams that crossed its GOAWAY, and what a session retired under a request can
 * leave. Each request's path tells the attempt apart.
 */
class RefusingOnceNf {
  readonly attempts = new Map<string, number>();
  private constructor(readonly server: Http2Server) {}

  static async start(): Promise<RefusingOnceNf> {
    const server = createHttp2Server();
    const nf = new RefusingOnceNf(server);
    server.on('stream', (stream, headers) => {
      const path = String(headers[':path']);
      const attempt = (nf.attempts.get(path) ?? 0) + 1;
      nf.attempts.set(path, attempt);
      stream.on('error', () => undefined);
      if (attempt === 1) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.end(JSON.stringify({ attempt }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return nf;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('an NF that refuses a request before processing it (REFUSED_STREAM): the responder sends it again', () => {
  let nf: RefusingOnceNf;
  beforeAll(async () => {
    nf = await RefusingOnceNf.start();
  });
  afterAll(async () => {
    await nf?.close();
  });

  const ask = (client: NfClient, tag: string): Promise<NfAnswer> =>
    client.request({ path: `/nudm-sdm/v2/imsi-001010000000001/am-data?refused=${tag}`, headers: { [TARGET_HEADER]: udmApiRoot(nf.port), accept: 'application/json' } });

  it('TLS mode: the NF gets the request twice, the consumer the second answer', async () => {
    await withTlsPair('refused', nf.port, {}, async ({ nf: client }) => {
      const answer = await ask(client, 'tls');
      expect({ status: answer.status, body: answer.json }).toEqual({ status: 200, body: { attempt: 2 } });
      expect(nf.attempts.get('/nudm-sdm/v2/imsi-001010000000001/am-data?refused=tls')).toBe(2);
    });
  });

  it('PRINS: the NF gets the request twice, the consumer the second answer', async () => {
    const pair = await PrinsPair.start(pki, certA, certB, { port: nf.port } as TappedProducer, { name: 'refused-prins' });
    try {
      const answer = await ask(pair.nf!, 'prins');
      expect({ status: answer.status, body: answer.json }).toEqual({ status: 200, body: { attempt: 2 } });
      expect(nf.attempts.get('/nudm-sdm/v2/imsi-001010000000001/am-data?refused=prins')).toBe(2);
    } finally {
      await pair.stop();
    }
  });
});
