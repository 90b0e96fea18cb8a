import { N32C_PATHS } from '@sepp/protocol';
import { seppFqdn, type PlmnId } from '@sepp/infra';
import { FQDN_A, PLMN_A, responderYaml, writeYaml, type SeppYaml } from './support/configs';
import { H2Client, type H2Answer } from './support/h2-client';
import { TestPki, type CertFiles } from './support/pki';
import { expectForbidden, expectNoServerBanner } from './support/problem';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

/** Open5GS's default SEPP identity: a lab FQDN without PLMN labels, test PLMN 999-70. */
const LAB_FQDN = 'sepp1.localdomain';
const LAB_PLMN: PlmnId = { mcc: '999', mnc: '70' };
/** The responder's own SupportedFeatures, different from Open5GS's "1" so an echo is visible. */
const OUR_FEATURES = '3';

/** The body exactly as Open5GS's SEPP sends it (key order and all). */
const OPEN5GS_BODY =
  '{"sender":"sepp1.localdomain","supportedSecCapabilityList":["TLS"],"3GppSbiTargetApiRootSupported":true,' +
  '"plmnIdList":[{"mcc":"999","mnc":"70"}],"supportedFeatures":"1"}';

/** TS 29.500 5.2.3.2.x date format, RFC 1123 with milliseconds: `Fri, 27 Nov 2026 17:37:21.123 GMT`. */
function sbiTimestamp(now = new Date()): string {
  return now.toUTCString().replace(' GMT', `.${String(now.getUTCMilliseconds()).padStart(3, '0')} GMT`);
}

/** The headers Open5GS's SEPP puts on its exchange-capability request. */
function open5gsHeaders(): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'SEPP',
    '3gpp-sbi-sender-timestamp': sbiTimestamp(),
    '3gpp-sbi-max-rsp-time': '10000',
  };
}

function labResponder(cert: CertFiles, pki: TestPki, n32: Partial<SeppYaml['n32']>): SeppYaml {
  const yaml = responderYaml(cert, pki, n32);
  yaml.sepp.supportedFeatures = OUR_FEATURES;
  return yaml;
}

