import { randomBytes } from 'node:crypto';
import { base64urlDecode, base64urlEncode } from '../crypto/base64url';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { protectionPolicy } from '../reformat/protection-policy';
import type { HttpRequestMessage } from '../reformat/http-message';
import { encryptFlattenedJwe } from '../crypto/jwe';
import { buildNonce } from '../crypto/nonce';
import { N32fContext, N32fContextTable, parseReformattedRequest, parseReformattedResponse, readMessageHeader } from './n32f-context';
import { MESSAGE_ID_MAX_LENGTH } from '../messages/n32f-forward';

const master = randomBytes(64);
const policy = protectionPolicy();
const pair = (maxMessages?: number): { cSepp: N32fContext; pSepp: N32fContext } => ({
  cSepp: new N32fContext({ role: 'initiator', peer: 'p', localContextId: '00000000000000aa', remoteContextId: '00000000000000bb', master, enc: 'A128GCM', policy, maxMessages }),
  pSepp: new N32fContext({ role: 'responder', peer: 'c', localContextId: '00000000000000bb', remoteContextId: '00000000000000aa', master, enc: 'A128GCM', policy, maxMessages }),
});

const SUPI = 'imsi-001010123456789';
const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYifQ.c2ln';
const request: HttpRequestMessage = {
  method: 'GET',
  scheme: 'https',
  authority: 'udm1.5gc.mnc001.mcc001.3gppnetwork.org',
  path: `/nudm-sdm/v2/${SUPI}/am-data`,
  query: 'plmn-id=%7B%22mcc%22%3A%22002%22%7D',
  headers: [
    ['accept', 'application/json'],
    ['authorization', TOKEN],
  ],
};

/** What the receiver does with a wire body: JSON text in, the context it names, opened message out. */
function openAtPSepp(pSepp: N32fContext, wire: string) {
  const table = new N32fContextTable();
  table.add(pSepp);
  const body = parseReformattedRequest(JSON.parse(wire));
  const header = readMessageHeader(body);
  return table.get(header.n32fContextId).openRequest(body, header);
}

function errorType(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof PrinsError) return error.type;
    return `not a PrinsError: ${String(error)}`;
  }
  return 'accepted';
}

/** Edits one member of the reformattedData of a serialized message. */
function tamper(wire: string, edit: (jwe: Record<string, unknown>, message: Record<string, unknown>) => void): string {
  const message = JSON.parse(wire) as Record<string, unknown>;
  edit(message['reformattedData'] as Record<string, unknown>, message);
  return JSON.stringify(message);
}

function flipBit(b64: string, byte = 0): string {
  const bytes = base64urlDecode(b64);
  bytes[byte] = bytes[byte]! ^ 0x01;
  return base64urlEncode(bytes);
}

