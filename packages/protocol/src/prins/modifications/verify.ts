import { verify, type KeyObject } from 'node:crypto';
import { base64urlDecode, isBase64url } from '../crypto/base64url';
import { normalizeFqdn } from '../../identifiers/plmn';
import { N32fErrorType, PrinsError } from '../n32f-error';
import { isJsonObject } from '../reformat/json-pointer';
import { NO_AUTHORIZED_IPX } from '../reformat/reformat';
import { isP256Key, samePublicKey } from './keys';
import { parseOperations } from './operations';
import { ES256_SIGNATURE_LENGTH, N32_JWS_ALG, type VerifiedModifications } from './types';

export interface VerifyModificationsInput {
  /** `modificationsBlock` exactly as received (undefined when absent). */
  readonly block: unknown;
  /** `reformattedData.tag` exactly as received: every JWS must copy it. */
  readonly jweTag: unknown;
  /** `metaData.authorizedIpxId` of the (authenticated) AAD; `"NULL"`, `""` and null mean "no RI". */
  readonly authorizedIpxId: string | null | undefined;
  /**
   * The RI keys of THIS N32-f context only: from the `ipxProviderSecInfoList` exchanged on the
   * related N32-c connection, or configured for that peer (TS 33.501 13.2.4.7; 33.517 4.2.2.3).
   * Never a SEPP's key, never keys of another context.
   */
  readonly keysByIdentity: ReadonlyMap<string, readonly KeyObject[]>;
  /**
   * The RI on the receiving SEPP's own side (the pRI, from our configuration), when there is one.
   * Its JWS must come second, after the authorized (sender-side) RI's.
   */
  readonly receiverRiId?: string | null;
  /**
   * Keys that authenticate SEPPs (the peer's and ours). They are never accepted for a JWS, even
   * when listed for an RI: SEPP and RI material stay apart (33.501 5.9.3.2; 33.517 4.2.2.2).
   */
  readonly seppKeys?: readonly KeyObject[];
}

/** Protected header parameters that carry or point to a key: the key must come from the context. */
const EMBEDDED_KEY_HEADERS = ['jwk', 'jku', 'x5u', 'x5c'] as const;

/** The identity of "no RI" in metaData (DECISIONS.md §7). */
export function isNoIntermediary(authorizedIpxId: string | null | undefined): boolean {
  return authorizedIpxId === undefined || authorizedIpxId === null || authorizedIpxId === '' || authorizedIpxId === NO_AUTHORIZED_IPX;
}

/**
 * The RIs whose JWS a message must carry, in hop order: the authorized (sender-side) RI, then our
 * own RI when we have one. Empty without an authorized RI.
 */
export function expectedModifiers(authorizedIpxId: string | null | undefined, receiverRiId?: string | null): string[] {
  if (isNoIntermediary(authorizedIpxId)) return [];
  const out = [normalizeFqdn(authorizedIpxId!)];
  if (receiverRiId && !isNoIntermediary(receiverRiId) && normalizeFqdn(receiverRiId) !== out[0]) out.push(normalizeFqdn(receiverRiId));
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Verifies a received `modificationsBlock` (TS 33.501 13.2.4.7 step 3; N32-DIGEST §5.8) and returns
 * each RI's operations in hop order. Call it on a message whose JWE already verified: the AAD
 * (hence `authorizedIpxId`) and the `tag` are then authentic.
 *
 * **The chain rule.** Which RIs must have signed is fixed before the block is read:
 * `[authorizedIpxId]`, or `[authorizedIpxId, receiverRiId]` when we have an RI of our own
 * ({@link expectedModifiers}). The block must hold exactly that many JWS, the n-th signed by the
 * n-th RI and naming it, each copying this message's JWE tag. So a JWS that was dropped (an RI
 * appends one even when it changes nothing), added, reordered, or lifted from another message
 * fails; so does a block while `authorizedIpxId` is `"NULL"` (DECISIONS.md §7).
 *
 * **The JWS profile** (33.501 13.2.4.9, 33.210; 33.517 4.2.2.7): flattened JSON, strict base64url,
 * protected header with `alg` exactly `ES256` (so `none`, HS256 (also keyed with a public key),
 * ES384, RS256, PS256, EdDSA... are refused), no embedded or referenced key (`jwk`, `jku`, `x5u`,
 * `x5c`), no `crit` (we understand no extension), `b64` absent or true; an unprotected header may
 * only hold `kid`. `kid` is not used to pick a key: every P-256 key of the RI is tried. The
 * signature must be 64 octets (raw R||S).
 *
 * **Keys** come only from `keysByIdentity`, the RI keys of this context, under the identity the
 * position requires; never from the message, and never one of `seppKeys`.
 *
 * Failures: PrinsError INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED with `failedModifications` naming
 * the RI; operations that are not RFC 6902 in a JWS that verified: MODIFICATIONS_INSTRUCTIONS_FAILED.
 */
