/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. `take()` spends one token
 * and says whether there was one. The clock is injectable for tests.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private burst: number,
    private ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty (the event is over the limit). */
  take(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Seconds until the next token (0 when one is available now). */
  secondsUntilNext(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.ratePerSecond;
  }

  /** Whether the bucket is full again: it then remembers nothing a new bucket would not. */
  full(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  /** New parameters (a configuration reload); the tokens left stay, capped at the new burst. */
  reconfigure(burst: number, ratePerSecond: number): void {
    if (burst === this.burst && ratePerSecond === this.ratePerSecond) return;
    this.refill();
    this.burst = burst;
    this.ratePerSecond = ratePerSecond;
    this.tokens = Math.min(this.tokens, burst);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
  }
}
