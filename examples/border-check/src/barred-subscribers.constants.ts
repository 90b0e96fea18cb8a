/** Injection token of the set of barred SUPIs. */
export const BARRED_SUBSCRIBERS = Symbol('BARRED_SUBSCRIBERS');
