import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCertificateSet } from '@sepp/infra';
import { track } from './support/children';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B } from './support/configs';
import { REPO_ROOT } from './support/paths';
import { freePort, holdPort } from './support/ports';

/**
 * `node infra/dist/demo.js --once` as `pnpm demo --once` runs it (and `--mechanism prins --once`,
 * `--via-ipx --once`), on free ports and a temporary certificate folder.
 */
jest.setTimeout(60_000);

const DEMO = join(REPO_ROOT, 'infra/dist/demo.js');
const UDM1_FQDN = 'udm1.5gc.mnc001.mcc001.3gppnetwork.org';
const NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
const IPX_FQDN = 'ipx.roaming.example.org';
const PRIORITY = '3gpp-sbi-message-priority';
/** Every port on a free one. */
const ANY_PORTS = {
  SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: '0',
  SEPP_DEMO_RESPONDER_ADMIN_LISTEN_PORT: '0',
  SEPP_DEMO_INITIATOR_ADMIN_LISTEN_PORT: '0',
  SEPP_DEMO_INITIATOR_SBI_LISTEN_PORT: '0',
  SEPP_DEMO_UDM1_PORT: '0',
};

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(env: NodeJS.ProcessEnv, timeoutMs = 40_000, args = ['--once']): Promise<DemoRun> {
  return new Promise((done) => {
    const child = track(spawn(process.execPath, [DEMO, ...args], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'], ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
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

/** The rows of the boxes the demo draws, without the frame (`answer     200 OK, ...`). */
function boxRows(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('│ '))
    .map((line) => line.slice(2, -2).trimEnd());
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

  it('mints certificates, starts udm1 and both SEPPs on the chosen ports, shows TLS selected, an NF request answered by udm1 across N32, and exits 0 after the release', async () => {
    const n32Port = await freePort();
    const sbiPort = await freePort();
    const udmPort = await freePort();
    const run = await runDemo({
      ...base,
      SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: String(n32Port),
      SEPP_DEMO_RESPONDER_ADMIN_LISTEN_PORT: String(await freePort()),
      SEPP_DEMO_INITIATOR_ADMIN_LISTEN_PORT: String(await freePort()),
      SEPP_DEMO_INITIATOR_SBI_LISTEN_PORT: String(sbiPort),
      SEPP_DEMO_UDM1_PORT: String(udmPort),
      // A plain override would reach both apps; the demo must not pass it on.
      SEPP_ADMIN_LISTEN_PORT: 'not-a-port',
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const udmRoot = `http://${UDM1_FQDN}:${udmPort}`;
    const copy = join(logs, 'responder.yaml');
    expect(run.stdout).toMatch(/certificates {2}generated \d+ files in /);
    expect(run.stdout).toContain(`udm1       ready  NF ${udmRoot} on 127.0.0.1:${udmPort} (h2c)`);
    expect(run.stdout).toContain(`config       responder runs ${copy}: infra/demo/responder.yaml with sbi.allowedTargets ${udmRoot}`);
    expect(run.stdout).toContain(`initiator  ready  NF-facing http://127.0.0.1:${sbiPort} (h2c)`);

    // The negotiation.
    const rows = boxRows(run.stdout);
    expect(rows).toContain(`initiator ${FQDN_B} → responder ${FQDN_A}`);
    expect(run.stdout).toContain(`N32-c to 127.0.0.1:${n32Port}`);
    expect(run.stdout).toContain('offered    [TLS, PRINS]');
    expect(rows).toContain('selected   TLS  (reason TLS_PREFERRED_WITHOUT_INTERMEDIARIES)');
    expect(rows).toContain('states     initiator: tls-established (TLS)   responder: tls-established (TLS)');
    expect(run.stdout).toContain('N32 connection kept open');

    // The NF request, as the consumer NF sent it and how it crossed.
    const nf = rows.slice(rows.indexOf('N32-f: an NF request through both SEPPs (TLS mode)'));
    expect(nf.length).toBeGreaterThan(1);
    expect(nf).toEqual(
      expect.arrayContaining([
        `request    GET ${NF_PATH}  (as a consumer NF of PLMN 002/02)`,
        `target     3gpp-sbi-target-apiroot: ${udmRoot}`,
        `crossed    initiator ${FQDN_B} (NF-facing 127.0.0.1:${sbiPort}, h2c)`,
        `           → N32 to 127.0.0.1:${n32Port}: the TLS connection of the handshake (n32f.connection: shared)`,
        `           → responder ${FQDN_A} (target in sbi.allowedTargets)`,
        `           → udm1 at 127.0.0.1:${udmPort} (h2c)`,
        `telescopic GET /nsepp-telescopic/v1/mapping?foreign-fqdn=${UDM1_FQDN}`,
        '           → 200, label udm1--5gc--mnc001--mcc001--3gppnetwork--org',
        `request    GET ${NF_PATH}  (no target header)`,
        `authority  udm1--5gc--mnc001--mcc001--3gppnetwork--org.${FQDN_B}:${udmPort}`,
        `           client certificate ${FQDN_B}`,
        '           carried 1 N32-c request (the handshake) and 2 N32-f requests (the NF requests)',
      ]),
    );
    // Both requests (target header, telescopic) answered by udm1 itself.
    expect(nf.filter((row) => row === 'answer     200 OK, application/json, servedBy udm1')).toHaveLength(2);
    expect(nf.find((row) => row.startsWith('body       '))).toMatch(/^body {7}\{"supi":"imsi-001010000000001","gpsis":\["msisdn-010000000001"\]/);
    expect(nf.find((row) => row.startsWith('N32        '))).toMatch(/^N32 {8}GET \/admin\/connections \(responder\): connection #\d+, n32 listener, from 127\.0\.0\.1:\d+$/);

    expect(run.stdout).toContain('stopped      initiator (exit 0), released N32 with ["NONE"]');
    expect(run.stdout).toContain(`responder now reports ${FQDN_B}: terminated`);
    expect(run.stdout).toContain('stopped      responder (exit 0)');
    expect(run.stdout).toContain('stopped      udm1 (exit 0)');
    expect(run.stdout.indexOf('stopped      udm1')).toBeGreaterThan(run.stdout.indexOf('stopped      responder'));
    expect(run.stdout).toContain(join(logs, 'responder.log'));
    expect(run.stdout).toContain(join(logs, 'udm1.log'));

    expect(existsSync(join(certs, 'manifest.json'))).toBe(true);
    const responderLog = logLines(join(logs, 'responder.log'));
    expect(responderLog).toContainEqual(expect.objectContaining({ msg: 'configuration loaded', file: copy }));
    expect(responderLog).toContainEqual(expect.objectContaining({ msg: 'listening', listener: 'n32', address: '127.0.0.1', port: n32Port }));
    expect(responderLog).toContainEqual(expect.objectContaining({ msg: 'peer state', peer: FQDN_B, to: 'tls-established' }));
    const initiatorLog = logLines(join(logs, 'initiator.log'));
    expect(initiatorLog).toContainEqual(expect.objectContaining({ msg: 'listening', listener: 'sbi', address: '127.0.0.1', port: sbiPort }));
    expect(initiatorLog).toContainEqual(expect.objectContaining({ msg: 'peer state', peer: FQDN_A, to: 'tls-established' }));
    expect(logLines(join(logs, 'udm1.log'))).toContainEqual(expect.objectContaining({ msg: 'listening', listener: 'nf', address: '127.0.0.1', port: udmPort }));
    // The copy differs from infra/demo/responder.yaml in udm1's port only (and absolute paths).
    const copied = readFileSync(copy, 'utf8');
    expect(copied).toContain(`allowedTargets: [ "${udmRoot}" ]`);
    expect(copied).toContain(`cert: ${join(REPO_ROOT, 'infra/certs/sepp-001-01.crt')}`);
  });

  it('--mechanism prins: PRINS selected under modifying intermediaries, both sides prins-established with matching contexts and keys, the encrypted IEs of each NF request, udm1 answering, exit 0', async () => {
    const n32Port = await freePort();
    const run = await runDemo(
      {
        ...base,
        ...ANY_PORTS,
        SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: String(n32Port),
        // The initiator's own N32 listener on any free port: the responder's peer address must follow it.
        SEPP_DEMO_INITIATOR_N32_LISTEN_PORT: '0',
      },
      40_000,
      ['--mechanism', 'prins', '--once'],
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const initiatorLog = logLines(join(logs, 'initiator.log'));
    const responderLog = logLines(join(logs, 'responder.log'));
    const initiatorN32 = initiatorLog.find((line) => line.msg === 'listening' && line['listener'] === 'n32');
    expect(initiatorN32).toMatchObject({ address: '127.0.0.1', port: expect.any(Number) });
    const backPort = initiatorN32!['port'] as number;
    expect(backPort).toBeGreaterThan(0);
    expect(run.stdout).toContain(`initiator  ready  N32 127.0.0.1:${backPort} (HTTP/2, mutual TLS)  NF-facing http://127.0.0.1:`);
    expect(run.stdout).toMatch(/config {7}responder runs .+responder\.yaml: infra\/demo\/prins\/responder\.yaml with sbi\.allowedTargets /);

    // The negotiation: PRINS by policy, then the parameter exchange.
    const rows = boxRows(run.stdout);
    expect(rows).toContain('offered    [TLS, PRINS]  (responder supports [TLS, PRINS], intermediaries: modifying)');
    expect(rows).toContain('selected   PRINS  (reason PRINS_REQUIRED_BY_INTERMEDIARIES)');
    expect(rows).toContain('states     initiator: prins-established (PRINS)   responder: prins-established (PRINS)');
    expect(rows.some((row) => /^N32 connection kept open \(handshake [0-9a-f]+\); N32-f runs in PRINS mode$/.test(row))).toBe(true);
    const ids = rows.map((row) => /^contexts {3}N32-f context IDs: initiator ([0-9a-f]{16}), responder ([0-9a-f]{16}) \(cross-matched\)$/.exec(row)).find(Boolean);
    expect(ids).toBeDefined();
    const [, initiatorContext, responderContext] = ids!;
    expect(initiatorContext).not.toBe(responderContext);
    expect(rows.find((row) => row.startsWith('enc        '))).toMatch(/^enc {8}A128GCM, JWE alg dir /);
    expect(rows.some((row) => /^keyCheck {3}initiator ([0-9a-f]{16}) = responder \1 \(both derived the same keys\)$/.test(row))).toBe(true);
    expect(rows).toContain(`back       responder → initiator N32-c at 127.0.0.1:${backPort} (initiator n32.listen): n32f-error, n32f-terminate`);

    // The NF requests, as they crossed N32 protected.
    const nf = rows.slice(rows.indexOf('N32-f: an NF request through both SEPPs (PRINS mode)'));
    expect(nf.length).toBeGreaterThan(1);
    expect(nf).toEqual(
      expect.arrayContaining([
        `request    GET ${NF_PATH}  (as a consumer NF of PLMN 002/02)`,
        expect.stringMatching(/^token {6}authorization: Bearer /),
        expect.stringMatching(/^crossed {4}initiator /),
        `           → reformatted, policy IEs encrypted: JWE alg dir, enc A128GCM, N32-f context ${responderContext}`,
        `           → N32 to 127.0.0.1:${n32Port}: POST /n32f-forward/v1/n32f-process on the handshake's TLS connection`,
        `           → responder ${FQDN_A}: JWE verified and decrypted, request rebuilt`,
        `request    GET ${NF_PATH}  (no target header)`,
        `           client certificate ${FQDN_B}`,
        expect.stringMatching(/^ {11}carried \d+ N32-c requests \(the handshake and the parameter exchange\)$/),
        '           and 2 N32-f requests (the NF requests, as n32f-process)',
        'contexts   GET /admin/contexts: messagesSent initiator 2 (requests), responder 2 (answers)',
      ]),
    );
    // Both requests (target header, telescopic): the token and the SUPI path into the JWE,
    // opened by the responder, answered by udm1.
    const encrypted = nf.filter((row) => row.startsWith('encrypted  '));
    expect(encrypted).toHaveLength(2);
    for (const row of encrypted) expect(row).toMatch(/^encrypted {2}header authorization, path {2}\(initiator log "PRINS request protected" [0-9a-f]{16}\)$/);
    expect(nf.filter((row) => /^verified {3}responder opened \d+ encrypted blocks? {2}\(log "PRINS request verified" [0-9a-f]{16}\)$/.test(row))).toHaveLength(2);
    expect(nf.filter((row) => row === 'answer     200 OK, application/json, servedBy udm1')).toHaveLength(2);

    // Stopped in order: the context torn down on both sides, then N32 released.
    expect(run.stdout).toContain(`stopped      initiator (exit 0), terminated N32-f context ${initiatorContext} (n32f-terminate acknowledged), released N32 with ["NONE"]`);
    expect(run.stdout).toContain(`responder now reports ${FQDN_B}: terminated`);
    expect(run.stdout).toContain('stopped      udm1 (exit 0)');

    // What the boxes say is what the apps logged.
    const sealed = initiatorLog.filter((line) => line.msg === 'PRINS request protected');
    expect(sealed.map((line) => line['encrypted'])).toEqual([
      ['header authorization', 'path'],
      ['header authorization', 'path'],
    ]);
    for (const line of sealed) expect(run.stdout).toContain(String(line['messageId']));
    expect(responderLog).toContainEqual(expect.objectContaining({ msg: 'security capability negotiation', policy: 'modifying', selected: 'PRINS' }));
    expect(responderLog.filter((line) => line.msg === 'PRINS request verified').map((line) => line['messageId'])).toEqual(sealed.map((line) => line['messageId']));
    for (const [log, peer] of [[initiatorLog, FQDN_A], [responderLog, FQDN_B]] as const) {
      expect(log).toContainEqual(expect.objectContaining({ msg: 'peer state', peer, to: 'prins-established', mechanism: 'PRINS' }));
    }
  });

  it('--via-ipx: initiator -> IPX relay -> responder; the relay adds a priority header the producer receives, and each receiving SEPP verified that modification by the relay, exit 0', async () => {
    const n32Port = await freePort();
    const run = await runDemo(
      {
        ...base,
        ...ANY_PORTS,
        SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: String(n32Port),
        SEPP_DEMO_INITIATOR_N32_LISTEN_PORT: '0',
        SEPP_DEMO_IPX_LISTEN_PORT: '0',
        SEPP_DEMO_IPX_ADMIN_LISTEN_PORT: '0',
      },
      50_000,
      ['--via-ipx', '--once'],
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const initiatorLog = logLines(join(logs, 'initiator.log'));
    const responderLog = logLines(join(logs, 'responder.log'));
    const ipxLog = logLines(join(logs, 'ipx.log'));

    // The relay's certificates are minted into the same folder (added to an existing set, or with a new one).
    expect(run.stdout).toMatch(/certificates {2}(generated \d+ files in .+ \(the IPX relay's in .+ipx\)|.+ \(existing set, per-plmn CA\); added the IPX relay's \(ipx\.roaming\.example\.org\) in .+ipx)$/m);
    const manifest = JSON.parse(readFileSync(join(certs, 'manifest.json'), 'utf8')) as { ipx?: { fqdn: string; signing: { cert: string } } };
    expect(manifest.ipx).toMatchObject({ fqdn: IPX_FQDN, signing: { cert: 'ipx/ipx-signing.crt' } });

    // Started in order, the relay between the responder and the initiator, each on the copy that names the others' real ports.
    const relayPort = ipxLog.find((line) => line.msg === 'listening' && line['listener'] === 'n32f')!['port'] as number;
    expect(run.stdout).toContain(`config       ipx runs ${join(logs, 'ipx.yaml')}: infra/demo/ipx/ipx.yaml with forward.address 127.0.0.1:${n32Port}`);
    expect(run.stdout).toContain(`ipx        ready  N32-f relay 127.0.0.1:${relayPort} (HTTP/2, mutual TLS) → responder 127.0.0.1:${n32Port}`);
    expect(run.stdout).toContain(`config       initiator runs ${join(logs, 'initiator.yaml')}: infra/demo/ipx/initiator.yaml with n32.peers[0].ipx.address 127.0.0.1:${relayPort}`);
    const order = ['udm1       ready', 'responder  ready', 'ipx        ready', 'initiator  ready'].map((mark) => run.stdout.indexOf(mark));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    // The copies use the certificate folder of SEPP_DEMO_CERTS: the relay's signing certificate is what the initiator sends.
    expect(readFileSync(join(logs, 'initiator.yaml'), 'utf8')).toContain(join(certs, 'ipx/ipx-signing.crt'));
    expect(readFileSync(join(logs, 'ipx.yaml'), 'utf8')).toContain(join(certs, 'ipx/ipx-signing.key'));

    // The negotiation: PRINS (implied by --via-ipx).
    const rows = boxRows(run.stdout);
    expect(rows).toContain('selected   PRINS  (reason PRINS_REQUIRED_BY_INTERMEDIARIES)');
    expect(rows).toContain('states     initiator: prins-established (PRINS)   responder: prins-established (PRINS)');

    // The NF request through the relay, the consumer's answer, and the header the producer received.
    const box = rows.slice(rows.indexOf(`N32-f through the IPX relay ${IPX_FQDN} (PRINS with a roaming intermediary, TS 33.501 13.2.4)`));
    expect(box.length).toBeGreaterThan(1);
    const text = box.join('\n').replace(/\n {11}(?! )/g, ' ');
    expect(box).toEqual(
      expect.arrayContaining([
        'request    POST /nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions  (as a consumer NF of PLMN 002/02)',
        `priority   the consumer sends no ${PRIORITY} header`,
        expect.stringMatching(/^crossed {4}initiator /),
        'answer     201 Created, application/json, servedBy udm1',
      ]),
    );
    expect(text).toContain(`→ IPX relay ${IPX_FQDN} at 127.0.0.1:${relayPort} (HTTP/2, mutual TLS)`);
    expect(text).toContain(`udm1       received ${PRIORITY}: 5  (MODIFIED on the way: the consumer sent none;`);
    expect(text).toContain(`consumer   got ${PRIORITY}: 7 in the answer  (MODIFIED on the way back: udm1 sent none)`);

    // The modification trail: what the relay signed, what each receiving SEPP verified (their log lines).
    const sealed = initiatorLog.filter((line) => line.msg === 'PRINS request protected');
    expect(sealed).toHaveLength(1);
    const messageId = String(sealed[0]!['messageId']);
    expect(text).toContain(`trail      the modifications of message ${messageId}, as each app logged them`);
    expect(text).toContain('ipx        request signed: rule priority-request, 1 operation  (log "modifications signed")');
    expect(text).toContain('ipx        answer signed: rule priority-answer, 1 operation  (log "modifications signed")');
    const atResponder = responderLog.filter((line) => line.msg === 'PRINS request modifications verified');
    const atInitiator = initiatorLog.filter((line) => line.msg === 'PRINS answer modifications verified');
    expect(atResponder).toEqual([expect.objectContaining({ messageId, authorizedIpxId: IPX_FQDN, modifications: [expect.stringContaining(`${IPX_FQDN}: add /headers/`)] })]);
    expect(atInitiator).toEqual([expect.objectContaining({ messageId, authorizedIpxId: IPX_FQDN, modifications: [expect.stringContaining(`${IPX_FQDN}: add /headers/`)] })]);
    const shown = (side: string, line: Record<string, unknown>): string => `${side.padEnd(10)} verified ${(line['modifications'] as string[])[0]}`;
    expect(text).toContain(shown('responder', atResponder[0]!));
    expect(text).toContain(`(log "PRINS request modifications verified", authorizedIpxId ${IPX_FQDN})`);
    expect(text).toContain(shown('initiator', atInitiator[0]!));
    expect(text).toContain(`(log "PRINS answer modifications verified", authorizedIpxId ${IPX_FQDN})`);
    expect(ipxLog.filter((line) => line.msg === 'modifications signed')).toEqual([
      expect.objectContaining({ direction: 'request', messageId, rules: ['priority-request'], identity: IPX_FQDN }),
      expect.objectContaining({ direction: 'response', messageId, rules: ['priority-answer'], identity: IPX_FQDN }),
    ]);
    // Both contexts name the relay; the N32-f request came on the relay's connection, N32-c on the initiator's.
    expect(text).toContain(`contexts   GET /admin/contexts: initiator authorizedIpxId ${IPX_FQDN}, verifies [${IPX_FQDN}]; responder authorizedIpxId ${IPX_FQDN}, verifies [${IPX_FQDN}]`);
    expect(text).toMatch(new RegExp(`#\\d+ from 127\\.0\\.0\\.1:\\d+, client certificate ${IPX_FQDN.replace(/\./g, '\\.')}: 0 N32-c requests, 1 N32-f request`));
    expect(text).toMatch(new RegExp(`client certificate ${FQDN_B.replace(/\./g, '\\.')}: \\d+ N32-c requests, 0 N32-f requests`));

    // Stopped in order: initiator (terminate, release), the relay, the responder, udm1.
    expect(run.stdout).toContain('stopped      initiator (exit 0), terminated N32-f context');
    const stops = ['stopped      initiator', 'stopped      ipx (exit 0)', 'stopped      responder (exit 0)', 'stopped      udm1 (exit 0)'].map((mark) => run.stdout.indexOf(mark));
    expect(stops.every((at, i) => at >= 0 && (i === 0 || at > stops[i - 1]!))).toBe(true);
    expect(run.stdout).toContain(join(logs, 'ipx.log'));
  });

  it('without --once: prints the status page URLs and keeps them up (the live document shows both peers), until Ctrl-C stops everything in order, exit 0', async () => {
    const child = spawn(process.execPath, [DEMO], { cwd: REPO_ROOT, env: { PATH: process.env['PATH'], ...base, ...ANY_PORTS }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('close', done));
    const safety = setTimeout(() => child.kill('SIGKILL'), 55_000);
    try {
      const line = await new Promise<string>((found, failed) => {
        const look = (): void => {
          const match = /^status page {2}(http:\/\/\S+\/) {2}\(responder\) {3}(http:\/\/\S+\/) {2}\(initiator\)$/m.exec(stdout);
          if (match) found(match[0]);
        };
        child.stdout.on('data', look);
        void exited.then(() => failed(new Error(`the demo exited before printing the status pages:\n${stdout}`)));
      });
      const [, responderPage, initiatorPage] = /(http:\/\/\S+\/) {2}\(responder\) {3}(http:\/\/\S+\/)/.exec(line)!;
      for (const [page, peer] of [[responderPage!, FQDN_B], [initiatorPage!, FQDN_A]] as const) {
        const html = await fetch(page);
        expect({ status: html.status, type: html.headers.get('content-type') }).toEqual({ status: 200, type: 'text/html; charset=utf-8' });
        expect(await html.text()).toContain('status/status.js');
        const doc = (await (await fetch(`${page}admin/status`)).json()) as { peers: { fqdn: string; state: string }[] };
        expect(doc.peers).toEqual([expect.objectContaining({ fqdn: peer, state: 'tls-established' })]);
      }
      expect(stdout).toContain(`curl -s ${initiatorPage}admin/status`);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(/stopped {6}initiator \(exit 0\), released N32 with \["NONE"\]/);
    } finally {
      clearTimeout(safety);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses --via-ipx with --mechanism tls (an intermediary that modifies messages needs PRINS)', async () => {
    const run = await runDemo({ ...base, ...ANY_PORTS }, 10_000, ['--via-ipx', '--mechanism', 'tls', '--once']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--via-ipx needs PRINS');
    expect(run.stderr).toContain('--via-ipx implies --mechanism prins; drop --mechanism tls');
    expect(run.stdout).toBe('');
  });

  it('refuses an unknown --mechanism', async () => {
    const run = await runDemo({ ...base, ...ANY_PORTS }, 10_000, ['--mechanism', 'quic', '--once']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--mechanism must be tls or prins, got "quic"');
    expect(run.stdout).toBe('');
  });

  it('exits 1 when the SEPPs agree but udm1 does not answer 2xx, showing the answer it got', async () => {
    // udm1 answers every request 503 (a preload that only acts in the producer's process).
    const preload = join(dir, 'udm1-down.js');
    writeFileSync(
      preload,
      `'use strict';
if ((process.argv[1] || '').endsWith('producer-cli.js')) {
  const http2 = require('node:http2');
  const createServer = http2.createServer;
  http2.createServer = function (...args) {
    const server = createServer.apply(this, args);
    const emit = server.emit;
    server.emit = function (event, ...rest) {
      if (event !== 'stream') return emit.call(this, event, ...rest);
      rest[0].respond({ ':status': 503, 'content-type': 'application/problem+json' });
      rest[0].end(JSON.stringify({ status: 503, cause: 'DEMO_DOWN', detail: 'udm1 is down for the test' }));
      return true;
    };
    return server;
  };
}
`,
    );
    const run = await runDemo({ ...base, ...ANY_PORTS, NODE_OPTIONS: `--require ${preload}` });
    expect(run.code).toBe(1);
    const rows = boxRows(run.stdout);
    expect(rows).toContain('selected   TLS  (reason TLS_PREFERRED_WITHOUT_INTERMEDIARIES)');
    expect(rows).toContain('answer     503 Service Unavailable, application/problem+json');
    expect(rows).toContain('problem    DEMO_DOWN: udm1 is down for the test');
    // Not claimed as crossed when the answer does not prove it.
    expect(rows.some((row) => row.startsWith('route      initiator '))).toBe(true);
    expect(rows.some((row) => row.startsWith('crossed '))).toBe(false);
    expect(run.stdout).toContain('stopped      udm1 (exit 0)');
  });

  it('fails at once, naming the port and how to move it, when a port is busy', async () => {
    const { port, server: busy } = await holdPort();
    try {
      const run = await runDemo({ ...base, ...ANY_PORTS, SEPP_DEMO_RESPONDER_N32_LISTEN_PORT: String(port) });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 (responder n32.listen) is already in use`);
      expect(run.stderr).toContain('SEPP_DEMO_RESPONDER_N32_LISTEN_PORT=<port>');
      expect(run.stdout).not.toMatch(/ {2}ready {2}/);
    } finally {
      busy.close();
    }
  });

  it.each([
    ['SEPP_DEMO_UDM1_PORT', 'udm1, the producer NF'],
    ['SEPP_DEMO_INITIATOR_SBI_LISTEN_PORT', 'initiator sbi.listen'],
  ])('fails at once when the port of %s is busy, before starting anything', async (variable, what) => {
    const { port, server: busy } = await holdPort();
    try {
      const run = await runDemo({ ...base, ...ANY_PORTS, [variable]: String(port) });
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`port ${port} on 127.0.0.1 (${what}) is already in use`);
      expect(run.stderr).toContain(`${variable}=<port>`);
      expect(run.stdout).not.toMatch(/ {2}ready {2}/);
    } finally {
      busy.close();
    }
  });

  it('refuses a udm1 port that is no port', async () => {
    const run = await runDemo({ ...base, ...ANY_PORTS, SEPP_DEMO_UDM1_PORT: '80800' });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('SEPP_DEMO_UDM1_PORT must be a port 0..65535 (0 = any free port), got "80800"');
  });

  it('exits non-zero with the reason when the negotiation fails (responder presents an untrusted certificate)', async () => {
    await writeCertificateSet({ outDir: certs, plmns: [PLMN_A, PLMN_B], caMode: 'per-plmn' });
    const run = await runDemo({
      ...base,
      ...ANY_PORTS,
      SEPP_DEMO_RESPONDER_TLS_CERT: join(certs, 'bad/wrong-ca.crt'),
      SEPP_DEMO_RESPONDER_TLS_KEY: join(certs, 'bad/wrong-ca.key'),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('certificates  ');
    expect(run.stdout).toContain('(existing set, per-plmn CA)');
    expect(run.stdout).toContain('the negotiation FAILED');
    expect(run.stdout).toMatch(/reason {5}CONNECTION_FAILED \(initiator\): cannot connect to sepp\.5gc\.mnc001/);
    expect(run.stdout).toContain('initiator: failed');
    expect(run.stdout).toContain('N32-f        no NF request sent: the SEPPs agreed on no mechanism');
    expect(run.stdout).toContain('stopped      responder (exit 0)');
    expect(run.stdout).toContain('stopped      udm1 (exit 0)');
  });
});
