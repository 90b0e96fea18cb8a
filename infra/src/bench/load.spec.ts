import { once } from 'node:events';
import { createServer, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { runLoad, type LoadOptions } from './load';

/** An h2c server on loopback that answers every request with `answer`. */
async function server(answer: (stream: ServerHttp2Stream) => void): Promise<{ url: string; answered: () => number; close: () => Promise<void> }> {
  let answered = 0;
  const h2: Http2Server = createServer();
  h2.on('stream', (stream) => {
    answered += 1;
    answer(stream);
  });
  h2.listen(0, '127.0.0.1');
  await once(h2, 'listening');
  return {
    url: `http://127.0.0.1:${(h2.address() as AddressInfo).port}`,
    answered: () => answered,
    close: () => new Promise((resolve) => h2.close(() => resolve())),
  };
}

const options = (url: string): LoadOptions => ({ url, method: 'GET', path: '/', connections: 1, concurrency: 4, durationS: 0.1, warmupS: 0, requestTimeoutMs: 2_000, maxSamples: 1_000 });

describe('runLoad: the warm-up by count', () => {
  it('measures only once that many requests were answered during the warm-up', async () => {
    const s = await server((stream) => {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    try {
      const result = await runLoad({ ...options(s.url), warmupRequests: 500 });
      expect(result.warmupAnswered).toBeGreaterThanOrEqual(500);
      expect(result.ok).toBeGreaterThan(0);
      expect(s.answered()).toBeGreaterThanOrEqual(500 + result.ok);
    } finally {
      await s.close();
    }
  });

  it('ends the warm-up at its time bound when the answers do not come', async () => {
    const held: ServerHttp2Stream[] = [];
    const s = await server((stream) => held.push(stream));
    try {
      const result = await runLoad({ ...options(s.url), warmupRequests: 10, warmupLimitS: 0.2, requestTimeoutMs: 100 });
      expect(result.warmupAnswered).toBe(0);
      expect(result.ok).toBe(0);
    } finally {
      for (const stream of held) stream.destroy();
      await s.close();
    }
  });
});
