import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
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
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      error: new N32Error(N32ErrorCode.INVALID_MSG_FORMAT, 'the body must be a JSON object', [
        { param: '/', reason: 'must be a JSON object' },
      ]),
    };
  }
  const instance = plainToInstance(cls, body, {
    excludeExtraneousValues: true,
    exposeUnsetFields: false,
    enableImplicitConversion: false,
  });
  const errors = validateSync(instance, { forbidUnknownValues: false, validationError: { target: true, value: true } });
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
