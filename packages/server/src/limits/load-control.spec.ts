import type { Http2Session } from 'node:http2';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { LoadReportSchedule, loadControlInformation, processLoad, ProcessLoad } from './load-control';

describe('load control information (TS 29.500 6.3)', () => {
  it('formats the LCI with the SEPP scope, the metric a whole percent within 0-100', () => {
    const at = new Date('2026-12-06T08:50:00.123Z');
    expect(loadControlInformation('sepp.example.org', 42.5, at)).toBe('Timestamp: "2026-12-06T08:50:00.123Z"; Load-Metric: 43%; SEPP-FQDN: sepp.example.org');
    expect(loadControlInformation('s', 140, at)).toContain('Load-Metric: 100%;');
    expect(loadControlInformation('s', -1, at)).toContain('Load-Metric: 0%;');
  });

  it('ProcessLoad: the event loop utilization of the last window of at least a second, measured when asked', () => {
    let clock = 0;
    let busyMs = 0;
    // Node's eventLoopUtilization: totals since start, or the difference to an earlier reading.
    const read = (since?: EventLoopUtilization): EventLoopUtilization => {
      const total = { idle: clock - busyMs, active: busyMs, utilization: clock > 0 ? busyMs / clock : 0 };
      if (!since) return total;
      const idle = total.idle - since.idle;
      const active = total.active - since.active;
      return { idle, active, utilization: active / (idle + active) };
    };
    const load = new ProcessLoad(read, () => clock);
    expect(load.percent()).toBe(0);
    clock = 500;
    busyMs = 400;
    // Less than a second since the last window: the last figure.
    expect(load.percent()).toBe(0);
    clock = 1_000;
    busyMs = 500;
    expect(load.percent()).toBe(50);
    clock = 1_500;
    busyMs = 1_000;
    expect(load.percent()).toBe(50);
    clock = 3_000;
    busyMs = 2_500;
    expect(load.percent()).toBe(100);
    // The process's own: one for every listener, a figure within 0-100.
    expect(processLoad()).toBe(processLoad());
    expect(processLoad().percent()).toBeGreaterThanOrEqual(0);
    expect(processLoad().percent()).toBeLessThanOrEqual(100);
  });

  it('LoadReportSchedule: per connection, the first answer and the first after each period; none when the period is 0', () => {
    const schedule = new LoadReportSchedule();
    const a = {} as Http2Session;
    const b = {} as Http2Session;
    expect(schedule.take(a, 0, 0)).toBe(false);
    expect(schedule.take(a, 1_000, 0)).toBe(true);
    expect(schedule.take(a, 1_000, 999)).toBe(false);
    expect(schedule.take(b, 1_000, 999)).toBe(true);
    expect(schedule.take(a, 1_000, 1_000)).toBe(true);
    expect(schedule.take(a, 1_000, 1_500)).toBe(false);
    expect(schedule.take(undefined, 1_000, 5_000)).toBe(false);
  });
});
