import { createPrivateKey, createPublicKey, KeyObject, X509Certificate, type JsonWebKey } from 'node:crypto';

/** A private key as configuration or a test hands it over: a KeyObject, a JWK, or PEM/DER bytes. */
export type PrivateKeyInput = KeyObject | JsonWebKey | string | Buffer;
/** A public key: a KeyObject (public or private), a JWK, PEM (SPKI or certificate), or DER SPKI bytes. */
export type PublicKeyInput = KeyObject | JsonWebKey | string | Buffer | X509Certificate;

/** Whether a key is an EC key on P-256, the only curve ES256 uses (RFC 7518 §3.4). */
export function isP256Key(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** The private signing key of an RI; throws TypeError unless it is a P-256 private key. */
export function es256PrivateKey(input: PrivateKeyInput): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) key = input;
  else if (typeof input === 'string' || Buffer.isBuffer(input)) key = createPrivateKey(input);
  else key = createPrivateKey({ key: input, format: 'jwk' });
  if (key.type !== 'private') throw new TypeError('the ES256 signing key must be a private key');
  if (!isP256Key(key)) throw new TypeError('ES256 needs an EC P-256 key');
  return key;
}

/**
 * The public key of an RI as a KeyObject. DER bytes are read as SPKI (the `rawPublicKeyList`
 * encoding); a PEM certificate or X509Certificate gives its subject key. Any key type is returned:
 * callers that verify ES256 skip keys that are not P-256 ({@link isP256Key}).
 */
export function publicKeyOf(input: PublicKeyInput): KeyObject {
  if (input instanceof X509Certificate) return input.publicKey;
  if (input instanceof KeyObject) return input.type === 'public' ? input : createPublicKey(input);
  if (Buffer.isBuffer(input)) return createPublicKey({ key: input, format: 'der', type: 'spki' });
  if (typeof input === 'string') {
    if (input.includes('-----BEGIN CERTIFICATE-----')) return new X509Certificate(input).publicKey;
    return createPublicKey(input);
  }
  return createPublicKey({ key: input, format: 'jwk' });
}

/** The DER SubjectPublicKeyInfo of a key, base64 (standard alphabet): a `rawPublicKeyList` entry. */
export function spkiBase64(input: PublicKeyInput): string {
  return publicKeyOf(input).export({ format: 'der', type: 'spki' }).toString('base64');
}

/**
 * DER SPKI of each KeyObject compared so far. KeyObjects are immutable and a context's keys live as
 * long as the context, so each is exported once rather than on every verified message (exporting
 * dominated the verification cost).
 */
const spkiCache = new WeakMap<KeyObject, Buffer>();

function spkiDer(key: KeyObject): Buffer {
  let der = spkiCache.get(key);
  if (!der) {
    der = publicKeyOf(key).export({ format: 'der', type: 'spki' });
    spkiCache.set(key, der);
  }
  return der;
}

/** Two keys are the same public key (compared by their DER SPKI). */
export function samePublicKey(a: KeyObject, b: KeyObject): boolean {
  return a === b || spkiDer(a).equals(spkiDer(b));
}
