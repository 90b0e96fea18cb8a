import type { ValidationError } from 'class-validator';

export interface ConfigProblem {
  /** The key at fault, e.g. `n32.peers[0].plmns[0].mnc`; empty for the file as a whole. */
  readonly key: string;
  readonly problem: string;
}

/** Why a configuration cannot be used. The apps exit with code 2 on it before listening. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(({ key, problem }) => (key ? `${key}: ${problem}` : problem)).join('\n'));
  }
  static of(key: string, problem: string): ConfigError {
    return new ConfigError([{ key, problem }]);
  }
}

/**
 * class-validator's errors of a configuration file as problems naming the key
 * (`n32.peers[0].fqdn`), one per key: a missing key, an unknown key, or what is wrong with it.
 */
export function configProblems(errors: readonly ValidationError[], prefix: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const error of errors) {
    const key = /^\d+$/.test(error.property) ? `${prefix}[${error.property}]` : prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    if ('isDefined' in constraints) problems.push({ key, problem: constraints['isDefined'] });
    else if ('whitelistValidation' in constraints) problems.push({ key, problem: 'is not a known key' });
    else if (Object.keys(constraints).length > 0) problems.push({ key, problem: describe(constraints) });
    if (error.children?.length) problems.push(...configProblems(error.children, key));
  }
  return problems;
}

/** A wrong type explains itself best; the pattern or range messages would only repeat it. */
const TYPE_CONSTRAINTS = ['isString', 'isInt', 'isBoolean', 'isArray'];

function describe(constraints: Record<string, string>): string {
  const typeProblem = TYPE_CONSTRAINTS.find((name) => name in constraints);
  return typeProblem ? constraints[typeProblem]! : [...new Set(Object.values(constraints))].join(', ');
}
