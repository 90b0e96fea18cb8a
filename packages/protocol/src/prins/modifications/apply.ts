import { applyPatch, type Operation } from 'rfc6902';
import type { DataToIntegrityProtectBlockData, JsonValue } from '../messages/bodies';
import { MsgReconstructFailReason, N32fErrorType, PrinsError } from '../n32f-error';
import { isJsonObject, parsePointer, resolvePointer } from '../reformat/json-pointer';
import { cloneJson, describeOperation, hasProtoMember } from './operations';
import type { PatchItem, VerifiedModifications } from './types';

/**
 * Tokens the JSON Patch library cannot address as members (it skips them while walking a pointer
 * or would assign a prototype): a pointer holding one names no place we can patch.
 */
const UNADDRESSABLE_TOKENS = new Set(['__proto__', 'constructor', 'prototype']);
const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/** Why one operation cannot be applied: a pointer that names no usable place, or a failed `test`. */
export type PatchFailure = { kind: 'pointer'; pointer: string; reason: string } | { kind: 'instruction'; reason: string };

/**
 * Applies the verified modifications of every RI, in hop order and each RI's operations in order
 * (the second RI's patch is written against the result of the first's, TS 33.501 13.2.4.5), to a
 * deep copy of the DataToIntegrityProtectBlock (the JWE AAD as received, placeholders still in),
 * with rfc6902's `applyPatch`. The input is never changed.
 *
 * Every pointer is checked first, strictly (RFC 6901 syntax; members looked up as own properties;
 * array indexes canonical and in range; `__proto__`, `constructor`, `prototype` refused), so that
 * the library's lenient lookups never decide what is patched.
 *
 * Failures (PrinsError, `failedModifications` naming the RI):
 * - a pointer (`path` or `from`) that is not valid or names no place where the operation needs
 *   one: MESSAGE_RECONSTRUCTION_FAILED with errorDetails `{attribute: <the pointer>,
 *   msgReconstructFailReason: INVALID_JSON_POINTER}`;
 * - a `test` whose value differs (or an operation the library refuses): MODIFICATIONS_INSTRUCTIONS_FAILED.
 *
 * Policy is not checked here: run {@link checkModificationPolicy} for each RI first (or use
 * `processModifications`, which does both in order).
 */
export function applyModifications<T extends DataToIntegrityProtectBlockData>(aad: T, verified: readonly VerifiedModifications[]): T {
  const document = cloneJson(aad as unknown as JsonValue);
  for (const { identity, operations } of verified) {
    operations.forEach((item, index) => {
      const failure = applyOperation(document, item);
      if (failure) throw patchError(failure, identity, index, item);
    });
  }
  return document as unknown as T;
}

/** Applies one operation in place; returns why it could not be applied, or null. */
export function applyOperation(document: JsonValue, item: PatchItem): PatchFailure | null {
  const problem = pointerProblem(document, item);
  if (problem) return problem;
  if ((item.op === 'copy' || item.op === 'move') && hasProtoMember(resolvePointer(document, parsePointer(item.from!)!)!)) {
    return { kind: 'instruction', reason: `the value at ${item.from} has a member named "__proto__", which cannot be copied faithfully` };
  }
  if (item.op === 'move') {
    // RFC 6902 4.4: a remove at `from`, then an add at `path` evaluated on the result (the library
    // would evaluate `path` before removing, which differs when both are in one array).
    const value = resolvePointer(document, parsePointer(item.from!)!)!;
    const removed = library(document, { op: 'remove', path: item.from! });
    if (removed) return removed;
    if (!canPut(document, parsePointer(item.path)!, true)) return { kind: 'pointer', pointer: item.path, reason: `${item.path} names no place to put the value` };
    return library(document, { op: 'add', path: item.path, value });
  }
  return library(document, item);
}

function library(document: JsonValue, item: PatchItem): PatchFailure | null {
  const [result] = applyPatch(document, [item as Operation]);
  if (!result) return null;
  switch (result.name) {
    case 'MissingError':
      return { kind: 'pointer', pointer: item.path, reason: result.message };
    case 'TestError':
      return { kind: 'instruction', reason: `test ${item.path} failed: the value differs` };
    default:
      return { kind: 'instruction', reason: result.message };
  }
}

/** The PrinsError for a failed operation of `identity`. */
export function patchError(failure: PatchFailure, identity: string, index: number, item: PatchItem): PrinsError {
  const where = `${identity} operations[${index}] (${describeOperation(item)})`;
  if (failure.kind === 'pointer') {
    const type = N32fErrorType.MESSAGE_RECONSTRUCTION_FAILED;
    return new PrinsError(
      type,
      `${where}: ${failure.reason}`,
      [{ attribute: failure.pointer, msgReconstructFailReason: MsgReconstructFailReason.INVALID_JSON_POINTER }],
      [{ ipxId: identity, n32fErrorType: type }],
    );
  }
  const type = N32fErrorType.MODIFICATIONS_INSTRUCTIONS_FAILED;
  return new PrinsError(type, `${where}: ${failure.reason}`, [], [{ ipxId: identity, n32fErrorType: type }]);
}

/** The tokens of a pointer an operation may use, or a failure. */
export function pointerTokens(pointer: string): string[] | PatchFailure {
  const tokens = parsePointer(pointer);
  if (tokens === null) return { kind: 'pointer', pointer, reason: `${JSON.stringify(pointer)} is not a JSON Pointer` };
  if (tokens.length === 0) return { kind: 'pointer', pointer, reason: 'the whole document cannot be patched' };
  const bad = tokens.find((token) => UNADDRESSABLE_TOKENS.has(token));
  if (bad !== undefined) return { kind: 'pointer', pointer, reason: `the member name "${bad}" cannot be patched` };
  return tokens;
}

/** Whether `tokens` name an existing value (own members, canonical in-range indexes). */
function exists(document: JsonValue, tokens: readonly string[]): boolean {
  return resolvePointer(document, tokens) !== undefined;
}

/** Whether a value may be put at `tokens`: the parent exists and is a container that takes this key. */
function canPut(document: JsonValue, tokens: readonly string[], insert: boolean): boolean {
  const parent = resolvePointer(document, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    if (last === '-') return insert;
    return ARRAY_INDEX.test(last) && Number(last) < parent.length + (insert ? 1 : 0);
  }
  return isJsonObject(parent);
}

/** Why an operation's pointers name no usable place in `document` (checked before anything else), or null. */
export function pointerProblem(document: JsonValue, item: PatchItem): PatchFailure | null {
  const path = pointerTokens(item.path);
  if (!Array.isArray(path)) return path;
  const missing = (pointer: string, what: string): PatchFailure => ({ kind: 'pointer', pointer, reason: `${pointer} ${what}` });
  switch (item.op) {
    case 'add':
      return canPut(document, path, true) ? null : missing(item.path, 'names no place to add to');
    case 'remove':
    case 'replace':
    case 'test':
      return exists(document, path) ? null : missing(item.path, 'names no value');
    case 'copy':
    case 'move': {
      const from = pointerTokens(item.from!);
      if (!Array.isArray(from)) return from;
      if (!exists(document, from)) return missing(item.from!, 'names no value');
      if (item.op === 'move') {
        // Where it lands is checked once `from` is removed (applyOperation).
        return from.length < path.length && from.every((token, i) => token === path[i]) ? missing(item.path, `is inside ${item.from}, which cannot move into itself`) : null;
      }
      return canPut(document, path, true) ? null : missing(item.path, 'names no place to put the value');
    }
  }
}