describe('interoperability with an Open5GS SEPP (lab FQDN sepp1.localdomain)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let labCert: CertFiles;
  let labCertWithPlmnName: CertFiles;
  /** Has the lab peer configured under its exact FQDN. */
  let responder: SeppProcess;
  /** acceptUnknownPeers, with PLMN 999-70 configured only under its conventional SEPP FQDN. */
  let openResponder: SeppProcess;

  beforeAll(async () => {
    pki = await TestPki.create();
    certA = await pki.sepp(PLMN_A);
    labCert = await pki.leaf('open5gs-sepp1', [LAB_FQDN]);
    labCertWithPlmnName = await pki.leaf('open5gs-sepp1-plmn', [LAB_FQDN, seppFqdn(LAB_PLMN)]);
    [responder, openResponder] = await Promise.all([
      SeppProcess.ready(
        'responder',
        writeYaml(pki.dir, 'responder', labResponder(certA, pki, { peers: [{ fqdn: LAB_FQDN, plmns: [LAB_PLMN] }] })),
      ),
      SeppProcess.ready(
        'responder',
        writeYaml(
          pki.dir,
          'open-responder',
          labResponder(certA, pki, { peers: [{ fqdn: seppFqdn(LAB_PLMN), plmns: [LAB_PLMN] }], acceptUnknownPeers: true }),
        ),
      ),
    ]);
  });

  afterAll(async () => {
    await Promise.all([responder?.stop(), openResponder?.stop()]);
  });

  const open = (sepp: SeppProcess, cert: CertFiles): Promise<H2Client> =>
    H2Client.open(sepp.port('n32'), FQDN_A, pki.clientTls(cert));

  function expectAgreed(answer: H2Answer): void {
    expect(answer.status).toBe(200);
    expect(String(answer.headers['content-type'])).toMatch(/^application\/json/);
    expectNoServerBanner(answer);
    expect(answer.json).toEqual({
      sender: FQDN_A,
      selectedSecCapability: 'TLS',
      '3GppSbiTargetApiRootSupported': true,
      plmnIdList: [PLMN_A],
      supportedFeatures: OUR_FEATURES,
    });
  }

  it('accepts the request exactly as Open5GS sends it and keeps TLS on the connection', async () => {
    const client = await open(responder, labCert);
    try {
      const answer = await client.request('POST', N32C_PATHS.exchangeCapability, OPEN5GS_BODY, open5gsHeaders());
      expectAgreed(answer);
      const peer = await responder.waitForPeerState(LAB_FQDN, 'tls-established', 5_000);
      expect(peer).toMatchObject({
        fqdn: LAB_FQDN,
        configured: true,
        mechanism: 'TLS',
        lastError: null,
        negotiation: { peerPlmns: [LAB_PLMN], commonFeatures: '1', targetApiRootSupported: true, selectionReason: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES' },
      });
      expect(client.goaway).toBeNull();
    } finally {
      client.close();
    }
    // TLS mode lives as long as its connection: closing it leaves the peer idle.
    await responder.waitForPeerState(LAB_FQDN, 'idle', 5_000);
  });

  it('needs no header beyond HTTP/2 and content-type (no user-agent, no 3gpp-sbi-*)', async () => {
    expect((await responder.peer(LAB_FQDN))?.state).toBe('idle');
    const client = await open(responder, labCert);
    try {
      // Node adds only the pseudo-headers :scheme and :authority that HTTP/2 itself requires.
      const answer = await client.request('POST', N32C_PATHS.exchangeCapability, OPEN5GS_BODY, { 'content-type': 'application/json' });
      expectAgreed(answer);
      expect((await responder.waitForPeerState(LAB_FQDN, 'tls-established', 5_000)).mechanism).toBe('TLS');
    } finally {
      client.close();
    }
    await responder.waitForPeerState(LAB_FQDN, 'idle', 5_000);
  });

  it('refuses (403) a plmnIdList claiming a PLMN not configured for the lab peer, changing nothing', async () => {
    const before = await responder.peer(LAB_FQDN);
    expect(before?.state).toBe('idle');
    for (const [plmnIdList, pointer] of [
      [[{ mcc: '999', mnc: '71' }], '/plmnIdList/0'],
      [[LAB_PLMN, PLMN_A], '/plmnIdList/1'],
    ] as const) {
      const client = await open(responder, labCert);
      try {
        const body = JSON.stringify({ ...(JSON.parse(OPEN5GS_BODY) as object), plmnIdList });
        const problem = expectForbidden(await client.request('POST', N32C_PATHS.exchangeCapability, body, open5gsHeaders()), pointer);
        expect(problem.detail).toMatch(/plmnIdList/);
      } finally {
        client.close();
      }
    }
    expect(await responder.peer(LAB_FQDN)).toEqual(before);
  });

  it('refuses (403) the lab FQDN when no peer is configured under exactly that FQDN, even with acceptUnknownPeers', async () => {
    for (const cert of [labCert, labCertWithPlmnName]) {
      const client = await open(openResponder, cert);
      try {
        const problem = expectForbidden(await client.request('POST', N32C_PATHS.exchangeCapability, OPEN5GS_BODY, open5gsHeaders()), '/sender');
        expect(problem.detail).toContain(LAB_FQDN);
      } finally {
        client.close();
      }
    }
    expect(await openResponder.peer(LAB_FQDN)).toBeUndefined();
    expect((await openResponder.peer(seppFqdn(LAB_PLMN)))?.state).toBe('idle');
    expect(openResponder.lines.filter((l) => l.msg === 'security capability negotiation')).toHaveLength(0);
  });

  it('the open responder does accept an unknown peer that proves its PLMN (control for the refusal above)', async () => {
    const other: PlmnId = { mcc: '999', mnc: '99' };
    const cert = await pki.sepp(other);
    const client = await open(openResponder, cert);
    try {
      const body = JSON.stringify({ ...(JSON.parse(OPEN5GS_BODY) as object), sender: seppFqdn(other), plmnIdList: [other] });
      const answer = await client.request('POST', N32C_PATHS.exchangeCapability, body, open5gsHeaders());
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ selectedSecCapability: 'TLS' });
    } finally {
      client.close();
    }
  });
});
