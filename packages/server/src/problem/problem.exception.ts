import type { ProblemDetailsData } from '@sepp/protocol';

/**
 * An error that already knows its wire form. Thrown by app code for refusals that are not
 * protocol errors (for example "no such peer" on the admin API); protocol refusals are
 * `N32Error`s and get their status from {@link N32_ERROR_STATUS}.
 */
export class ProblemException extends Error {
  override readonly name = 'ProblemException';
  constructor(readonly problem: ProblemDetailsData & { status: number }) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}
