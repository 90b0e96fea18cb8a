// RI (roaming intermediary) modifications of PRINS messages: the RI's JWS (sign, verify), the
// modification policy, JSON Patch application, and the IPX-side helper (TS 33.501 13.2.4.5-13.2.4.7).
export * from './types';
export { es256PrivateKey, isP256Key, publicKeyOf, samePublicKey, spkiBase64, type PrivateKeyInput, type PublicKeyInput } from './keys';
export { cloneJson, describeOperation, MAX_OPERATIONS, parseOperations } from './operations';
export { signModifications, type SignModificationsInput } from './sign';
export { expectedModifiers, isNoIntermediary, verifyModificationsBlock, type VerifyModificationsInput } from './verify';
export {
  checkEncryptedIeSafety,
  checkAndApplyModifications,
  checkModificationPolicy,
  describeChanges,
  ENC_BLOCK_INDEX,
  encryptedPointers,
  isModifiableBy,
  type ModificationChange,
  type ModificationPolicy,
  type ModificationPolicyInput,
} from './policy';
export { applyModifications, applyOperation, type PatchFailure } from './apply';
export { processModifications, type ProcessedModifications, type ProcessModificationsInput } from './process';
export { ipxKeysFromSecInfo, ipxProviderSecInfo, type IpxProviderSecInfoInput } from './sec-info';
export {
  modifyAsIntermediary,
  readAad,
  ruleMatches,
  type IntermediaryApi,
  type IntermediaryOutcome,
  type IntermediaryRule,
  type ModifyAsIntermediaryInput,
} from './intermediary';
