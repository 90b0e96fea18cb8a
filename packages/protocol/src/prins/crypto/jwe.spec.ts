import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { FlattenedEncrypt, flattenedDecrypt } from 'jose';
import { N32fErrorType } from '../n32f-error';
import { base64urlDecode, base64urlEncode, isBase64url } from './base64url';
import { N32fCryptoError, type N32fCryptoFailure } from './errors';
import { decryptFlattenedJwe, encryptFlattenedJwe, protectedHeaderFor, type SentFlatJwe, type ReceivedFlatJwe } from './jwe';
import { deriveN32fKeys, n32fDirection } from './key-schedule';
import { buildNonce, NonceSequence } from './nonce';
import { ReplayWindow } from './replay-window';

// N32-DIGEST Appendix B.
const MASTER = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
const CONTEXT_ID = '0123456789abcdef';
const KEY = Buffer.from('0d50a84ea2496a08d990dc3fbf58f803', 'hex');
const SALT = Buffer.from('18b4a8842e1f0b24', 'hex');
const NONCE = Buffer.from('18b4a8842e1f0b2400000000', 'hex');
const AAD_JSON =
  '{"metaData":{"n32fContextId":"0123456789abcdef","messageId":"00000000000000a1","authorizedIpxId":"NULL"},"requestLine":{"method":"GET","scheme":"https","authority":"udm1.5gc.mnc002.mcc001.3gppnetwork.org","path":"/nudm-sdm/v2/imsi-001020000000001/am-data","protocolVersion":"HTTP/2","queryFragment":"plmn-id=%7B%22mcc%22%3A%22001%22%2C%22mnc%22%3A%2201%22%7D"},"headers":[{"header":"accept","value":"application/json"},{"header":"authorization","value":{"encBlockIndex":0}}]}';
const AAD = base64urlEncode(AAD_JSON);
const PLAINTEXT = '{"dataToEncrypt":["Bearer eyJhbGciOiJFUzI1NiJ9.e30.sig"]}';
const EXPECTED = {
  protected: 'eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0',
  iv: 'GLSohC4fCyQAAAAA',
  ciphertext: 'EEPaej5Ejw_oBp7l7LFmRbzxDc4iLXuQ08TR8J8qDl9AUrXambxSmtOVHOnAhFG2taYAqYtW5iKj',
  tag: '5yicWalh1qKktONmGoYfFw',
};
const OPTIONS = { enc: 'A128GCM', salt: SALT } as const;

function vector(): SentFlatJwe {
  return encryptFlattenedJwe({ plaintext: PLAINTEXT, aad: AAD, key: KEY, iv: NONCE, enc: 'A128GCM' });
}

function failure(run: () => unknown): N32fCryptoError {
  try {
    run();
  } catch (error) {
    if (error instanceof N32fCryptoError) return error;
    throw error;
  }
  throw new Error('expected an N32fCryptoError');
}

function expectRefused(jwe: ReceivedFlatJwe, reason: N32fCryptoFailure, type: N32fErrorType, key: Buffer = KEY): void {
  const error = failure(() => decryptFlattenedJwe(jwe, key, OPTIONS));
  expect(error.reason).toBe(reason);
  expect(error.type).toBe(type);
}

/** Flips one bit of the decoded member and re-encodes it canonically. */
function flipBit(text: string, byte: number, bit = 0): string {
  const bytes = base64urlDecode(text);
  bytes[byte]! ^= 1 << bit;
  return base64urlEncode(bytes);
}

