import { createSecretKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { FlattenedSign, flattenedVerify, exportJWK } from 'jose';
import { base64urlDecode, base64urlEncode } from '../crypto/base64url';
import type { FlatJwsJsonData } from '../messages/bodies';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { signModifications } from './sign';
import { IPX_A, IPX_B, KEY_A, KEY_B, p256, protectedRequest, SEPP_KEY } from './spec-fixtures';
import type { PatchItem } from './types';
import { verifyModificationsBlock, type VerifyModificationsInput } from './verify';

const TAG = protectedRequest().tag;
const OPS: PatchItem[] = [{ op: 'replace', path: '/headers/2/value', value: 'hop-1' }];
const keysOfContext = (entries: [string, KeyObject[]][] = [[IPX_A, [KEY_A.publicKey]]]): Map<string, KeyObject[]> => new Map(entries);

function input(block: unknown, overrides: Partial<VerifyModificationsInput> = {}): VerifyModificationsInput {
  return { block, jweTag: TAG, authorizedIpxId: IPX_A, keysByIdentity: keysOfContext(), ...overrides };
}

function refusal(run: () => unknown): PrinsError {
  try {
    run();
  } catch (error) {
    if (error instanceof PrinsError) return error;
    throw error;
  }
  throw new Error('expected a PrinsError');
}

function expectIntegrityFailure(run: () => unknown, ipxId: string = IPX_A): PrinsError {
  const error = refusal(run);
  expect(error.type).toBe(N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED);
  expect(error.failedModifications).toEqual([{ ipxId, n32fErrorType: N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED }]);
  return error;
}

const payloadJson = (operations: unknown = OPS, identity = IPX_A, tag = TAG): string => JSON.stringify({ identity, operations, tag });

/** A JWS signed by jose with any algorithm and header (the tester-chosen profiles of 33.517 4.2.2.7). */
async function joseJws(alg: string, key: KeyObject | Uint8Array, extraHeader: Record<string, unknown> = {}): Promise<FlatJwsJsonData> {
  const jws = await new FlattenedSign(new TextEncoder().encode(payloadJson())).setProtectedHeader({ alg, ...extraHeader }).sign(key);
  return { protected: jws.protected!, payload: jws.payload, signature: jws.signature };
}

describe('signModifications (N32-DIGEST §5.8)', () => {
  it('signs ES256 over protected.payload with a raw 64-octet R||S signature', () => {
    const jws = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_A.privateKey });
    expect(Object.keys(jws)).toEqual(['protected', 'payload', 'signature']);
    expect(base64urlDecode(jws.protected!).toString()).toBe('{"alg":"ES256"}');
    expect(JSON.parse(base64urlDecode(jws.payload).toString())).toEqual({ identity: IPX_A, operations: OPS, tag: TAG });
    expect(base64urlDecode(jws.signature)).toHaveLength(64);
    expect(verifyModificationsBlock(input([jws]))).toEqual([{ identity: IPX_A, operations: OPS }]);
  });

  it('sends operations: null when nothing changes, and accepts null, [] and absent', () => {
    const jws = signModifications({ identity: IPX_A, operations: [], tag: TAG, privateKey: KEY_A.privateKey });
    expect(JSON.parse(base64urlDecode(jws.payload).toString())).toEqual({ identity: IPX_A, operations: null, tag: TAG });
    expect(verifyModificationsBlock(input([jws]))).toEqual([{ identity: IPX_A, operations: [] }]);
    for (const payload of [JSON.stringify({ identity: IPX_A, tag: TAG }), payloadJson([])]) {
      expect(verifyModificationsBlock(input([manualJws('{"alg":"ES256"}', payload, KEY_A.privateKey)]))).toEqual([{ identity: IPX_A, operations: [] }]);
    }
  });

  it('adds kid to the protected header and takes JWK or PEM keys', () => {
    const jwk = KEY_A.privateKey.export({ format: 'jwk' });
    const pem = KEY_A.privateKey.export({ format: 'pem', type: 'pkcs8' });
    for (const privateKey of [jwk, pem]) {
      const jws = signModifications({ identity: IPX_A, operations: null, tag: TAG, privateKey, kid: 'ipx-a-2025' });
      expect(base64urlDecode(jws.protected!).toString()).toBe('{"alg":"ES256","kid":"ipx-a-2025"}');
      expect(verifyModificationsBlock(input([jws]))).toHaveLength(1);
    }
  });

  it('refuses a key that is not P-256 private, a tag that is not base64url and malformed operations', () => {
    expect(() => signModifications({ identity: IPX_A, operations: null, tag: TAG, privateKey: KEY_A.publicKey })).toThrow(TypeError);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    expect(() => signModifications({ identity: IPX_A, operations: null, tag: TAG, privateKey: p384 })).toThrow('P-256');
    expect(() => signModifications({ identity: IPX_A, operations: null, tag: 'a+b=', privateKey: KEY_A.privateKey })).toThrow(TypeError);
    expect(() => signModifications({ identity: IPX_A, operations: [{ op: 'add', path: '/x' }], tag: TAG, privateKey: KEY_A.privateKey })).toThrow('needs a "value"');
  });

  it('interoperates with jose: jose verifies ours, we verify jose ES256', async () => {
    const ours = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_A.privateKey });
    const verified = await flattenedVerify({ protected: ours.protected, payload: ours.payload, signature: ours.signature }, KEY_A.publicKey, { algorithms: ['ES256'] });
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual({ identity: IPX_A, operations: OPS, tag: TAG });
    expect(verifyModificationsBlock(input([await joseJws('ES256', KEY_A.privateKey)], { keysByIdentity: keysOfContext() }))).toEqual([{ identity: IPX_A, operations: OPS }]);
  });
});

