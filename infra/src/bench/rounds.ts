import type { RatioResult, RatioSpec, Scenario, ScenarioResult } from './context';
import { computeRatios } from './report';

/**
 * Repeated rounds (`--rounds N`): on a machine whose speed drifts over minutes (a shared VM), one
 * pass over the scenarios compares figures taken minutes apart. With rounds the selected scenarios
 * run N times, every other round in reverse order (each scenario's average place in time is the
 * same); each scenario then shows its median round, and each ratio is the median of the ratios
 * every round gave on its own.
 */

/** The scenarios of round `round` (0-based): as selected, then reversed, then as selected... */
export function roundOrder(scenarios: readonly Scenario[], round: number): Scenario[] {
  return round % 2 === 0 ? [...scenarios] : [...scenarios].reverse();
}

/** What ranks a scenario's rounds: req/s of a load scenario, `whole` p50 (ms) of a measuring one; null when it did not run. */
export function roundFigure(result: ScenarioResult | undefined): number | null {
  if (!result?.ran) return null;
  if (result.load) return result.load.reqPerSec;
  const whole = result.latency?.['whole'];
  return whole && whole.samples > 0 ? whole.p50Ms : null;
}

/** The round of one scenario whose rank is the median (the lower middle of an even count); one that did not run only if none did. */
export function medianRound(results: readonly ScenarioResult[]): ScenarioResult {
  if (results.length === 0) throw new RangeError('no round');
  const ranked = results.filter((result) => roundFigure(result) !== null).sort((a, b) => roundFigure(a)! - roundFigure(b)!);
  if (ranked.length === 0) return results[0]!;
  return ranked[Math.floor((ranked.length - 1) / 2)]!;
}

/** The median of some numbers (the mean of the middle two of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Each ratio as the median of the rounds' own ratios (rounds where it could not be computed left out). */
export function medianRatios(specs: readonly RatioSpec[], rounds: readonly (readonly ScenarioResult[])[]): { ratios: RatioResult[]; perRound: (number | null)[][] } {
  const each = rounds.map((results) => computeRatios(specs, results));
  const perRound = specs.map((_, index) => each.map((ratios) => ratios[index]!.value));
  const ratios = specs.map((spec, index): RatioResult => {
    const values = perRound[index]!.filter((value): value is number => value !== null);
    if (values.length === 0) return each[0]?.[index] ?? { ...spec, value: null, pass: null, note: 'not computed' };
    const value = median(values);
    return { ...spec, value, pass: spec.target === undefined ? null : value >= spec.target };
  });
  return { ratios, perRound };
}

/** `num/den` of h2load's req/s in one round; null unless both ran with h2load and the denominator answered. */
export function h2loadRatio(results: readonly ScenarioResult[], numerator: string, denominator: string): number | null {
  const num = results.find((result) => result.id === numerator && result.ran)?.h2load;
  const den = results.find((result) => result.id === denominator && result.ran)?.h2load;
  return num && den && den.reqPerSec > 0 ? num.reqPerSec / den.reqPerSec : null;
}

/**
 * Each pair's h2load ratio in every round, by name (`c/b`): the h2load ratio targets take their
 * median, as the bench's own ratios do, rather than the ratio of the median rounds (which are
 * chosen by the bench's own generator).
 */
export function h2loadRatiosPerRound(specs: readonly RatioSpec[], rounds: readonly (readonly ScenarioResult[])[]): Record<string, (number | null)[]> {
  return Object.fromEntries(specs.map((spec) => [`${spec.numerator}/${spec.denominator}`, rounds.map((results) => h2loadRatio(results, spec.numerator, spec.denominator))]));
}