describe('encryptFlattenedJwe (N32-DIGEST §5.4, Appendix B)', () => {
  it('reproduces Appendix B byte for byte', () => {
    const jwe = vector();
    expect(jwe).toEqual({ ...EXPECTED, aad: AAD });
    expect(Object.keys(jwe)).toEqual(['protected', 'aad', 'iv', 'ciphertext', 'tag']);
    expect(base64urlDecode(jwe.protected).toString()).toBe('{"alg":"dir","enc":"A128GCM"}');
  });

  it('derives the Appendix B inputs from the key schedule and a fresh NonceSequence', () => {
    const keys = deriveN32fKeys(MASTER, CONTEXT_ID, 'A128GCM');
    const { iv } = new NonceSequence(keys.parallelRequest.salt).next();
    const jwe = encryptFlattenedJwe({ plaintext: Buffer.from(PLAINTEXT), aad: AAD, key: keys.parallelRequest.key, iv, enc: 'A128GCM' });
    expect(jwe.ciphertext).toBe(EXPECTED.ciphertext);
    expect(jwe.tag).toBe(EXPECTED.tag);
  });

  it('writes the protected header exactly, unpadded', () => {
    expect(protectedHeaderFor('A128GCM')).toBe(EXPECTED.protected);
    expect(base64urlDecode(protectedHeaderFor('A256GCM')).toString()).toBe('{"alg":"dir","enc":"A256GCM"}');
  });

  it('refuses wrong-size keys and IVs and a non-canonical aad (caller bugs)', () => {
    const input = { plaintext: PLAINTEXT, aad: AAD, key: KEY, iv: NONCE, enc: 'A128GCM' } as const;
    expect(() => encryptFlattenedJwe({ ...input, enc: 'A256GCM' })).toThrow(RangeError);
    expect(() => encryptFlattenedJwe({ ...input, iv: NONCE.subarray(0, 8) })).toThrow(RangeError);
    expect(() => encryptFlattenedJwe({ ...input, aad: `${AAD}=` })).toThrow(TypeError);
    expect(() => encryptFlattenedJwe({ ...input, aad: Buffer.from(AAD_JSON).toString('base64') })).toThrow(TypeError);
  });
});

describe('interoperability with jose (RFC 7516)', () => {
  it('jose flattenedDecrypt opens our JWE and checks our aad', async () => {
    const result = await flattenedDecrypt(vector(), KEY);
    expect(Buffer.from(result.plaintext).toString()).toBe(PLAINTEXT);
    expect(result.protectedHeader).toEqual({ alg: 'dir', enc: 'A128GCM' });
    expect(Buffer.from(result.additionalAuthenticatedData!).toString()).toBe(AAD_JSON);
    await expect(flattenedDecrypt({ ...vector(), aad: flipBit(AAD, 3) }, KEY)).rejects.toThrow();
  });

  it('jose opens an A256GCM JWE of ours', async () => {
    const keys = deriveN32fKeys(MASTER, CONTEXT_ID, 'A256GCM');
    const iv = buildNonce(keys.reverseRequest.salt, 42);
    const jwe = encryptFlattenedJwe({ plaintext: PLAINTEXT, aad: AAD, key: keys.reverseRequest.key, iv, enc: 'A256GCM' });
    const result = await flattenedDecrypt(jwe, keys.reverseRequest.key);
    expect(Buffer.from(result.plaintext).toString()).toBe(PLAINTEXT);
  });

  it('jose, given our nonce, produces exactly the Appendix B JWE, which we accept', async () => {
    const jwe = await new FlattenedEncrypt(Buffer.from(PLAINTEXT))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM' })
      .setAdditionalAuthenticatedData(Buffer.from(AAD_JSON))
      .setInitializationVector(NONCE)
      .encrypt(KEY);
    expect(jwe).toMatchObject({ ...EXPECTED, aad: AAD });
    const result = decryptFlattenedJwe(jwe, KEY, OPTIONS);
    expect(result.plaintext.toString()).toBe(PLAINTEXT);
    expect(result.seq).toBe(0);
  });

  it('we accept a jose JWE with its own header spelling, using the received protected string', async () => {
    const jwe = await new FlattenedEncrypt(Buffer.from(PLAINTEXT))
      .setProtectedHeader({ enc: 'A128GCM', alg: 'dir', kid: 'k1' })
      .setAdditionalAuthenticatedData(Buffer.from(AAD_JSON))
      .setInitializationVector(buildNonce(SALT, 77))
      .encrypt(KEY);
    const result = decryptFlattenedJwe(jwe, KEY, OPTIONS);
    expect(result.seq).toBe(77);
    expect(result.header).toEqual({ enc: 'A128GCM', alg: 'dir', kid: 'k1' });
  });

  it('we refuse a jose JWE whose IV does not carry our salt (jose picks a random IV)', async () => {
    const jwe = await new FlattenedEncrypt(Buffer.from(PLAINTEXT))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM' })
      .setAdditionalAuthenticatedData(Buffer.from(AAD_JSON))
      .encrypt(KEY);
    expectRefused(jwe, 'salt-mismatch', N32fErrorType.INTEGRITY_CHECK_FAILED);
  });
});

