import type { InvalidParam } from '../models/common-data';
import { N32Error, N32ErrorCode } from '../errors';

/** Where a JSON text repeats a member name (RFC 8259 4: names SHOULD be unique). */
export interface DuplicateMember {
  /** RFC 6901 JSON Pointer of the repeated member (`/a/0/b`). */
  readonly pointer: string;
  /** The member name as decoded (`"\u0061"` and `"a"` are the same name). */
  readonly name: string;
}

type Frame = { readonly object: true; readonly names: Set<string>; name: string | null; expectName: boolean } | { readonly object: false; index: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The first member name that appears twice in the same object of a JSON text, at any depth, or
 * null. `JSON.parse` silently keeps the last of two equal names, so two parsers (ours and an NF's,
 * or a SEPP's and an IPX's) may read different values from one message (TS 33.117 4.3.6.3).
 *
 * Meant for text that already parsed as JSON (on malformed text it returns something or null, but
 * never throws and never loops). One pass, no recursion: the explicit stack holds one frame per
 * open object or array, so a body nested 10k levels deep costs 10k small frames, not 10k stack
 * frames; each name is compared once against the names of its own object (a Set).
 */
export function findDuplicateMember(text: string): DuplicateMember | null {
  const stack: Frame[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return null;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectName) {
        const raw = text.slice(i + 1, end);
        const name = raw.includes('\\') ? decodeString(text.slice(i, end + 1)) : raw;
        if (name === null) return null;
        if (top.names.has(name)) return { pointer: pointerOf(stack, name), name };
        top.names.add(name);
        top.name = name;
        top.expectName = false;
      }
      i = end + 1;
      continue;
    }
    switch (c) {
      case 0x7b: // {
        stack.push({ object: true, names: new Set(), name: null, expectName: true });
        break;
      case 0x5b: // [
        stack.push({ object: false, index: 0 });
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        break;
      case 0x2c: {
        // ,
        const top = stack[stack.length - 1];
        if (top?.object) top.expectName = true;
        else if (top) top.index += 1;
        break;
      }
      default:
        break;
    }
    i += 1;
  }
  return null;
}

/** The index of the quote that closes the string opening at `start`, or -1 when it never closes. */
function stringEnd(text: string, start: number): number {
  for (let j = start + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j += 1;
    else if (c === QUOTE) return j;
  }
  return -1;
}

function decodeString(literal: string): string | null {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** The pointer of member `name` of the innermost open object. */
function pointerOf(stack: readonly Frame[], name: string): string {
  const tokens: string[] = [];
  for (let depth = 0; depth < stack.length - 1; depth++) {
    const frame = stack[depth]!;
    tokens.push(frame.object ? (frame.name ?? '') : String(frame.index));
  }
  tokens.push(name);
  return tokens.map((token) => `/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The 400 INVALID_MSG_FORMAT for a body that repeats a member name (invalidParams names it). */
export function duplicateMemberError(duplicate: DuplicateMember): N32Error {
  const invalid: InvalidParam = { param: duplicate.pointer, reason: 'duplicate member name' };
  const name = duplicate.name.length > 64 ? `${duplicate.name.slice(0, 64)}…` : duplicate.name;
  return new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, `the body repeats the member name ${JSON.stringify(name)} in one object`, [invalid]);
}

/** Throws {@link duplicateMemberError} when `text` repeats a member name anywhere. */
export function assertUniqueMembers(text: string): void {
  const duplicate = findDuplicateMember(text);
  if (duplicate) throw duplicateMemberError(duplicate);
}
