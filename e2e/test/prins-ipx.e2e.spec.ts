import { createPkiAB, FQDN_A, FQDN_B } from './support/configs';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { IPX_FQDN, IpxPath, IpxProcess } from './support/ipx';
import { holdAtProducer, TappedProducer, TARGET_HEADER, type SeenRequest } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { contextsOf } from './support/prins';
import type { LogLine } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const PRIORITY = '3gpp-sbi-message-priority';
const SDM_PATH = '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions';

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;
let path: IpxPath;

beforeAll(async () => {
  ({ pki, certA, certB } = await createPkiAB());
  producer = await TappedProducer.start('udm1');
  path = await IpxPath.start(pki, certA, certB, producer, {
    name: 'ipx-basic',
    rules: [
      // The built-in protection policy lets an RI write 3gpp-Sbi-Message-Priority (NONSENSITIVE).
      { name: 'priority-up', apiPath: '/**', direction: 'request', operations: [{ op: 'add', path: '/headers/-', value: { header: PRIORITY, value: '5' } }] },
      { name: 'priority-back', apiPath: '/**', direction: 'response', operations: [{ op: 'add', path: '/headers/-', value: { header: PRIORITY, value: '7' } }] },
    ],
  });
});

afterAll(async () => {
  await path?.stop();
  await producer?.close();
});

const lines = (app: { lines: LogLine[] }, msg: string): LogLine[] => app.lines.filter((line) => line.msg === msg);

describe('PRINS through the IPX relay (initiator -> IPX -> responder), real processes', () => {
  it('both contexts name the IPX: authorized for what each side sends, its key exchanged in exchange-params', async () => {
    const [atInitiator, atResponder] = await Promise.all([contextsOf(path.initiator), contextsOf(path.responder)]);
    expect(atInitiator).toHaveLength(1);
    expect(atResponder).toHaveLength(1);
    expect(atInitiator[0]).toMatchObject({ peer: FQDN_A, intermediaries: { authorizedIpxId: IPX_FQDN, verified: [IPX_FQDN] } });
    expect(atResponder[0]).toMatchObject({ peer: FQDN_B, intermediaries: { authorizedIpxId: IPX_FQDN, verified: [IPX_FQDN] } });
    expect(await path.responder.waitForLog('RI security information received', (line) => line.msg === 'RI security information received')).toMatchObject({ intermediaries: [IPX_FQDN] });
  });

  it('a permitted modification reaches the producer; the answer comes back relayed, signed and modified', async () => {
    const before = producer.seen.length;
    const from = { responder: path.responder.lines.length, initiator: path.initiator.lines.length };
    const body = Buffer.from(JSON.stringify({ callbackReference: 'http://amf1.example.org/cb', monitoredResourceUris: ['/x'] }));
    const answer = await path.nf!.request({
      method: 'POST',
      path: SDM_PATH,
      body,
      headers: { [TARGET_HEADER]: producer.apiRoot, 'content-type': 'application/json', accept: 'application/json' },
    });
    expect(answer.status).toBeLessThan(300);
    const seen: SeenRequest[] = producer.seen.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers[PRIORITY]).toBe('5');
    expect(Buffer.concat(seen[0]!.chunks).equals(body)).toBe(true);
    expect(answer.headers[PRIORITY]).toBe('7');

    // The IPX signed both directions; each receiving SEPP logged what it verified, and by whom.
    await waitFor('ipx log lines', () => lines(path.ipx, 'modifications signed').length >= 2);
    expect(lines(path.ipx, 'modifications signed').map((line) => line['direction'])).toEqual(expect.arrayContaining(['request', 'response']));
    // Log lines may trail the answer a little.
    const atResponder = await path.responder.waitForLog('request modifications', (line) => line.msg === 'PRINS request modifications verified', 5_000, from.responder);
    expect(atResponder).toMatchObject({ authorizedIpxId: IPX_FQDN, modifications: [expect.stringContaining(`${IPX_FQDN}: add /headers/`)] });
    const atInitiator = await path.initiator.waitForLog('answer modifications', (line) => line.msg === 'PRINS answer modifications verified', 5_000, from.initiator);
    expect(atInitiator).toMatchObject({ authorizedIpxId: IPX_FQDN, modifications: [expect.stringContaining(`${IPX_FQDN}: add /headers/`)] });
  });

  it('the relay goes down: NF requests fail fast with a 5xx problem+json (none hangs); the relay comes back on its address: traffic flows again', async () => {
    const port = path.ipx.port('n32f');
    await path.ipx.stop();
    const request = (): ReturnType<NonNullable<IpxPath['nf']>['request']> =>
      path.nf!.request({ method: 'GET', path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } });
    const before = producer.seen.length;
    const down = await request();
    expect(down.status).toBeGreaterThanOrEqual(500);
    expect(String(down.headers['content-type'])).toContain('application/problem+json');
    expect(producer.seen.length).toBe(before);

    const file = join(pki.dir, 'ipx-basic-ipx.yaml');
    const config = parse(readFileSync(file, 'utf8')) as { listen: { port: number } };
    config.listen.port = port;
    const again = join(pki.dir, 'ipx-basic-ipx-again.yaml');
    writeFileSync(again, stringify(config));
    path.ipx = await IpxProcess.ready(again);
    const up = await request();
    expect(up.status).toBe(200);
    expect(producer.seen.at(-1)!.headers[PRIORITY]).toBe('5');
  });
});

