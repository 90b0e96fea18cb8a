import { FQDN_A, FQDN_B, writeYaml } from './support/configs';
import { expectProblemAnswer, mapLimit, n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer, TARGET_HEADER, udmApiRoot, type NfAnswer, withPkiAndProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { sleep, waitFor } from './support/wait-for';

jest.setTimeout(90_000);

/**
 * A request of the load: the producer takes 20 to 180 ms to answer it (so requests are always in
 * flight when the fault hits), and the query makes every path unique.
 */
const loadPath = (i: number): string => `/nudm-sdm/v2/slow/${20 + (i % 5) * 40}?n=${i}`;

type Outcome =
  | { readonly i: number; readonly kind: 'answer'; readonly answer: NfAnswer }
  | { readonly i: number; readonly kind: 'problem'; readonly status: number; readonly cause: string }
  | { readonly i: number; readonly kind: 'failure'; readonly error: string };

/** The per-request bound of the test: a request without a complete answer by then is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;

describe('N32-f under faults', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;

  withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

  const responderConfig = (port: number): ReturnType<typeof n32fResponderYaml> => {
    const config = n32fResponderYaml(certA, pki, producer.port);
    config.n32.listen = { host: '127.0.0.1', port };
    return config;
  };

  /** Classifies one NF request: the producer's answer, a 5xx problem+json of a SEPP, or anything else (a failure). */
  async function send(nf: NfClient, i: number): Promise<Outcome> {
    let answer: NfAnswer;
    try {
      answer = await nf.request({ path: loadPath(i), headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: REQUEST_TIMEOUT_MS });
    } catch (error) {
      return { i, kind: 'failure', error: (error as Error).message };
    }
    if (answer.status === 200) return { i, kind: 'answer', answer };
    const body = answer.json as { status?: number; cause?: string } | undefined;
    if (answer.status >= 500 && /^application\/problem\+json/.test(String(answer.headers['content-type'])) && body?.status === answer.status && typeof body.cause === 'string') {
      return { i, kind: 'problem', status: answer.status, cause: body.cause };
    }
    return { i, kind: 'failure', error: `HTTP ${answer.status} ${String(answer.headers['content-type'])} ${answer.text.slice(0, 300)}` };
  }

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`responder stopped with ${signal} and restarted on the same port during load: every request answered once, nothing duplicated, then back to normal`, async () => {
      const first = await SeppProcess.ready('responder', writeYaml(pki.dir, `responder-${signal}-1`, responderConfig(0)));
      const port = first.port('n32');
      const initiator = await SeppProcess.ready(
        'initiator',
        writeYaml(pki.dir, `initiator-${signal}`, n32fInitiatorYaml(certB, pki, port, { initiatorN32f: { establishTimeoutMs: 2_000, requestTimeoutMs: 5_000 } })),
      );
      let second: SeppProcess | undefined;
      const nf = await NfClient.connect(initiator.port('sbi'));
      const seenBefore = producer.seen.length;
      const statsBefore = producer.stats().total;
      try {
        await initiator.waitForPeerState(FQDN_A, 'tls-established');
        const outcomes: Outcome[] = [];
        const record = (outcome: Outcome): Outcome => {
          outcomes.push(outcome);
          return outcome;
        };

        // Phase 1: 200 requests, 20 in flight; the responder goes away after the first 40 answers.
        const phase1 = mapLimit(
          Array.from({ length: 200 }, (_, i) => i),
          20,
          async (i) => {
            const outcome = record(await send(nf, i));
            await sleep(100);
            return outcome;
          },
        );
        await waitFor('40 answers before the fault', () => outcomes.length >= 40, 15_000, 5);
        await first.stop(signal);
        const downAt = outcomes.length;
        await initiator.waitForPeer(FQDN_A, 'without its agreement', (p) => p.state !== 'tls-established', 10_000);
        second = await SeppProcess.ready('responder', writeYaml(pki.dir, `responder-${signal}-2`, responderConfig(port)));
        expect(second.port('n32')).toBe(port);
        await phase1;
        await initiator.waitForPeerState(FQDN_A, 'tls-established', 15_000);
        await second.waitForPeerState(FQDN_B, 'tls-established');

        // Phase 2: 100 more once the initiator has renegotiated: all answered by the producer.
        const phase2 = await mapLimit(
          Array.from({ length: 100 }, (_, i) => 200 + i),
          20,
          async (i) => record(await send(nf, i)),
        );

        // Every request ended exactly once, with the producer's answer or a 5xx problem+json.
        expect(outcomes.map((o) => o.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
        const failures = outcomes.filter((o): o is Extract<Outcome, { kind: 'failure' }> => o.kind === 'failure');
        // After SIGKILL one exception: an answer the responder had begun to relay (its HEADERS out,
        // not its end) is cut with the connection, and the initiator resets that stream
        // (RST_STREAM INTERNAL_ERROR) rather than pass a truncated answer off as whole. Only a
        // request in flight at the kill, and only one the producer answered. A graceful stop cuts none.
        if (signal === 'SIGTERM') expect(failures).toEqual([]);
        for (const failure of failures) {
          expect(failure.error).toMatch(/NGHTTP2_INTERNAL_ERROR/);
          expect(failure.i).toBeLessThan(downAt + 20);
          expect(producer.seen.slice(seenBefore).map((seen) => String(seen.headers[':path']))).toContain(loadPath(failure.i));
        }
        const answers = outcomes.filter((o): o is Extract<Outcome, { kind: 'answer' }> => o.kind === 'answer');
        const problems = outcomes.filter((o): o is Extract<Outcome, { kind: 'problem' }> => o.kind === 'problem');
        for (const { i, answer } of answers) expect(answer.json).toMatchObject({ method: 'GET', path: loadPath(i).split('?')[0], query: `n=${i}`, servedBy: 'udm1' });
        expect(problems.length).toBeGreaterThan(0);
        for (const problem of problems) {
          expect(['N32_NOT_ESTABLISHED', 'N32_CONNECTION_LOST']).toContain(problem.cause);
        }
        expect(phase2.every((o) => o.kind === 'answer')).toBe(true);
        expect(downAt).toBeGreaterThanOrEqual(40);

        // Nothing duplicated: each request reached the producer at most once, and every answered
        // one did. A graceful stop (GOAWAY) loses nothing in flight, so the counts match exactly;
        // after SIGKILL a request may have reached the producer and lost its answer with the
        // connection (its NF got N32_CONNECTION_LOST), never the other way round.
        const arrived = producer.seen.slice(seenBefore).map((s) => String(s.headers[':path']));
        expect(new Set(arrived).size).toBe(arrived.length);
        for (const { i } of answers) expect(arrived).toContain(loadPath(i));
        const lostInFlight = problems.filter((p) => p.cause === 'N32_CONNECTION_LOST').length;
        const handled = producer.stats().total - statsBefore;
        if (signal === 'SIGTERM') {
          expect(handled).toBe(answers.length);
          expect(arrived.length).toBe(answers.length);
        } else {
          expect(handled).toBeGreaterThanOrEqual(answers.length);
          expect(handled).toBeLessThanOrEqual(answers.length + lostInFlight + failures.length);
        }

        // The same initiator process renegotiated on a new connection.
        expect(initiator.running).toBe(true);
        await initiator.waitForLines('N32 connection up', (l) => l.msg === 'N32 connection up', 2);
        console.log(
          `${signal}: ${answers.length} answered by the producer, ${problems.length} problems (${[...new Set(problems.map((p) => `${p.status} ${p.cause}`))].join(', ')}), ${failures.length} cut answers reset, producer handled ${handled}`,
        );
      } finally {
        nf.close();
        await initiator.stop();
        await second?.stop();
        await first.stop();
      }
    });
  }

  it('an N32 connection lost with a request in flight: the NF gets 502 N32_CONNECTION_LOST at once, never a hang', async () => {
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-lost', responderConfig(0)));
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-lost', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      const slowPath = '/nudm-sdm/v2/slow/3000?lost=1';
      const pending = nf.request({ path: slowPath, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: REQUEST_TIMEOUT_MS });
      await waitFor('the slow request at the producer', () => producer.byPath(slowPath).length === 1, 5_000, 10);
      const killedAt = performance.now();
      await responder.stop('SIGKILL');
      const answer = await pending;
      const body = expectProblemAnswer(answer, 502, 'N32_CONNECTION_LOST');
      expect(body.detail).toEqual(expect.any(String));
      expect(answer.endedAt - killedAt).toBeLessThan(1_000);
      expect(answer.ms).toBeLessThan(3_000);
      // The session stays usable for the NF: the next request is answered (a 5xx until N32 is back).
      const next = await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: REQUEST_TIMEOUT_MS });
      expect(next.status).toBeGreaterThanOrEqual(500);
      expect(String(next.headers['content-type'])).toMatch(/^application\/problem\+json/);
    } finally {
      nf.close();
      await initiator.stop();
      await responder.stop();
    }
  });
});
