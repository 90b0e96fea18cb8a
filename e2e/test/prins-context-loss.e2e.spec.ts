import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { abuseCount } from './support/abuse';
import { createPkiAB, FQDN_A, FQDN_B } from './support/configs';
import { H2Client } from './support/h2-client';
import { expectProblemAnswer, splitByBudget, TappedProducer, TARGET_HEADER } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { contextsOf, PrinsPair } from './support/prins';
import { SeppProcess } from './support/sepp-process';
import { writeFileSync } from 'node:fs';

jest.setTimeout(60_000);

const N32F_ERROR = '/n32c-handshake/v1/n32f-error';
const SDM = '/nudm-sdm/v2/imsi-001010000000001/am-data';

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;
let pair: PrinsPair;

beforeAll(async () => {
  ({ pki, certA, certB } = await createPkiAB());
  producer = await TappedProducer.start('udm1');
  pair = await PrinsPair.start(pki, certA, certB, producer, { name: 'loss' });
});

afterAll(async () => {
  await pair?.stop();
  await producer?.close();
});

const get = (): ReturnType<NonNullable<PrinsPair['nf']>['request']> => pair.nf!.request({ method: 'GET', path: SDM, headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } });

/** An n32f-error to the initiator's N32 listener, from the responder's identity. */
async function report(info: Record<string, unknown>): Promise<number> {
  const client = await H2Client.open(pair.initiatorN32Port, FQDN_B, pki.clientTls(certA));
  try {
    return (await client.postJson(N32F_ERROR, info)).status;
  } finally {
    client.close();
  }
}

describe('CONTEXT_NOT_FOUND from the peer', () => {
  it('a report about no message or context of ours changes nothing (no renegotiation)', async () => {
    expect((await get()).status).toBe(200);
    const [context] = await contextsOf(pair.initiator);
    const from = pair.initiator.lines.length;
    expect(await report({ n32fMessageId: '0123456789abcdef', n32fErrorType: 'CONTEXT_NOT_FOUND' })).toBe(204);
    expect(await report({ n32fMessageId: '0123456789abcdef', n32fErrorType: 'CONTEXT_NOT_FOUND', n32fContextId: 'fedcba9876543210' })).toBe(204);
    await pair.initiator.waitForLog('ignored report', (line) => line.msg.includes('CONTEXT_NOT_FOUND names no N32-f context of ours'), 5_000, from);
    expect(pair.initiator.lines.slice(from).filter((line) => line.msg === 'negotiating')).toEqual([]);
    expect((await contextsOf(pair.initiator)).map((c) => c.localContextId)).toEqual([context!.localContextId]);
    expect((await get()).status).toBe(200);
  });

  it('the responder restarts and lost the context: the refused request is reported, the initiator sets up a new context, traffic flows again', async () => {
    const [old] = await contextsOf(pair.initiator);
    const port = pair.responder.port('n32');
    const file = join(pki.dir, 'loss-responder.yaml');
    await pair.responder.stop('SIGKILL');
    const yaml = parse(readFileSync(file, 'utf8')) as { n32: { listen: { port: number } } };
    yaml.n32.listen.port = port;
    const again = join(pki.dir, 'loss-responder-again.yaml');
    writeFileSync(again, stringify(yaml));
    const restarted = await SeppProcess.ready('responder', again);
    Object.assign(pair, { responder: restarted });
    const from = pair.initiator.lines.length;

    // The first request after the restart names a context the responder no longer has.
    const seenBefore = producer.seen.length;
    const refused = await get();
    // The responder refused it (403 CONTEXT_NOT_FOUND) with suggestedStatusCode 500, which the NF gets;
    // nothing reached the producer.
    const problem = expectProblemAnswer(refused, 500, 'SYSTEM_FAILURE');
    expect(problem.detail).toBe('the peer SEPP refused the protected message (CONTEXT_NOT_FOUND)');
    expect(producer.seen.length).toBe(seenBefore);
    await pair.responder.waitForLog('the refusal', (line) => line.msg === 'PRINS message refused' && line['n32fErrorType'] === 'CONTEXT_NOT_FOUND', 5_000);
    await pair.initiator.waitForLog('renegotiation', (line) => line.msg === 'negotiating' && String(line['reason']).includes('lost the N32-f context'), 10_000, from);
    await pair.waitEstablished();
    const [fresh] = await contextsOf(pair.initiator);
    expect(fresh!.localContextId).not.toBe(old!.localContextId);
    expect((await get()).status).toBe(200);
    expect((await contextsOf(restarted)).map((c) => c.peer)).toEqual([FQDN_B]);
    expect(fresh!.peer).toBe(FQDN_A);
  });
});

describe('reports from the peer beyond its N32-c budget', () => {
  it("n32f-error reports on the initiator's N32 listener past limits.n32cRateLimitPerPeer (100/s by default): 429 NF_CONGESTION_RISK before the handler, counted and logged as the responder's; forwarding goes on", async () => {
    const before = await abuseCount(pair.initiator, 'n32', 'n32c-rate-limited');
    const from = pair.initiator.lines.length;
    const client = await H2Client.open(pair.initiatorN32Port, FQDN_B, pki.clientTls(certA));
    try {
      // 300 reports at once, none valid (refused 400 for what they are, changing nothing).
      const answers = await Promise.all(Array.from({ length: 300 }, () => client.postJson(N32F_ERROR, {})));
      const { handled, limited } = splitByBudget(answers, 400, `${FQDN_A} sends more than 100 N32-c requests per second (burst 100)`);
      // The bucket holds 100, and 100 more come back each second while the 300 are read (all of
      // them would only pass if that took two seconds).
      expect(handled.length).toBeGreaterThanOrEqual(100);
      expect(handled.length).toBeLessThan(300);
      expect(await abuseCount(pair.initiator, 'n32', 'n32c-rate-limited')).toBe(before + limited.length);
      const line = await pair.initiator.waitForLog('the refusals', (l) => l.msg === 'abuse' && l['kind'] === 'n32c-rate-limited', 5_000, from);
      expect(line).toMatchObject({ level: 'warn', listener: 'n32', peer: FQDN_A, action: 'request refused', n32cRateLimitPerPeer: 100, n32cRateLimitBurst: 100 });
      expect((await get()).status).toBe(200);
    } finally {
      client.close();
    }
  });
});
