/**
 * The data an RI (roaming intermediary, e.g. an IPX) adds to a PRINS message (TS 33.501 13.2.4.5;
 * TS 29.573 `Modifications` and `PatchItem`; N32-DIGEST §5.8): one JWS per RI, whose payload names
 * the RI, carries its JSON Patch (RFC 6902) over the DataToIntegrityProtectBlock (the JWE AAD) and
 * copies the JWE `tag`, which binds the JWS to exactly one message.
 */
import type { JsonValue } from '../messages/bodies';

export const PATCH_OPS = ['add', 'copy', 'move', 'remove', 'replace', 'test'] as const;
/** TS 29.571 PatchOperation. */
export type PatchOp = (typeof PATCH_OPS)[number];

/** TS 29.571 PatchItem: one RFC 6902 operation. `from` for copy/move, `value` for add/replace/test. */
export interface PatchItem {
  readonly op: PatchOp;
  readonly path: string;
  readonly from?: string;
  readonly value?: JsonValue;
}

/**
 * TS 29.573 Modifications, the JWS payload. `operations` is null when the RI changed nothing: it
 * still appends its JWS, so that a removed modification cannot go unnoticed (33.501 13.2.4.5 NOTE 2).
 */
export interface ModificationsPayload {
  readonly identity: string;
  readonly operations: readonly PatchItem[] | null;
  readonly tag: string;
}

/** One RI's verified modifications, in hop order. `operations` is empty when it changed nothing. */
export interface VerifiedModifications {
  readonly identity: string;
  readonly operations: readonly PatchItem[];
}

/** Which message of the exchange a patch applies to (`reqIe` or `rspIe` of the policy). */
export type MessageDirection = 'request' | 'response';

/** The only JWS algorithm of N32 (TS 33.501 13.2.4.9; TS 33.210 JWS profile). */
export const N32_JWS_ALG = 'ES256';
/** ES256 signatures are raw R||S, two 32-octet integers (RFC 7518 §3.4), never DER. */
export const ES256_SIGNATURE_LENGTH = 64;
