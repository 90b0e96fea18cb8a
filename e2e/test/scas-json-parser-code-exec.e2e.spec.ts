import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { seppFqdn } from '@sepp/infra';
import { N32C_PATHS, N32F_PROCESS_PATH } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B } from './support/configs';
import { H2Client, type H2Answer } from './support/h2-client';
import { TappedProducer, TARGET_HEADER } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { expectProblem } from './support/problem';
import { PrinsPair } from './support/prins';
import { sleep } from './support/wait-for';

jest.setTimeout(60_000);

const SUPI = 'imsi-001010000000001';
const JSON_TYPE = { 'content-type': 'application/json' };

/**
 * TS 33.117 4.3.6.2 TC_JSON_PARSER_CODE_EXEC_INCL: JSON bodies that try to reach the parser's
 * object model (`__proto__`, `constructor.prototype`) or make it fetch something (`$ref`, `$schema`,
 * `$id` naming a remote document) are data, never code or references:
 * - no outbound connection: a trap listener named by every remote reference gets none;
 * - no prototype pollution: each attempt is refused (N32-c: 400 from the parser) or kept as an
 *   own member (an NF body through PRINS reaches the producer byte for byte). Pollution is checked
 *   by its effect: had `Object.prototype.sender` / `.supportedSecCapabilityList` / `.n32fMessageId`
 *   been set, an empty body would no longer be missing them; both apps still report them missing.
 * The N32-c refusals of these payloads are also in bad-input.e2e.spec.ts (400, no state change).
 */