describe('decryptFlattenedJwe', () => {
  it('opens Appendix B and returns plaintext, header, aad bytes and SEQ', () => {
    const result = decryptFlattenedJwe({ ...EXPECTED, aad: AAD }, KEY, OPTIONS);
    expect(result.plaintext.toString()).toBe(PLAINTEXT);
    expect(result.header).toEqual({ alg: 'dir', enc: 'A128GCM' });
    expect(result.aad.toString()).toBe(AAD_JSON);
    expect(result.seq).toBe(0);
  });

  it('accepts an empty encrypted_key and empty unprotected headers (RFC 7518 §4.5)', () => {
    expect(decryptFlattenedJwe({ ...vector(), encrypted_key: '', unprotected: {}, header: {} }, KEY, OPTIONS).seq).toBe(0);
  });

  describe('tampering -> INTEGRITY_CHECK_FAILED', () => {
    const jwe = vector();
    it.each([
      ['ciphertext', { ciphertext: flipBit(jwe.ciphertext, 0) }],
      ['ciphertext (last byte)', { ciphertext: flipBit(jwe.ciphertext, 56, 7) }],
      ['tag', { tag: flipBit(jwe.tag, 15, 7) }],
      ['aad', { aad: flipBit(jwe.aad, 20) }],
      ['iv SEQ part', { iv: flipBit(jwe.iv, 11) }],
      // Same meaning, different bytes: proves the received string is authenticated, not a re-serialization.
      ['protected (reordered members)', { protected: base64urlEncode('{"enc":"A128GCM","alg":"dir"}') }],
      ['protected (added member)', { protected: base64urlEncode('{"alg":"dir","enc":"A128GCM","kid":"x"}') }],
      ['aad (re-serialized JSON)', { aad: base64urlEncode(JSON.stringify(JSON.parse(AAD_JSON), null, 1)) }],
    ])('%s', (_name, change) => expectRefused({ ...jwe, ...change }, 'authentication-failed', N32fErrorType.INTEGRITY_CHECK_FAILED));

    it('iv salt part (another direction, or a reflected message)', () => {
      expectRefused({ ...jwe, iv: flipBit(jwe.iv, 0) }, 'salt-mismatch', N32fErrorType.INTEGRITY_CHECK_FAILED);
    });

    it('wrong key', () => {
      expectRefused(jwe, 'authentication-failed', N32fErrorType.INTEGRITY_CHECK_FAILED, randomBytes(16));
    });
  });

  describe('unsupported or malformed JWE -> DECIPHERING_FAILED', () => {
    const jwe = vector();
    const header = (json: string): ReceivedFlatJwe => ({ ...jwe, protected: base64urlEncode(json) });
    it.each([
      ['alg A128KW', header('{"alg":"A128KW","enc":"A128GCM"}')],
      ['alg none', header('{"alg":"none","enc":"A128GCM"}')],
      ['alg DIR (case)', header('{"alg":"DIR","enc":"A128GCM"}')],
      ['alg missing', header('{"enc":"A128GCM"}')],
      ['enc not negotiated (A256GCM)', header('{"alg":"dir","enc":"A256GCM"}')],
      ['enc unknown', header('{"alg":"dir","enc":"A128CBC-HS256"}')],
      ['enc missing', header('{"alg":"dir"}')],
      ['zip', header('{"alg":"dir","enc":"A128GCM","zip":"DEF"}')],
      ['crit', header('{"alg":"dir","enc":"A128GCM","crit":["b64"],"b64":false}')],
      ['encrypted_key present', { ...jwe, encrypted_key: base64urlEncode(randomBytes(16)) }],
      ['unprotected header with members', { ...jwe, unprotected: { zip: 'DEF' } }],
      ['per-recipient header with members', { ...jwe, header: { kid: 'x' } }],
      ['unprotected header not an object', { ...jwe, unprotected: [] }],
    ])('%s', (_name, bad) => expectRefused(bad, 'unsupported-header', N32fErrorType.DECIPHERING_FAILED));

    it.each([
      ['protected is not JSON (bit flip)', { ...jwe, protected: flipBit(jwe.protected, 0, 1) }],
      ['protected is a JSON array', header('["dir"]')],
      ['protected is JSON null', header('null')],
      ['protected is not UTF-8', { ...jwe, protected: base64urlEncode(Buffer.from([0x7b, 0xff, 0x7d])) }],
      ['padding on protected', { ...jwe, protected: `${jwe.protected}=` }],
      ['padding on tag', { ...jwe, tag: `${jwe.tag}==` }],
      ['standard base64 alphabet in ciphertext', { ...jwe, ciphertext: jwe.ciphertext.replace(/_/g, '/') }],
      ['whitespace in aad', { ...jwe, aad: `${jwe.aad.slice(0, 10)} ${jwe.aad.slice(10)}` }],
      ['non-canonical trailing bits in tag', { ...jwe, tag: `${jwe.tag.slice(0, -1)}x` }],
      ['aad missing', { ...jwe, aad: undefined }],
      ['ciphertext missing', { ...jwe, ciphertext: undefined }],
      ['iv not a string', { ...jwe, iv: 12 }],
      ['protected missing', { ...jwe, protected: undefined }],
    ])('%s', (_name, bad) => expectRefused(bad, 'malformed-jwe', N32fErrorType.DECIPHERING_FAILED));

    it('iv that is not 12 octets', () => {
      expectRefused({ ...jwe, iv: base64urlEncode(Buffer.concat([NONCE, Buffer.alloc(4)])) }, 'bad-iv', N32fErrorType.DECIPHERING_FAILED);
      expectRefused({ ...jwe, iv: base64urlEncode(NONCE.subarray(0, 8)) }, 'bad-iv', N32fErrorType.DECIPHERING_FAILED);
    });

    it('tag that is not 16 octets (truncated tag)', () => {
      expectRefused({ ...jwe, tag: base64urlEncode(base64urlDecode(jwe.tag).subarray(0, 12)) }, 'bad-tag', N32fErrorType.DECIPHERING_FAILED);
    });

    it('a JWE that is not an object', () => {
      expectRefused(null as unknown as ReceivedFlatJwe, 'malformed-jwe', N32fErrorType.DECIPHERING_FAILED);
    });
  });

  it('refuses a key of the wrong size for the negotiated enc (caller bug)', () => {
    expect(() => decryptFlattenedJwe(vector(), randomBytes(32), OPTIONS)).toThrow(RangeError);
  });

  describe('with a replay window', () => {
    it('accepts a SEQ once, and only after authentication', () => {
      const window = new ReplayWindow();
      const jwe = vector();
      // A forged message carrying SEQ 0 must not burn SEQ 0 for the real one.
      expectRefusedWith(window, { ...jwe, tag: flipBit(jwe.tag, 0) }, 'authentication-failed');
      expect(window.check(0)).toBe('fresh');
      expect(decryptFlattenedJwe(jwe, KEY, { ...OPTIONS, replayWindow: window }).seq).toBe(0);
      expectRefusedWith(window, jwe, 'replayed');
    });

    it('accepts reordered messages and refuses too-old ones', () => {
      const window = new ReplayWindow();
      const at = (seq: number): SentFlatJwe =>
        encryptFlattenedJwe({ plaintext: PLAINTEXT, aad: AAD, key: KEY, iv: buildNonce(SALT, seq), enc: 'A128GCM' });
      decryptFlattenedJwe(at(2000), KEY, { ...OPTIONS, replayWindow: window });
      expect(decryptFlattenedJwe(at(1500), KEY, { ...OPTIONS, replayWindow: window }).seq).toBe(1500);
      expectRefusedWith(window, at(1500), 'replayed');
      expectRefusedWith(window, at(500), 'too-old');
    });

    function expectRefusedWith(window: ReplayWindow, jwe: ReceivedFlatJwe, reason: N32fCryptoFailure): void {
      const error = failure(() => decryptFlattenedJwe(jwe, KEY, { ...OPTIONS, replayWindow: window }));
      expect(error.reason).toBe(reason);
      expect(error.type).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
    }
  });
});

