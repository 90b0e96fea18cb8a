import type { Http2Session } from 'node:http2';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** The shortest window the load is measured over. */
const LOAD_WINDOW_MS = 1_000;

/**
 * The `3gpp-Sbi-Lci` element of a SEPP (TS 29.500 6.3, TS29500_CustomHeaders.abnf `lc-element`
 * with `seppScope`): when it was measured and the load, a whole percent.
 */
export function loadControlInformation(seppFqdn: string, loadPercent: number, now: Date): string {
  const metric = Math.min(100, Math.max(0, Math.round(loadPercent)));
  return `Timestamp: "${now.toISOString()}"; Load-Metric: ${metric}%; SEPP-FQDN: ${seppFqdn}`;
}

/**
 * This process's load: the share of time its event loop was busy (Node's event loop
 * utilization), over the last window of at least a second before it is asked. A SEPP replica is one
 * event loop, so this is how much of what it can do it does; requests in flight say little until
 * the overload bound.
 */
export class ProcessLoad {
  private since: EventLoopUtilization;
  private sinceMs: number;
  private last = 0;

  constructor(
    private readonly utilization: (since?: EventLoopUtilization) => EventLoopUtilization = (since) => performance.eventLoopUtilization(since),
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.since = this.utilization();
    this.sinceMs = this.clock();
  }

  /** Percent, 0-100: of the window that ended at the last call at least a second after the one before. */
  percent(): number {
    const now = this.clock();
    if (now - this.sinceMs >= LOAD_WINDOW_MS) {
      this.last = 100 * this.utilization(this.since).utilization;
      this.since = this.utilization();
      this.sinceMs = now;
    }
    return this.last;
  }
}

let shared: ProcessLoad | undefined;

/** The process's one `ProcessLoad` (every listener reports the same event loop). */
export function processLoad(): ProcessLoad {
  return (shared ??= new ProcessLoad());
}

/**
 * Which answers carry the LCI: per connection (HTTP/2 session), the first one and then the first
 * after each `periodMs`. Asked once per request taken; nothing is kept for a connection once it is
 * gone (a WeakMap).
 */
export class LoadReportSchedule {
  private readonly due = new WeakMap<Http2Session, number>();

  /** True when this stream's answer should carry the LCI (and the connection's next one is due a period later). */
  take(session: Http2Session | undefined, periodMs: number, nowMs: number): boolean {
    if (periodMs <= 0 || !session) return false;
    const due = this.due.get(session);
    if (due !== undefined && nowMs < due) return false;
    this.due.set(session, nowMs + periodMs);
    return true;
  }
}
