import { randomBytes } from 'node:crypto';
import {
  N32C_PATHS,
  N32F_PROCESS_PATH,
  N32fContext,
  MASTER_KEY_LENGTH,
  newN32fContextId,
  parseReformattedResponse,
  protectionPolicy,
  readMessageHeader,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  type HttpRequestMessage,
} from '@sepp/protocol';
import { FQDN_A, FQDN_B, PLMN_B, writeYaml } from './support/configs';
import { FakeResponder, type FakeRequest } from './support/fake-responder';
import { H2Client, type H2Answer } from './support/h2-client';
import { expectProblemAnswer, n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer, TARGET_HEADER, UDM1_FQDN, withPkiAndProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { expectProblem } from './support/problem';
import { PrinsPair } from './support/prins';
import { SeppProcess } from './support/sepp-process';
import { sleep, waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const SUPI = 'imsi-001010000000001';
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
/**
 * A Bearer access token as an NRF issues it (TS 29.510 AccessTokenClaims), signature not
 * verifiable by the SEPP (it reads, the producer verifies). `consumerPlmnId` undefined: no claim.
 */
const token = (consumerPlmnId?: { mcc: string; mnc: string }): string =>
  `Bearer ${b64({ alg: 'ES256', typ: 'JWT' })}.${b64({ iss: 'nrf1', sub: 'amf1', aud: 'UDM', scope: 'nudm-sdm', exp: 4_102_444_800, ...(consumerPlmnId ? { consumerPlmnId } : {}) })}.${randomBytes(64).toString('base64url')}`;
/** The peer (initiator) serves PLMN 002/02; a token for PLMN 003/03 used through it is the mismatch. */
const FOREIGN = { mcc: '003', mnc: '03' };
const MISMATCH_LOG = 'PLMN ID mismatch: the access token names another PLMN than the peer SEPP';

/**
 * TS 33.517 4.2.2.4 TC_PLMN_ID_MISMATCH (TS 33.501 13.4.1.2.2): the pSEPP (SUT = the responder)
 * reads the serving PLMN of the access token (`consumerPlmnId`) of a forwarded NF request and
 * compares it with the remote PLMN ID. A token of another PLMN than the sending SEPP's:
 * - TLS mode: `403` problem+json to the NF side, a security log line, nothing at the producer;
 * - PRINS: the message is refused with `403` ProblemDetailsMsgForwarding (cause POLICY_MISMATCH,
 *   suggestedStatusCode 403) and reported with `n32f-error` holding its `n32fMessageId`,
 *   `n32fErrorType: POLICY_MISMATCH` (there is no N32fErrorType for it: our choice, see
 *   apps/responder/src/n32f/access-token-plmn.ts) and a `policyMismatchList` naming
 *   `header authorization`; nothing at the producer.
 * Tokens of the peer's PLMN and tokens without the claim pass.
 */
describe('TC_PLMN_ID_MISMATCH', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;

  withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

  describe('TLS mode (the pair of built apps)', () => {
    let responder: SeppProcess;
    let initiator: SeppProcess;
    let nf: NfClient;

    beforeAll(async () => {
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'tls-responder', n32fResponderYaml(certA, pki, producer.port)));
      initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'tls-initiator', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      nf = await NfClient.connect(initiator.port('sbi'));
    });

    afterAll(async () => {
      nf?.close();
      await initiator?.stop();
      await responder?.stop();
    });

    const send = (authorization: string | undefined): ReturnType<NfClient['request']> =>
      nf.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot, ...(authorization ? { authorization } : {}) } });

    it('a token issued to a consumer of another PLMN (003-03): 403 to the NF, logged, nothing at the producer', async () => {
      const seen = producer.seen.length;
      const from = responder.lines.length;
      const answer = await send(token(FOREIGN));
      const problem = expectProblemAnswer(answer, 403, 'UNSPECIFIED');
      expect(problem.detail).toMatch(/003-03/);
      expect((answer.json as { invalidParams: unknown[] }).invalidParams).toEqual([{ param: 'header authorization', reason: expect.stringContaining('003-03') }]);
      const logged = await responder.waitForLog('the security event', (l) => l.msg === MISMATCH_LOG, 5_000, from);
      expect(logged).toMatchObject({ level: 'warn', peer: FQDN_B, mechanism: 'TLS', claimed: '003-03', remote: ['002-002'] });
      await sleep(200);
      expect(producer.seen.length).toBe(seen);
    });

    it.each([
      ['a token of the peer PLMN (002-02)', token(PLMN_B)],
      ['a token without consumerPlmnId', token()],
      ['no Authorization header', undefined],
    ])('%s: delivered (200)', async (_name, authorization) => {
      const seen = producer.seen.length;
      const answer = await send(authorization);
      expect(answer.status).toBe(200);
      expect(producer.seen.length).toBe(seen + 1);
      if (authorization) expect(producer.seen[seen]!.headers['authorization']).toBe(authorization);
    });
  });

  describe('PRINS: the test plays the initiating SEPP (holding the keys) against the real responder', () => {
    let reports: FakeResponder;
    let responder: SeppProcess;
    let client: H2Client;
    let context: N32fContext;
    let initiatorContextId: string;

    beforeAll(async () => {
      reports = await FakeResponder.start(certB, pki.ca.certPem, () => ({ status: 204 }));
      const yaml = n32fResponderYaml(certA, pki, producer.port, {
        responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying', address: `127.0.0.1:${reports.port}` }] },
      });
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'prins-responder', yaml));
      client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
      const selected = await client.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_B, supportedSecCapabilityList: ['PRINS'], plmnIdList: [PLMN_B], supportedFeatures: '0' });
      expect(selected.json).toMatchObject({ selectedSecCapability: 'PRINS' });
      initiatorContextId = newN32fContextId();
      const params = await client.postJson(N32C_PATHS.exchangeParams, {
        n32fContextId: initiatorContextId,
        jweCipherSuiteList: ['A128GCM'],
        protectionPolicyInfo: toProtectionPolicyData(protectionPolicy()),
        sender: FQDN_B,
      });
      expect(params.status).toBe(200);
      const responderContextId = (params.json as { n32fContextId: string }).n32fContextId;
      await responder.waitForPeerState(FQDN_B, 'prins-established');
      const master = client.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
      context = new N32fContext({ role: 'initiator', peer: FQDN_A, localContextId: initiatorContextId, remoteContextId: responderContextId, master, enc: 'A128GCM', policy: protectionPolicy() });
    });

    afterAll(async () => {
      client?.close();
      await responder?.stop();
      await reports?.close();
    });

    const errorReports = (): FakeRequest[] => reports.requests.filter((r) => r.headers[':path'] === N32C_PATHS.n32fError);
    const request = (authorization?: string): HttpRequestMessage => ({
      method: 'GET',
      scheme: 'http',
      authority: `${UDM1_FQDN}:${producer.port}`,
      path: `/nudm-sdm/v2/${SUPI}/am-data`,
      headers: [['accept', 'application/json'], ...(authorization ? ([['authorization', authorization]] as const) : [])],
    });
    const sendProtected = (message: HttpRequestMessage): { answer: Promise<H2Answer>; messageId: string; wire: string } => {
      const { body, messageId } = context.protectRequest(message);
      const wire = JSON.stringify(body);
      return { answer: client.request('POST', N32F_PROCESS_PATH, wire, { 'content-type': 'application/json' }), messageId, wire };
    };

    it('the token travels encrypted (AUTHORIZATION_TOKEN): the responder can only read it after decryption', () => {
      const { body, messageId } = context.protectRequest(request(token(FOREIGN)));
      context.abandon(messageId);
      const wire = JSON.stringify(body);
      expect(wire).not.toContain('consumerPlmnId');
      expect(wire).not.toContain(b64({ alg: 'ES256', typ: 'JWT' }));
    });

    it('a token of PLMN 003-03 through the peer of PLMN 002-02: 403 POLICY_MISMATCH, n32f-error with the n32fMessageId, nothing at the NF', async () => {
      const seen = producer.seen.length;
      const reported = errorReports().length;
      const from = responder.lines.length;
      const sent = sendProtected(request(token(FOREIGN)));
      const answer = await sent.answer;
      const problem = expectProblem(answer, 403) as unknown as { cause: string; suggestedStatusCode: number; suggestedProblemDetails: { status: number; cause: string } };
      expect(problem).toMatchObject({ cause: 'POLICY_MISMATCH', suggestedStatusCode: 403, suggestedProblemDetails: { status: 403, cause: 'UNSPECIFIED' } });

      await waitFor('the n32f-error report', () => errorReports().length > reported, 5_000);
      const [report] = errorReports().slice(reported);
      expect(report!.headers[':method']).toBe('POST');
      // On the responder's own N32-c connection, with its certificate.
      expect(report!.session.clientCertificateSubjectAltName).toContain(FQDN_A);
      expect(report!.json).toEqual({
        n32fMessageId: sent.messageId,
        n32fErrorType: 'POLICY_MISMATCH',
        n32fContextId: initiatorContextId,
        policyMismatchList: [{ param: 'header authorization', reason: expect.stringContaining('003-03') }],
      });

      const event = await responder.waitForLog('the security event', (l) => l.msg === MISMATCH_LOG, 5_000, from);
      expect(event).toMatchObject({ level: 'warn', peer: FQDN_B, mechanism: 'PRINS', claimed: '003-03', messageId: sent.messageId });
      expect(await responder.waitForLog('PRINS message refused', (l) => l.msg === 'PRINS message refused', 5_000, from)).toMatchObject({ level: 'warn', n32fErrorType: 'POLICY_MISMATCH', messageId: sent.messageId });
      await sleep(200);
      expect(producer.seen.length).toBe(seen);
    });

    it.each([
      ['a token of the peer PLMN (002-02)', token(PLMN_B)],
      ['a token without consumerPlmnId', token()],
    ])('%s: delivered (200, the protected answer opens)', async (_name, authorization) => {
      const seen = producer.seen.length;
      const sent = sendProtected(request(authorization));
      const answer = await sent.answer;
      expect({ status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({ status: 200, text: '' });
      const reformatted = parseReformattedResponse(answer.json);
      const opened = context.openResponse(reformatted, readMessageHeader(reformatted), sent.messageId);
      expect(opened.message.status).toBe(200);
      expect(producer.seen.length).toBe(seen + 1);
      expect(producer.seen[seen]!.headers['authorization']).toBe(authorization);
    });
  });

  describe('PRINS end to end (the pair of built apps): what the consumer NF gets', () => {
    let pair: PrinsPair;

    beforeAll(async () => {
      pair = await PrinsPair.start(pki, certA, certB, producer, { name: 'mismatch-pair' });
    });

    afterAll(async () => {
      await pair?.stop();
    });

    it('the NF gets the suggested 403; the initiator logs the n32f-error report; nothing at the producer', async () => {
      const seen = producer.seen.length;
      const answer = await pair.nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot, authorization: token(FOREIGN) } });
      expectProblemAnswer(answer, 403, 'UNSPECIFIED');
      const report = await pair.initiator.waitForLog('the report', (l) => l.msg === 'N32-f error reported by the peer');
      expect(report).toMatchObject({ level: 'warn', peer: FQDN_A, n32fErrorType: 'POLICY_MISMATCH' });
      expect(producer.seen.length).toBe(seen);
      // And the same NF with a token of its own PLMN is served.
      const ok = await pair.nf!.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot, authorization: token(PLMN_B) } });
      expect(ok.status).toBe(200);
    });
  });
});
