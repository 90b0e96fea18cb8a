import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES } from '@sepp/probe';
import { seppFqdn } from '@sepp/infra';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, responderYaml, writeYaml } from './support/configs';
import type { CertFiles, TestPki } from './support/pki';
import { notPassed, ProbeProcess } from './support/probe';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(90_000);

/** Another roaming partner of the responder: the probe (PLMN B) claims to be it. */
const PLMN_C = { mcc: '003', mnc: '03' };
const FQDN_C = seppFqdn(PLMN_C);

/** The built probe against the built responder: every responder case, the PRINS ones included. */
describe('sepp-probe responder against our responder', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    // The responder selects TLS for PLMN B (no intermediaries) and PRINS when only PRINS is offered.
    const peers = [
      { fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'none' as const },
      { fqdn: FQDN_C, plmns: [PLMN_C], intermediaries: 'none' as const },
    ];
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderYaml(certA, pki, { peers })));
  });

  afterAll(async () => {
    await responder?.stop();
  });

  it('passes every case (JSON and JUnit reports written, exit 0)', async () => {
    const caKey = join(pki.dir, 'ca.key');
    writeFileSync(caKey, pki.ca.keyPem, { mode: 0o600 });
    const junit = join(pki.dir, 'probe-responder.xml');
    const probe = ProbeProcess.start(pki.dir, 'probe-responder', [
      'responder',
      '--url', `https://127.0.0.1:${responder.port('n32')}`,
      '--peer-fqdn', FQDN_A,
      '--cert', certB.cert,
      '--key', certB.key,
      '--ca', pki.caFile,
      '--ca-key', caKey,
      '--other-partner', FQDN_C,
      '--close-wait', '3000',
      '--junit', junit,
    ]);
    const { code, report, cases } = await probe.result();

    // Every responder case ran: none skipped (the CA key was given, PRINS was selected).
    expect(report.cases.map((c) => c.id)).toEqual(CASES.filter((c) => c.role === 'responder').map((c) => c.id));
    // Unknown N32 API versions and resources are 404s (they used to be taken for N32-f).
    expect(notPassed([...cases.values()])).toEqual({});
    expect(cases.get('malformed.path-wrong-version')?.verdict).toBe('pass');
    expect(cases.get('malformed.path-unknown-n32f-resource')?.verdict).toBe('pass');
    expect(code).toBe(0);

    // What the wire showed for the cases the issue names.
    expect(cases.get('release.close-after-none')?.observed).toMatch(/^GOAWAY\(code 0, .*connection closed after/);
    // Refused for the certificate binding alone: C is a roaming partner, the certificate is B's.
    expect(cases.get('id.forged-sender')?.observed).toMatch(/^sender sepp\.5gc\.mnc003\.mcc003\.3gppnetwork\.org: HTTP 403, application\/problem\+json.*cause UNSPECIFIED, detail ".*certificate/);
    expect(cases.get('cert.expired')?.observed).toMatch(/refused/);
    expect(cases.get('prins.exporter-keys')?.observed).toMatch(/verified with the probe's keys/);
    expect(cases.get('prins.tamper-tag')?.observed).toMatch(/HTTP 403.*cause INTEGRITY_CHECK_FAILED/);
    expect(report.cases.filter((c) => c.id.startsWith('malformed.')).length).toBeGreaterThanOrEqual(50);

    // The responder saw the tampered messages and the forged sender, and stayed up.
    await responder.waitForLog('the forged sender refused', (l) => l.msg === 'request refused' && l['status'] === 403);
    expect(responder.running).toBe(true);
    expect((await responder.admin('/healthz')).status).toBe(200);
    expect(responder.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(report.durationMs).toBeLessThan(60_000);

    // The JUnit file holds one testcase per case and counts the failures.
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<testcase /g)).toHaveLength(report.cases.length);
    expect(xml).toContain('failures="0"');
  });
});
