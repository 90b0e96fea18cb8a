import { sign } from 'node:crypto';
import type { FlatJwsJsonData } from '../messages/bodies';
import { base64urlEncode, isBase64url } from '../crypto/base64url';
import { es256PrivateKey, type PrivateKeyInput } from './keys';
import { parseOperations } from './operations';
import { N32_JWS_ALG, type ModificationsPayload, type PatchItem } from './types';

export interface SignModificationsInput {
  /** The RI's FQDN, as the receiving SEPP knows it from `ipxProviderSecInfoList`. */
  readonly identity: string;
  /** The RI's JSON Patch over the DataToIntegrityProtectBlock; null (or []) when it changes nothing. */
  readonly operations: readonly PatchItem[] | null;
  /** The JWE `tag` of the message, exactly as it travels (base64url). */
  readonly tag: string;
  readonly privateKey: PrivateKeyInput;
  /** Optional `kid` for the protected header (33.210: kid must be supported). */
  readonly kid?: string;
}

/**
 * An RI's JWS over its modifications (TS 33.501 13.2.4.5; N32-DIGEST §5.8, §11 item 9): flattened
 * JSON serialization, protected header `{"alg":"ES256"}` (plus `kid`), payload
 * `{"identity","operations","tag"}` (`operations: null` when nothing changes: an RI appends its
 * JWS anyway), signature ES256 over ASCII(protected "." payload) as raw 64-octet R||S
 * (`dsaEncoding: 'ieee-p1363'`, RFC 7518 §3.4), never DER.
 *
 * Throws TypeError for input that is ours to get right: a key that is not P-256 private, a tag
 * that is not base64url, malformed operations.
 */
export function signModifications(input: SignModificationsInput): FlatJwsJsonData {
  const { identity, tag, kid } = input;
  if (typeof identity !== 'string' || identity === '') throw new TypeError('identity must be a non-empty FQDN');
  if (typeof tag !== 'string' || !isBase64url(tag) || tag === '') throw new TypeError('tag must be the JWE tag in base64url');
  if (kid !== undefined && typeof kid !== 'string') throw new TypeError('kid must be a string');
  const parsed = parseOperations(input.operations);
  if (!parsed.ok) throw new TypeError(parsed.reason);
  const key = es256PrivateKey(input.privateKey);

  const header = kid === undefined ? { alg: N32_JWS_ALG } : { alg: N32_JWS_ALG, kid };
  const body: ModificationsPayload = { identity, operations: parsed.operations.length > 0 ? parsed.operations : null, tag };
  const protectedHeader = base64urlEncode(JSON.stringify(header));
  const payload = base64urlEncode(JSON.stringify(body));
  const signature = sign('sha256', Buffer.from(`${protectedHeader}.${payload}`, 'ascii'), { key, dsaEncoding: 'ieee-p1363' });
  return { protected: protectedHeader, payload, signature: base64urlEncode(signature) };
}
