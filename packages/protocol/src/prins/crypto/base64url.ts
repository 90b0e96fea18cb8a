/**
 * Strict base64url (RFC 4648 §5) as JOSE uses it (RFC 7515 §2): URL-safe alphabet, no padding, no
 * whitespace. Node's Buffer decoder is lenient (it skips unknown characters, accepts `+/=` and
 * ignores non-zero trailing bits), so two different strings can decode to the same bytes. For PRINS
 * that matters: the AEAD additional data is built from the RECEIVED `protected` and `aad` strings,
 * so only one canonical spelling of each byte string may be accepted.
 */
const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;

export function base64urlEncode(data: Uint8Array | string): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return bytes.toString('base64url');
}

/** True when `text` is the canonical unpadded base64url spelling of some byte string. */
export function isBase64url(text: string): boolean {
  // A length of 4n+1 cannot encode whole bytes.
  if (!BASE64URL_CHARS.test(text) || text.length % 4 === 1) return false;
  // Re-encoding catches non-zero trailing bits ("AB" and "AA" both decode to 0x00 in Node).
  return Buffer.from(text, 'base64url').toString('base64url') === text;
}

/** Decodes canonical unpadded base64url; throws TypeError on anything else (padding, `+`, `/`, spaces). */
export function base64urlDecode(text: string): Buffer {
  if (!isBase64url(text)) throw new TypeError('not canonical unpadded base64url');
  return Buffer.from(text, 'base64url');
}
