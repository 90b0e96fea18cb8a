import type { ClientHttp2Session } from 'node:http2';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { N32F_PROCESS_PATH } from '@sepp/protocol';
import { startIpxApp, type RunningIpx } from '../src/bootstrap/run-ipx-app';
import { loadIpxConfig } from '../src/config/load-ipx-config';
import { createIpxLogger } from '../src/logging/logger';
import { h2Request, h2Session, type H2Answer } from './support/h2';
import { createRig, IPX_FQDN, LogLines, protectRequest, SEPP_B, until, writeConfig, type Rig } from './support/rig';

const POST = { ':method': 'POST', ':path': N32F_PROCESS_PATH, 'content-type': 'application/json' };

/** The frozen next hop (PINGs without an ACK) is in e2e/test/n32-blackhole.e2e.spec.ts, through the real processes. */
describe('apps/ipx: a next hop that never completes its connection', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await createRig();
  });

  it('it accepts TCP and never answers TLS: the session is closed after forward.timeoutMs, and the next message tries a new one', async () => {
    const silent: Socket[] = [];
    const server: Server = createServer((socket) => silent.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const logs = new LogLines();
    let ipx: RunningIpx | undefined;
    let client: ClientHttp2Session | undefined;
    try {
      const file = writeConfig(rig, port, { forward: { address: `127.0.0.1:${port}`, fqdn: SEPP_B, timeoutMs: 500, keepaliveMs: 300 } });
      ipx = await startIpxApp(loadIpxConfig(file), createIpxLogger('info', logs));
      client = await h2Session(ipx.addresses.n32f.port, { ca: rig.pki.ca.certPem, cert: rig.seppA.certPem, key: rig.seppA.keyPem, servername: IPX_FQDN });
      const relay = (): Promise<H2Answer> => h2Request(client!, POST, JSON.stringify(protectRequest().body));
      expect((await relay()).status).toBeGreaterThanOrEqual(500);
      await until('the session given up', () => logs.with('next hop session not up in time: closed').length === 1);
      expect(logs.with('next hop session not up in time: closed')[0]).toMatchObject({ level: 'warn', timeoutMs: 500 });
      expect((await relay()).status).toBeGreaterThanOrEqual(500);
      // Without the bound, the second message would have waited on the first connection.
      expect(silent.length).toBe(2);
    } finally {
      client?.destroy();
      await ipx?.close();
      for (const socket of silent) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
