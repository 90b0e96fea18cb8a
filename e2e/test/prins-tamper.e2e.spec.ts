import { randomBytes } from 'node:crypto';
import {
  base64urlDecode,
  base64urlEncode,
  buildNonce,
  encryptFlattenedJwe,
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  N32F_PROCESS_PATH,
  N32fContext,
  newN32fContextId,
  parseReformattedResponse,
  protectionPolicy,
  readMessageHeader,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  type HttpRequestMessage,
} from '@sepp/protocol';
import { seppFqdn, type PlmnId } from '@sepp/infra';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, writeYaml } from './support/configs';
import { FakeResponder, type FakeRequest } from './support/fake-responder';
import { H2Client, type H2Answer } from './support/h2-client';
import { n32fResponderYaml, TappedProducer, UDM1_FQDN } from './support/n32f';
import { expectProblem } from './support/problem';
import { contextsOf, flipBit, keyCheckOf, metricBy, metricsOf } from './support/prins';
import type { TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { sleep, waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const SUPI = 'imsi-001010000000001';
const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYxIn0.c2lnbmF0dXJl';
const JSON_TYPE = { 'content-type': 'application/json' };
/** A second roaming partner of the responder, with its own N32-f context. */
const PLMN_C: PlmnId = { mcc: '003', mnc: '03' };
const FQDN_C = seppFqdn(PLMN_C);
/** The responder's prins.replacedContextGraceMs. */
const REPLACED_GRACE_MS = 4_000;
/** The responder's prins.maxContextsPerPeer. */
const MAX_CONTEXTS = 3;

/** A FlatJweJson as we tamper with it. */
type Jwe = Record<string, unknown>;
/** An N32fReformattedReqMsg as we tamper with it. */
type Message = { reformattedData: Jwe; modificationsBlock?: unknown[] };

interface N32fErrorInfoBody {
  n32fMessageId: string;
  n32fErrorType: string;
  n32fContextId?: string;
  errorDetailsList?: { attribute: string; msgReconstructFailReason: string }[];
  failedModificationList?: { ipxId: string; n32fErrorType: string }[];
}

/**
 * The tamper table through the REAL responder process. The test plays the initiating SEPP with a
 * raw mutual-TLS HTTP/2 client holding the initiator's certificate: exchange-capability [PRINS],
 * exchange-params, the master key exported from its own end of the TLS session, an N32fContext
 * (role initiator) from @sepp/protocol, then protected (and tampered) requests to n32f-process on
 * the same connection. A mutual-TLS HTTP/2 server of the test, with a certificate for the
 * initiator's FQDN, is the `address` of the responder's peer entry: the responder's n32f-error
 * reports (second N32-c connection) arrive there.
 */
describe('PRINS tampering against the real responder', () => {
  let producer: TappedProducer;
  let reports: FakeResponder;
  let responder: SeppProcess;
  let client: H2Client;
  let context: N32fContext;
  let initiatorContextId: string;
  let responderContextId: string;
  let request: HttpRequestMessage;
  let pki: TestPki;
  /** The responder's configuration (rewritten and reloaded by the legacy placeholder test). */
  let responderConfig: ReturnType<typeof n32fResponderYaml>;

  beforeAll(async () => {
    const created = await createPkiAB();
    pki = created.pki;
    const { certA, certB } = created;
    producer = await TappedProducer.start('udm1');
    reports = await FakeResponder.start(certB, pki.ca.certPem, (r) =>
      r.headers[':path'] === N32C_PATHS.n32fTerminate ? { status: 200, body: { n32fContextId: (r.json as { n32fContextId: string }).n32fContextId } } : { status: 204 },
    );
    const yaml = n32fResponderYaml(certA, pki, producer.port, {
      responderN32: {
        peers: [
          { fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying', address: `127.0.0.1:${reports.port}` },
          { fqdn: FQDN_C, plmns: [PLMN_C], intermediaries: 'modifying' },
        ],
      },
    });
    responderConfig = yaml;
    // A replaced context keeps serving for 4 s (default 10 s), and at most 3 contexts per peer
    // (default 4): the last describe watches them go.
    yaml.prins = { replacedContextGraceMs: REPLACED_GRACE_MS, maxContextsPerPeer: MAX_CONTEXTS };
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', yaml));
    client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
    request = {
      method: 'GET',
      scheme: 'http',
      authority: `${UDM1_FQDN}:${producer.port}`,
      path: `/nudm-sdm/v2/${SUPI}/am-data`,
      query: 'dataset-names=AM',
      headers: [
        ['accept', 'application/json'],
        ['authorization', TOKEN],
        ['user-agent', 'AMF-amf1.5gc.mnc002.mcc002.3gppnetwork.org'],
      ],
    };
  });

  afterAll(async () => {
    client?.close();
    await responder?.stop();
    await reports?.close();
    await producer?.close();
  });

  // ---------------------------------------------------------------------------------------------

  const seal = (): { wire: string; messageId: string } => {
    const { body, messageId } = context.protectRequest(request);
    return { wire: JSON.stringify(body), messageId };
  };
  const send = (body: string, headers: Record<string, string> = JSON_TYPE, method = 'POST'): Promise<H2Answer> => client.request(method, N32F_PROCESS_PATH, body, headers);
  const errorReports = (): FakeRequest[] => reports.requests.filter((r) => r.headers[':path'] === N32C_PATHS.n32fError);

  /** What the test watches around one message: reports received and streams at the producer. */
  const checkpoint = (): { reports: number; seen: number; served: number } => ({ reports: errorReports().length, seen: producer.seen.length, served: producer.stats().total });

  /** A 200 whose protected answer opens with our context and carries the producer's answer. */
  function expectDelivered(answer: H2Answer, messageId: string): { status: number; json: unknown } {
    expect({ status: answer.status, text: answer.status === 200 ? '' : answer.text }).toEqual({ status: 200, text: '' });
    expect(String(answer.headers['content-type'])).toBe('application/json');
    const reformatted = parseReformattedResponse(answer.json);
    const header = readMessageHeader(reformatted);
    expect(header.n32fContextId).toBe(initiatorContextId);
    expect(header.messageId).toBe(messageId);
    const opened = context.openResponse(reformatted, header, messageId);
    const body = opened.message.body?.toString('utf8') ?? '';
    return { status: opened.message.status, json: body ? (JSON.parse(body) as unknown) : undefined };
  }

  /**
   * The refusal of a tampered message: 403 ProblemDetailsMsgForwarding with cause = the
   * N32fErrorType, one n32f-error report with that type at the test's server, nothing at the NF.
   */
  async function expectRefused(answer: H2Answer, before: ReturnType<typeof checkpoint>, type: string): Promise<N32fErrorInfoBody> {
    const problem = expectProblem(answer, 403) as unknown as { cause: string; suggestedStatusCode: number; suggestedProblemDetails: { status: number; cause: string } };
    expect(problem.cause).toBe(type);
    const suggested = type === 'MESSAGE_RECONSTRUCTION_FAILED' ? 400 : 500;
    expect(problem).toMatchObject({ suggestedStatusCode: suggested, suggestedProblemDetails: { status: suggested, cause: expect.any(String) } });
    await waitFor('the n32f-error report', () => errorReports().length > before.reports, 5_000);
    const received = errorReports().slice(before.reports);
    expect(received).toHaveLength(1);
    const report = received[0]!;
    expect(report.headers[':method']).toBe('POST');
    expect(String(report.headers['content-type'])).toMatch(/^application\/json/);
    // It came on the responder's own (second) N32-c connection, with the responder's certificate.
    expect(report.session.clientCertificateSubjectAltName).toContain(FQDN_A);
    const info = report.json as N32fErrorInfoBody;
    expect(info.n32fErrorType).toBe(type);
    expect(typeof info.n32fMessageId).toBe('string');
    // Nothing reached the producer, not even a stream it did not answer.
    expect(producer.seen.length).toBe(before.seen);
    expect(producer.stats().total).toBe(before.served);
    return info;
  }

  /** Edits a sealed message. */
  function tamper(wire: string, edit: (jwe: Jwe, message: Message) => void): string {
    const message = JSON.parse(wire) as Message;
    edit(message.reformattedData, message);
    return JSON.stringify(message);
  }

  /** Edits the decoded aad JSON of a sealed message (re-encoded; the tag no longer matches). */
  const editAad = (edit: (aad: { metaData: Record<string, unknown> } & Record<string, unknown>) => void) => (jwe: Jwe): void => {
    const aad = JSON.parse(base64urlDecode(jwe['aad'] as string).toString('utf8')) as { metaData: Record<string, unknown> };
    edit(aad);
    jwe['aad'] = base64urlEncode(JSON.stringify(aad));
  };

  // ---------------------------------------------------------------------------------------------

  describe('the test as the initiating SEPP', () => {
    it('exchange-capability offering [PRINS]: PRINS is selected', async () => {
      const answer = await client.postJson(N32C_PATHS.exchangeCapability, {
        sender: FQDN_B,
        supportedSecCapabilityList: ['PRINS'],
        plmnIdList: [PLMN_B],
        n32HandshakeId: randomBytes(8).toString('hex'),
        supportedFeatures: '0',
      });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ sender: FQDN_A, selectedSecCapability: 'PRINS' });
      await responder.waitForPeerState(FQDN_B, 'prins-selected');
    });

    it('exchange-params: cipher suites, then protection policy; the responder establishes its context', async () => {
      initiatorContextId = newN32fContextId();
      const suites = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: initiatorContextId, jweCipherSuiteList: ['A128GCM'], jwsCipherSuiteList: ['ES256'], sender: FQDN_B });
      expect(suites.status).toBe(200);
      expect(suites.json).toMatchObject({ sender: FQDN_A, selectedJweCipherSuite: 'A128GCM', selectedJwsCipherSuite: 'ES256', n32fContextId: expect.stringMatching(/^[0-9a-f]{16}$/) });
      responderContextId = (suites.json as { n32fContextId: string }).n32fContextId;
      expect(responderContextId).not.toBe(initiatorContextId);

      const policies = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: initiatorContextId, protectionPolicyInfo: toProtectionPolicyData(protectionPolicy()), sender: FQDN_B });
      expect(policies.status).toBe(200);
      expect(policies.json).toMatchObject({ n32fContextId: responderContextId, selProtectionPolicyInfo: toProtectionPolicyData(protectionPolicy()) });
      await responder.waitForPeerState(FQDN_B, 'prins-established');
    });

    it('the master key exported from the test client\'s end of the TLS session gives the keys the responder derived (same key check)', async () => {
      const master = client.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
      expect(TLS_EXPORTER_LABEL).toBe('EXPORTER_3GPP_N32_MASTER');
      expect(master).toHaveLength(64);
      context = new N32fContext({ role: 'initiator', peer: FQDN_A, localContextId: initiatorContextId, remoteContextId: responderContextId, master, enc: 'A128GCM', policy: protectionPolicy() });
      const atResponder = await contextsOf(responder);
      expect(atResponder).toEqual([
        expect.objectContaining({ peer: FQDN_B, role: 'responder', localContextId: responderContextId, remoteContextId: initiatorContextId, enc: 'A128GCM', keyCheck: keyCheckOf(context.keys) }),
      ]);
    });
  });

  describe('n32f-process', () => {
    /** The accepted message the replay case resends. */
    let accepted: { wire: string; messageId: string };

    it('a valid protected request: 200, the producer gets the request, the protected answer opens', async () => {
      const before = checkpoint();
      accepted = seal();
      const answer = await send(accepted.wire);
      const opened = expectDelivered(answer, accepted.messageId);
      expect(opened.status).toBe(200);
      expect(opened.json).toMatchObject({ supi: SUPI, query: { 'dataset-names': 'AM' }, servedBy: 'udm1' });
      const arrived = producer.seen.slice(before.seen);
      expect(arrived).toHaveLength(1);
      expect(arrived[0]!.headers).toMatchObject({ ':method': 'GET', ':path': `/nudm-sdm/v2/${SUPI}/am-data?dataset-names=AM`, authorization: TOKEN, accept: 'application/json' });
      expect(errorReports().length).toBe(before.reports);
    });

    it('the encrypted parts are not on the wire in clear (SUPI path, authorization token)', () => {
      expect(accepted.wire).not.toContain(SUPI);
      expect(accepted.wire).not.toContain('eyJzdWIiOiJhbWYxIn0');
    });

    it('a replayed message (exact resend of the accepted one): 403 INTEGRITY_CHECK_FAILED, reported with its messageId and our context ID', async () => {
      const before = checkpoint();
      const info = await expectRefused(await send(accepted.wire), before, 'INTEGRITY_CHECK_FAILED');
      expect(info).toMatchObject({ n32fMessageId: accepted.messageId, n32fContextId: initiatorContextId });
    });

    it('reordered but fresh messages (#3 sent before #2): both accepted and delivered', async () => {
      const before = checkpoint();
      const second = seal();
      const third = seal();
      expect(expectDelivered(await send(third.wire), third.messageId).status).toBe(200);
      expect(expectDelivered(await send(second.wire), second.messageId).status).toBe(200);
      expect(producer.seen.length).toBe(before.seen + 2);
      expect(errorReports().length).toBe(before.reports);
      // ...and each of them only once (the checkpoint before sending: the report may come before the answer's end).
      const again = checkpoint();
      await expectRefused(await send(second.wire), again, 'INTEGRITY_CHECK_FAILED');
    });

    const protectedHeader = (text: string): string => base64urlEncode(text);
    const DIR_OFFSET = '{"alg":"'.length;
    const cases: [string, (jwe: Jwe, message: Message) => void, string][] = [
      ['a flipped bit in the ciphertext', (jwe) => (jwe['ciphertext'] = flipBit(jwe['ciphertext'] as string, 3)), 'INTEGRITY_CHECK_FAILED'],
      ['a flipped bit in the tag', (jwe) => (jwe['tag'] = flipBit(jwe['tag'] as string, 15)), 'INTEGRITY_CHECK_FAILED'],
      ['a flipped bit in the iv (SEQ)', (jwe) => (jwe['iv'] = flipBit(jwe['iv'] as string, 11)), 'INTEGRITY_CHECK_FAILED'],
      ['a flipped bit in the iv (salt: another direction)', (jwe) => (jwe['iv'] = flipBit(jwe['iv'] as string, 0)), 'INTEGRITY_CHECK_FAILED'],
      ['a flipped bit in the protected header ("dir" -> "eir": not alg dir)', (jwe) => (jwe['protected'] = flipBit(jwe['protected'] as string, DIR_OFFSET)), 'DECIPHERING_FAILED'],
      ['the protected header with the same members in another order (other bytes)', (jwe) => (jwe['protected'] = protectedHeader('{"enc":"A128GCM","alg":"dir"}')), 'INTEGRITY_CHECK_FAILED'],
      [
        'a flipped bit in the aad (protocolVersion HTTP/2 -> HTTP/3)',
        (jwe) => {
          const text = base64urlDecode(jwe['aad'] as string).toString('utf8');
          jwe['aad'] = flipBit(jwe['aad'] as string, text.indexOf('"HTTP/2"') + 6);
        },
        'INTEGRITY_CHECK_FAILED',
      ],
      ['a changed requestLine authority in the aad', editAad((aad) => ((aad['requestLine'] as Record<string, unknown>)['authority'] = 'udm2.5gc.mnc001.mcc001.3gppnetwork.org')), 'INTEGRITY_CHECK_FAILED'],
      ['alg A128KW (not dir)', (jwe) => (jwe['protected'] = protectedHeader('{"alg":"A128KW","enc":"A128GCM"}')), 'DECIPHERING_FAILED'],
      ['alg none', (jwe) => (jwe['protected'] = protectedHeader('{"alg":"none","enc":"A128GCM"}')), 'DECIPHERING_FAILED'],
      ['enc A256GCM (not the negotiated A128GCM)', (jwe) => (jwe['protected'] = protectedHeader('{"alg":"dir","enc":"A256GCM"}')), 'DECIPHERING_FAILED'],
      ['a zip member in the protected header', (jwe) => (jwe['protected'] = protectedHeader('{"alg":"dir","enc":"A128GCM","zip":"DEF"}')), 'DECIPHERING_FAILED'],
      ['a non-empty unprotected header', (jwe) => (jwe['unprotected'] = { kid: 'x' }), 'DECIPHERING_FAILED'],
    ];

    it.each(cases)('%s: 403, reported, nothing reaches the NF; the genuine message is still accepted afterwards', async (_name, edit, type) => {
      const genuine = seal();
      const before = checkpoint();
      const info = await expectRefused(await send(tamper(genuine.wire, edit)), before, type);
      // The report names the message (its metaData was readable) and the context by our ID.
      expect(info).toMatchObject({ n32fMessageId: genuine.messageId, n32fContextId: initiatorContextId });
      // A forgery does not burn the sequence number of the genuine message.
      expect(expectDelivered(await send(genuine.wire), genuine.messageId).status).toBe(200);
    });

    it.each([
      ['another valid-looking 16-hex context ID', () => 'fedcba9876543210'],
      ["the initiator's own context ID (the wrong direction)", () => initiatorContextId],
    ])('a swapped context ID (%s): 403 CONTEXT_NOT_FOUND, reported without a context ID', async (_name, id) => {
      const genuine = seal();
      const before = checkpoint();
      const info = await expectRefused(await send(tamper(genuine.wire, editAad((aad) => (aad.metaData['n32fContextId'] = id())))), before, 'CONTEXT_NOT_FOUND');
      expect(info.n32fMessageId).toBe(genuine.messageId);
      expect(info.n32fContextId).toBeUndefined();
      expect(expectDelivered(await send(genuine.wire), genuine.messageId).status).toBe(200);
    });

    it("another peer's context ID (PLMN 003/03 has its own context): 403 CONTEXT_NOT_FOUND, and the report does not name that peer's context", async () => {
      const other = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(await pki.sepp(PLMN_C)));
      try {
        const selected = await other.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_C, supportedSecCapabilityList: ['PRINS'], plmnIdList: [PLMN_C], supportedFeatures: '0' });
        expect(selected.json).toMatchObject({ selectedSecCapability: 'PRINS' });
        const otherId = newN32fContextId();
        const params = await other.postJson(N32C_PATHS.exchangeParams, {
          n32fContextId: otherId,
          jweCipherSuiteList: ['A128GCM'],
          protectionPolicyInfo: toProtectionPolicyData(protectionPolicy()),
          sender: FQDN_C,
        });
        expect(params.status).toBe(200);
        const theirs = (params.json as { n32fContextId: string }).n32fContextId;
        expect((await contextsOf(responder)).map((c) => c.peer).sort()).toEqual([FQDN_B, FQDN_C]);

        const genuine = seal();
        const before = checkpoint();
        const info = await expectRefused(await send(tamper(genuine.wire, editAad((aad) => (aad.metaData['n32fContextId'] = theirs)))), before, 'CONTEXT_NOT_FOUND');
        expect(info.n32fMessageId).toBe(genuine.messageId);
        expect(info.n32fContextId).toBeUndefined();
        expect(JSON.stringify(info)).not.toContain(otherId);
        expect(expectDelivered(await send(genuine.wire), genuine.messageId).status).toBe(200);
      } finally {
        other.close();
      }
    });

    it('a modificationsBlock while authorizedIpxId is "NULL": 403 INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED, failedModificationList names the signer', async () => {
      const genuine = seal();
      const jweTag = (JSON.parse(genuine.wire) as Message).reformattedData['tag'];
      const jws = {
        protected: base64urlEncode('{"alg":"ES256"}'),
        payload: base64urlEncode(JSON.stringify({ identity: 'ipx1.example.org', tag: jweTag, operations: [{ op: 'replace', path: '/requestLine/path', value: '/nudm-sdm/v2/x' }] })),
        signature: base64urlEncode(randomBytes(64)),
      };
      const before = checkpoint();
      const info = await expectRefused(await send(tamper(genuine.wire, (_jwe, message) => (message.modificationsBlock = [jws]))), before, 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED');
      expect(info.failedModificationList).toEqual([{ ipxId: 'ipx1.example.org', n32fErrorType: 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED' }]);
      expect(info).toMatchObject({ n32fMessageId: genuine.messageId, n32fContextId: initiatorContextId });
      expect(expectDelivered(await send(genuine.wire), genuine.messageId).status).toBe(200);
    });

    /** A message sealed by hand with the right key and a fresh nonce (a peer holding the keys). */
    function sealByHand(aadBody: Record<string, unknown>, dataToEncrypt: unknown[], seq: number, messageId = randomBytes(8).toString('hex')): { wire: string; messageId: string } {
      const aad = { metaData: { n32fContextId: responderContextId, messageId, authorizedIpxId: 'NULL' }, ...aadBody };
      const { key, salt } = context.keys.parallelRequest;
      const jwe = encryptFlattenedJwe({ plaintext: JSON.stringify({ dataToEncrypt }), aad: base64urlEncode(JSON.stringify(aad)), key, iv: buildNonce(salt, seq), enc: 'A128GCM' });
      return { wire: JSON.stringify({ reformattedData: jwe }), messageId };
    }
    const requestLine = (): Record<string, unknown> => ({ method: 'GET', scheme: 'http', authority: `${UDM1_FQDN}:${producer.port}`, path: '/nudm-sdm/v2/status/200', protocolVersion: 'HTTP/2' });

    // SEQs far above those of `context` (which counts from 0): never the same nonce twice.
    it.each([
      ['an out-of-range encBlockIndex', { headers: [{ header: 'authorization', value: { encBlockIndex: 3 } }] }, [TOKEN], 900, '/headers/0/value', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
      ['an encBlockIndex used twice', { headers: [{ header: 'authorization', value: { encBlockIndex: 0 } }, { header: 'x-copy', value: { encBlockIndex: 0 } }] }, [TOKEN], 901, '/headers/1/value', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
      ['an iePath that is not a JSON Pointer', { payload: [{ iePath: 'supi', ieValueLocation: 'BODY', value: SUPI }] }, [], 902, '/payload/0/iePath', 'INVALID_JSON_POINTER'],
      ['a header name that is not an HTTP token', { headers: [{ header: 'bad header', value: 'x' }] }, [], 903, '/headers/0/header', 'INVALID_HTTP_HEADER'],
      // The pre-Release-19 whole-path placeholder is read only with prins.acceptLegacyUriPlaceholder (off here).
      ['the legacy "encBlockIndex/<n>" path', { line: { path: 'encBlockIndex/0' } }, ['/nudm-sdm/v2/status/200'], 904, '/requestLine/path', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
      ['a path placeholder that pathQueryProtectInd does not name', { line: { path: '/nudm-sdm/v2/{"encBlockIndex":0}/200' } }, ['status'], 905, '/requestLine/path', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
      ['pathQueryProtectInd naming a path without a placeholder', { line: { pathQueryProtectInd: ['URI_PATH'] } }, ['status'], 906, '/requestLine/path', 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
    ])('a correctly sealed message with %s: 403 MESSAGE_RECONSTRUCTION_FAILED, errorDetailsList in the report', async (_name, aadBody, dataToEncrypt, seq, attribute, reason) => {
      // `line`: members of the request line to change (the table is built before the producer runs).
      const { line, ...rest } = aadBody as { line?: Record<string, unknown> };
      const forged = sealByHand({ requestLine: { ...requestLine(), ...line }, ...rest }, dataToEncrypt, seq);
      const before = checkpoint();
      const info = await expectRefused(await send(forged.wire), before, 'MESSAGE_RECONSTRUCTION_FAILED');
      expect(info).toMatchObject({ n32fMessageId: forged.messageId, n32fContextId: initiatorContextId });
      expect(info.errorDetailsList).toEqual([{ attribute, msgReconstructFailReason: reason }]);
    });

    it('a repeated messageId under a fresh sequence number (correctly sealed): 403 INTEGRITY_CHECK_FAILED, reported, nothing at the NF', async () => {
      const repeated = sealByHand({ requestLine: requestLine(), headers: [] }, [], 920, accepted.messageId);
      const before = checkpoint();
      const info = await expectRefused(await send(repeated.wire), before, 'INTEGRITY_CHECK_FAILED');
      expect(info).toMatchObject({ n32fMessageId: accepted.messageId, n32fContextId: initiatorContextId });
      // The same envelope with a new messageId is accepted: the messageId was the only fault.
      const fresh = sealByHand({ requestLine: requestLine(), headers: [] }, [], 921);
      expect((await send(fresh.wire)).status).toBe(200);
    });

    it('a correctly sealed message of our own making is delivered (the hand-made envelope itself is right)', async () => {
      const made = sealByHand({ requestLine: requestLine(), headers: [{ header: 'authorization', value: { encBlockIndex: 0 } }] }, [TOKEN], 910);
      const before = checkpoint();
      const answer = await send(made.wire);
      expect(answer.status).toBe(200);
      expect(producer.seen.length).toBe(before.seen + 1);
      expect(producer.seen[before.seen]!.headers).toMatchObject({ ':path': '/nudm-sdm/v2/status/200', authorization: TOKEN });
    });

    it.each([
      ['its IndexToEncryptedValue JSON text (as we send it)', '/nudm-sdm/v2/{"encBlockIndex":0}/200', 911],
      ['that text percent-encoded (as a SEPP keeping the path a valid URI may send it)', '/nudm-sdm/v2/%7B%22encBlockIndex%22%3A0%7D/200', 912],
    ])('Release 19 pathQueryProtectInd URI_PATH, the encrypted segment written as %s: delivered with the segment decrypted in place', async (_name, path, seq) => {
      const made = sealByHand({ requestLine: { ...requestLine(), path, pathQueryProtectInd: ['URI_PATH'] } }, ['status'], seq);
      const before = checkpoint();
      const answer = await send(made.wire);
      expect(answer.status).toBe(200);
      expect(producer.seen.slice(before.seen).map((seen) => seen.headers[':path'])).toEqual(['/nudm-sdm/v2/status/200']);
    });

    it('with prins.acceptLegacyUriPlaceholder switched on (reload), the legacy "encBlockIndex/<n>" path is read and delivered', async () => {
      writeYaml(pki.dir, 'responder', { ...responderConfig, prins: { ...(responderConfig['prins'] as object), acceptLegacyUriPlaceholder: true } });
      const reload = await responder.admin('/admin/reload', { method: 'POST' });
      expect(reload.status).toBe(200);
      const made = sealByHand({ requestLine: { ...requestLine(), path: 'encBlockIndex/0' } }, ['/nudm-sdm/v2/status/200'], 913);
      const before = checkpoint();
      expect((await send(made.wire)).status).toBe(200);
      expect(producer.seen.slice(before.seen).map((seen) => seen.headers[':path'])).toEqual(['/nudm-sdm/v2/status/200']);
      writeYaml(pki.dir, 'responder', responderConfig);
      expect((await responder.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
    });

    it.each([
      ['a body that is not JSON', 'this is { not json', JSON_TYPE, 'POST', '/', 'INVALID_MSG_FORMAT'],
      ['a JSON array', '[]', JSON_TYPE, 'POST', '/', null],
      ['an object without reformattedData', '{}', JSON_TYPE, 'POST', '/reformattedData', 'MANDATORY_IE_MISSING'],
      ['reformattedData without ciphertext', JSON.stringify({ reformattedData: { protected: 'eyJhbGciOiJkaXIifQ', aad: 'e30', iv: 'AAAA', tag: 'AAAA' } }), JSON_TYPE, 'POST', '/reformattedData/ciphertext', 'MANDATORY_IE_MISSING'],
      ['reformattedData not an object', JSON.stringify({ reformattedData: 'x' }), JSON_TYPE, 'POST', '/reformattedData', null],
      ['a text/plain content type', JSON.stringify({ reformattedData: { ciphertext: 'AAAA' } }), { 'content-type': 'text/plain' }, 'POST', 'header content-type', 'INVALID_MSG_FORMAT'],
      // A GET is a 405 with Allow (TC_NO_UNUSED_HTTP_METHODS, scas-no-unused-http-methods.e2e.spec.ts).
    ] as const)('%s: 400 problem+json, no n32f-error report, nothing at the NF', async (_name, body, headers, method, param, cause) => {
      const before = checkpoint();
      const answer = await client.request(method, N32F_PROCESS_PATH, body, headers);
      const problem = expectProblem(answer, 400);
      expect(problem.invalidParams?.map((p) => p.param)).toContain(param);
      if (cause !== null) expect(problem.cause).toBe(cause);
      await sleep(300);
      expect(errorReports().length).toBe(before.reports);
      expect(producer.seen.length).toBe(before.seen);
    });
  });

  describe('after n32f-terminate', () => {
    it("POST n32f-terminate with the responder's context ID: 200 with ours; the responder drops the context", async () => {
      const answer = await client.postJson(N32C_PATHS.n32fTerminate, { n32fContextId: responderContextId });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ n32fContextId: initiatorContextId });
      expect((await contextsOf(responder)).filter((c) => c.peer === FQDN_B)).toEqual([]);
      await responder.waitForPeerState(FQDN_B, 'prins-selected');
      // The other peer's context is not touched.
      expect((await contextsOf(responder)).map((c) => c.peer)).toEqual([FQDN_C]);
    });

    it('a message on the terminated context: 403 CONTEXT_NOT_FOUND, reported, nothing at the NF', async () => {
      const message = seal();
      const before = checkpoint();
      const info = await expectRefused(await send(message.wire), before, 'CONTEXT_NOT_FOUND');
      expect(info.n32fMessageId).toBe(message.messageId);
      expect(info.n32fContextId).toBeUndefined();
    });

    it('a second n32f-terminate of that context: 404 CONTEXT_NOT_FOUND', async () => {
      const answer = await client.postJson(N32C_PATHS.n32fTerminate, { n32fContextId: responderContextId });
      expect(expectProblem(answer, 404).cause).toBe('CONTEXT_NOT_FOUND');
    });

    it('every refusal was logged by the responder as a security event, and counted', async () => {
      const refused = responder.lines.filter((line) => line.msg === 'PRINS message refused');
      expect(refused.length).toBe(errorReports().length);
      for (const line of refused) expect(line.level).toBe('warn');
      const counted = metricBy(await metricsOf(responder), 'sepp_prins_verification_failures_total', { detected_by: 'us' }, 'type');
      const byType: Record<string, number> = {};
      for (const line of refused) byType[line['n32fErrorType'] as string] = (byType[line['n32fErrorType'] as string] ?? 0) + 1;
      expect(counted).toEqual(byType);
    });
  });

  describe('a context replaced by a new parameter exchange (prins.replacedContextGraceMs)', () => {
    /** Suites, then policies, on the test's connection: a new context with the responder; its keys. */
    async function newContext(): Promise<{ context: N32fContext; responderId: string }> {
      const id = newN32fContextId();
      const suites = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: id, jweCipherSuiteList: ['A128GCM'], jwsCipherSuiteList: ['ES256'], sender: FQDN_B });
      expect(suites.status).toBe(200);
      const responderId = (suites.json as { n32fContextId: string }).n32fContextId;
      const policies = await client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: id, protectionPolicyInfo: toProtectionPolicyData(protectionPolicy()), sender: FQDN_B });
      expect(policies.status).toBe(200);
      const master = client.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
      return { context: new N32fContext({ role: 'initiator', peer: FQDN_A, localContextId: id, remoteContextId: responderId, master, enc: 'A128GCM', policy: protectionPolicy() }), responderId };
    }
    const sendOn = (on: N32fContext): Promise<{ answer: H2Answer; messageId: string }> => {
      const { body, messageId } = on.protectRequest(request);
      return send(JSON.stringify(body)).then((answer) => ({ answer, messageId }));
    };

    it('the old context keeps serving messages on the way for the grace, then is retired (logged) and answers CONTEXT_NOT_FOUND; the new one serves', async () => {
      const old = await newContext();
      expect((await sendOn(old.context)).answer.status).toBe(200);
      const from = responder.lines.length;
      const fresh = await newContext();
      const replaced = await responder.waitForLog('the replacing context', (l) => l.msg === 'N32-f context established' && l['localContextId'] === fresh.responderId, 5_000, from);
      expect(replaced['replaces']).toEqual([old.responderId]);

      // Within the grace: a message sealed with the old context is still opened and delivered.
      const late = await sendOn(old.context);
      expect(late.answer.status).toBe(200);
      expect((await sendOn(fresh.context)).answer.status).toBe(200);
      expect((await contextsOf(responder)).filter((c) => c.peer === FQDN_B).map((c) => c.localContextId).sort()).toEqual([old.responderId, fresh.responderId].sort());

      // After it: retired (one line, not before the grace), then refused like any unknown context.
      const retired = await responder.waitForLog('the old context retired', (l) => l.msg === 'N32-f context retired' && l['localContextId'] === old.responderId, REPLACED_GRACE_MS + 10_000, from);
      expect(retired).toMatchObject({ level: 'info', peer: FQDN_B, replacedBy: fresh.responderId, graceMs: REPLACED_GRACE_MS });
      // (The timer starts just before the 'established' line is written; the times have ms resolution.)
      expect(Date.parse(retired['time'] as string) - Date.parse(replaced['time'] as string)).toBeGreaterThanOrEqual(REPLACED_GRACE_MS - 50);
      expect((await contextsOf(responder)).filter((c) => c.peer === FQDN_B).map((c) => c.localContextId)).toEqual([fresh.responderId]);
      const before = checkpoint();
      const gone = await sendOn(old.context);
      expect((await expectRefused(gone.answer, before, 'CONTEXT_NOT_FOUND')).n32fMessageId).toBe(gone.messageId);
      expect((await sendOn(fresh.context)).answer.status).toBe(200);
    });

    it('past prins.maxContextsPerPeer contexts the oldest end at once (logged, every one of them), not after their grace; those within the bound serve', async () => {
      // The last case's new context (when it ran).
      const before = (await contextsOf(responder)).filter((c) => c.peer === FQDN_B).map((c) => c.localContextId);
      const from = responder.lines.length;
      const made: Array<{ context: N32fContext; responderId: string }> = [];
      for (let i = 0; i <= MAX_CONTEXTS; i++) made.push(await newContext());
      const kept = made.slice(-MAX_CONTEXTS).map((m) => m.responderId);
      // Within the grace of every replaced one: only the newest MAX_CONTEXTS are left.
      expect((await contextsOf(responder)).filter((c) => c.peer === FQDN_B).map((c) => c.localContextId).sort()).toEqual([...kept].sort());
      for (const gone of [...before, made[0]!.responderId]) {
        const line = await responder.waitForLog(`context ${gone} retired`, (l) => l.msg === 'N32-f context retired' && l['localContextId'] === gone, 5_000, from);
        expect(line).toMatchObject({ level: 'info', peer: FQDN_B, graceMs: 0, reason: `more than prins.maxContextsPerPeer (${MAX_CONTEXTS}) contexts with the peer` });
      }
      const checked = checkpoint();
      const late = await sendOn(made[0]!.context);
      expect((await expectRefused(late.answer, checked, 'CONTEXT_NOT_FOUND')).n32fMessageId).toBe(late.messageId);
      // The oldest still kept is in its grace: it serves, and so does the newest.
      expect((await sendOn(made[1]!.context)).answer.status).toBe(200);
      expect((await sendOn(made[MAX_CONTEXTS]!.context)).answer.status).toBe(200);
    });
  });
});