describe('TC_JSON_PARSER_CODE_EXEC_INCL', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let pair: PrinsPair;
  let trap: Server;
  const trapped: Socket[] = [];
  let remote: string;
  /** Payloads that must stay data: prototype keys with values a pollution would make visible, remote references. */
  let hostile: Record<string, unknown>;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    trap = createServer((socket) => {
      trapped.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    remote = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`;
    hostile = {
      $schema: `${remote}/schema.json`,
      $id: `${remote}/id.json`,
      $ref: `${remote}/ref.json#/definitions/x`,
      nested: { $ref: `${remote}/nested.json`, items: [{ $ref: `https://127.0.0.1:${(trap.address() as AddressInfo).port}/x` }] },
    };
    producer = await TappedProducer.start('udm1');
    pair = await PrinsPair.start(pki, certA, certB, producer, { name: 'json-exec' });
  });

  afterAll(async () => {
    await pair?.stop();
    await producer?.close();
    await new Promise((resolve) => trap?.close(resolve));
  });

  /** Raw JSON text with prototype keys (JSON.stringify of an object literal would drop `__proto__`). */
  const PROTO = `"__proto__":{"sender":"${FQDN_B}","supportedSecCapabilityList":["TLS"],"n32fMessageId":"1","n32fErrorType":"CONTEXT_NOT_FOUND","polluted":true}`;
  const CONSTRUCTOR = `"constructor":{"prototype":{"sender":"${FQDN_B}","n32fMessageId":"1","polluted":true}}`;

  async function post(port: number, servername: string, cert: CertFiles, path: string, body: string): Promise<H2Answer> {
    const client = await H2Client.open(port, servername, pki.clientTls(cert));
    try {
      return await client.request('POST', path, body, JSON_TYPE);
    } finally {
      client.close();
    }
  }

  describe('on N32-c and n32f-process (the SEPPs parse these bodies)', () => {
    it.each([
      ['exchange-capability: __proto__ at the top', N32C_PATHS.exchangeCapability, `{${PROTO}}`],
      ['exchange-capability: constructor.prototype', N32C_PATHS.exchangeCapability, `{${CONSTRUCTOR}}`],
      ['exchange-capability: __proto__ nested in plmnIdList', N32C_PATHS.exchangeCapability, `{"sender":"x","plmnIdList":[{${PROTO}}]}`],
      ['exchange-params: __proto__ in protectionPolicyInfo', N32C_PATHS.exchangeParams, `{"n32fContextId":"0123456789abcdef","protectionPolicyInfo":{${PROTO}}}`],
      ['n32f-error: __proto__', N32C_PATHS.n32fError, `{${PROTO}}`],
    ])('%s -> 400 from the parser of the responder', async (_name, path, body) => {
      const answer = await post(pair.responder.port('n32'), FQDN_A, certB, path, body);
      expectProblem(answer, 400);
    });

    it('n32f-error to the initiator: __proto__ and constructor.prototype -> 400 from its parser', async () => {
      for (const body of [`{${PROTO}}`, `{${CONSTRUCTOR}}`]) expectProblem(await post(pair.initiatorN32Port, FQDN_B, certA, N32C_PATHS.n32fError, body), 400);
    });

    it('n32f-process envelope with __proto__ / constructor (read by JSON.parse, validated by class): 400, nothing polluted', async () => {
      for (const extra of [PROTO, CONSTRUCTOR]) {
        const answer = await post(pair.responder.port('n32'), FQDN_A, certB, N32F_PROCESS_PATH, `{"reformattedData":{"ciphertext":"AAAA"},${extra}}`);
        expectProblem(answer, [400, 403]);
      }
    });

    it('remote references in N32-c bodies are ignored attributes (no fetch): the request is judged on its content', async () => {
      const stranger = await pki.sepp({ mcc: '003', mnc: '03' });
      const body = JSON.stringify({ sender: seppFqdn({ mcc: '003', mnc: '03' }), supportedSecCapabilityList: ['TLS'], ...hostile });
      // An unknown peer: 403 after validation, whatever the references say.
      expectProblem(await post(pair.responder.port('n32'), FQDN_A, stranger, N32C_PATHS.exchangeCapability, body), 403);
      expectProblem(await post(pair.responder.port('n32'), FQDN_A, certB, N32F_PROCESS_PATH, JSON.stringify({ reformattedData: { ciphertext: 'AAAA', ...hostile }, ...hostile })), [400, 403]);
      expectProblem(await post(pair.initiatorN32Port, FQDN_B, certA, N32C_PATHS.n32fError, JSON.stringify({ n32fMessageId: 'x', ...hostile })), 400);
    });
  });

  describe('NF bodies through PRINS (reformatted and rebuilt by both SEPPs)', () => {
    it.each([
      ['__proto__', (): string => `{"supi":"${SUPI}",${PROTO},"x":1}`],
      ['constructor.prototype', (): string => `{"supi":"${SUPI}",${CONSTRUCTOR}}`],
      ['remote references', (): string => JSON.stringify({ supi: SUPI, ...hostile })],
    ])('%s stays a member: the producer gets the same bytes', async (_name, body) => {
      const text = body();
      const before = producer.seen.length;
      const answer = await pair.nf!.request({
        method: 'PUT',
        path: `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`,
        headers: { [TARGET_HEADER]: producer.apiRoot, 'content-type': 'application/json' },
        body: text,
      });
      expect(answer.status).toBe(200);
      const seen = producer.seen.slice(before);
      expect(seen).toHaveLength(1);
      expect(producer.body(seen[0]!).toString('utf8')).toBe(text);
    });
  });

  describe('afterwards', () => {
    it('no connection ever reached the trap named by the remote references', async () => {
      await sleep(500);
      expect(trapped).toHaveLength(0);
    });

    it('no prototype was polluted: an empty body still lacks sender and supportedSecCapabilityList (responder) and n32fMessageId (initiator)', async () => {
      const capability = expectProblem(await post(pair.responder.port('n32'), FQDN_A, certB, N32C_PATHS.exchangeCapability, '{}'), 400);
      expect(capability.cause).toBe('MANDATORY_IE_MISSING');
      expect(capability.invalidParams?.map((p) => p.param)).toEqual(expect.arrayContaining(['/sender', '/supportedSecCapabilityList']));
      const report = expectProblem(await post(pair.initiatorN32Port, FQDN_B, certA, N32C_PATHS.n32fError, '{}'), 400);
      expect(report.invalidParams?.map((p) => p.param)).toEqual(expect.arrayContaining(['/n32fMessageId']));
      for (const app of [pair.responder, pair.initiator]) {
        expect(app.lines.some((l) => 'polluted' in l)).toBe(false);
        expect(app.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
      }
    });

    it('and NF traffic is still served', async () => {
      const answer = await pair.nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot } });
      expect(answer.status).toBe(200);
      expect(answer.json).not.toHaveProperty('polluted');
    });
  });
});
