import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('lets a burst through, then the rate', () => {
    let now = 0;
    const bucket = new TokenBucket(3, 2, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.secondsUntilNext()).toBeCloseTo(0.5);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 500;
    expect(bucket.take()).toBe(true);
    now = 10_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('keeps what is left, capped, when reconfigured', () => {
    let now = 0;
    const bucket = new TokenBucket(10, 1, () => now);
    bucket.reconfigure(2, 1);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    now = 1_000;
    bucket.reconfigure(5, 100);
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
  });
});
