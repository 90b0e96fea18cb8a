import { CASES, type CaseResult } from '@sepp/probe';
import { createPkiAB, initiatorYaml, writeYaml } from './support/configs';
import type { CertFiles, TestPki } from './support/pki';
import { notPassed, ProbeProcess } from './support/probe';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(90_000);

/**
 * The built probe plays the responding SEPP of PLMN A; the built initiator of PLMN B dials it.
 * Which selections can be checked depends on what the initiator offers (a mechanism "not
 * offered" needs an initiator that offers one), so it runs against two initiators: every case
 * passes in one of them, and nothing fails in either.
 */
describe('sepp-probe initiator against our initiator', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let initiator: SeppProcess | undefined;
  let probe: ProbeProcess | undefined;
  const passed = new Set<string>();

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  afterEach(async () => {
    probe?.child.kill('SIGKILL');
    await initiator?.stop();
    initiator = undefined;
    probe = undefined;
  });

  async function run(name: string, capabilities: string[]): Promise<Map<string, CaseResult>> {
    probe = ProbeProcess.start(pki.dir, name, ['initiator', '--listen', '127.0.0.1:0', '--cert', certA.cert, '--key', certA.key, '--ca', pki.caFile, '--observe', '1000', '--wait', '15000']);
    const port = await probe.listeningPort();
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, name, initiatorYaml(certB, pki, port, { capabilities })));
    const { code, cases } = await probe.result();
    expect(notPassed([...cases.values()].filter((c) => c.verdict !== 'skip'))).toEqual({});
    expect(code).toBe(0);
    for (const c of cases.values()) if (c.verdict === 'pass') passed.add(c.id);
    return cases;
  }

  it('offering [PRINS, TLS]: TLS and PRINS acted on, NONE / unknown / forged sender terminated, retries on new connections', async () => {
    const cases = await run('offers-both', ['PRINS', 'TLS']);
    expect(cases.get('init.prins-selected')?.observed).toMatch(/exchange-params on the same connection/);
    expect(cases.get('init.none-selected')?.observed).toMatch(/GOAWAY\(code 0\) and close by the initiator/);
    expect(cases.get('init.unoffered-selected')).toMatchObject({ verdict: 'skip', observed: expect.stringMatching(/offered every mechanism/) });
    // The initiator recorded each refusal itself.
    const reasons = initiator!.lines.filter((l) => l.msg === 'peer state' && l['to'] === 'failed').length;
    expect(reasons).toBeGreaterThanOrEqual(3);
  });

  it('offering [TLS]: a mechanism it did not offer (PRINS) is refused like NONE', async () => {
    const cases = await run('offers-tls', ['TLS']);
    expect(cases.get('init.unoffered-selected')?.observed).toMatch(/probe answered PRINS .*GOAWAY\(code 0\) and close by the initiator/);
    expect(cases.get('init.prins-selected')?.verdict).toBe('skip');
  });

  it('between the two runs every initiator case passed', () => {
    expect(CASES.filter((c) => c.role === 'initiator' && !passed.has(c.id)).map((c) => c.id)).toEqual([]);
  });
});