describe('end to end between an initiator and a responder', () => {
  const initiator = deriveN32fKeys(MASTER, CONTEXT_ID, 'A128GCM');
  const responder = deriveN32fKeys(MASTER, CONTEXT_ID, 'A128GCM');

  it('a request and its response each open on the other side with the matching direction', () => {
    const sendReq = initiator[n32fDirection('initiator', 'request', 'send')];
    const request = encryptFlattenedJwe({ plaintext: PLAINTEXT, aad: AAD, key: sendReq.key, iv: new NonceSequence(sendReq.salt).next().iv, enc: 'A128GCM' });
    const recvReq = responder[n32fDirection('responder', 'request', 'receive')];
    expect(decryptFlattenedJwe(request, recvReq.key, { enc: 'A128GCM', salt: recvReq.salt }).plaintext.toString()).toBe(PLAINTEXT);

    const sendRsp = responder[n32fDirection('responder', 'response', 'send')];
    const response = encryptFlattenedJwe({ plaintext: '{"dataToEncrypt":[1]}', aad: AAD, key: sendRsp.key, iv: new NonceSequence(sendRsp.salt).next().iv, enc: 'A128GCM' });
    const recvRsp = initiator[n32fDirection('initiator', 'response', 'receive')];
    expect(decryptFlattenedJwe(response, recvRsp.key, { enc: 'A128GCM', salt: recvRsp.salt }).plaintext.toString()).toBe('{"dataToEncrypt":[1]}');
  });

  it('a request reflected back to its sender is refused (its salt is for the other direction)', () => {
    const sendReq = initiator.parallelRequest;
    const request = encryptFlattenedJwe({ plaintext: PLAINTEXT, aad: AAD, key: sendReq.key, iv: buildNonce(sendReq.salt, 0), enc: 'A128GCM' });
    const recv = initiator[n32fDirection('initiator', 'request', 'receive')];
    const error = failure(() => decryptFlattenedJwe(request, recv.key, { enc: 'A128GCM', salt: recv.salt }));
    expect(error.reason).toBe('salt-mismatch');
    expect(error.type).toBe(N32fErrorType.INTEGRITY_CHECK_FAILED);
  });
});