/** A JWS with any protected header text, signed ES256 by `key` (or with the signature given). */
function manualJws(header: string, payload: string, key: KeyObject, signature?: Buffer): FlatJwsJsonData {
  const protectedHeader = base64urlEncode(header);
  const encodedPayload = base64urlEncode(payload);
  const bytes = signature ?? nodeSign('sha256', Buffer.from(`${protectedHeader}.${encodedPayload}`), { key, dsaEncoding: 'ieee-p1363' });
  return { protected: protectedHeader, payload: encodedPayload, signature: base64urlEncode(bytes) };
}

describe('verifyModificationsBlock: JWS profile (33.517 4.2.2.7 TC_JWS_PROFILE_RESTRICTION)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ed = generateKeyPairSync('ed25519');
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  // The tester lists these keys under the RI too: the algorithm alone must decide.
  const allKeys = keysOfContext([[IPX_A, [KEY_A.publicKey, rsa.publicKey, ed.publicKey, p384.publicKey]]]);
  const spkiBytes = KEY_A.publicKey.export({ format: 'der', type: 'spki' });

  const cases: [string, () => Promise<FlatJwsJsonData> | FlatJwsJsonData][] = [
    ['ES384', () => joseJws('ES384', p384.privateKey)],
    ['RS256', () => joseJws('RS256', rsa.privateKey)],
    ['PS256', () => joseJws('PS256', rsa.privateKey)],
    ['EdDSA', () => joseJws('EdDSA', ed.privateKey)],
    ['HS256 keyed with the public key (DER SPKI)', () => joseJws('HS256', new Uint8Array(spkiBytes))],
    ['HS256 keyed with the public key (PEM)', () => joseJws('HS256', createSecretKey(Buffer.from(KEY_A.publicKey.export({ format: 'pem', type: 'spki' }))))],
    ['none', () => ({ protected: base64urlEncode('{"alg":"none"}'), payload: base64urlEncode(payloadJson()), signature: '' })],
    ['none with a signature', () => manualJws('{"alg":"none"}', payloadJson(), KEY_A.privateKey)],
    ['no alg', () => manualJws('{}', payloadJson(), KEY_A.privateKey)],
    ['alg "es256"', () => manualJws('{"alg":"es256"}', payloadJson(), KEY_A.privateKey)],
    ['ES256 with a DER signature', () => ({ ...manualJws('{"alg":"ES256"}', payloadJson(), KEY_A.privateKey, nodeSign('sha256', Buffer.from('x'), KEY_A.privateKey)) })],
  ];

  it.each(cases)('refuses %s', async (_name, build) => {
    const jws = await build();
    expectIntegrityFailure(() => verifyModificationsBlock(input([jws], { keysByIdentity: allKeys })));
  });

  it('refuses an embedded or referenced key, even with a valid ES256 signature by the RI key', async () => {
    const jwk = await exportJWK(KEY_A.publicKey);
    for (const header of [{ jwk }, { jku: 'https://ipx-a.roaming.example.org/keys' }, { x5u: 'https://x/c.pem' }, { x5c: ['MIIB'] }]) {
      const error = expectIntegrityFailure(() => verifyModificationsBlock(input([manualJws(JSON.stringify({ alg: 'ES256', ...header }), payloadJson(), KEY_A.privateKey)])));
      expect(error.detail).toContain(Object.keys(header)[0]);
    }
    // The jose-built variant: an attacker's own key embedded as jwk.
    const attacker = p256();
    const embedded = await joseJws('ES256', attacker.privateKey, { jwk: await exportJWK(attacker.publicKey) });
    expectIntegrityFailure(() => verifyModificationsBlock(input([embedded])));
  });

  it('refuses crit, b64 false and unprotected headers other than kid; accepts kid', () => {
    for (const header of ['{"alg":"ES256","crit":["exp"],"exp":1}', '{"alg":"ES256","b64":false,"crit":["b64"]}', '{"alg":"ES256","b64":false}']) {
      expectIntegrityFailure(() => verifyModificationsBlock(input([manualJws(header, payloadJson(), KEY_A.privateKey)])));
    }
    const jws = manualJws('{"alg":"ES256"}', payloadJson(), KEY_A.privateKey);
    expectIntegrityFailure(() => verifyModificationsBlock(input([{ ...jws, header: { alg: 'none' } }])));
    expectIntegrityFailure(() => verifyModificationsBlock(input([{ ...jws, header: { jwk: {} } }])));
    expect(verifyModificationsBlock(input([{ ...jws, header: { kid: 'k1' } }]))).toHaveLength(1);
  });

  it('refuses non-canonical base64url and missing members', () => {
    const jws = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_A.privateKey });
    for (const broken of [
      { ...jws, signature: `${jws.signature}=` },
      { ...jws, payload: jws.payload.replace(/-/g, '+') + (jws.payload.includes('-') ? '' : '+') },
      { payload: jws.payload, signature: jws.signature },
      { ...jws, signature: undefined },
      'not an object',
    ]) {
      expectIntegrityFailure(() => verifyModificationsBlock(input([broken])));
    }
  });
});

