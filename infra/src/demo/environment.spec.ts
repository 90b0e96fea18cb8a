import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { checkFree, freePort } from './environment';

const ephemeralStart = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

describe('freePort', () => {
  it('never hands out one port twice in a process, called one after another or side by side', async () => {
    const sequential: number[] = [];
    for (let i = 0; i < 300; i++) sequential.push(await freePort());
    const concurrent = await Promise.all(Array.from({ length: 100 }, () => freePort()));
    const all = [...sequential, ...concurrent];
    expect(new Set(all).size).toBe(all.length);
    for (const port of all) {
      expect(port).toBeGreaterThanOrEqual(1_024);
      expect(port).toBeLessThan(ephemeralStart);
    }
  });

  it('gives a port nothing listens on, one a later listener can take', async () => {
    const port = await freePort();
    await expect(checkFree('127.0.0.1', port)).resolves.toBeUndefined();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await expect(checkFree('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
