import { resolve } from 'node:path';
import { FQDN_B } from './support/configs';
import { BorderPair, borderCounts, waitBorderLines, type Mechanism } from './support/border';
import { expectProblemAnswer, type TappedProducer, TARGET_HEADER, UDM1_FQDN, withPkiAndProducer } from './support/n32f';
import { REPO_ROOT } from './support/paths';
import type { CertFiles, TestPki } from './support/pki';

/**
 * A team's own border check, in its own Nest module (examples/border-check), registered with the
 * SEPP's BorderChecks registry and loaded into a build of the responder that adds the module next
 * to the SEPP's own (no change to the SEPP's code): it runs on N32-f in TLS mode and PRINS, its
 * refusals are problem+json, logged and counted like the built-in categories, and dry-run applies.
 */
jest.setTimeout(90_000);

const EXAMPLE_MAIN = resolve(REPO_ROOT, 'examples/border-check/dist/main.js');
const BARRED = 'imsi-001010000000099';
const ALLOWED = 'imsi-001010000000001';

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;

withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

describe.each<Mechanism>(['TLS', 'PRINS'])('the example module in the responder, N32-f in %s mode', (mechanism) => {
  let pair: BorderPair;

  beforeAll(async () => {
    // No border key at all: the team's check runs on its own (extensions default to enforce).
    pair = await BorderPair.start(pki, certA, certB, {
      name: `extension-${mechanism}`,
      mechanism,
      producers: [{ apiRoot: producer.apiRoot, fqdn: UDM1_FQDN }],
      responderMain: EXAMPLE_MAIN,
      responderEnv: { EXAMPLE_BARRED_SUPIS: BARRED },
    });
  });

  afterAll(async () => {
    await pair?.stop();
  });

  it('refuses a barred subscriber in the path (403 ROAMING_NOT_ALLOWED), logs and counts it, reaches no NF', async () => {
    const from = { seen: producer.seen.length, lines: pair.responder.lines.length };
    const answer = await pair.nf.request({ path: `/nudm-sdm/v2/${BARRED}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expectProblemAnswer(answer, 403, 'ROAMING_NOT_ALLOWED');
    expect(producer.seen.slice(from.seen)).toHaveLength(0);
    expect(await waitBorderLines(pair.responder, from.lines)).toEqual([expect.objectContaining({ peer: FQDN_B, category: 'extension', rule: 'barred-subscribers', messageId: expect.any(String) })]);
    expect((await borderCounts(pair.responder, 'extension', 'inbound'))['refused']).toBeGreaterThanOrEqual(1);
  });

  it('reads the AUSF body it asked for: a barred supiOrSuci is refused, anyone else passes byte for byte', async () => {
    const from = producer.seen.length;
    const barred = await pair.nf.request({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', body: JSON.stringify({ supiOrSuci: BARRED, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' }), headers: { [TARGET_HEADER]: producer.apiRoot, 'content-type': 'application/json' } });
    expectProblemAnswer(barred, 403, 'ROAMING_NOT_ALLOWED');
    const body = JSON.stringify({ supiOrSuci: ALLOWED, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' });
    const allowed = await pair.nf.request({ method: 'POST', path: '/nausf-auth/v1/ue-authentications', body, headers: { [TARGET_HEADER]: producer.apiRoot, 'content-type': 'application/json' } });
    expect(allowed.status).toBe(201);
    const seen = producer.seen.slice(from);
    expect(seen).toHaveLength(1);
    expect(producer.body(seen[0]!).toString()).toBe(body);
  });

  it('in dry-run (border.extensions.mode), logs what it would refuse and lets it through', async () => {
    expect(await pair.reloadBorder('responder', { extensions: { mode: 'dry-run' } })).toEqual(['border']);
    const from = { seen: producer.seen.length, lines: pair.responder.lines.length };
    const answer = await pair.nf.request({ path: `/nudm-sdm/v2/${BARRED}/am-data`, headers: { [TARGET_HEADER]: producer.apiRoot } });
    expect(answer.status).toBe(200);
    expect(producer.seen.slice(from.seen)).toHaveLength(1);
    expect(await waitBorderLines(pair.responder, from.lines, 'border rule broken (dry-run, not refused)')).toEqual([expect.objectContaining({ category: 'extension', rule: 'barred-subscribers', dryRun: true })]);
    await pair.reloadBorder('responder', undefined);
  });
});
