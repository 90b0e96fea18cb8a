const DAY_MS = 86_400_000;

/** TS 33.310 §6.1.3c caps SEPP certificate lifetime; one extra day absorbs a leap year. */
export const MAX_LEAF_VALIDITY_DAYS = 3 * 365 + 1;

// Containers and CI runners are rarely in perfect sync; back-dating a freshly minted
// certificate keeps a peer with a slightly slow clock from rejecting it as "not yet valid".
const CLOCK_SKEW_MS = 5 * 60 * 1000;

export interface ValidityOptions {
  notBefore?: Date;
  notAfter?: Date;
  validityDays?: number;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * DAY_MS);
}

export function resolveValidity(opts: ValidityOptions, defaultDays: number, maxDays?: number): Validity {
  const days = opts.validityDays ?? defaultDays;
  if (!Number.isFinite(days) || days <= 0) {
    throw new RangeError(`validityDays must be a positive number, got ${days}`);
  }
  if (maxDays !== undefined && days > maxDays) {
    throw new RangeError(`validity of ${days} days exceeds the ${maxDays}-day maximum`);
  }
  const notBefore = opts.notBefore ?? new Date(Date.now() - CLOCK_SKEW_MS);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);
  const span = notAfter.getTime() - notBefore.getTime();
  if (!(span > 0)) {
    throw new RangeError(`notAfter (${notAfter.toISOString()}) must be later than notBefore (${notBefore.toISOString()})`);
  }
  // Checked again on the resolved dates because explicit notBefore/notAfter bypass validityDays.
  if (maxDays !== undefined && span > maxDays * DAY_MS) {
    throw new RangeError(`validity of ${(span / DAY_MS).toFixed(1)} days exceeds the ${maxDays}-day maximum`);
  }
  return { notBefore, notAfter };
}
