import { N32C_PATHS, N32F_PROCESS_PATH } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, responderYaml, writeYaml } from './support/configs';
import { H2Client, type H2Answer } from './support/h2-client';
import type { CertFiles, TestPki } from './support/pki';
import { expectProblem } from './support/problem';
import { SeppProcess, type PeerView } from './support/sepp-process';

jest.setTimeout(60_000);

const JSON_TYPE = { 'content-type': 'application/json' };
const EXCHANGE = N32C_PATHS.exchangeCapability;
const VALID_TEXT = `{"sender":"${FQDN_B}","supportedSecCapabilityList":["TLS"],"plmnIdList":[{"mcc":"002","mnc":"02"}]}`;
/** `VALID_TEXT` with `insert` spliced in before its closing brace. */
const withMember = (insert: string): string => `${VALID_TEXT.slice(0, -1)},${insert}}`;
const DEEP = 10_000;

interface DuplicateCase {
  readonly name: string;
  readonly path: string;
  readonly body: string;
  /** The JSON Pointer the answer must name. */
  readonly pointer: string;
}

const CASES: readonly DuplicateCase[] = [
  // exchange-capability: JSON.parse would keep the second sender (a PLMN C SEPP) silently.
  { name: 'sender twice (the second a foreign SEPP)', path: EXCHANGE, body: withMember('"sender":"sepp.5gc.mnc003.mcc003.3gppnetwork.org"'), pointer: '/sender' },
  { name: 'the same name spelled with an escape', path: EXCHANGE, body: withMember('"\\u0073ender":"x"'), pointer: '/sender' },
  {
    name: 'mcc twice inside plmnIdList[1]',
    path: EXCHANGE,
    body: `{"sender":"${FQDN_B}","supportedSecCapabilityList":["TLS"],"plmnIdList":[{"mcc":"002","mnc":"02"},{"mcc":"002","mcc":"003","mnc":"02"}]}`,
    pointer: '/plmnIdList/1/mcc',
  },
  { name: 'a repeated name in an attribute the SEPP ignores', path: EXCHANGE, body: withMember('"vendorExtension":{"a":{"b":1,"b":2}}'), pointer: '/vendorExtension/a/b' },
  { name: 'supportedSecCapabilityList twice', path: EXCHANGE, body: withMember('"supportedSecCapabilityList":["PRINS"]'), pointer: '/supportedSecCapabilityList' },
  // The other N32-c resources parse through the same listener parser.
  { name: 'exchange-params: n32fContextId twice', path: N32C_PATHS.exchangeParams, body: `{"n32fContextId":"0123456789abcdef","sender":"${FQDN_B}","n32fContextId":"fedcba9876543210"}`, pointer: '/n32fContextId' },
  { name: 'n32f-error: n32fErrorType twice', path: N32C_PATHS.n32fError, body: '{"n32fMessageId":"1","n32fErrorType":"CONTEXT_NOT_FOUND","n32fErrorType":"POLICY_MISMATCH"}', pointer: '/n32fErrorType' },
  { name: 'n32f-terminate: n32fContextId twice', path: N32C_PATHS.n32fTerminate, body: '{"n32fContextId":"0123456789abcdef","n32fContextId":"0123456789abcdef"}', pointer: '/n32fContextId' },
  // PRINS n32f-process: the envelope of a protected message.
  { name: 'n32f-process: ciphertext twice', path: N32F_PROCESS_PATH, body: '{"reformattedData":{"ciphertext":"AAAA","aad":"e30","ciphertext":"BBBB"}}', pointer: '/reformattedData/ciphertext' },
  { name: 'n32f-process: reformattedData twice', path: N32F_PROCESS_PATH, body: '{"reformattedData":{"ciphertext":"AAAA"},"reformattedData":{"ciphertext":"BBBB"}}', pointer: '/reformattedData' },
  { name: 'n32f-process: a repeated name inside modificationsBlock[0]', path: N32F_PROCESS_PATH, body: '{"reformattedData":{"ciphertext":"AAAA"},"modificationsBlock":[{"payload":"x","signature":"y","payload":"z"}]}', pointer: '/modificationsBlock/0/payload' },
];

/**
 * TS 33.117 4.3.6.3 (unique keys; no TC name in the text read): `JSON.parse` keeps the last of two
 * equal member names without a word, so a message could mean one thing to the SEPP and another to
 * the next parser. The N32 listeners (Fastify JSON parser of both apps) and the PRINS receiver
 * refuse such bodies: 400 problem+json, cause INVALID_MSG_FORMAT, `invalidParams` naming the JSON
 * Pointer of the repeated member, at any depth (10k levels too, without recursion), with no state
 * change and a `request refused` / `n32f-process refused` log line.
 */
describe('TS 33.117 4.3.6.3 (unique keys, no TC name in the text read): duplicate JSON member names on N32', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;
  let before: PeerView[];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderYaml(certA, pki, { bodyLimit: 4 * 1024 * 1024 })));
    before = await responder.peers();
  });

  afterAll(async () => {
    await responder?.stop();
  });

  async function post(path: string, body: string): Promise<H2Answer> {
    const client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
    try {
      return await client.request('POST', path, body, JSON_TYPE);
    } finally {
      client.close();
    }
  }

  function expectDuplicateRefused(answer: H2Answer, pointer: string): void {
    const problem = expectProblem(answer, 400);
    expect(problem.cause).toBe('INVALID_MSG_FORMAT');
    expect(problem.invalidParams).toEqual([{ param: pointer, reason: 'duplicate member name' }]);
  }

  it('every body below is valid JSON that JSON.parse accepts (the check is ours, not the parser\'s)', () => {
    for (const { body } of CASES) expect(() => JSON.parse(body) as unknown).not.toThrow();
    expect((JSON.parse(CASES[0]!.body) as { sender: string }).sender).toBe('sepp.5gc.mnc003.mcc003.3gppnetwork.org');
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s -> 400 INVALID_MSG_FORMAT naming the pointer, logged', async (_name, c) => {
    const from = responder.lines.length;
    expectDuplicateRefused(await post(c.path, c.body), c.pointer);
    const msg = c.path === N32F_PROCESS_PATH ? 'n32f-process refused' : 'request refused';
    const logged = await responder.waitForLog('the refusal', (l) => l.msg === msg, 5_000, from);
    expect(String(logged['detail'])).toContain('repeats the member name');
  });

  it(`a repeated name ${DEEP} levels deep is found too (iteratively): the pointer names every level`, async () => {
    const body = withMember(`"deep":${'{"a":'.repeat(DEEP)}{"z":1,"z":2}${'}'.repeat(DEEP)}`);
    expectDuplicateRefused(await post(EXCHANGE, body), `/deep${'/a'.repeat(DEEP)}/z`);
  });

  it(`${DEEP} levels without a repeated name are not refused for it (the usual validation answers)`, async () => {
    const answer = await post(EXCHANGE, withMember(`"deep":${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP)}`).replace(`"sender":"${FQDN_B}"`, '"sender":7'));
    const problem = expectProblem(answer, 400);
    expect(problem.invalidParams?.map((p) => p.param)).toEqual(['/sender']);
  });

  it('no refused body changed a peer; the responder still runs and nothing was logged as our failure', async () => {
    expect(await responder.peers()).toEqual(before);
    expect(responder.lines.filter((l) => l.msg === 'security capability negotiation')).toEqual([]);
    expect(responder.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });

  it('control: the same body without the repetition is accepted (200, TLS selected)', async () => {
    const answer = await post(EXCHANGE, VALID_TEXT);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ sender: FQDN_A, selectedSecCapability: 'TLS' });
  });
});
