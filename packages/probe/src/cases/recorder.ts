import { WireFailure } from '../net/probe-connection';
import { casesFor } from './catalogue';
import type { CaseDefinition, CaseOutcome, CaseResult, ProbeRole } from './types';

/** Thrown by a run that cannot go on (the target is unreachable): exit code 3. */
export class TargetUnreachable extends Error {}

/**
 * Collects one result per case of a role, in catalogue order. A check that throws fails its case
 * (a WireFailure is described as what was seen on the wire); a case no check reached is skipped.
 */
export class CaseRecorder {
  private readonly results = new Map<string, CaseResult>();
  private readonly definitions: readonly CaseDefinition[];

  /**
   * @param only case IDs or ID prefixes to run (`release`, `id.forged-sender`); the others are
   *   skipped without sending anything for them. Empty: every case.
   */
  constructor(
    readonly role: ProbeRole,
    private readonly onResult: (result: CaseResult) => void = () => undefined,
    private readonly only: readonly string[] = [],
  ) {
    this.definitions = casesFor(role);
  }

  /** Whether `id` is selected by `--only`. */
  selected(id: string): boolean {
    return this.only.length === 0 || this.only.some((prefix) => id === prefix || id.startsWith(prefix.endsWith('.') ? prefix : `${prefix}.`));
  }

  definition(id: string): CaseDefinition {
    const found = this.definitions.find((c) => c.id === id);
    if (!found) throw new Error(`no ${this.role} case ${id}`);
    return found;
  }

  /** Runs `check` for case `id` and records its outcome; returns it. */
  async run(id: string, check: (definition: CaseDefinition) => Promise<CaseOutcome> | CaseOutcome): Promise<CaseOutcome> {
    const definition = this.definition(id);
    if (!this.selected(id)) {
      const skipped: CaseOutcome = { verdict: 'skip', observed: 'not selected (--only)' };
      this.record(definition, skipped, 0);
      return skipped;
    }
    const started = Date.now();
    let outcome: CaseOutcome;
    try {
      outcome = await check(definition);
    } catch (error) {
      if (error instanceof TargetUnreachable) throw error;
      outcome = {
        verdict: 'fail',
        observed: error instanceof WireFailure ? `no answer: ${error.describe()}` : `probe error: ${(error as Error).message}`,
      };
    }
    this.record(definition, outcome, Date.now() - started);
    return outcome;
  }

  /** Records an outcome decided elsewhere. */
  set(id: string, outcome: CaseOutcome, durationMs = 0): void {
    this.record(this.definition(id), this.selected(id) ? outcome : { verdict: 'skip', observed: 'not selected (--only)' }, durationMs);
  }

  /** Skips every case of `ids` that has no result yet. */
  skipPending(ids: readonly string[], reason: string): void {
    for (const id of ids) if (!this.results.has(id)) this.set(id, { verdict: 'skip', observed: reason });
  }

  has(id: string): boolean {
    return this.results.has(id);
  }

  /** Every case of the role, those not reached as skipped with `reason`. */
  all(reason = 'not reached'): CaseResult[] {
    return this.definitions.map((definition) => this.results.get(definition.id) ?? this.toResult(definition, { verdict: 'skip', observed: reason }, 0));
  }

  private record(definition: CaseDefinition, outcome: CaseOutcome, durationMs: number): void {
    const result = this.toResult(definition, outcome, durationMs);
    this.results.set(definition.id, result);
    this.onResult(result);
  }

  private toResult(definition: CaseDefinition, outcome: CaseOutcome, durationMs: number): CaseResult {
    return {
      id: definition.id,
      title: definition.title,
      clause: definition.clause,
      level: definition.level,
      verdict: outcome.verdict,
      expected: definition.expected,
      observed: outcome.observed,
      details: outcome.details ?? [],
      durationMs,
    };
  }
}
