import type { H2Answer } from './h2-client';

/** A TS 29.571 ProblemDetails as the SEPPs write it. */
export interface ProblemBody {
  title?: string;
  status: number;
  cause: string;
  detail?: string;
  invalidParams?: { param: string; reason?: string }[];
}

/** RFC 6901 JSON Pointer (the empty pointer or `/token/token...`). */
export const JSON_POINTER = /^(\/([^~/]|~[01])*)*$/;

/**
 * Asserts the DECISIONS.md §8 error shape: `status` as expected (a 4xx unless told otherwise),
 * `content-type: application/problem+json`, a body whose numeric `status` equals the HTTP status,
 * a string `cause`, and no header that gives the implementation away. Returns the body.
 */
export function expectProblem(answer: H2Answer, status: number | readonly number[]): ProblemBody {
  const context = `HTTP ${answer.status} ${String(answer.headers['content-type'])} ${answer.text.slice(0, 500)}`;
  const allowed = typeof status === 'number' ? [status] : status;
  if (!allowed.includes(answer.status)) throw new Error(`expected status ${allowed.join(' or ')}, got ${context}`);
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(String(answer.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = answer.json as ProblemBody;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`not a JSON object: ${context}`);
  expect(typeof body.status).toBe('number');
  expect(body.status).toBe(answer.status);
  expect(typeof body.cause).toBe('string');
  expect(body.cause.length).toBeGreaterThan(0);
  expectNoServerBanner(answer);
  return body;
}

/** Asserts the body names `pointer` (exactly) among its invalidParams, all of them JSON Pointers. */
export function expectInvalidParam(body: ProblemBody, pointer?: string): void {
  expect(Array.isArray(body.invalidParams)).toBe(true);
  expect(body.invalidParams!.length).toBeGreaterThan(0);
  for (const { param } of body.invalidParams!) expect(param).toMatch(JSON_POINTER);
  if (pointer !== undefined) expect(body.invalidParams!.map((p) => p.param)).toContain(pointer);
}

export function expectNoServerBanner(answer: H2Answer): void {
  expect(answer.headers['server']).toBeUndefined();
  expect(answer.headers['x-powered-by']).toBeUndefined();
}

/**
 * The DECISIONS.md §5 refusal: a 403 ProblemDetails (as `expectProblem` checks it) with cause
 * UNSPECIFIED, a detail, and the field at fault (`pointer`) among its invalidParams. Returns the body.
 */
export function expectForbidden(answer: H2Answer, pointer: string): ProblemBody {
  const body = expectProblem(answer, 403);
  expect(body).toMatchObject({ cause: 'UNSPECIFIED', detail: expect.any(String) });
  expectInvalidParam(body, pointer);
  return body;
}
