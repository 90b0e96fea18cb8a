import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPkiAB } from './support/configs';
import { IpxPath } from './support/ipx';
import { TappedProducer, TARGET_HEADER } from './support/n32f';

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

function reported(lines: readonly string[]): unknown {
  const line = lines.find((text) => text.startsWith(MARK));
  return line === undefined ? undefined : JSON.parse(line.slice(MARK.length));
}

describe("the apps' runtime adjustments, in real processes", () => {
  it('the initiator, the IPX relay and the responder bind without the deprecated accessor after forwarding through each other; plain Node binds with it', async () => {
    const { pki, certA, certB } = await createPkiAB();
    const preload = join(pki.dir, 'async-resource-bind-check.js');
    writeFileSync(preload, PRELOAD);
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
});
