import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCertificateSet } from '@sepp/infra';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B } from './support/configs';
import { REPO_ROOT } from './support/paths';
import { freePort, holdPort } from './support/ports';

/** `node infra/dist/demo.js --once` as `pnpm demo --once` runs it, on free ports and a temporary certificate folder. */
jest.setTimeout(60_000);

const DEMO = join(REPO_ROOT, 'infra/dist/demo.js');

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(env: NodeJS.ProcessEnv, timeoutMs = 40_000): Promise<DemoRun> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [DEMO, '--once'], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGTERM makes the demo stop its apps itself; it is only the safety net of a hung run.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The JSON lines of an app's log file. */
function logLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('pnpm demo --once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sepp-demo-'));
  const certs = join(dir, 'certs');
  const logs = join(dir, 'logs');
  const base = { SEPP_DEMO_CERTS: certs, SEPP_DEMO_LOGS: logs };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('mints certificates, starts both SEPPs on the chosen ports, shows TLS selected and exits 0 after the release', async () => {
    const n32Port = await freePort();
    const run = await runDemo({
      ...base,
      SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: String(n32Port),
      SEPP_DEMO_RESPONDER_ADMIN_LISTEN_PORT: String(await freePort()),
      SEPP_DEMO_INITIATOR_ADMIN_LISTEN_PORT: String(await freePort()),
      // A plain override would reach both apps; the demo must not pass it on.
      SEPP_ADMIN_LISTEN_PORT: 'not-a-port',
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/certificates {2}generated \d+ files in /);
    expect(run.stdout).toContain(`initiator ${FQDN_B} → responder ${FQDN_A}`);
    expect(run.stdout).toContain(`N32-c to 127.0.0.1:${n32Port}`);
    expect(run.stdout).toContain('offered    [TLS, PRINS]');
    expect(run.stdout).toContain('selected   TLS  (reason TLS_PREFERRED_WITHOUT_INTERMEDIARIES)');
    expect(run.stdout).toContain('initiator: tls-established (TLS)   responder: tls-established (TLS)');
    expect(run.stdout).toContain('N32 connection kept open');
    expect(run.stdout).toContain('stopped      initiator (exit 0), released N32 with ["NONE"]');
    expect(run.stdout).toContain(`responder now reports ${FQDN_B}: terminated`);
    expect(run.stdout).toContain('stopped      responder (exit 0)');
    expect(run.stdout).toContain(join(logs, 'responder.log'));

    expect(existsSync(join(certs, 'manifest.json'))).toBe(true);
    const responderLog = logLines(join(logs, 'responder.log'));
    expect(responderLog).toContainEqual(expect.objectContaining({ msg: 'listening', listener: 'n32', address: '127.0.0.1', port: n32Port }));
    expect(responderLog).toContainEqual(expect.objectContaining({ msg: 'peer state', peer: FQDN_B, to: 'tls-established' }));
    expect(logLines(join(logs, 'initiator.log'))).toContainEqual(expect.objectContaining({ msg: 'peer state', peer: FQDN_A, to: 'tls-established' }));
  });

  it('fails at once, naming the port and how to move it, when a port is busy', async () => {
    const { port, server: busy } = await holdPort();
    try {
      const run = await runDemo({ ...base, SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: String(port), SEPP_DEMO_RESPONDER_ADMIN_LISTEN_PORT: '0', SEPP_DEMO_INITIATOR_ADMIN_LISTEN_PORT: '0' });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 (responder n32.listen) is already in use`);
      expect(run.stderr).toContain('SEPP_DEMO_RESPONDER_N32_LISTEN_PORT=<port>');
      expect(run.stdout).not.toMatch(/ {2}ready {2}/);
    } finally {
      busy.close();
    }
  });

  it('exits non-zero with the reason when the negotiation fails (responder presents an untrusted certificate)', async () => {
    await writeCertificateSet({ outDir: certs, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn' });
    const run = await runDemo({
      ...base,
      SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: '0',
      SEPP_DEMO_RESPONDER_ADMIN_LISTEN_PORT: '0',
      SEPP_DEMO_INITIATOR_ADMIN_LISTEN_PORT: '0',
      SEPP_DEMO_RESPONDER_TLS_CERT: join(certs, 'bad/wrong-ca.crt'),
      SEPP_DEMO_RESPONDER_TLS_KEY: join(certs, 'bad/wrong-ca.key'),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('certificates  ');
    expect(run.stdout).toContain('(existing set, per-plmn CA)');
    expect(run.stdout).toContain('the negotiation FAILED');
    expect(run.stdout).toMatch(/reason {5}CONNECTION_FAILED \(initiator\): cannot connect to sepp\.5gc\.mnc001/);
    expect(run.stdout).toContain('initiator: failed');
    expect(run.stdout).toContain('stopped      responder (exit 0)');
  });
});