export function verifyModificationsBlock(input: VerifyModificationsInput): VerifiedModifications[] {
  const expected = expectedModifiers(input.authorizedIpxId, input.receiverRiId);
  const { block } = input;

  if (expected.length === 0) {
    if (block === undefined) return [];
    const signers = Array.isArray(block) ? block.map(claimedIdentity).filter((id): id is string => id !== null) : [];
    throw integrityFailure(signers.length > 0 ? signers : ['unknown'], 'a modificationsBlock arrived although no intermediary is authorized (authorizedIpxId "NULL")');
  }
  if (block === undefined) throw integrityFailure([expected[0]!], `the modificationsBlock is missing: ${expected.join(', ')} must each append a JWS`);
  if (!Array.isArray(block)) throw integrityFailure([expected[0]!], 'modificationsBlock is not an array');
  if (typeof input.jweTag !== 'string' || input.jweTag === '') throw integrityFailure([expected[0]!], 'the JWE has no tag to bind modifications to');

  const keys = new Map<string, KeyObject[]>();
  for (const [identity, list] of input.keysByIdentity) {
    const id = normalizeFqdn(identity);
    keys.set(id, [...(keys.get(id) ?? []), ...list]);
  }

  const out: VerifiedModifications[] = [];
  for (let hop = 0; hop < Math.max(block.length, expected.length); hop++) {
    const identity = expected[hop];
    if (identity === undefined) {
      const extra = claimedIdentity(block[hop]) ?? expected[expected.length - 1]!;
      throw integrityFailure([extra], `modificationsBlock holds ${block.length} JWS, ${expected.length} expected (${expected.join(', ')})`);
    }
    if (hop >= block.length) {
      throw integrityFailure([identity], `the JWS of ${identity} is missing: modificationsBlock holds ${block.length} JWS, ${expected.length} expected (${expected.join(', ')})`);
    }
    out.push(verifyOne(block[hop], hop, identity, input.jweTag, keys.get(identity) ?? [], input.seppKeys ?? []));
  }
  return out;
}

function verifyOne(jws: unknown, hop: number, identity: string, jweTag: string, candidates: readonly KeyObject[], seppKeys: readonly KeyObject[]): VerifiedModifications {
  const fail: (detail: string) => never = (detail) => {
    throw integrityFailure([identity], `modificationsBlock[${hop}] (${identity}): ${detail}`);
  };
  if (!isJsonObject(jws)) fail('not a JSON object');
  const { protected: protectedText, payload: payloadText, signature: signatureText, header } = jws as Record<string, unknown>;
  for (const [name, text] of [
    ['protected', protectedText],
    ['payload', payloadText],
    ['signature', signatureText],
  ] as const) {
    if (typeof text !== 'string' || text === '') fail(`"${name}" is missing or not a string`);
    if (!isBase64url(text)) fail(`"${name}" is not unpadded base64url`);
  }
  checkProtectedHeader(protectedText as string, fail);
  if (header !== undefined) {
    if (!isJsonObject(header)) fail('the unprotected header is not an object');
    for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
      if (name !== 'kid' || typeof value !== 'string') fail(`unprotected header parameter "${name}" is not accepted (only kid)`);
    }
  }

  const signature = base64urlDecode(signatureText as string);
  if (signature.length !== ES256_SIGNATURE_LENGTH) fail(`the signature is ${signature.length} octets, not the ${ES256_SIGNATURE_LENGTH} of raw ES256 R||S`);
  const usable = candidates.filter((key) => isP256Key(key) && !seppKeys.some((sepp) => samePublicKey(sepp, key)));
  if (usable.length === 0) fail(`no ES256 key of ${identity} was exchanged for this N32-f context`);
  const signed = Buffer.from(`${protectedText as string}.${payloadText as string}`, 'ascii');
  if (!usable.some((key) => verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature))) {
    fail(`the signature does not verify with the key${usable.length > 1 ? 's' : ''} of ${identity}`);
  }

  let payload: unknown;
  try {
    payload = JSON.parse(utf8.decode(base64urlDecode(payloadText as string)));
  } catch {
    fail('the payload is not UTF-8 JSON');
  }
  if (!isJsonObject(payload)) fail('the payload is not a Modifications object');
  const { identity: claimed, tag, operations } = payload as Record<string, unknown>;
  if (typeof claimed !== 'string' || normalizeFqdn(claimed) !== identity) fail(`the payload names ${JSON.stringify(claimed)}, not ${identity}`);
  if (tag !== jweTag) fail('the payload tag is not the JWE tag of this message');
  const parsed = parseOperations(operations);
  if (!parsed.ok) {
    throw new PrinsError(N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED, `modificationsBlock[${hop}] (${identity}): ${parsed.reason}`, [], [
      { ipxId: identity, n32fErrorType: N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED },
    ]);
  }
  return { identity, operations: parsed.operations };
}

function checkProtectedHeader(text: string, fail: (detail: string) => never): void {
  let header: unknown;
  try {
    header = JSON.parse(utf8.decode(base64urlDecode(text)));
  } catch {
    fail('the protected header is not UTF-8 JSON');
  }
  if (!isJsonObject(header)) fail('the protected header is not a JSON object');
  const h = header as Record<string, unknown>;
  if (h['alg'] !== N32_JWS_ALG) fail(`alg ${JSON.stringify(h['alg'])} is not ${N32_JWS_ALG}, the only JWS algorithm of N32`);
  for (const name of EMBEDDED_KEY_HEADERS) if (name in h) fail(`the "${name}" header is not accepted: RI keys come from the N32-c exchange only`);
  if ('crit' in h) fail('"crit" is not supported');
  if ('b64' in h && h['b64'] !== true) fail('"b64" other than true is not supported');
  if ('kid' in h && typeof h['kid'] !== 'string') fail('"kid" is not a string');
}

/** The identity a JWS payload claims, unverified (only for naming it in failedModificationList). */
function claimedIdentity(jws: unknown): string | null {
  if (!isJsonObject(jws) || typeof jws['payload'] !== 'string' || !isBase64url(jws['payload'])) return null;
  try {
    const identity = (JSON.parse(base64urlDecode(jws['payload']).toString('utf8')) as { identity?: unknown }).identity;
    return typeof identity === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(identity) ? normalizeFqdn(identity) : null;
  } catch {
    return null;
  }
}

function integrityFailure(ipxIds: readonly string[], detail: string): PrinsError {
  const type = N32fErrorType.INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED;
  return new PrinsError(type, detail, [], ipxIds.map((ipxId) => ({ ipxId, n32fErrorType: type })));
}
