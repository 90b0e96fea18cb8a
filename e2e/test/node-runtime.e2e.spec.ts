import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPkiAB, FQDN_A, writeYaml } from './support/configs';
import { HoldingPort } from './support/holding-port';
import { IpxPath } from './support/ipx';
import { expectProblemAnswer, n32fInitiatorYaml, NfClient, TappedProducer, TARGET_HEADER, udmApiRoot } from './support/n32f';
import { SeppProcess } from './support/sepp-process';
import type { AppProcess } from './support/app-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

/**
 * What the apps change in Node's runtime at start-up, seen from inside the real processes: a
 * preload (NODE_OPTIONS=--require) reports at exit whether AsyncResource#bind still defines Node
 * 20's DEP0172 `asyncResource` accessor on the functions it binds (the per-request cost every
 * `ClientHttp2Session#request` paid; packages/server/src/runtime/async-resource-bind.ts).
 */
const MARK = 'e2e-async-resource-bind:';
const PRELOAD = `const { AsyncResource } = require('node:async_hooks');
process.on('exit', () => {
  const bound = new AsyncResource('e2e-check').bind(() => undefined);
  process.stderr.write(${JSON.stringify(MARK)} + JSON.stringify({ accessor: 'asyncResource' in bound }) + '\\n');
});
`;

/**
 * A preload that makes the process emit a Node.js warning of its own on SIGUSR2 (a code Node
 * never uses), to see where the app's warnings go.
 */
const WARN_ON_SIGUSR2 = `process.on('SIGUSR2', () => process.emitWarning('e2e: a warning on demand', { code: 'E2E_WARNING', detail: 'sent by SIGUSR2' }));
`;
const WARNING_LOG = 'Node.js process warning';

/** What Node printed on the app's stderr for a process warning (`(node:PID) SomeWarning: ...`). */
const stderrWarnings = (app: AppProcess): string[] => app.processWarnings().filter((warning) => warning.startsWith('(node:'));

/** The value of `sepp_process_warnings_total{name}` at the app's /metrics (every name is there from 0). */
async function warningsCounted(app: AppProcess, name: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${app.port('admin')}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('sepp_process_warnings_total{') && l.includes(`name="${name}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

function reported(lines: readonly string[]): unknown {
  const line = lines.find((text) => text.startsWith(MARK));
  return line === undefined ? undefined : JSON.parse(line.slice(MARK.length));
}

describe("the apps' runtime adjustments, in real processes", () => {
  it('the initiator, the IPX relay and the responder bind without the deprecated accessor after forwarding through each other; plain Node binds with it', async () => {
    const { pki, certA, certB } = await createPkiAB();
    const preload = join(pki.dir, 'async-resource-bind-check.js');
    writeFileSync(preload, PRELOAD + WARN_ON_SIGUSR2);
    const env = { NODE_OPTIONS: `--require ${preload}` };

    // The control: Node itself (20) defines the accessor, so the check can see it.
    const plain = spawnSync(process.execPath, ['-e', ''], { env: { PATH: process.env['PATH'], ...env }, encoding: 'utf8' });
    expect(reported(plain.stderr.split('\n'))).toEqual({ accessor: true });

    const producer = await TappedProducer.start('udm1');
    const path = await IpxPath.start(pki, certA, certB, producer, { name: 'node-runtime', env });
    try {
      // Every app opens HTTP/2 requests of its own on the way (ClientHttp2Session#request binds).
      const answer = await path.nf!.request({ method: 'GET', path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } });
      expect(answer.status).toBe(200);

      // Node's process warnings: none of their own after start-up and forwarding (a SEPP adds a
      // dozen reload listeners to one emitter, past Node's default warning bound of 10); one on
      // demand goes into the JSON log and /metrics, and Node prints nothing on stderr.
      const apps = { initiator: path.initiator, ipx: path.ipx, responder: path.responder };
      for (const app of Object.values(apps)) expect(app.processWarnings()).toEqual([]);
      for (const [name, app] of Object.entries(apps)) {
        app.warningsExpected = true;
        app.child.kill('SIGUSR2');
        const line = await app.waitForLog(`${name}: the warning logged`, (l) => l.msg === WARNING_LOG, 10_000);
        expect(line).toMatchObject({ level: 'warn', warning: { name: 'Warning', code: 'E2E_WARNING', message: 'e2e: a warning on demand', detail: 'sent by SIGUSR2' } });
        expect(await warningsCounted(app, 'Warning')).toBe(1);
        expect(stderrWarnings(app)).toEqual([]);
      }
    } finally {
      await path.stop();
      await producer.close();
    }
    expect({ initiator: reported(path.initiator.stderrLines), ipx: reported(path.ipx.stderrLines), responder: reported(path.responder.stderrLines) }).toEqual({
      initiator: { accessor: false },
      ipx: { accessor: false },
      responder: { accessor: false },
    });
  });

  it('NF requests waiting for a negotiation, many at once, and reloads raise no process warning in a SEPP', async () => {
    const { pki, certB } = await createPkiAB();
    // The peer's address takes the connection and never answers: the negotiation hangs and every
    // NF request waits for its agreement (one listener per waiting request on the peer's changes).
    const gate = await HoldingPort.listen(0);
    const initiator = await SeppProcess.ready(
      'initiator',
      writeYaml(pki.dir, 'runtime-waiting', n32fInitiatorYaml(certB, pki, gate.port, { initiatorN32: { requestTimeoutMs: 60_000 }, initiatorN32f: { establishTimeoutMs: 3_000 } })),
    );
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      await waitFor('the connection held', () => gate.waiting >= 1, 10_000);
      const answers = Promise.all(Array.from({ length: 40 }, (_, i) => nf.request({ path: `/nudm-sdm/v2/imsi-00101000000${String(i).padStart(4, '0')}/am-data`, headers: { [TARGET_HEADER]: udmApiRoot(8080) } })));
      // Each waits n32f.establishTimeoutMs (3 s): the reloads come meanwhile.
      for (let i = 0; i < 3; i += 1) expect((await initiator.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
      for (const answer of await answers) expectProblemAnswer(answer, 504, 'N32_NOT_ESTABLISHED');
      expect((await initiator.peer(FQDN_A))?.state).toBe('negotiating');
      expect(initiator.processWarnings()).toEqual([]);
      expect(await warningsCounted(initiator, 'MaxListenersExceededWarning')).toBe(0);
    } finally {
      nf.close();
      await initiator.stop();
      await gate.close();
    }
  });
});
