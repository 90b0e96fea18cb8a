/**
 * Exponential back-off with ±20% jitter, so a fleet of SEPPs that lost the same peer does not
 * retry in lockstep: initial, 2x, 4x ... capped at max.
 */
export function backoffDelay(failures: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(exponent, 30));
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(maxMs, jittered));
}
