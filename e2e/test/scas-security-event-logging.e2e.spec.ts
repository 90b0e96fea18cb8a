import type { ConnectionOptions } from 'node:tls';
import { N32C_PATHS, N32F_PROCESS_PATH } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, writeYaml } from './support/configs';
import { H2Client, tlsHandshake } from './support/h2-client';
import { n32fResponderYaml, TARGET_HEADER, UDM1_FQDN } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { SeppProcess, type LogLine } from './support/sepp-process';

jest.setTimeout(60_000);

const PLMN_C = { mcc: '003', mnc: '03' };
/** A second SEPP name of PLMN B: anchored, but not a configured peer. */
const FQDN_B2 = 'sepp2.5gc.mnc002.mcc002.3gppnetwork.org';
const JSON_TYPE = { 'content-type': 'application/json' };
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

interface NegativeCase {
  readonly name: string;
  /** Provokes the event. */
  readonly act: () => Promise<unknown>;
  /** The log line it must produce: its message, level and fields (partial match). */
  readonly event: { msg: string; level: 'warn' | 'info' } & Record<string, unknown>;
}

/**
 * TS 33.117 4.2.3.6.1 TC_SECURITY_EVENT_LOGGING: every negative case produces a security event in
 * the JSON log, with when (`time`), who (`remoteAddress` or `peer`), what and why. One responder
 * (per-PLMN trust anchor for PLMN 002/02, a TLS agreement with it later on) takes the negative
 * cases of the TLS layer, N32-c and N32-f; each case asserts its own line. The other SCAS files
 * assert the events of their cases the same way: trust anchors on the client side
 * (scas-trust-anchoring), the TLS matrix (scas-protect-transport-layer), 405s
 * (scas-no-unused-http-methods), duplicate members (scas-json-unique-keys), the access token
 * PLMN in PRINS (scas-plmn-id-mismatch), policy mismatches (scas-policy-mismatch); PRINS tampering
 * is logged as `PRINS message refused` (prins-tamper.e2e.spec.ts "every refusal was logged").
 */
