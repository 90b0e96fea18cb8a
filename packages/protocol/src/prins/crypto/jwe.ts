import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { base64urlEncode, isBase64url } from './base64url';
import { N32fCryptoError, type N32fCryptoFailure } from './errors';
import { IV_SALT_LENGTH, isJweEnc, JWE_KEY_LENGTH, type JweEnc } from './key-schedule';
import { NONCE_LENGTH, seqOf } from './nonce';
import { type ReplayVerdict } from './replay-window';

/**
 * The PRINS JWE (TS 33.501 13.2.4.4.0; RFC 7516 §5.1, §7.2.2; N32-DIGEST §5.4, §11 item 1):
 * flattened JSON serialization, `alg: "dir"` (the derived direction key IS the CEK, so there is no
 * `encrypted_key`), `enc` A128GCM or A256GCM as negotiated, the deterministic nonce as `iv`, and
 *
 *   AEAD additional data = ASCII(protected || "." || aad)
 *
 * where `protected` and `aad` are the base64url STRINGS as sent/received. They are never rebuilt
 * from parsed JSON: JSON has no canonical form, so re-serializing would break authentic messages
 * (and hide tampering that happens to survive a parse).
 *
 * We build the JWE with node:crypto rather than a JOSE library because the IV must be our
 * deterministic salt||SEQ nonce; any RFC 7516 implementation can decrypt it.
 *
 * Failures are N32fCryptoError; see errors.ts for the reason -> N32fErrorType table
 * (structural: DECIPHERING_FAILED; authentication, salt, replay: INTEGRITY_CHECK_FAILED).
 */

export const JWE_TAG_LENGTH = 16;

/** What we send as `reformattedData` (TS 29.573 FlatJweJson with exactly the members we use). */
export interface SentFlatJwe {
  readonly protected: string;
  readonly aad: string;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
}

/**
 * A FlatJweJson as received from the wire: any member may be missing or of the wrong type, and the
 * RFC 7516 members we do not use may be present. SentFlatJwe and jose's FlattenedJWE are assignable.
 */
export interface ReceivedFlatJwe {
  readonly protected?: unknown;
  readonly unprotected?: unknown;
  readonly header?: unknown;
  readonly encrypted_key?: unknown;
  readonly aad?: unknown;
  readonly iv?: unknown;
  readonly ciphertext?: unknown;
  readonly tag?: unknown;
}

/** The decoded protected header after validation: alg/enc as required, other members kept as sent. */
export type JweProtectedHeader = Readonly<Record<string, unknown>> & { readonly alg: 'dir'; readonly enc: JweEnc };

export interface EncryptFlattenedJweInput {
  /** The UTF-8 JSON of DataToIntegrityProtectAndCipherBlock (a string is encoded as UTF-8). */
  readonly plaintext: Uint8Array | string;
  /** base64url (unpadded) of the DataToIntegrityProtectBlock JSON, exactly as it will be sent. */
  readonly aad: string;
  /** The direction key (16 octets for A128GCM, 32 for A256GCM). */
  readonly key: Uint8Array;
  /** The 12-octet nonce from NonceSequence.next(); never reuse one with the same key. */
  readonly iv: Uint8Array;
  readonly enc: JweEnc;
}

export interface DecryptFlattenedJweOptions {
  /** The negotiated `selectedJweCipherSuite`; any other `enc` is refused. */
  readonly enc: JweEnc;
  /** The IV salt of the direction this message must belong to. */
  readonly salt: Uint8Array;
  /**
   * The replay window of this (context, direction). When given, the SEQ is checked before
   * decryption and accepted only after the tag verified. Without it the caller must do both itself
   * with the returned `seq`.
   */
  readonly replayWindow?: { check(seq: number): ReplayVerdict; accept(seq: number): void };
}

export interface DecryptedJwe {
  readonly plaintext: Buffer;
  readonly header: JweProtectedHeader;
  /** The decoded `aad` bytes (the DataToIntegrityProtectBlock JSON as received). */
  readonly aad: Buffer;
  /** The SEQ of the IV, for the replay check. */
  readonly seq: number;
}

/** The only protected header we send, byte for byte. */
export function protectedHeaderFor(enc: JweEnc): string {
  return base64urlEncode(`{"alg":"dir","enc":"${enc}"}`);
}

