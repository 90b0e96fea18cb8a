import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { compileValidator, TRANSFORM_OPTIONS, type CompiledValidator } from './compiled-validator';
import type { InvalidParam } from '../models/common-data';
import { isMandatoryAttribute } from '../models/field-decorators';
import { N32Error, N32ErrorCode } from '../errors';

export type ValidationOutcome<T> = { ok: true; value: T } | { ok: false; error: N32Error };

type BodyClass<T> = new () => T;

/**
 * Turns a parsed JSON body into a validated instance of a TS 29.573 data class.
 *
 * - Unknown attributes are dropped (TS 29.500 extensibility: ignore what you do not know).
 * - No type coercion: `"true"` is not a boolean, `1` is not a string.
 * - Every failing attribute is reported as an InvalidParam whose `param` is a JSON Pointer
 *   (TS 29.571 InvalidParam), so a peer sees exactly which field is wrong.
 */
export function validateBody<T extends object>(cls: BodyClass<T>, body: unknown): ValidationOutcome<T> {
  return validateWith(body, compiledFor(cls) ?? ((object) => withLibraries(cls, object)));
}

/**
 * validateBody through class-transformer and class-validator themselves, on every call: what
 * validateBody does for a class its compiled form does not cover, and the reference the compiled
 * form is tested against.
 */
export function validateBodyWithLibraries<T extends object>(cls: BodyClass<T>, body: unknown): ValidationOutcome<T> {
  return validateWith(body, (object) => withLibraries(cls, object));
}

const compiled = new WeakMap<object, CompiledValidator<object> | null>();

function compiledFor<T extends object>(cls: BodyClass<T>): CompiledValidator<T> | null {
  let validator = compiled.get(cls);
  if (validator === undefined) {
    validator = compileValidator(cls);
    compiled.set(cls, validator);
  }
  return validator as CompiledValidator<T> | null;
}

function withLibraries<T extends object>(cls: BodyClass<T>, body: object): { instance: T; errors: ValidationError[] } {
  const instance = plainToInstance(cls, body, TRANSFORM_OPTIONS);
  return { instance, errors: validateSync(instance, { forbidUnknownValues: false, validationError: { target: true, value: true } }) };
}

function validateWith<T extends object>(body: unknown, run: (body: object) => { instance: T; errors: ValidationError[] }): ValidationOutcome<T> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      error: new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, 'the body must be a JSON object', [
        { param: '/', reason: 'must be a JSON object' },
      ]),
    };
  }
  const { instance, errors } = run(boundDepth(body));
  if (errors.length === 0) return { ok: true, value: instance };

  const problems = flatten(errors, '');
  const code = problems.some((p) => p.missing)
    ? N32ErrorCode.MANDATORY_IE_MISSING
    : problems.some((p) => p.mandatory)
      ? N32ErrorCode.MANDATORY_IE_INCORRECT
      : N32ErrorCode.OPTIONAL_IE_INCORRECT;
  const invalidParams: InvalidParam[] = problems.map(({ param, reason }) => ({ param, reason }));
  const detail = problems.map((p) => `${p.param}: ${p.reason}`).join('; ');
  return { ok: false, error: new N32Error(code, detail, invalidParams) };
}

/**
 * Deeper than any TS 29.573 body (the deepest known attribute is at depth 3) by a wide margin, and
 * far below what recursion in class-transformer and class-validator survives.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * class-transformer recurses into any object it meets, also where the schema wants a string, so a
 * deeply nested value (10k levels fit in a few KB) would overflow the stack: a 500 for bad input.
 * Values nested deeper than {@link MAX_BODY_DEPTH} can never be valid here, so they are replaced by
 * an empty object or array: validation then reports the attribute that holds them (`/sender: must
 * be a string`), and unknown attributes stay ignored. Bodies within the bound are returned as they
 * are; the check itself is iterative.
 */
function boundDepth(body: object): object {
  if (depthWithin(body, MAX_BODY_DEPTH)) return body;
  return truncate(body, 1) as object;
}

function depthWithin(root: object, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) return false;
    for (const child of Object.values(value)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return true;
}

/** A copy with the objects and arrays deeper than MAX_BODY_DEPTH emptied (recursion bounded by it). */
function truncate(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return depth > MAX_BODY_DEPTH ? [] : value.map((item) => truncate(item, depth + 1));
  if (depth > MAX_BODY_DEPTH) return {};
  // fromEntries defines own properties: a `__proto__` key stays data, never a prototype.
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, truncate(child, depth + 1)]));
}

/** Like validateBody, but throws the N32Error. */
export function parseBody<T extends object>(cls: BodyClass<T>, body: unknown): T {
  const outcome = validateBody(cls, body);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

interface Problem {
  param: string;
  reason: string;
  /** A mandatory attribute is absent. */
  missing: boolean;
  /** The attribute at fault is mandatory in its object. */
  mandatory: boolean;
}

function flatten(errors: ValidationError[], prefix: string): Problem[] {
  const out: Problem[] = [];
  for (const error of errors) {
    const param = `${prefix}/${escapePointer(error.property)}`;
    const constraints = error.constraints ?? {};
    const mandatory = 'isDefined' in constraints || isMandatory(error);
    if ('isDefined' in constraints) {
      const missing = error.value === undefined;
      out.push({ param, reason: missing ? 'is mandatory' : 'must not be null', missing, mandatory: true });
    } else if (Object.keys(constraints).length > 0) {
      out.push({ param, reason: uniqueReasons(constraints), missing: false, mandatory });
    }
    if (error.children?.length) out.push(...flatten(error.children, param));
  }
  return out;
}

function isMandatory(error: ValidationError): boolean {
  const target = error.target;
  if (!target || Array.isArray(target)) return false;
  return isMandatoryAttribute(Object.getPrototypeOf(target) as object, error.property);
}

function uniqueReasons(constraints: Record<string, string>): string {
  return [...new Set(Object.values(constraints))].join(', ');
}

/** RFC 6901: `~` -> `~0`, `/` -> `~1`. */
function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}
