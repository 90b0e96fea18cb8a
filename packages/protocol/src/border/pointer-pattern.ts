/**
 * JSON Pointers with wildcards: where a border rule looks inside a JSON body.
 *
 * A pattern is an RFC 6901 pointer (`/nfInstances/0/fqdn`, `~1` for `/`, `~0` for `~`) in which a
 * reference token that is exactly `*` stands for every member of an object and every element of an
 * array at that level: `/nfInstances/*\/nfServices/*\/fqdn` names the `fqdn` of every service of
 * every profile, whether `nfServices` is an array or a map (`nfServiceList`). Any other token
 * names one member (or, in an array, the element at that index, RFC 6901 array index form). Members
 * that are absent match nothing; a pattern never creates members. The empty pattern names the
 * whole document. (A member literally called `*` cannot be named; no 3GPP API has one.)
 */
import type { JsonValue } from '../prins/messages/bodies';
import { escapeToken, hasOwn, isJsonObject, parsePointer } from '../prins/reformat/json-pointer';

/** The wildcard token. */
export const ANY_MEMBER = '*';

export interface PointerPattern {
  /** The pattern as written. */
  readonly text: string;
  /** Reference tokens, decoded; `null` is the wildcard. */
  readonly tokens: readonly (string | null)[];
}

/** One place a pattern found in a document. */
export interface PointerMatch {
  /** The concrete RFC 6901 pointer of the place. */
  readonly pointer: string;
  /** The container holding the value (undefined for the whole document). */
  readonly parent: JsonValue[] | { [key: string]: JsonValue } | undefined;
  /** Its member name or array index in `parent`. */
  readonly key: string | number;
  readonly value: JsonValue;
}

const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/** Parses a pattern; null when it is not a pointer (it must be empty or start with `/`). */
export function parsePointerPattern(text: string): PointerPattern | null {
  const raw = parsePointer(text);
  if (!raw) return null;
  // parsePointer decoded `~1`/`~0`; a wildcard is a token written exactly `*`.
  const written = text === '' ? [] : text.slice(1).split('/');
  return { text, tokens: raw.map((token, index) => (written[index] === ANY_MEMBER ? null : token)) };
}

/** Every place of `document` the pattern names, in document order. */
export function findPointerMatches(document: JsonValue, pattern: PointerPattern): PointerMatch[] {
  const matches: PointerMatch[] = [];
  const walk = (value: JsonValue, depth: number, pointer: string, parent: PointerMatch['parent'], key: string | number): void => {
    if (depth === pattern.tokens.length) {
      matches.push({ pointer, parent, key, value });
      return;
    }
    const token = pattern.tokens[depth]!;
    if (Array.isArray(value)) {
      if (token === null) {
        value.forEach((child, index) => walk(child, depth + 1, `${pointer}/${index}`, value, index));
      } else if (ARRAY_INDEX.test(token) && Number(token) < value.length) {
        walk(value[Number(token)]!, depth + 1, `${pointer}/${token}`, value, Number(token));
      }
      return;
    }
    if (!isJsonObject(value)) return;
    if (token === null) {
      for (const member of Object.keys(value)) walk(value[member]!, depth + 1, `${pointer}/${escapeToken(member)}`, value, member);
    } else if (hasOwn(value, token)) {
      walk(value[token]!, depth + 1, `${pointer}/${escapeToken(token)}`, value, token);
    }
  };
  walk(document, 0, '', undefined, '');
  return matches;
}

/** Whether a concrete pointer is one the pattern names (same depth, every token equal or `*`). */
export function pointerFitsPattern(pointer: string, pattern: PointerPattern): boolean {
  const tokens = parsePointer(pointer);
  if (!tokens || tokens.length !== pattern.tokens.length) return false;
  return tokens.every((token, index) => pattern.tokens[index] === null || pattern.tokens[index] === token);
}
