import type { ServerHttp2Stream } from 'node:http2';
import pino from 'pino';
import { SeppMetrics } from '../metrics/sepp-metrics';
import type { ListenerRuntime } from './listener-runtime';
import { BUCKETS_SWEEP_AT, N32F_RATE_BUDGET, PeerRateLimiter } from './peer-rate-limit';

describe('PeerRateLimiter: its buckets stay bounded by the peers that are busy', () => {
  const runtime = (rate: number, burst: number): ListenerRuntime =>
    ({ logger: pino({ level: 'silent' }), metrics: new SeppMetrics('responder'), config: { current: { limits: { rateLimitPerPeer: rate, rateLimitBurst: burst } }, on: () => undefined } }) as unknown as ListenerRuntime;
  const stream = {} as ServerHttp2Stream; // never answered here: no request is over the limit
  const names = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `sepp-${from + i}.example.org`);

  it('drops the buckets that are full again when a new peer comes past BUCKETS_SWEEP_AT', async () => {
    const limiter = new PeerRateLimiter(runtime(1_000, 10), N32F_RATE_BUDGET);
    for (const peer of names(0, BUCKETS_SWEEP_AT)) expect(limiter.admit(stream, peer, 'n32')).toBe(true);
    expect(limiter.peersTracked).toBe(BUCKETS_SWEEP_AT);
    // One token back takes 1 ms at 1,000/s: wait for more than that.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(limiter.admit(stream, 'sepp-new.example.org', 'n32')).toBe(true);
    expect(limiter.peersTracked).toBe(1);
  });

  it('keeps the buckets of busy peers: their spent tokens still count after a sweep', () => {
    // 1 token per 1,000 s: no bucket is full again during the test.
    const limiter = new PeerRateLimiter(runtime(0.001, 2), N32F_RATE_BUDGET);
    for (const peer of names(0, BUCKETS_SWEEP_AT)) limiter.admit(stream, peer, 'n32');
    expect(limiter.admit(stream, 'sepp-new.example.org', 'n32')).toBe(true);
    expect(limiter.peersTracked).toBe(BUCKETS_SWEEP_AT + 1);
    // sepp-0 spent one of its two tokens before the sweep: one is left, not two.
    expect(limiter.admit(stream, 'sepp-0.example.org', 'n32')).toBe(true);
    const answered: unknown[] = [];
    const refused = { destroyed: false, closed: false, headersSent: false, respond: (headers: unknown) => answered.push(headers), end: () => undefined, once: () => refused, on: () => refused, write: () => true, close: () => undefined } as unknown as ServerHttp2Stream;
    expect(limiter.admit(refused, 'sepp-0.example.org', 'n32')).toBe(false);
    expect(answered).toEqual([expect.objectContaining({ ':status': 429 })]);
  });
});
