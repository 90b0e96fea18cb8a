/**
 * RFC 6901 JSON Pointers over parsed JSON. Every object access goes through own-property checks
 * and `defineProperty`, because the documents come from the network: a member named `__proto__`
 * must stay a member, never become a prototype.
 */
import type { JsonValue } from '../messages/bodies';

/** `~` -> `~0`, `/` -> `~1`. */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function formatPointer(tokens: readonly string[]): string {
  return tokens.map((token) => `/${escapeToken(token)}`).join('');
}

/** The reference tokens of a pointer; null if it is not a valid RFC 6901 pointer. */
export function parsePointer(pointer: string): string[] | null {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return null;
  // The common case: one member name without escapes (`/supi`).
  if (pointer.indexOf('/', 1) < 0 && !pointer.includes('~')) return [pointer.slice(1)];
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) return null;
    tokens.push(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
  }
  return tokens;
}

export function isJsonObject(value: unknown): value is { [key: string]: JsonValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/**
 * Sets an own data property, whatever its name. On the plain objects and arrays of parsed JSON only
 * `__proto__` is an accessor (Object.prototype's); every other name is an ordinary assignment.
 */
export function setOwn(object: object, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else (object as Record<string, unknown>)[key] = value;
}

/** RFC 6901 array index: `0` or digits without a leading zero. */
const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/** The child of a container named by one token, or undefined when absent. */
export function childOf(container: JsonValue, token: string): JsonValue | undefined {
  if (Array.isArray(container)) return ARRAY_INDEX.test(token) ? container[Number(token)] : undefined;
  if (isJsonObject(container)) return hasOwn(container, token) ? container[token] : undefined;
  return undefined;
}

/** The value a pointer names in `document`, or undefined when it names nothing. */
export function resolvePointer(document: JsonValue, tokens: readonly string[]): JsonValue | undefined {
  let current: JsonValue | undefined = document;
  for (const token of tokens) {
    if (current === undefined) return undefined;
    current = childOf(current, token);
  }
  return current;
}

/**
 * Puts `value` where `tokens` point inside `document`, like a JSON Patch `add` whose parent must
 * exist (RFC 6902 4.1): an object member is set (replaced if present), an array element is
 * inserted at the index (`-` appends). Returns false when the parent is missing or not a container,
 * or the array index is not valid.
 */
export function addAtPointer(document: JsonValue, tokens: readonly string[], value: JsonValue): boolean {
  if (tokens.length === 0) return false;
  const parent = resolvePointer(document, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    if (last === '-') {
      parent.push(value);
      return true;
    }
    if (!ARRAY_INDEX.test(last) || Number(last) > parent.length) return false;
    parent.splice(Number(last), 0, value);
    return true;
  }
  if (isJsonObject(parent)) {
    setOwn(parent, last, value);
    return true;
  }
  return false;
}
