import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const mid = (): number => 0.5;
  it('doubles from the initial delay and stops at the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 30_000, mid))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });
  it('jitters within ±20% but never above the maximum', () => {
    expect(backoffDelay(1, 1000, 30_000, () => 0)).toBe(800);
    expect(backoffDelay(1, 1000, 30_000, () => 1)).toBe(1200);
    expect(backoffDelay(10, 1000, 30_000, () => 1)).toBe(30_000);
  });
  it('survives absurd failure counts', () => {
    expect(backoffDelay(10_000, 1000, 60_000, mid)).toBe(60_000);
  });
});
