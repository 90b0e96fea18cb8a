import { once } from 'node:events';
import { constants, createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml } from './support/configs';
import { HoldingPort } from './support/holding-port';
import { expectProblemAnswer, n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER, udmApiRoot } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { PrinsPair } from './support/prins';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const AM_DATA = '/nudm-sdm/v2/imsi-001010000000001/am-data';
const MAX_RSP_TIME = '3gpp-sbi-max-rsp-time';
/** udm3 resolves (sbi.hosts) and is an allowed target, but nothing listens where it points. */
const UDM3_FQDN = 'udm3.5gc.mnc001.mcc001.3gppnetwork.org';
/** udm4: a producer of the test that starts its answer, then fails (see BreakingProducer). */
const UDM4_FQDN = 'udm4.5gc.mnc001.mcc001.3gppnetwork.org';

/**
 * A producer NF (h2c) that answers 200 with the start of a JSON body and then holds the stream
 * until the test makes it fail: the stream reset (RST_STREAM INTERNAL_ERROR) or the connection gone.
 */
class BreakingProducer {
  readonly waiting: ServerHttp2Stream[] = [];

  private constructor(
    private readonly server: Http2Server,
    readonly port: number,
  ) {}

  static async start(): Promise<BreakingProducer> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const producer = new BreakingProducer(server, (server.address() as AddressInfo).port);
    server.on('stream', (stream) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200, 'content-type': 'application/json' });
      stream.write('{"supi":"imsi-001010000000001","partial":');
      producer.waiting.push(stream);
    });
    return producer;
  }

  /** Fails the answer it holds: `reset` resets the stream alone, `connection` drops the connection. */
  fail(how: 'reset' | 'connection'): void {
    const stream = this.waiting.shift();
    if (!stream) throw new Error('no answer in progress at the producer');
    if (how === 'reset') stream.destroy(new Error('the producer failed mid-answer'));
    else stream.session?.destroy();
  }

  close(): Promise<void> {
    for (const stream of this.waiting) stream.session?.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** How an NF request ended when its answer broke off: the status it got, then how the stream closed. */
interface CutAnswer {
  status: number;
  ended: boolean;
  rstCode: number | undefined;
}

describe('N32-f time budgets and failures (the 504 rows of the refusal table, and answers that break off)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  describe('TLS mode: initiator n32f.requestTimeoutMs 1500', () => {
    let producer: TappedProducer;
    let breaking: BreakingProducer;
    let responder: SeppProcess;
    let initiator: SeppProcess;
    let nf: NfClient;
    let unreachablePort: number;

    beforeAll(async () => {
      [producer, breaking, unreachablePort] = await Promise.all([TappedProducer.start('udm1'), BreakingProducer.start(), freePort()]);
      responder = await SeppProcess.ready(
        'responder',
        writeYaml(
          pki.dir,
          'timeouts-responder',
          n32fResponderYaml(certA, pki, producer.port, {
            allowedTargets: [udmApiRoot(producer.port), udmApiRoot(unreachablePort, UDM3_FQDN), udmApiRoot(breaking.port, UDM4_FQDN)],
            hosts: { [UDM3_FQDN]: '127.0.0.1', [UDM4_FQDN]: '127.0.0.1' },
          }),
        ),
      );
      initiator = await SeppProcess.ready(
        'initiator',
        writeYaml(pki.dir, 'timeouts-initiator', n32fInitiatorYaml(certB, pki, responder.port('n32'), { initiatorN32f: { requestTimeoutMs: 1_500 } })),
      );
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      nf = await NfClient.connect(initiator.port('sbi'));
    });

    afterAll(async () => {
      nf?.close();
      await initiator?.stop();
      await responder?.stop();
      await producer?.close();
      await breaking?.close();
    });

    const refusedLine = (app: SeppProcess, msg: string, cause: string, from: number) =>
      app.waitForLog(`${msg} ${cause}`, (l) => l.msg === msg && l['cause'] === cause, 5_000, from);

    it('no answer within n32f.requestTimeoutMs: 504 TIMED_OUT_REQUEST from the cSEPP, logged; the producer stream is cancelled', async () => {
      const from = initiator.lines.length;
      const path = '/nudm-sdm/v2/slow/20000?budget=config';
      const answer = await nf.request({ path, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } });
      expect(expectProblemAnswer(answer, 504, 'TIMED_OUT_REQUEST').detail).toBe('no answer within 1500 ms');
      expect(answer.ms).toBeGreaterThanOrEqual(1_400);
      expect(await refusedLine(initiator, 'NF request refused', 'TIMED_OUT_REQUEST', from)).toMatchObject({ level: 'warn', status: 504, path, remoteAddress: '127.0.0.1' });
      // The request that timed out does not go on at the producer.
      await waitFor('the producer stream reset', () => producer.byPath(path)[0]?.reset === true, 5_000);
    });

    it('3gpp-Sbi-Max-Rsp-Time shorter than n32f.requestTimeoutMs: 504 TIMED_OUT_REQUEST after the NF\'s budget', async () => {
      const from = initiator.lines.length;
      const answer = await nf.request({ path: '/nudm-sdm/v2/slow/20000?budget=nf', headers: { [TARGET_HEADER]: udmApiRoot(producer.port), [MAX_RSP_TIME]: '300' } });
      expect(expectProblemAnswer(answer, 504, 'TIMED_OUT_REQUEST').detail).toBe('no answer within 300 ms');
      await refusedLine(initiator, 'NF request refused', 'TIMED_OUT_REQUEST', from);
      // A longer 3gpp-Sbi-Max-Rsp-Time does not stretch the SEPP's own bound.
      const longer = await nf.request({ path: '/nudm-sdm/v2/slow/20000?budget=nf-longer', headers: { [TARGET_HEADER]: udmApiRoot(producer.port), [MAX_RSP_TIME]: '60000' } });
      expect(expectProblemAnswer(longer, 504, 'TIMED_OUT_REQUEST').detail).toBe('no answer within 1500 ms');
      // And an answer within the NF's budget is the producer's.
      const quick = await nf.request({ path: '/nudm-sdm/v2/slow/10?budget=nf-ok', headers: { [TARGET_HEADER]: udmApiRoot(producer.port), [MAX_RSP_TIME]: '5000' } });
      expect(quick.status).toBe(200);
    });

    it('pSEPP: the local NF cannot be reached: 504 TARGET_NF_NOT_REACHABLE relayed to the NF, logged by the responder', async () => {
      const from = responder.lines.length;
      const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(unreachablePort, UDM3_FQDN) } });
      expect(expectProblemAnswer(answer, 504, 'TARGET_NF_NOT_REACHABLE').detail).toMatch(/upstream/);
      expect(await refusedLine(responder, 'N32-f request refused', 'TARGET_NF_NOT_REACHABLE', from)).toMatchObject({ level: 'warn', status: 504, peer: FQDN_B, path: AM_DATA });
    });

    it.each([
      ['resets its stream', 'reset'],
      ['loses its connection', 'connection'],
    ] as const)('a producer that %s after its answer started: the NF stream is reset (INTERNAL_ERROR), never ended as if complete, never left hanging; both SEPPs log it', async (_name, how) => {
      const from = { responder: responder.lines.length, initiator: initiator.lines.length };
      const stream = nf.session.request({ ':method': 'GET', ':path': `${AM_DATA}?break=${how}`, [TARGET_HEADER]: udmApiRoot(breaking.port, UDM4_FQDN) });
      stream.on('error', () => undefined);
      let ended = false;
      stream.on('end', () => (ended = true));
      stream.resume();
      // (events.once would reject on the stream's 'error', which a reset emits before 'close'.)
      const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
      // The answer has started at the NF (the producer's 200 came through both SEPPs): now the producer fails.
      const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
      await waitFor('the answer held at the producer', () => breaking.waiting.length === 1, 5_000);
      breaking.fail(how);
      const bound = setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), 10_000);
      await closed;
      clearTimeout(bound);
      const cut: CutAnswer = { status: Number(headers[':status']), ended, rstCode: stream.rstCode };
      expect(cut).toEqual({ status: 200, ended: false, rstCode: constants.NGHTTP2_INTERNAL_ERROR });
      await responder.waitForLog('the responder saw it', (l) => l.msg === 'N32-f answer broke off: stream reset', 5_000, from.responder);
      await initiator.waitForLog('the initiator saw it', (l) => l.msg === 'N32-f answer broke off: NF stream reset', 5_000, from.initiator);
      // The NF's session and the N32 connection carry on.
      expect((await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } })).status).toBe(200);
    });
  });

  describe('PRINS mode', () => {
    let producer: TappedProducer;
    let pair: PrinsPair;

    beforeAll(async () => {
      producer = await TappedProducer.start('udm1');
      pair = await PrinsPair.start(pki, certA, certB, producer, { name: 'timeouts-prins' });
    });

    afterAll(async () => {
      await pair?.stop();
      await producer?.close();
    });

    it('3gpp-Sbi-Max-Rsp-Time bounds a protected request too: 504 TIMED_OUT_REQUEST, logged', async () => {
      const from = pair.initiator.lines.length;
      const answer = await pair.nf!.request({ path: '/nudm-sdm/v2/slow/20000?prins=nf', headers: { [TARGET_HEADER]: producer.apiRoot, [MAX_RSP_TIME]: '300' } });
      expect(expectProblemAnswer(answer, 504, 'TIMED_OUT_REQUEST').detail).toBe('no answer within 300 ms');
      await pair.initiator.waitForLog('the refusal', (l) => l.msg === 'NF request refused' && l['cause'] === 'TIMED_OUT_REQUEST', 5_000, from);
      const quick = await pair.nf!.request({ path: '/nudm-sdm/v2/slow/10?prins=ok', headers: { [TARGET_HEADER]: producer.apiRoot, [MAX_RSP_TIME]: '5000' } });
      expect(quick.status).toBe(200);
    });
  });

  describe('a negotiation that does not finish: the peer address takes the connection and never answers', () => {
    let gate: HoldingPort;
    let initiator: SeppProcess;
    const establishTimeoutMs = 1_000;

    beforeAll(async () => {
      gate = await HoldingPort.listen(0);
      const port = gate.port;
      initiator = await SeppProcess.ready(
        'initiator',
        writeYaml(
          pki.dir,
          'timeouts-hanging-peer',
          n32fInitiatorYaml(certB, pki, port, { initiatorN32: { requestTimeoutMs: 60_000 }, initiatorN32f: { establishTimeoutMs } }),
        ),
      );
      await initiator.waitForLog('the negotiation under way', (l) => l.msg === 'negotiating' && l['peer'] === FQDN_A);
      await waitFor('the connection held', () => gate.waiting >= 1, 5_000);
    });

    afterAll(async () => {
      await initiator?.stop();
      await gate?.close();
    });

    it('an NF request waits n32f.establishTimeoutMs, then gets 504 N32_NOT_ESTABLISHED (negotiation in progress), logged', async () => {
      const from = initiator.lines.length;
      const nf = await NfClient.connect(initiator.port('sbi'));
      try {
        const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(8080) } });
        const body = expectProblemAnswer(answer, 504, 'N32_NOT_ESTABLISHED');
        expect(body.detail).toBe(`no agreed mechanism with ${FQDN_A} within ${establishTimeoutMs} ms (negotiation in progress)`);
        expect(answer.ms).toBeGreaterThanOrEqual(establishTimeoutMs - 100);
      } finally {
        nf.close();
      }
      const line = await initiator.waitForLog('the refusal', (l) => l.msg === 'NF request refused' && l['cause'] === 'N32_NOT_ESTABLISHED', 5_000, from);
      expect(line).toMatchObject({ level: 'warn', status: 504, code: 'N32_NEGOTIATION_TIMEOUT' });
      expect((await initiator.peer(FQDN_A))?.state).toBe('negotiating');
    });
  });
});