describe('TC_SECURITY_EVENT_LOGGING', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let certB2: CertFiles;
  let certC: CertFiles;
  let responder: SeppProcess;
  /** A connection of PLMN B's SEPP on which TLS is agreed (for the N32-f cases). */
  let agreed: H2Client;
  let nfPort: number;

  const n32Port = (): number => responder.port('n32');
  const tls = (cert: CertFiles): ConnectionOptions => pki.clientTls(cert);

  async function once(cert: CertFiles, method: string, path: string, body?: string, headers: Record<string, string> = JSON_TYPE): Promise<void> {
    const client = await H2Client.open(n32Port(), FQDN_A, tls(cert));
    try {
      await client.request(method, path, body, headers);
    } finally {
      client.close();
    }
  }
  const exchange = (cert: CertFiles, body: unknown): Promise<void> => once(cert, 'POST', N32C_PATHS.exchangeCapability, JSON.stringify(body));
  const forwarded = (headers: Record<string, string>): Promise<unknown> =>
    agreed.request('GET', '/nudm-sdm/v2/imsi-001010000000001/am-data', undefined, { [TARGET_HEADER]: `http://${UDM1_FQDN}:${nfPort}`, ...headers });

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    [certB2, certC] = await Promise.all([pki.leaf('sepp2-002-02', [FQDN_B2]), pki.sepp(PLMN_C)]);
    nfPort = await freePort();
    const yaml = n32fResponderYaml(certA, pki, nfPort);
    (yaml.n32 as Record<string, unknown>)['trustAnchors'] = [{ plmns: [PLMN_B], ca: [pki.caFile] }];
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', yaml));
  });

  afterAll(async () => {
    agreed?.close();
    await responder?.stop();
  });

  const TLS_CASES: NegativeCase[] = [
    { name: 'no client certificate', act: () => tlsHandshake(n32Port(), FQDN_A, { ca: pki.ca.certPem }), event: { msg: 'TLS handshake failed', level: 'warn', reason: expect.stringMatching(/CERTIFICATE/) } },
    {
      name: 'a client certificate of an untrusted CA',
      act: async () => tlsHandshake(n32Port(), FQDN_A, tls(await pki.rogue('rogue', [FQDN_B]))),
      event: { msg: 'TLS handshake failed', level: 'warn', error: expect.stringMatching(/client certificate refused/) },
    },
    { name: 'an expired client certificate', act: async () => tlsHandshake(n32Port(), FQDN_A, tls(await pki.expired('expired', [FQDN_B]))), event: { msg: 'TLS handshake failed', level: 'warn', reason: 'CERT_HAS_EXPIRED' } },
    {
      name: 'TLS 1.1',
      act: () => tlsHandshake(n32Port(), FQDN_A, { ...tls(certB), minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      event: { msg: 'TLS handshake failed', level: 'warn', reason: expect.stringMatching(/VERSION|PROTOCOL/) },
    },
    { name: 'ALPN http/1.1', act: () => tlsHandshake(n32Port(), FQDN_A, { ...tls(certB), ALPNProtocols: ['http/1.1'] }), event: { msg: 'TLS handshake failed', level: 'warn', reason: expect.stringMatching(/ALPN|APPLICATION/) } },
    {
      name: 'a certificate of a PLMN outside the trust anchors (TS 33.501 13.1.2)',
      act: () => tlsHandshake(n32Port(), FQDN_A, tls(certC)),
      event: { msg: 'TLS handshake failed', level: 'warn', reason: 'trust_anchor', certificate: ['sepp.5gc.mnc003.mcc003.3gppnetwork.org'] },
    },
  ];

  const N32C_CASES: NegativeCase[] = [
    {
      name: 'a sender that is not in the client certificate',
      act: () => exchange(certB2, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'] }),
      event: { msg: expect.stringMatching(/^refused: /), level: 'warn', peer: FQDN_B, mismatch: 'SENDER_NOT_IN_CERTIFICATE', certificate: [FQDN_B2] },
    },
    {
      name: 'a sender that is no roaming partner',
      act: () => exchange(certB2, { sender: FQDN_B2, supportedSecCapabilityList: ['TLS'] }),
      event: { msg: 'refused: sender is not a configured peer', level: 'warn', peer: FQDN_B2 },
    },
    {
      name: 'a PLMN claim the certificate does not prove',
      act: () => exchange(certB, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_B, PLMN_C] }),
      event: { msg: expect.stringMatching(/^refused: /), level: 'warn', peer: FQDN_B, mismatch: 'PLMN_NOT_IN_CERTIFICATE' },
    },
    {
      name: 'a body that is not JSON',
      act: () => once(certB, 'POST', N32C_PATHS.exchangeCapability, '{not json'),
      event: { msg: 'request refused', level: 'info', status: 400, cause: 'INVALID_MSG_FORMAT', url: N32C_PATHS.exchangeCapability },
    },
    {
      name: 'a repeated member name',
      act: () => once(certB, 'POST', N32C_PATHS.exchangeCapability, `{"sender":"${FQDN_B}","sender":"${FQDN_B2}"}`),
      event: { msg: 'request refused', level: 'info', status: 400, cause: 'INVALID_MSG_FORMAT', detail: expect.stringContaining('repeats the member name') },
    },
    { name: 'a method other than POST on N32-c', act: () => once(certB, 'DELETE', N32C_PATHS.exchangeParams), event: { msg: 'request refused', level: 'info', status: 405, method: 'DELETE' } },
    {
      name: 'a media type other than JSON on N32-c',
      act: () => once(certB, 'POST', N32C_PATHS.exchangeCapability, 'sender=x', { 'content-type': 'application/x-www-form-urlencoded' }),
      event: { msg: 'request refused', level: 'info', status: 415 },
    },
  ];

  const N32F_CASES: NegativeCase[] = [
    {
      // A SEPP of a partner PLMN that is no configured peer: nothing to renegotiate with, refused at once.
      name: 'N32-f without any agreement',
      act: () => once(certB2, 'GET', '/nudm-sdm/v2/x/am-data', undefined, {}),
      event: { msg: 'N32-f request refused', level: 'info', code: 'N32F_NOT_AGREED', status: 403 },
    },
    { name: 'a method other than POST/OPTIONS on n32f-process', act: () => once(certB, 'PUT', N32F_PROCESS_PATH, '{}'), event: { msg: 'n32f-process refused', level: 'info', status: 405, method: 'PUT' } },
    { name: 'a malformed n32f-process body', act: () => once(certB, 'POST', N32F_PROCESS_PATH, '{"reformattedData":1}'), event: { msg: 'n32f-process refused', level: 'info', status: 400 } },
  ];

  /** Cases on the agreed TLS connection (set up in the describe's beforeAll). */
  const AGREED_CASES: NegativeCase[] = [
    {
      name: 'a target outside sbi.allowedTargets',
      act: () => agreed.request('GET', '/x', undefined, { [TARGET_HEADER]: 'http://udm9.5gc.mnc001.mcc001.3gppnetwork.org' }),
      event: { msg: 'N32-f request refused', level: 'info', code: 'TARGET_NOT_ALLOWED', status: 403 },
    },
    {
      name: 'an originating network the peer certificate does not cover (TS 33.501 13.1.2, logged, not refused)',
      act: () => forwarded({ '3gpp-sbi-originating-network-id': '003-03' }),
      event: { msg: 'PLMN ID mismatch: originating network not covered by the peer certificate', level: 'warn', peer: FQDN_B, claimed: '003-03' },
    },
    {
      name: 'an access token of another PLMN (TC_PLMN_ID_MISMATCH, TLS mode)',
      act: () => forwarded({ authorization: `Bearer ${b64({ alg: 'ES256' })}.${b64({ sub: 'amf1', consumerPlmnId: PLMN_C })}.c2ln` }),
      event: { msg: 'PLMN ID mismatch: the access token names another PLMN than the peer SEPP', level: 'warn', peer: FQDN_B, claimed: '003-03', mechanism: 'TLS' },
    },
  ];

  /** Runs the case and returns the one event line it produced. */
  async function expectEvent({ act, event }: NegativeCase): Promise<LogLine> {
    const from = responder.lines.length;
    await act();
    const line = await responder.waitForLog(`event ${String(event.msg)}`, (l) => expect.objectContaining(event).asymmetricMatch(l), 5_000, from);
    // When, and who: a timestamp, and the remote address or the peer.
    expect(typeof line['time']).toBe('string');
    expect(Number.isNaN(Date.parse(line['time'] as string))).toBe(false);
    expect(line['remoteAddress'] ?? line['peer']).toBeTruthy();
    return line;
  }

  describe('TLS layer', () => {
    it.each(TLS_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const line = await expectEvent(c);
      expect(line).toMatchObject({ listener: 'n32', remoteAddress: '127.0.0.1', remotePort: expect.any(Number) });
    });
  });

  describe('N32-c', () => {
    it.each(N32C_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      await expectEvent(c);
    });
  });

  describe('N32-f', () => {
    it.each(N32F_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const line = await expectEvent(c);
      expect(line['remoteAddress']).toBe('127.0.0.1');
    });

    describe('with TLS agreed', () => {
      beforeAll(async () => {
        agreed = await H2Client.open(n32Port(), FQDN_A, tls(certB));
        const answer = await agreed.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'], plmnIdList: [PLMN_B], '3GppSbiTargetApiRootSupported': true });
        expect(answer.status).toBe(200);
        await responder.waitForPeerState(FQDN_B, 'tls-established');
      });

      it.each(AGREED_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
        await expectEvent(c);
      });
    });
  });

  it('security events are warn (attacks and mismatches) or info (malformed requests), never error: nothing was our failure', () => {
    expect(responder.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });
});
