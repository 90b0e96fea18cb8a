import type { DataToIntegrityProtectBlockData } from '../messages/bodies';
import type { RequestContext } from '../reformat/http-message';
import { checkAndApplyModifications, type ModificationChange, type ModificationPolicy } from './policy';
import type { MessageDirection, VerifiedModifications } from './types';
import { verifyModificationsBlock, type VerifyModificationsInput } from './verify';

export interface ProcessModificationsInput extends VerifyModificationsInput {
  /** The DataToIntegrityProtectBlock as received (after the JWE verified), placeholders still in. */
  readonly aad: DataToIntegrityProtectBlockData;
  /**
   * The modification policy for an RI: for the sender-side RI (hop 0) the policy the peer sent on
   * N32-c, for our own RI (hop 1) our configured policy (N32-DIGEST §5.8 step 4).
   */
  readonly policyFor: (identity: string, hop: number) => ModificationPolicy;
  readonly direction?: MessageDirection;
  /** The API (method, clear path): required for responses and for requests with an encrypted path. */
  readonly request?: RequestContext;
  /** The decrypted `dataToEncrypt`: none of these may be written in clear. */
  readonly confidentialValues?: readonly unknown[];
}

export interface ProcessedModifications {
  /** The patched block (the input itself when no RI changed anything): rebuild the message from it. */
  readonly aad: DataToIntegrityProtectBlockData;
  readonly hops: readonly VerifiedModifications[];
  /** What was changed, by whom: for the security log. */
  readonly changes: readonly ModificationChange[];
}

/**
 * The receiving SEPP's RI steps in order (TS 33.501 13.2.4.7 steps 3 to 5; N32-DIGEST §5.8):
 * verify every JWS ({@link verifyModificationsBlock}), then for each RI in hop order check its
 * operations against its policy on the block as the earlier RIs left it
 * and apply them ({@link checkAndApplyModifications}: checked one by one on a copy, which is then
 * the patched block). Throws the
 * PrinsError of the first failure (INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED,
 * MODIFICATIONS_INSTRUCTIONS_FAILED, or MESSAGE_RECONSTRUCTION_FAILED + INVALID_JSON_POINTER), with
 * `failedModifications` naming the RI.
 */
export function processModifications(input: ProcessModificationsInput): ProcessedModifications {
  const hops = verifyModificationsBlock(input);
  let aad = input.aad;
  const changes: ModificationChange[] = [];
  hops.forEach((hop, index) => {
    if (hop.operations.length === 0) return;
    const checked = checkAndApplyModifications(hop.operations, {
      aad,
      policy: input.policyFor(hop.identity, index),
      identity: hop.identity,
      ...(input.direction !== undefined ? { direction: input.direction } : {}),
      ...(input.request !== undefined ? { request: input.request } : {}),
      ...(input.confidentialValues !== undefined ? { confidentialValues: input.confidentialValues } : {}),
    });
    changes.push(...checked.changes);
    aad = checked.aad;
  });
  return { aad, hops, changes };
}
