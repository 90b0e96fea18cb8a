import { HttpException } from '@nestjs/common';
import { N32Error, type ProblemDetailsData } from '@sepp/protocol';
import { N32_ERROR_STATUS, STATUS_TITLE } from './error-status';
import { ProblemException } from './problem.exception';

export interface Problem {
  readonly status: number;
  readonly body: ProblemDetailsData & { status: number };
  /** Whether the fault is ours (5xx): those are logged with their stack. */
  readonly internal: boolean;
}

const titled = (status: number, body: Omit<ProblemDetailsData, 'status' | 'title'>): Problem['body'] => ({
  title: STATUS_TITLE[status] ?? `HTTP ${status}`,
  status,
  ...body,
});

/**
 * Maps anything thrown while serving a request to a TS 29.571 ProblemDetails (DECISIONS.md §8).
 * Bad input is always a 4xx with `cause` and, for body faults, `invalidParams`; only our own
 * faults become 500, and their detail never leaks internals.
 */
export function toProblem(exception: unknown, bodyLimit: number): Problem {
  if (exception instanceof N32Error) {
    const status = N32_ERROR_STATUS[exception.code];
    const body = titled(status, { detail: exception.detail, cause: exception.cause });
    if (exception.invalidParams.length > 0) body.invalidParams = exception.invalidParams.map((p) => ({ ...p }));
    return { status, body, internal: false };
  }
  if (exception instanceof ProblemException) {
    const { status } = exception.problem;
    return { status, body: { title: STATUS_TITLE[status], ...exception.problem }, internal: status >= 500 };
  }
  if (exception instanceof HttpException) return fromHttpException(exception, bodyLimit);
  return {
    status: 500,
    body: titled(500, { cause: 'SYSTEM_FAILURE', detail: 'the SEPP could not process the request' }),
    internal: true,
  };
}

/** Nest's own exceptions and the transport's (body parsing, content type, size), mapped by status. */
function fromHttpException(exception: HttpException, bodyLimit: number): Problem {
  const status = exception.getStatus();
  const message = exception.message;
  switch (status) {
    case 400:
      return {
        status,
        body: titled(status, {
          cause: 'INVALID_MSG_FORMAT',
          detail: `the body is not valid JSON: ${message}`,
          invalidParams: [{ param: '/', reason: 'must be a valid JSON document' }],
        }),
        internal: false,
      };
    case 413:
      return {
        status,
        body: titled(status, {
          cause: 'INVALID_MSG_FORMAT',
          detail: `the body exceeds the limit of ${bodyLimit} bytes`,
          invalidParams: [{ param: '/', reason: `must not exceed ${bodyLimit} bytes` }],
        }),
        internal: false,
      };
    case 415:
      return {
        status,
        body: titled(status, {
          cause: 'INVALID_MSG_FORMAT',
          detail: 'the body must be application/json',
          invalidParams: [{ param: 'header content-type', reason: 'must be application/json' }],
        }),
        internal: false,
      };
    case 404:
    case 405:
      return {
        status,
        // Not the framework's "Cannot GET /x": its wording tells which web framework answers
        // (TS 33.117 4.3.4.12, no web server information in error pages).
        body: titled(status, { cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND', detail: message.replace(/^Cannot ([A-Z]+) (.*)$/s, 'no resource for $1 $2') }),
        internal: false,
      };
    default:
      return status >= 500
        ? { status: 500, body: titled(500, { cause: 'SYSTEM_FAILURE', detail: 'the SEPP could not process the request' }), internal: true }
        : { status, body: titled(status, { cause: 'UNSPECIFIED', detail: message }), internal: false };
  }
}
