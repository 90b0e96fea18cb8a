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

/** The 6-bit value of a base64url character (the caller checked the alphabet). */
function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  return code === 45 ? 62 : 63; // - _
}

/** True when `text` is the canonical unpadded base64url spelling of some byte string. */
export function isBase64url(text: string): boolean {
  // A length of 4n+1 cannot encode whole bytes.
  const rest = text.length % 4;
  if (rest === 1 || !BASE64URL_CHARS.test(text)) return false;
  if (rest === 0) return true;
  // The bits of the last character past the last whole byte must be zero ("AB" and "AA" both
  // decode to 0x00 in Node): 4 of them after 2 characters (1 byte), 2 after 3 (2 bytes).
  return (sextet(text.charCodeAt(text.length - 1)) & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/** Decodes canonical unpadded base64url; throws TypeError on anything else (padding, `+`, `/`, spaces). */
export function base64urlDecode(text: string): Buffer {
  if (!isBase64url(text)) throw new TypeError('not canonical unpadded base64url');
  return Buffer.from(text, 'base64url');
}