describe('N32fContext: request and response across the pair', () => {
  it('round-trips, with the SUPI path and the token encrypted and nowhere in clear', () => {
    const { cSepp, pSepp } = pair();
    const { body, messageId, encrypted } = cSepp.protectRequest(request);
    const wire = JSON.stringify(body);
    expect(encrypted).toEqual(expect.arrayContaining(['header authorization', 'path']));
    expect(wire).not.toContain(SUPI);
    expect(wire).not.toContain('eyJzdWIiOiJhbWYifQ');
    const aad = JSON.parse(base64urlDecode((body.reformattedData as { aad: string }).aad).toString()) as Record<string, unknown>;
    expect(aad['metaData']).toEqual({ n32fContextId: '00000000000000bb', messageId, authorizedIpxId: 'NULL' });

    const opened = openAtPSepp(pSepp, wire);
    expect(opened.message).toEqual(request);
    expect(opened.messageId).toBe(messageId);

    const answer = pSepp.protectResponse(
      { status: 200, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ supi: SUPI, gpsis: ['msisdn-1'] })) },
      messageId,
      opened.request,
    );
    const answerWire = JSON.stringify(answer.body);
    expect(answerWire).not.toContain(SUPI);
    const rsp = parseReformattedResponse(JSON.parse(answerWire));
    const back = cSepp.openResponse(rsp, readMessageHeader(rsp), messageId);
    expect(back.message.status).toBe(200);
    expect(JSON.parse(back.message.body!.toString())).toEqual({ supi: SUPI, gpsis: ['msisdn-1'] });
  });

  it('accepts reordered but fresh messages once', () => {
    const { cSepp, pSepp } = pair();
    const first = JSON.stringify(cSepp.protectRequest(request).body);
    const second = JSON.stringify(cSepp.protectRequest(request).body);
    expect(errorType(() => openAtPSepp(pSepp, second))).toBe('accepted');
    expect(errorType(() => openAtPSepp(pSepp, first))).toBe('accepted');
    expect(errorType(() => openAtPSepp(pSepp, first))).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
  });

  const cases: [string, (wire: string) => string, string][] = [
    ['a flipped bit in the ciphertext', (w) => tamper(w, (jwe) => (jwe['ciphertext'] = flipBit(jwe['ciphertext'] as string))), N32fErrorType.INTEGRITY_CHECK_FAILED],
    ['a flipped bit in the tag', (w) => tamper(w, (jwe) => (jwe['tag'] = flipBit(jwe['tag'] as string))), N32fErrorType.INTEGRITY_CHECK_FAILED],
    ['a changed protected header', (w) => tamper(w, (jwe) => (jwe['protected'] = base64urlEncode('{"enc":"A128GCM","alg":"dir"}'))), N32fErrorType.INTEGRITY_CHECK_FAILED],
    [
      'a flipped bit in the aad (messageId)',
      (w) =>
        tamper(w, (jwe) => {
          const aad = JSON.parse(base64urlDecode(jwe['aad'] as string).toString()) as { metaData: { messageId: string } };
          aad.metaData.messageId = `${aad.metaData.messageId.slice(0, -1)}${aad.metaData.messageId.endsWith('0') ? '1' : '0'}`;
          jwe['aad'] = base64urlEncode(JSON.stringify(aad));
        }),
      N32fErrorType.INTEGRITY_CHECK_FAILED,
    ],
    [
      'a swapped (unknown) context id',
      (w) =>
        tamper(w, (jwe) => {
          const aad = JSON.parse(base64urlDecode(jwe['aad'] as string).toString()) as { metaData: { n32fContextId: string } };
          aad.metaData.n32fContextId = '0123456789abcdef';
          jwe['aad'] = base64urlEncode(JSON.stringify(aad));
        }),
      N32fErrorType.CONTEXT_NOT_FOUND,
    ],
    ['alg other than dir', (w) => tamper(w, (jwe) => (jwe['protected'] = base64urlEncode('{"alg":"A128KW","enc":"A128GCM"}'))), N32fErrorType.DECIPHERING_FAILED],
    ['enc not negotiated', (w) => tamper(w, (jwe) => (jwe['protected'] = base64urlEncode('{"alg":"dir","enc":"A256GCM"}'))), N32fErrorType.DECIPHERING_FAILED],
    [
      'a modificationsBlock with authorizedIpxId NULL',
      (w) => tamper(w, (_jwe, message) => (message['modificationsBlock'] = [{ payload: base64urlEncode('{"identity":"ipx.example.org"}'), signature: 'AA' }])),
      N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED,
    ],
  ];

  it.each(cases)('refuses %s with the right N32fErrorType', (_name, edit, expected) => {
    const { cSepp, pSepp } = pair();
    const wire = JSON.stringify(cSepp.protectRequest(request).body);
    expect(errorType(() => openAtPSepp(pSepp, edit(wire)))).toBe(expected);
    // The genuine message is still accepted afterwards: a forgery does not burn its sequence number.
    expect(errorType(() => openAtPSepp(pSepp, wire))).toBe('accepted');
  });

  it(`refuses a messageId longer than ${MESSAGE_ID_MAX_LENGTH} characters in a correctly protected message (a peer with the keys), before remembering it; one of ${MESSAGE_ID_MAX_LENGTH} is accepted`, () => {
    const { cSepp, pSepp } = pair();
    const { key, salt } = cSepp.keys.parallelRequest;
    const wire = (messageId: string, seq: number): string => {
      const aad = {
        metaData: { n32fContextId: '00000000000000bb', messageId, authorizedIpxId: 'NULL' },
        requestLine: { method: 'GET', scheme: 'https', authority: 'udm1.example.org', path: '/x', protocolVersion: 'HTTP/2' },
      };
      return JSON.stringify({ reformattedData: encryptFlattenedJwe({ plaintext: JSON.stringify({ dataToEncrypt: [TOKEN] }), aad: base64urlEncode(JSON.stringify(aad)), key, iv: buildNonce(salt, seq), enc: 'A128GCM' }) });
    };
    let caught: unknown;
    try {
      openAtPSepp(pSepp, wire('m'.repeat(MESSAGE_ID_MAX_LENGTH + 1), 3));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PrinsError);
    expect((caught as PrinsError).type).toBe(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED);
    expect((caught as PrinsError).message).toContain(`must be at most ${MESSAGE_ID_MAX_LENGTH} characters long`);
    expect(errorType(() => openAtPSepp(pSepp, wire('m'.repeat(MESSAGE_ID_MAX_LENGTH), 4)))).toBe('accepted');
  });

  it.each([
    ['an out-of-range encBlockIndex', { encBlockIndex: 5 }, 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
    ['a malformed encBlockIndex', { encBlockIndex: -1 }, 'INVALID_INDEX_TO_ENCRYPTED_BLOCK'],
  ])('refuses %s in a correctly protected message (a peer with the keys) as MESSAGE_RECONSTRUCTION_FAILED', (_name, value, reason) => {
    const { cSepp, pSepp } = pair();
    const aad = {
      metaData: { n32fContextId: '00000000000000bb', messageId: '0000000000000001', authorizedIpxId: 'NULL' },
      requestLine: { method: 'GET', scheme: 'https', authority: 'udm1.example.org', path: '/x', protocolVersion: 'HTTP/2' },
      headers: [{ header: 'authorization', value }],
    };
    const { key, salt } = cSepp.keys.parallelRequest;
    const jwe = encryptFlattenedJwe({ plaintext: JSON.stringify({ dataToEncrypt: [TOKEN] }), aad: base64urlEncode(JSON.stringify(aad)), key, iv: buildNonce(salt, 7), enc: 'A128GCM' });
    let caught: unknown;
    try {
      openAtPSepp(pSepp, JSON.stringify({ reformattedData: jwe }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PrinsError);
    expect((caught as PrinsError).type).toBe(N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED);
    expect((caught as PrinsError).errorDetails[0]?.msgReconstructFailReason).toBe(reason);
  });

  it('after a context is removed, its messages are CONTEXT_NOT_FOUND', () => {
    const { cSepp, pSepp } = pair();
    const table = new N32fContextTable();
    table.add(pSepp);
    expect(table.ofPeer('c')).toBe(pSepp);
    table.remove(pSepp.localContextId);
    const body = parseReformattedRequest(JSON.parse(JSON.stringify(cSepp.protectRequest(request).body)));
    expect(errorType(() => table.get(readMessageHeader(body).n32fContextId))).toBe(N32fErrorType.CONTEXT_NOT_FOUND);
  });

  it('a response must answer an outstanding request', () => {
    const { cSepp, pSepp } = pair();
    const { body, messageId } = cSepp.protectRequest(request);
    const opened = openAtPSepp(pSepp, JSON.stringify(body));
    const answer = parseReformattedResponse(JSON.parse(JSON.stringify(pSepp.protectResponse({ status: 204, headers: [] }, messageId, opened.request).body)));
    expect(errorType(() => cSepp.openResponse(answer, readMessageHeader(answer), 'ffffffffffffffff'))).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
    expect(cSepp.openResponse(answer, readMessageHeader(answer), messageId).message.status).toBe(204);
    expect(errorType(() => cSepp.openResponse(answer, readMessageHeader(answer), messageId))).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
  });

  it('refuses to send past the nonce budget and says so in advance', () => {
    const { cSepp } = pair(3);
    expect(cSepp.nearlyExhausted()).toBe(false);
    cSepp.protectRequest(request);
    cSepp.protectRequest(request);
    cSepp.protectRequest(request);
    expect(cSepp.nearlyExhausted()).toBe(true);
    expect(errorType(() => cSepp.protectRequest(request))).toBe(N32fErrorType.ENCRYPTION_KEY_EXPIRED);
  });
});
