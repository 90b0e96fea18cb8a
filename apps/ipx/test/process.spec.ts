import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPublicKey } from 'node:crypto';
import { createRig, IPX_FQDN, writeConfig, type Rig } from './support/rig';

const DIST = join(__dirname, '..', 'dist');
const MAIN = join(DIST, 'main.js');
const SEC_INFO = join(DIST, 'sec-info-cli.js');

/** The built app as its own process: JSON log lines on stdout, the rest on stderr. */
class IpxProcess {
  readonly lines: Record<string, unknown>[] = [];
  stderr = '';
  stdout = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  constructor(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [script, ...args], { env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ msg: line, raw: true });
      }
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('close', resolve));
  }

  async waitFor(msg: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l['msg'] === msg);
      if (line) return line;
      if (this.child.exitCode !== null) throw new Error(`exited with ${this.child.exitCode}: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no "${msg}" line: ${JSON.stringify(this.lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('apps/ipx as a process (dist/main.js)', () => {
  let rig: Rig;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm build\` first (turbo runs it before the tests)`);
    rig = await createRig();
  });

  it('starts from --config: one listening line per listener, /readyz 200, SIGTERM stops it with 0', async () => {
    const app = new IpxProcess(MAIN, ['--config', writeConfig(rig, 9)]);
    try {
      await app.waitFor('ready');
      const listening = app.lines.filter((line) => line['msg'] === 'listening');
      expect(listening.map((line) => [line['listener'], line['protocol']])).toEqual([
        ['admin', 'http/1.1'],
        ['n32f', 'h2'],
      ]);
      const admin = listening[0]!['port'] as number;
      expect((await fetch(`http://127.0.0.1:${admin}/readyz`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${admin}/healthz`)).status).toBe(200);
      // Its metrics, labelled as the relay's: the N32-f listener's streams among them.
      const metrics = await (await fetch(`http://127.0.0.1:${admin}/metrics`)).text();
      expect(metrics).toContain('sepp_http2_streams{listener="n32f",app="ipx"} 0');
    } finally {
      app.child.kill('SIGTERM');
    }
    expect(await app.exited).toBe(0);
  });

  it('takes IPX_CONFIG when --config is absent', async () => {
    const app = new IpxProcess(MAIN, [], { IPX_CONFIG: writeConfig(rig, 9, {}, 'env.yaml') });
    try {
      expect(await app.waitFor('ready')).toMatchObject({ identity: IPX_FQDN });
    } finally {
      app.child.kill('SIGTERM');
    }
    expect(await app.exited).toBe(0);
  });

  it('exits 2 before listening, naming the key at fault', async () => {
    const app = new IpxProcess(MAIN, ['--config', writeConfig(rig, 9, { forward: { address: 'nowhere', fqdn: 'sepp.example.org' } }, 'bad.yaml')]);
    expect(await app.exited).toBe(2);
    expect(app.stderr).toContain('forward.address: must be host:port');
    expect(app.lines.filter((line) => line['msg'] === 'listening')).toEqual([]);
    const none = new IpxProcess(MAIN, []);
    expect(await none.exited).toBe(2);
    expect(none.stderr).toContain('IPX_CONFIG');
  });

  it('exits 1 when a listener cannot bind', async () => {
    const first = new IpxProcess(MAIN, ['--config', writeConfig(rig, 9, {}, 'first.yaml')]);
    try {
      await first.waitFor('ready');
      const port = first.lines.find((line) => line['listener'] === 'n32f')!['port'] as number;
      const second = new IpxProcess(MAIN, ['--config', writeConfig(rig, 9, { listen: { host: '127.0.0.1', port } }, 'second.yaml')]);
      expect(await second.exited).toBe(1);
      expect(second.lines.some((line) => line['msg'] === 'start-up failed')).toBe(true);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  it('sec-info: prints the IpxProviderSecInfo entry and writes the public key file for SEPP configurations', async () => {
    const out = join(rig.pki.dir, 'ipx-public.pem');
    const cli = new IpxProcess(SEC_INFO, ['--config', writeConfig(rig, 9, {}, 'cli.yaml'), '--public-key-out', out]);
    expect(await cli.exited).toBe(0);
    const info = JSON.parse(cli.stdout) as { ipxProviderId: string; rawPublicKeyList: string[]; certificateList: string[] };
    expect(info.ipxProviderId).toBe(IPX_FQDN);
    const pem = readFileSync(out, 'utf8');
    expect(createPublicKey(pem).export({ format: 'der', type: 'spki' }).toString('base64')).toBe(info.rawPublicKeyList[0]);
    expect(createPublicKey(readFileSync(rig.ipxSigning.key)).export({ format: 'pem', type: 'spki' })).toBe(pem);
  });
});
