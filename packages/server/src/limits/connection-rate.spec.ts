import { readLimits, type LimitsSettings } from '../config/limits-config';
import { createJsonLogger } from '../logging/logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { ConnectionRateLimiter, MAX_RATE_ADDRESSES } from './connection-rate';

/**
 * The per-address rate of new connections on stand-ins for the runtime, on a clock of its own (the
 * e2e suite closes real connections with it: limits-abuse.e2e.spec.ts).
 */
describe('ConnectionRateLimiter', () => {
  let now: number;
  let lines: Record<string, unknown>[];
  let metrics: SeppMetrics;
  let config: { current: { limits: LimitsSettings } };
  let limiter: ConnectionRateLimiter;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    lines = [];
    metrics = new SeppMetrics('responder');
    const logger = createJsonLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    config = { current: { limits: readLimits({ connectionRatePerAddress: 2, connectionRateBurst: 3 }) } };
    limiter = new ConnectionRateLimiter({ logger, metrics, config } as unknown as SeppRuntime, 'n32', () => now);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  const admitted = (address: string, times: number): boolean[] => Array.from({ length: times }, () => limiter.admit(address));
  const refusedCount = async (): Promise<number> => (await metrics.abuse.get()).values.find((v) => v.labels['kind'] === 'connection-rate-limited')?.value ?? 0;

  it('lets a burst from one address through, then its rate; another address has its own', async () => {
    expect(admitted('127.0.0.2', 5)).toEqual([true, true, true, false, false]);
    expect(admitted('127.0.0.3', 3)).toEqual([true, true, true]);
    now = 499;
    expect(limiter.admit('127.0.0.2')).toBe(false);
    now = 500;
    expect(admitted('127.0.0.2', 2)).toEqual([true, false]);
    expect(await refusedCount()).toBe(4);
  });

  it('logs the first refusal of an address at once, the others of the second together, with both keys; lists them on the status page', () => {
    admitted('127.0.0.2', 6);
    const abuse = (): Record<string, unknown>[] => lines.filter((line) => line['msg'] === 'abuse');
    expect(abuse()).toEqual([
      expect.objectContaining({
        level: 'warn',
        listener: 'n32',
        kind: 'connection-rate-limited',
        action: 'connection closed',
        remoteAddress: '127.0.0.2',
        refused: 1,
        connectionRatePerAddress: 2,
        connectionRateBurst: 3,
        detail: 'more than 2 new connections per second from 127.0.0.2 (burst 3)',
      }),
    ]);
    jest.advanceTimersByTime(1_000);
    expect(abuse()).toHaveLength(2);
    expect(abuse()[1]).toMatchObject({ remoteAddress: '127.0.0.2', refused: 2 });
    expect(metrics.refusals.view()).toEqual([expect.objectContaining({ category: 'rate-limit', cause: 'connection-rate-limited', listener: 'n32', remoteAddress: '127.0.0.2', count: 3 })]);
  });

  it('takes a reload at the next connection; 0 lets everything through and remembers nothing', () => {
    admitted('127.0.0.2', 3);
    config.current = { limits: readLimits({ connectionRatePerAddress: 2, connectionRateBurst: 5 }) };
    expect(limiter.admit('127.0.0.2')).toBe(false);
    now = 1_000;
    expect(admitted('127.0.0.2', 3)).toEqual([true, true, false]);
    config.current = { limits: readLimits({ connectionRatePerAddress: 0 }) };
    expect(admitted('127.0.0.9', 1_000).every(Boolean)).toBe(true);
    expect(limiter.addresses).toBe(1);
  });

  it('remembers a bounded number of addresses: full buckets go as the addresses known double, past the bound the oldest', () => {
    for (let i = 0; i < 1_024; i++) limiter.admit(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.addresses).toBe(1_024);
    now = 10_000; // every bucket full again
    expect(limiter.admit('127.0.0.2')).toBe(true);
    expect(limiter.addresses).toBe(1);

    // Past the bound without time passing (no bucket full): the address known longest goes.
    for (let i = 0; i < MAX_RATE_ADDRESSES + 10; i++) limiter.admit(`addr-${i}`);
    expect(limiter.addresses).toBe(MAX_RATE_ADDRESSES);
    expect(admitted('addr-0', 3)).toEqual([true, true, true]);
    expect(admitted(`addr-${MAX_RATE_ADDRESSES + 9}`, 3)).toEqual([true, true, false]);
  });
});