describe('verifyModificationsBlock: keys, identity, tag (33.517 4.2.2.2, 4.2.2.3)', () => {
  it('refuses a tag that is not this message JWE tag', () => {
    const other = protectedRequest().tag;
    const jws = signModifications({ identity: IPX_A, operations: OPS, tag: other, privateKey: KEY_A.privateKey });
    expect(expectIntegrityFailure(() => verifyModificationsBlock(input([jws]))).detail).toContain('tag');
    expectIntegrityFailure(() => verifyModificationsBlock(input([signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_A.privateKey })], { jweTag: undefined })));
  });

  it('refuses a signature by a key the context does not hold for the RI', () => {
    const stranger = p256();
    const jws = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: stranger.privateKey });
    expect(expectIntegrityFailure(() => verifyModificationsBlock(input([jws]))).detail).toContain('does not verify');
  });

  it('refuses the key of another RI identity (B signs naming A; B signs naming B while A is authorized)', () => {
    const keys = keysOfContext([
      [IPX_A, [KEY_A.publicKey]],
      [IPX_B, [KEY_B.publicKey]],
    ]);
    const bAsA = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_B.privateKey });
    expectIntegrityFailure(() => verifyModificationsBlock(input([bAsA], { keysByIdentity: keys })));
    const bAsB = signModifications({ identity: IPX_B, operations: OPS, tag: TAG, privateKey: KEY_B.privateKey });
    expect(expectIntegrityFailure(() => verifyModificationsBlock(input([bAsB], { keysByIdentity: keys }))).detail).toContain('does not verify');
    // A's own key, but a payload naming another RI: the identity must be the authorized one.
    const aAsB = signModifications({ identity: IPX_B, operations: OPS, tag: TAG, privateKey: KEY_A.privateKey });
    expect(expectIntegrityFailure(() => verifyModificationsBlock(input([aAsB], { keysByIdentity: keys }))).detail).toContain(`names "${IPX_B}"`);
  });

  it('TC_CONNECTION_SPECIFIC_SCOPE: a key exchanged on another N32-c connection does not verify on this context', () => {
    const context1 = keysOfContext([[IPX_A, [KEY_A.publicKey]]]);
    const context2 = keysOfContext([[IPX_A, [KEY_B.publicKey]]]);
    const signedWithB = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_B.privateKey });
    expect(verifyModificationsBlock(input([signedWithB], { keysByIdentity: context2 }))).toHaveLength(1);
    expectIntegrityFailure(() => verifyModificationsBlock(input([signedWithB], { keysByIdentity: context1 })));
  });

  it('TC_CRYPT_MATERIAL_SEPP_IPX_SEPARATION: a SEPP key never verifies a JWS, even when listed for the RI', () => {
    const signedBySepp = signModifications({ identity: IPX_A, operations: null, tag: TAG, privateKey: SEPP_KEY.privateKey });
    expectIntegrityFailure(() => verifyModificationsBlock(input([signedBySepp])));
    const misconfigured = keysOfContext([[IPX_A, [KEY_A.publicKey, SEPP_KEY.publicKey]]]);
    expectIntegrityFailure(() => verifyModificationsBlock(input([signedBySepp], { keysByIdentity: misconfigured, seppKeys: [SEPP_KEY.publicKey] })));
  });

  it('compares identities as FQDNs (case, trailing dot) and skips keys ES256 cannot use', () => {
    const keys = keysOfContext([['IPX-A.Roaming.Example.org.', [generateKeyPairSync('ed25519').publicKey, KEY_A.publicKey]]]);
    const jws = signModifications({ identity: 'Ipx-A.roaming.example.org', operations: OPS, tag: TAG, privateKey: KEY_A.privateKey });
    expect(verifyModificationsBlock(input([jws], { keysByIdentity: keys, authorizedIpxId: 'ipx-a.roaming.example.org.' }))).toEqual([{ identity: IPX_A, operations: OPS }]);
  });

  it('refuses operations that are not RFC 6902 with MODIFICATIONS_INSTRUCTIONS_FAILED', () => {
    for (const operations of [{}, [{ op: 'delete', path: '/x' }], [{ op: 'copy', path: '/x' }], [{ op: 'replace', from: '/x' }], Array.from({ length: 257 }, () => ({ op: 'test', path: '/x', value: 1 }))]) {
      const error = refusal(() => verifyModificationsBlock(input([manualJws('{"alg":"ES256"}', payloadJson(operations), KEY_A.privateKey)])));
      expect(error.type).toBe(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED);
      expect(error.failedModifications).toEqual([{ ipxId: IPX_A, n32fErrorType: N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED }]);
    }
  });
});

