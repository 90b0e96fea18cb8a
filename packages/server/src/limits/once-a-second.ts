/** Events of one key are logged at most once per this period, with their count. */
export const LOG_PERIOD_MS = 1_000;

interface Pending<T> {
  count: number;
  latest: T;
  readonly timer: NodeJS.Timeout;
}

/**
 * Refusals in floods, logged without flooding the log: per key (a peer, an address), the first
 * one at once; then, each second, those of that second together in one line (`log(key, count,
 * latest)`, with what the last of them carried), until a second without any.
 */
export class OnceASecond<T> {
  private readonly pending = new Map<string, Pending<T>>();

  constructor(private readonly log: (key: string, count: number, latest: T) => void) {}

  note(key: string, latest: T): void {
    const pending = this.pending.get(key);
    if (pending) {
      pending.count += 1;
      pending.latest = latest;
      return;
    }
    this.log(key, 1, latest);
    const entry: Pending<T> = {
      count: 0,
      latest,
      timer: setTimeout(() => {
        if (entry.count === 0) {
          this.pending.delete(key);
          return;
        }
        this.log(key, entry.count, entry.latest);
        entry.count = 0;
        entry.timer.refresh();
      }, LOG_PERIOD_MS),
    };
    entry.timer.unref();
    this.pending.set(key, entry);
  }
}