function gcmCipherName(enc: JweEnc): 'aes-128-gcm' | 'aes-256-gcm' {
  return enc === 'A128GCM' ? 'aes-128-gcm' : 'aes-256-gcm';
}

function assertKey(key: Uint8Array, enc: JweEnc): void {
  // A key of the wrong size is a bug in our key handling, not peer input.
  if (key.byteLength !== JWE_KEY_LENGTH[enc]) throw new RangeError(`${enc} needs a ${JWE_KEY_LENGTH[enc]}-octet key`);
}

/** ASCII(protected || "." || aad), written straight into one buffer (both are base64url, i.e. ASCII). */
function aeadAdditionalData(protectedHeader: string, aad: string): Buffer {
  const out = Buffer.allocUnsafe(protectedHeader.length + 1 + aad.length);
  out.write(protectedHeader, 0, 'latin1');
  out[protectedHeader.length] = 0x2e;
  out.write(aad, protectedHeader.length + 1, 'latin1');
  return out;
}

/**
 * The AES key of a direction as a KeyObject, made once per key buffer: createCipheriv then takes
 * it as it is instead of copying the bytes into a new secret key on every message.
 */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();

function keyObjectOf(key: Uint8Array): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = createSecretKey(key);
    keyObjects.set(key, object);
  }
  return object;
}

export function encryptFlattenedJwe(input: EncryptFlattenedJweInput): SentFlatJwe {
  const { plaintext, aad, key, iv, enc } = input;
  assertKey(key, enc);
  if (iv.byteLength !== NONCE_LENGTH) throw new RangeError(`IV must be ${NONCE_LENGTH} octets`);
  // The receiver will refuse a non-canonical aad, so do not send one.
  if (!isBase64url(aad)) throw new TypeError('aad must be canonical unpadded base64url');
  const protectedHeader = protectedHeaderFor(enc);
  const cipher = createCipheriv(gcmCipherName(enc), keyObjectOf(key), iv, { authTagLength: JWE_TAG_LENGTH });
  cipher.setAAD(aeadAdditionalData(protectedHeader, aad));
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  return {
    protected: protectedHeader,
    aad,
    iv: base64urlEncode(iv),
    ciphertext: base64urlEncode(ciphertext),
    tag: base64urlEncode(cipher.getAuthTag()),
  };
}

function fail(reason: N32fCryptoFailure, detail: string): never {
  throw new N32fCryptoError(reason, detail);
}

/** A mandatory member: a canonical base64url string. Returns the string and its bytes. */
function member(jwe: ReceivedFlatJwe, name: 'protected' | 'aad' | 'iv' | 'ciphertext' | 'tag'): { text: string; bytes: Buffer } {
  const text = memberText(jwe, name);
  return { text, bytes: Buffer.from(text, 'base64url') };
}

