import { createPrivateKey, KeyObject, randomBytes, webcrypto } from 'node:crypto';

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** Signature algorithm for every certificate we mint (TS 33.310 profiles allow ECDSA P-256/SHA-256). */
export const ECDSA_SHA256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

export function generateP256(): Promise<CryptoKeyPair> {
  // Extractable so the private key can be written out as PKCS#8 PEM for the TLS stacks.
  return webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
}

export function privateKeyToPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function importP256PrivateKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_P256, true, ['sign']);
}

/**
 * RFC 5280 §4.1.2.2: positive, at most 20 octets. 16 random bytes with the top bit cleared stay
 * positive without a sign-padding byte, and the forced second-highest bit keeps the DER length at
 * exactly 16 octets (no leading zero to strip), leaving 126 bits of entropy.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}