describe("the relay's bulkhead per sending SEPP and its graceful stop, real processes", () => {
  let bounded: IpxPath;

  beforeAll(async () => {
    bounded = await IpxPath.start(pki, certA, certB, producer, { name: 'ipx-bounded', ipx: { maxConcurrentPerSender: 2 } });
  });

  afterAll(async () => {
    await bounded?.stop();
  });

  const amData = (): ReturnType<NonNullable<IpxPath['nf']>['request']> =>
    bounded.nf!.request({ method: 'GET', path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } });

  it("with maxConcurrentPerSender of the initiator's messages held behind the next hop, the NF's next request gets the relay's 429 with retry-after at once, as it came; the relay's page counts them; room comes back", async () => {
    const held = [(await holdAtProducer(bounded.nf!, producer, 'bulkhead-1')).answer, (await holdAtProducer(bounded.nf!, producer, 'bulkhead-2')).answer];
    const before = producer.seen.length;
    const refused = await amData();
    expect(refused.status).toBe(429);
    expect(String(refused.headers['content-type'])).toContain('application/problem+json');
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.json).toMatchObject({ cause: 'NF_CONGESTION_RISK' });
    expect((refused.json as { detail: string }).detail).toContain(`${FQDN_B} has 2 messages in flight through the relay (limit 2)`);
    expect(producer.seen.length).toBe(before);
    const { body } = await bounded.ipx.admin<{ relay: { senders: { peer: string; traffic: { inFlight: number; refused: Record<string, number> } }[] } }>('/admin/status');
    expect(body.relay.senders.find((s) => s.peer === FQDN_B)!.traffic).toMatchObject({ inFlight: 2, refused: { PEER_CONCURRENCY_EXCEEDED: 1 } });
    for (const answer of await Promise.all(held)) expect(answer.status).toBe(200);
    expect((await amData()).status).toBe(200);
  });

  it('SIGTERM while a message is in flight: the relay drains it (the NF gets its answer), then exits 0', async () => {
    const { answer: held } = await holdAtProducer(bounded.nf!, producer, 'drain');
    const from = bounded.ipx.lines.length;
    const exited = bounded.ipx.stop('SIGTERM', 15_000);
    expect(await bounded.ipx.waitForLog('the drain', (line) => line.msg === 'listeners closed to new connections, draining', 5_000, from)).toMatchObject({ inFlight: { n32f: 1 } });
    expect((await held).status).toBe(200);
    expect(await exited).toBe(0);
    expect(lines(bounded.ipx, 'drained')).toHaveLength(1);
  });
});