describe('strict base64url helpers', () => {
  it.each(['', 'AA', 'AAA', 'AAAA', 'A-_a', EXPECTED.protected])('accepts %p', (text) => expect(isBase64url(text)).toBe(true));
  it.each(['A', 'AA==', 'AAA=', 'A+AA', 'A/AA', 'AB', 'AAB', ' AAAA', 'AA AA', 'AAAA\n'])('refuses %p', (text) => {
    expect(isBase64url(text)).toBe(false);
    expect(() => base64urlDecode(text)).toThrow(TypeError);
  });

  it('is canonical exactly when re-encoding the decoded bytes gives the same text', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= '.split('');
    const canonical = (text: string): boolean => /^[A-Za-z0-9_-]*$/.test(text) && text.length % 4 !== 1 && Buffer.from(text, 'base64url').toString('base64url') === text;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 9 }), (chars) => isBase64url(chars.join('')) === canonical(chars.join(''))),
      { numRuns: 20_000 },
    );
    for (let size = 0; size < 40; size++) expect(isBase64url(randomBytes(size).toString('base64url'))).toBe(true);
  });

  it('round-trips bytes and UTF-8 strings', () => {
    const bytes = randomBytes(33);
    expect(base64urlDecode(base64urlEncode(bytes)).equals(bytes)).toBe(true);
    expect(base64urlDecode(base64urlEncode('ü€')).toString()).toBe('ü€');
    expect(base64urlEncode(Buffer.from([0xfb, 0xff]))).toBe('-_8');
  });
});
