import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createPkiAB, initiatorYaml, responderYaml, writeYaml, type SeppYaml } from './support/configs';
import { freePort } from './support/ports';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

interface Socket {
  readonly protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6';
  readonly address: string;
  readonly port: number;
  readonly listening: boolean;
}

/** `0100007F:1F90` (little-endian IPv4) or a 32-hex IPv6 address -> text and port. */
function decodeAddress(hex: string): { address: string; port: number } {
  const [ip, port] = hex.split(':') as [string, string];
  let address: string;
  if (ip.length === 8) {
    address = [0, 1, 2, 3].map((i) => parseInt(ip.slice(6 - i * 2, 8 - i * 2), 16)).join('.');
  } else {
    const words: string[] = [];
    for (let i = 0; i < 32; i += 8) {
      const word = ip.slice(i, i + 8).match(/../g)!.reverse().join('');
      words.push(word.slice(0, 4), word.slice(4));
    }
    address = words.map((w) => w.replace(/^0+(?=.)/, '')).join(':');
    if (address.startsWith('0:0:0:0:0:ffff:')) address = `::ffff:${address.slice('0:0:0:0:0:ffff:'.length)}`;
  }
  return { address, port: parseInt(port, 16) };
}

/**
 * The sockets a process holds, from /proc (what `ss -ltnup` shows, without needing ss): the socket
 * inodes of /proc/<pid>/fd matched against the kernel's TCP and UDP tables of its network namespace.
 */
function socketsOf(pid: number): Socket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: Socket[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    let table: string;
    try {
      table = readFileSync(`/proc/${pid}/net/${protocol}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of table.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9]!)) continue;
      const local = decodeAddress(fields[1]!);
      // TCP state 0A is LISTEN; a UDP socket (07) is always a service.
      out.push({ protocol, ...local, listening: protocol.startsWith('udp') || fields[3] === '0A' });
    }
  }
  return out;
}

const key = (socket: { address: string; port: number }): string => `${socket.address}:${socket.port}`;

/**
 * TS 33.117 4.3.2.1 TC_NO_UNNECESSARY_SERVICE (with 4.4.2 port scanning and 4.3.5.1 traffic
 * separation in mind): the sockets each app listens on are exactly the documented listeners of its
 * configuration (README: responder `admin` + `n32` [+ `n32f`]; initiator `admin` [+ `sbi`]
 * [+ `n32`]), each bound to the address it was configured with (never a wildcard), each announced
 * by a `listening` log line; no UDP socket at all. Read from the kernel's view of the process
 * (/proc/<pid>/fd + /proc/<pid>/net/{tcp,tcp6,udp,udp6}), not from the app's own report.
 */
describe('TC_NO_UNNECESSARY_SERVICE, TC_BVT_PORT_SCANNING, TC_TRAFFIC_SEPARATION: the listening sockets are the documented ones, each on its configured address', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  const started: SeppProcess[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  afterAll(async () => {
    await Promise.all(started.map((app) => app.stop()));
  });

  async function start(role: 'responder' | 'initiator', name: string, config: SeppYaml): Promise<SeppProcess> {
    const app = await SeppProcess.ready(role, writeYaml(pki.dir, name, config));
    started.push(app);
    return app;
  }

  /** Listening sockets (kernel), listening log lines (app) and documented listeners must agree. */
  function expectExactly(app: SeppProcess, expected: Record<string, string>): void {
    const sockets = socketsOf(app.child.pid!);
    const listening = sockets.filter((s) => s.listening);
    const logged = app.listening.map((l) => ({ listener: l['listener'] as string, address: l['address'] as string, port: l['port'] as number }));
    // The documented listeners, each on its configured address.
    expect(Object.fromEntries(logged.map((l) => [l.listener, l.address]))).toEqual(expected);
    // The kernel sees exactly those sockets listening, nothing else (no debugger, no metrics port, no UDP).
    expect(listening.map(key).sort()).toEqual(logged.map(key).sort());
    expect(listening.every((s) => s.protocol === 'tcp')).toBe(true);
    expect(sockets.filter((s) => s.protocol.startsWith('udp'))).toEqual([]);
    for (const socket of listening) expect(['0.0.0.0', '::']).not.toContain(socket.address);
  }

  it('a responder: admin and n32 only', async () => {
    const app = await start('responder', 'responder-min', responderYaml(certA, pki));
    expectExactly(app, { admin: '127.0.0.1', n32: '127.0.0.1' });
  });

  it('a responder with n32f.listen and each listener on its own loopback address: admin, n32, n32f, where configured', async () => {
    const config = responderYaml(certA, pki);
    config.admin.listen.host = '127.0.0.1';
    config.n32.listen = { host: '127.0.0.2', port: 0 };
    config['n32f'] = { listen: { host: '127.0.0.3', port: 0 } };
    const app = await start('responder', 'responder-n32f', config);
    expectExactly(app, { admin: '127.0.0.1', n32: '127.0.0.2', n32f: '127.0.0.3' });
  });

  it('an initiator without NF-facing or N32 listener: admin only (its N32 connections are outbound)', async () => {
    const responder = await start('responder', 'responder-for-initiator', responderYaml(certA, pki));
    const app = await start('initiator', 'initiator-min', initiatorYaml(certB, pki, responder.port('n32')));
    await app.waitForPeerState('sepp.5gc.mnc001.mcc001.3gppnetwork.org', 'tls-established');
    expectExactly(app, { admin: '127.0.0.1' });
    // It does hold a TCP connection to the responder, which is no listening socket.
    expect(socketsOf(app.child.pid!).some((s) => !s.listening && s.protocol.startsWith('tcp'))).toBe(true);
  });

  it('an initiator with sbi.listen and n32.listen: admin, sbi, n32', async () => {
    const config = initiatorYaml(certB, pki, await freePort(), { listen: { host: '127.0.0.2', port: 0 } });
    config['sbi'] = { listen: { host: '127.0.0.3', port: 0 } };
    const app = await start('initiator', 'initiator-full', config);
    expectExactly(app, { admin: '127.0.0.1', n32: '127.0.0.2', sbi: '127.0.0.3' });
  });
});
