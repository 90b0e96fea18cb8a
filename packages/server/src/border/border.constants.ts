/**
 * Injection token of the hidden-name table topology hiding uses (a `HiddenNames` of
 * @sepp/protocol). The default is the in-memory `HiddenNameTable`; a store shared by replicas is
 * provided under the same token.
 */
export const HIDDEN_NAMES = Symbol('HIDDEN_NAMES');
