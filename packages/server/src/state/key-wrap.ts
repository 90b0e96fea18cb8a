import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A 32-byte key-encryption key (KEK) and its short public identifier. */
export interface Kek {
  readonly id: string;
  readonly key: Buffer;
}

export function kekOf(key: Buffer): Kek {
  if (key.length !== 32) throw new RangeError(`a key-wrap key must be 32 bytes (it is ${key.length})`);
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key: Buffer.from(key) };
}

/** A secret as stored: AES-256-GCM under a KEK, bound to where it is stored (`aad`). */
export interface WrappedSecret {
  readonly kek: string;
  readonly iv: string;
  readonly data: string;
  readonly tag: string;
}

/**
 * Wraps secret bytes with AES-256-GCM under the KEK (random 96-bit IV per wrap, the KEK's own
 * nonces never repeat in practice: 2^-32 collision bound after 2^32 wraps). `aad` binds the
 * ciphertext to its record (the context ID): a wrapped blob copied to another record does not open.
 */
export function wrapSecret(kek: Kek, secret: Buffer, aad: string): WrappedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(secret), cipher.final()]);
  return { kek: kek.id, iv: iv.toString('base64'), data: data.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

/** Opens a wrapped secret with whichever of `keks` wrapped it; throws when none did or it was altered. */
export function unwrapSecret(keks: readonly Kek[], wrapped: WrappedSecret, aad: string): Buffer {
  const kek = keks.find((candidate) => candidate.id === wrapped.kek);
  if (!kek) throw new Error(`the secret is wrapped with key-wrap key ${wrapped.kek}, which this replica does not have`);
  const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(wrapped.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(wrapped.data, 'base64')), decipher.final()]);
}
