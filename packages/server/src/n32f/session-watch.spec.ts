import { once } from 'node:events';
import { connect } from 'node:http2';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { loopbackH2 } from '../testing/loopback-h2.spec-support';
import { watchClientSession, type SessionGivenUp } from './session-watch';

/** The silent peer (PINGs without ACK) is e2e/test/n32-blackhole.e2e.spec.ts, with real processes. */
describe('watchClientSession', () => {
  it('gives up a session that is not up within connectTimeoutMs (a peer that accepts TCP and never answers TLS)', async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => accepted.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const session = connect(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { rejectUnauthorized: false });
    session.on('error', () => undefined);
    const reasons: SessionGivenUp[] = [];
    try {
      watchClientSession(session, { connectTimeoutMs: 200, keepaliveMs: 100, onGivenUp: (reason) => reasons.push(reason) });
      expect(session.connecting).toBe(true);
      await once(session, 'close');
      expect(reasons).toEqual(['not-up']);
      expect(session.destroyed).toBe(true);
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('keeps a session whose peer answers its PINGs, over several periods', async () => {
    const loopback = await loopbackH2((stream) => stream.respond({ ':status': 204 }, { endStream: true }));
    const reasons: SessionGivenUp[] = [];
    let pings = 0;
    loopback.server.on('session', (session) => session.on('ping', () => (pings += 1)));
    try {
      // Periods long enough for an ACK on a loaded machine: this case is about no false alarm.
      watchClientSession(loopback.client, { connectTimeoutMs: 1_000, keepaliveMs: 400, onGivenUp: (reason) => reasons.push(reason) });
      while (pings < 3) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(reasons).toEqual([]);
      expect(loopback.client.destroyed).toBe(false);
    } finally {
      await loopback.close();
    }
  });
});
