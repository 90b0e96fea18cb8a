import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FQDN_A, writeYaml } from './support/configs';
import { IpxPath } from './support/ipx';
import { mapLimit, n32fInitiatorYaml, n32fResponderYaml, NfClient, TARGET_HEADER, withPkiAndProducer, type NfAnswer, type TappedProducer } from './support/n32f';
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

describe('HTTP/2 sessions whose stream IDs run out, through the real processes', () => {
  it('TLS mode: every NF request is answered; the initiator retires its N32 connections and the responder its NF sessions as they near the end', async () => {
    const env = preloadEnv();
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'ids-responder', n32fResponderYaml(certA, pki, producer.port)), env);
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'ids-initiator', n32fInitiatorYaml(certB, pki, responder.port('n32'))), env);
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      const seenBefore = producer.seen.length;
      const answers = await sendAll(nf, 'tls');
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: REQUESTS }, () => 200));
      expect(producer.seen.length - seenBefore).toBe(REQUESTS);
      // Each N32 connection and NF session had LEFT IDs: several were retired and replaced.
      expect(count(initiator, 'N32 connection retired: opening a new one')).toBeGreaterThanOrEqual(RETIRED);
      expect(count(responder, 'NF session retired: the next request opens a new one')).toBeGreaterThanOrEqual(RETIRED);
      expect(initiator.lines.filter((line) => line.msg === 'NF request refused')).toEqual([]);
    } finally {
      nf.close();
      await initiator.stop();
      await responder.stop();
    }
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