describe('verifyModificationsBlock: the chain (hop order, nothing dropped or added)', () => {
  const keys = keysOfContext([
    [IPX_A, [KEY_A.publicKey]],
    [IPX_B, [KEY_B.publicKey]],
  ]);
  const hopA = signModifications({ identity: IPX_A, operations: OPS, tag: TAG, privateKey: KEY_A.privateKey });
  const hopB = signModifications({ identity: IPX_B, operations: null, tag: TAG, privateKey: KEY_B.privateKey });

  it('with one authorized RI expects exactly its JWS', () => {
    expect(verifyModificationsBlock(input([hopA], { keysByIdentity: keys }))).toHaveLength(1);
    expect(expectIntegrityFailure(() => verifyModificationsBlock(input(undefined))).detail).toContain('missing');
    expectIntegrityFailure(() => verifyModificationsBlock(input([])));
    expectIntegrityFailure(() => verifyModificationsBlock(input([hopA, hopB], { keysByIdentity: keys })), IPX_B);
    expectIntegrityFailure(() => verifyModificationsBlock(input([hopA, hopA], { keysByIdentity: keys })));
    expectIntegrityFailure(() => verifyModificationsBlock(input({ 0: hopA })));
  });

  it('with our own RI as second hop expects [authorized, ours] in that order', () => {
    const chain = { keysByIdentity: keys, receiverRiId: IPX_B };
    expect(verifyModificationsBlock(input([hopA, hopB], chain)).map((hop) => hop.identity)).toEqual([IPX_A, IPX_B]);
    expectIntegrityFailure(() => verifyModificationsBlock(input([hopB, hopA], chain)));
    expectIntegrityFailure(() => verifyModificationsBlock(input([hopA], chain)), IPX_B);
    expectIntegrityFailure(() => verifyModificationsBlock(input([hopB], chain)));
  });

  it('without an authorized RI ("NULL", null, "") refuses any block and accepts none', () => {
    for (const authorizedIpxId of ['NULL', null, '']) {
      expect(verifyModificationsBlock(input(undefined, { authorizedIpxId }))).toEqual([]);
      expectIntegrityFailure(() => verifyModificationsBlock(input([hopA], { authorizedIpxId })));
    }
  });
});