/** A mandatory member checked to be canonical base64url, not decoded. */
function memberText(jwe: ReceivedFlatJwe, name: 'protected' | 'aad' | 'iv' | 'ciphertext' | 'tag'): string {
  const text = jwe[name];
  if (typeof text !== 'string') fail('malformed-jwe', `JWE member "${name}" is missing or not a string`);
  if (!isBase64url(text)) fail('malformed-jwe', `JWE member "${name}" is not unpadded base64url`);
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Members other than protected/aad/iv/ciphertext/tag must not change how the JWE is processed. */
function checkUnusedMembers(jwe: ReceivedFlatJwe): void {
  // RFC 7518 §4.5: with "dir" the JWE Encrypted Key is the empty octet sequence.
  if (jwe.encrypted_key !== undefined && jwe.encrypted_key !== '') fail('unsupported-header', '"encrypted_key" must be absent or empty with alg "dir"');
  // Unprotected headers are not authenticated; we send none, so a non-empty one can only try to
  // influence processing (e.g. smuggle "zip").
  for (const name of ['unprotected', 'header'] as const) {
    const value = jwe[name];
    if (value === undefined) continue;
    if (!isPlainObject(value) || Object.keys(value).length > 0) fail('unsupported-header', `JWE "${name}" must be absent or empty`);
  }
}

/**
 * The protected header last accepted for each `enc`: a context receives the same header text on
 * every message, so it is decoded and checked once (the outcome depends on the text alone).
 */
const acceptedHeaders = new Map<JweEnc, { readonly text: string; readonly header: JweProtectedHeader }>();

function protectedHeaderOf(text: string, expected: JweEnc): JweProtectedHeader {
  const known = acceptedHeaders.get(expected);
  if (known?.text === text) return known.header;
  const header = Object.freeze(parseProtectedHeader(Buffer.from(text, 'base64url'), expected));
  acceptedHeaders.set(expected, { text, header });
  return header;
}

function parseProtectedHeader(bytes: Buffer, expected: JweEnc): JweProtectedHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail('malformed-jwe', 'JWE protected header is not UTF-8 JSON');
  }
  if (!isPlainObject(header)) fail('malformed-jwe', 'JWE protected header is not a JSON object');
  // Exactly "dir": anything else ("none", key wrapping, ...) would not use our derived key as CEK.
  if (header.alg !== 'dir') fail('unsupported-header', `JWE alg ${JSON.stringify(header.alg)} is not "dir"`);
  if (!isJweEnc(header.enc) || header.enc !== expected) fail('unsupported-header', `JWE enc ${JSON.stringify(header.enc)} is not the negotiated ${expected}`);
  // Compression is not part of the N32 profile (and compress-then-encrypt leaks length).
  if ('zip' in header) fail('unsupported-header', 'JWE "zip" is not supported');
  // RFC 7515 §4.1.11: we understand no extension, so any "crit" must be refused.
  if ('crit' in header) fail('unsupported-header', 'JWE "crit" is not supported');
  return { ...header, alg: 'dir', enc: header.enc };
}

/**
 * Verifies and decrypts a received PRINS JWE. Checks, in order: structure and strict base64url,
 * no encrypted key / unprotected header, protected header (alg "dir", enc as negotiated, no zip/crit),
 * IV length and salt, tag length, replay window (if given), AES-GCM with the received strings.
 */
export function decryptFlattenedJwe(jwe: ReceivedFlatJwe, key: Uint8Array, options: DecryptFlattenedJweOptions): DecryptedJwe {
  const { enc, salt, replayWindow } = options;
  assertKey(key, enc);
  if (salt.byteLength !== IV_SALT_LENGTH) throw new RangeError(`IV salt must be ${IV_SALT_LENGTH} octets`);
  if (!isPlainObject(jwe)) fail('malformed-jwe', 'JWE is not a JSON object');

  const protectedHeader = memberText(jwe, 'protected');
  const aad = member(jwe, 'aad');
  const iv = member(jwe, 'iv');
  const ciphertext = member(jwe, 'ciphertext');
  const tag = member(jwe, 'tag');
  checkUnusedMembers(jwe);
  const header = protectedHeaderOf(protectedHeader, enc);

  if (iv.bytes.length !== NONCE_LENGTH) fail('bad-iv', `JWE iv is ${iv.bytes.length} octets, not ${NONCE_LENGTH}`);
  const seq = seqOf(iv.bytes, salt);
  if (seq === null) fail('salt-mismatch', 'JWE iv does not carry the IV salt of this direction');
  // A shorter tag would weaken the integrity check; RFC 7518 §5.3 fixes it at 128 bits.
  if (tag.bytes.length !== JWE_TAG_LENGTH) fail('bad-tag', `JWE tag is ${tag.bytes.length} octets, not ${JWE_TAG_LENGTH}`);

  if (replayWindow) {
    const verdict = replayWindow.check(seq);
    if (verdict !== 'fresh') fail(verdict, `JWE SEQ ${seq} is ${verdict === 'replayed' ? 'a replay' : 'outside the replay window'}`);
  }

  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv(gcmCipherName(enc), keyObjectOf(key), iv.bytes, { authTagLength: JWE_TAG_LENGTH });
    decipher.setAAD(aeadAdditionalData(protectedHeader, aad.text));
    decipher.setAuthTag(tag.bytes);
    plaintext = Buffer.concat([decipher.update(ciphertext.bytes), decipher.final()]);
  } catch {
    // GCM reports tampering and a wrong key the same way; neither says more than "not authentic".
    fail('authentication-failed', 'JWE authentication tag does not verify');
  }

  replayWindow?.accept(seq);
  return { plaintext, header, aad: aad.bytes, seq };
}
