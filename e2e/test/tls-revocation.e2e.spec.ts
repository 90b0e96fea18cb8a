import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, createCrl } from '@sepp/infra';
import { samples } from './support/abuse';
import { FQDN_A, FQDN_B, writeYaml, type SeppYaml } from './support/configs';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer, TARGET_HEADER, udmApiRoot, withPkiAndProducer, type NfAnswer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(120_000);

const AM_DATA = '/nudm-sdm/v2/imsi-001010000000001/am-data';

/**
 * Certificate revocation on N32 (`tls.crl`), through the real processes in TLS mode: a peer whose
 * certificate its CA's CRL lists is refused at the handshake on either side, a connection already
 * up is closed when a reload installs the CRL that revokes it, and an issuer without a CRL is
 * refused too once CRLs are in force (OpenSSL checks the whole chain). Each case counted by
 * reason and logged.
 */
describe('certificate revocation on N32 (tls.crl), real processes', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  const started: SeppProcess[] = [];
  const nfs: NfClient[] = [];

  withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

  afterEach(async () => {
    for (const nf of nfs.splice(0)) nf.close();
    await Promise.all(started.splice(0).map((app) => app.stop()));
  });

  const serialOf = (cert: CertFiles): string => new X509Certificate(cert.certPem).serialNumber;

  /** Writes the CA's CRL revoking `revoked` (none: an empty, current CRL) to `name`; its path. */
  async function writeCrl(name: string, revoked: CertFiles[] = []): Promise<string> {
    const file = join(pki.dir, name);
    writeFileSync(file, await createCrl({ ca: pki.ca, revoked: revoked.map((cert) => ({ serialNumber: serialOf(cert) })) }));
    return file;
  }

  async function startPair(options: { responderCrl?: string[]; initiatorCrl?: string[] } = {}): Promise<{ responder: SeppProcess; initiator: SeppProcess; responderYaml: SeppYaml; nf: NfClient }> {
    const responderYaml = n32fResponderYaml(certA, pki, producer.port);
    if (options.responderCrl) responderYaml.tls = { ...responderYaml.tls, crl: options.responderCrl } as SeppYaml['tls'];
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderYaml));
    started.push(responder);
    const initiatorYaml = n32fInitiatorYaml(certB, pki, responder.port('n32'));
    if (options.initiatorCrl) initiatorYaml.tls = { ...initiatorYaml.tls, crl: options.initiatorCrl } as SeppYaml['tls'];
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', initiatorYaml));
    started.push(initiator);
    const nf = await NfClient.connect(initiator.port('sbi'));
    nfs.push(nf);
    return { responder, initiator, responderYaml, nf };
  }

  const get = (nf: NfClient, query: string): Promise<NfAnswer> =>
    nf.request({ path: `${AM_DATA}?${query}`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: 15_000 });

  const metrics = async (app: SeppProcess, name: string) => samples(await (await fetch(`http://127.0.0.1:${app.port('admin')}/metrics`)).text(), name);

  it('a current CRL that revokes nobody: N32 comes up and forwards; its nextUpdate is a metric. A reload installing the CRL that revokes the initiator closes its live connection, and its reconnections fail their handshake (revoked)', async () => {
    const crl = await writeCrl('ca-crl.pem');
    const { responder, initiator, nf } = await startPair({ responderCrl: [crl] });
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    expect((await get(nf, 'before')).status).toBe(200);
    const [nextUpdate] = await metrics(responder, 'sepp_tls_crl_next_update_timestamp_seconds');
    expect(nextUpdate!.labels['issuer']).toContain('E2E interconnect CA');
    // Seven days ahead, as minted; the status page lists it beside the certificates.
    expect(Math.abs(nextUpdate!.value - (Date.now() / 1000 + 7 * 86_400))).toBeLessThan(600);
    const status = await responder.admin<{ certificates: { crls: { issuer: string; nextUpdate: string }[] } }>('/admin/status');
    expect(status.body.certificates.crls).toEqual([{ issuer: nextUpdate!.labels['issuer'], nextUpdate: new Date(nextUpdate!.value * 1000).toISOString() }]);

    // A stale CRL (past its nextUpdate) is refused by name: the reload keeps the configuration in force.
    writeFileSync(crl, await createCrl({ ca: pki.ca, thisUpdate: new Date(Date.now() - 10 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) }));
    const stale = await responder.admin<{ invalidParams: { param: string; reason: string }[] }>('/admin/reload', { method: 'POST' });
    expect(stale.status).toBe(400);
    expect(stale.body.invalidParams).toEqual([{ param: 'tls.crl[0]', reason: expect.stringContaining('is past its nextUpdate') }]);
    expect((await get(nf, 'after-stale')).status).toBe(200);
    expect((await metrics(responder, 'sepp_tls_crl_next_update_timestamp_seconds'))[0]!.value).toBe(nextUpdate!.value);

    const from = responder.lines.length;
    await writeCrl('ca-crl.pem', [certB]);
    expect((await responder.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
    const closed = await responder.waitForLog('the revoked peer\'s connection closed', (line) => line.msg === 'N32 connection closed: the peer certificate is revoked', 10_000, from);
    expect(closed).toMatchObject({ level: 'warn', side: 'n32', peer: FQDN_B, serialNumber: serialOf(certB).toLowerCase().replace(/^0+/, '') });
    // The initiator dials again (a renegotiation): refused at the handshake, counted by reason on both sides.
    await responder.waitForLog('a reconnection refused', (line) => line.msg === 'TLS handshake failed' && /REVOKED/i.test(String(line['reason'])), 30_000, from);
    await waitFor('revoked counted at the responder', async () => (await metrics(responder, 'sepp_tls_handshake_failures_total')).some((s) => s.labels['side'] === 'n32' && s.labels['reason'] === 'revoked' && s.value >= 1), 10_000);
    const refused = await get(nf, 'after');
    expect(refused.status).toBeGreaterThanOrEqual(500);
    expect(producer.byPath(`${AM_DATA}?after`)).toEqual([]);
    const text = await (await fetch(`http://127.0.0.1:${responder.port('admin')}/metrics`)).text();
    expect(text).toMatch(/^sepp_refusals_total\{category="certificate",cause="revoked"[^}]*\} [1-9]\d*$/m);
  });

  it('the initiator checks the responder the same way: a reload installing the CRL that revokes the responder closes the connection it dialled, and its next handshakes fail on the client side (revoked)', async () => {
    const crl = await writeCrl('initiator-crl.pem');
    const { initiator, nf } = await startPair({ initiatorCrl: [crl] });
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    expect((await get(nf, 'before-client')).status).toBe(200);
    const from = initiator.lines.length;
    await writeCrl('initiator-crl.pem', [certA]);
    expect((await initiator.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
    const closed = await initiator.waitForLog('the revoked responder\'s connection closed', (line) => line.msg === 'N32 connection closed: the peer certificate is revoked', 10_000, from);
    expect(closed).toMatchObject({ level: 'warn', side: 'client', peer: FQDN_A });
    await waitFor('revoked counted on the client side', async () => (await metrics(initiator, 'sepp_tls_handshake_failures_total')).some((s) => s.labels['side'] === 'client' && s.labels['reason'] === 'revoked'), 30_000);
    const answer = await get(nf, 'never');
    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(producer.byPath(`${AM_DATA}?never`)).toEqual([]);
  });

  it('CRLs in force, but none of the peer\'s CA: the peer is refused (crl), fail closed; the SEPP started with a CRL of another CA', async () => {
    const other = await createCa({ commonName: 'Another interconnect CA' });
    const file = join(pki.dir, 'other-crl.pem');
    writeFileSync(file, await createCrl({ ca: other }));
    const { responder, initiator } = await startPair({ responderCrl: [file] });
    await responder.waitForLog('the initiator refused for want of a CRL', (line) => line.msg === 'TLS handshake failed' && /CRL/i.test(String(line['reason'])), 30_000);
    await waitFor('crl counted at the responder', async () => (await metrics(responder, 'sepp_tls_handshake_failures_total')).some((s) => s.labels['side'] === 'n32' && s.labels['reason'] === 'crl'), 10_000);
    expect((await initiator.peer(FQDN_A))?.state).not.toBe('tls-established');
  });
});
