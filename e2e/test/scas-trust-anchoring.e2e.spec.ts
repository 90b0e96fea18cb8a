import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { createCa, createLeaf, seppFqdn, type MintedCa, type PlmnId } from '@sepp/infra';
import { N32C_PATHS } from '@sepp/protocol';
import { AppProcess } from './support/app-process';
import { writeYaml, type SeppYaml } from './support/configs';
import { FakeResponder } from './support/fake-responder';
import { H2Client, tlsHandshake } from './support/h2-client';
import type { CertFiles } from './support/pki';
import { metricBy, metricsOf } from './support/prins';
import { SeppProcess } from './support/sepp-process';
import { sleep } from './support/wait-for';

jest.setTimeout(90_000);

/**
 * TS 33.517 (R18 extraction 4.2.5) TC_CORRECT_TRUST_ANCHORING, TS 33.501 13.1.2: ID1 is anchored at
 * RCA1 and ID2 at RCA2; a peer presents C1 (ID1 by RCA1), C2 (ID2 by RCA2), C3 (ID1 but signed by
 * RCA2) and C4 (ID1 + ID2). C1 and C2 connect, C3 and C4 fail: with the SUT as server (the
 * responder, on its N32 and its dedicated N32-f port) and as client (the initiator dialling a peer
 * that presents them). Every certificate is trusted by TLS itself (the store holds both roots): the
 * refusals come from the anchor check alone, which the control responder without
 * `n32.trustAnchors` shows by accepting C3 and C4.
 */

/** The SUT's own PLMN (its certificate comes from a third CA, RCA0). */
const PLMN_SUT: PlmnId = { mcc: '001', mnc: '01' };
const ID1: PlmnId = { mcc: '002', mnc: '02' };
const ID2: PlmnId = { mcc: '003', mnc: '03' };
/** A PLMN no anchor covers. */
const ID9: PlmnId = { mcc: '009', mnc: '09' };
const FQDN_SUT = seppFqdn(PLMN_SUT);
const FQDN_1 = seppFqdn(ID1);
const FQDN_2 = seppFqdn(ID2);
const FQDN_9 = seppFqdn(ID9);

type AnchorsYaml = { plmns: PlmnId[]; ca: string[] }[];
/** A SEPP configuration with `n32.trustAnchors`. */
type AnchoredYaml = Omit<SeppYaml, 'n32'> & { n32: SeppYaml['n32'] & { trustAnchors?: AnchorsYaml } };

interface Pki {
  dir: string;
  rca0: MintedCa;
  rca1: MintedCa;
  rca2: MintedCa;
  files: { rca0: string; rca1: string; rca2: string };
  sut: CertFiles;
  c1: CertFiles;
  c2: CertFiles;
  c3: CertFiles;
  c4: CertFiles;
  c5: CertFiles;
}

async function leaf(dir: string, name: string, ca: MintedCa, dnsNames: string[]): Promise<CertFiles> {
  const minted = await createLeaf({ ca, dnsNames });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, minted.chainPem);
  writeFileSync(key, minted.keyPem, { mode: 0o600 });
  return { cert, key, certPem: minted.chainPem, keyPem: minted.keyPem };
}

async function createPki(): Promise<Pki> {
  const dir = mkdtempSync(join(tmpdir(), 'sepp-e2e-anchors-'));
  const [rca0, rca1, rca2] = await Promise.all([
    createCa({ commonName: 'RCA0 (SUT)', plmn: PLMN_SUT }),
    createCa({ commonName: 'RCA1', plmn: ID1 }),
    createCa({ commonName: 'RCA2', plmn: ID2 }),
  ]);
  const files = { rca0: join(dir, 'rca0.crt'), rca1: join(dir, 'rca1.crt'), rca2: join(dir, 'rca2.crt') };
  writeFileSync(files.rca0, rca0.certPem);
  writeFileSync(files.rca1, rca1.certPem);
  writeFileSync(files.rca2, rca2.certPem);
  const [sut, c1, c2, c3, c4, c5] = await Promise.all([
    leaf(dir, 'sut', rca0, [FQDN_SUT]),
    leaf(dir, 'c1', rca1, [FQDN_1]),
    leaf(dir, 'c2', rca2, [FQDN_2]),
    leaf(dir, 'c3', rca2, [FQDN_1]),
    leaf(dir, 'c4', rca1, [FQDN_1, FQDN_2]),
    leaf(dir, 'c5', rca1, [FQDN_9]),
  ]);
  return { dir, rca0, rca1, rca2, files, sut, c1, c2, c3, c4, c5 };
}

/** The anchors of the test: ID1 -> RCA1, ID2 -> RCA2 (ID9 in none). */
const anchors = (pki: Pki): AnchorsYaml => [
  { plmns: [ID1], ca: [pki.files.rca1] },
  { plmns: [ID2], ca: [pki.files.rca2] },
];

const peers = (extra: Partial<SeppYaml['n32']['peers'][number]> = {}): SeppYaml['n32']['peers'] => [
  { fqdn: FQDN_1, plmns: [ID1], intermediaries: 'none', ...extra },
  { fqdn: FQDN_2, plmns: [ID2], intermediaries: 'none', ...extra },
  { fqdn: FQDN_9, plmns: [ID9], intermediaries: 'none', ...extra },
];

function responderConfig(pki: Pki, withAnchors: boolean): AnchoredYaml {
  return {
    sepp: { fqdn: FQDN_SUT, plmns: [PLMN_SUT], capabilities: ['TLS', 'PRINS'] },
    // TLS trusts RCA1 here; the anchors add RCA2 to the store.
    tls: { cert: pki.sut.cert, key: pki.sut.key, ca: withAnchors ? [pki.files.rca1] : [pki.files.rca1, pki.files.rca2] },
    n32: { listen: { host: '127.0.0.1', port: 0 }, peers: peers(), ...(withAnchors ? { trustAnchors: anchors(pki) } : {}) },
    n32f: { listen: { host: '127.0.0.1', port: 0 } },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    logging: { level: 'debug' },
  };
}

/** An N32-f request sent without waiting for anything (session and stream opened at once); its HTTP status or 'no answer'. */
function firstFlightRequest(port: number, tls: ConnectionOptions, headers: Record<string, string>): Promise<number | 'no answer'> {
  return new Promise((resolve) => {
    const session = connect(`https://${FQDN_SUT}:${port}`, { createConnection: () => tlsConnect({ host: '127.0.0.1', port, servername: FQDN_SUT, ALPNProtocols: ['h2'], ...tls }) });
    session.on('error', () => undefined);
    const stream = session.request({ ':method': 'GET', ':path': '/nudm-sdm/v2/imsi-002020000000001/am-data', ...headers });
    stream.on('error', () => undefined);
    let status: number | 'no answer' = 'no answer';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.on('close', () => {
      session.destroy();
      resolve(status);
    });
    stream.resume();
    stream.end();
  });
}

describe('TC_CORRECT_TRUST_ANCHORING', () => {
  let pki: Pki;

  beforeAll(async () => {
    pki = await createPki();
  });

  /** A client of the test presenting `cert`; it trusts the SUT's root. */
  const clientTls = (cert: CertFiles): ConnectionOptions => ({ ca: pki.rca0.certPem, cert: cert.certPem, key: cert.keyPem });

  describe('SUT as server: the responder with n32.trustAnchors (ID1 -> RCA1, ID2 -> RCA2)', () => {
    let responder: SeppProcess;
    let control: SeppProcess;

    beforeAll(async () => {
      [responder, control] = await Promise.all([
        SeppProcess.ready('responder', writeYaml(pki.dir, 'anchored-responder', responderConfig(pki, true))),
        SeppProcess.ready('responder', writeYaml(pki.dir, 'control-responder', responderConfig(pki, false))),
      ]);
    });

    afterAll(async () => {
      await Promise.all([responder?.stop(), control?.stop()]);
    });

    /** exchange-capability as the certificate's first SAN, on a fresh connection; `whileOpen` runs before it closes. */
    async function negotiate(port: number, cert: CertFiles, sender: string, plmn: PlmnId, whileOpen?: () => Promise<void>): Promise<number> {
      const client = await H2Client.open(port, FQDN_SUT, clientTls(cert));
      try {
        const answer = await client.postJson(N32C_PATHS.exchangeCapability, { sender, supportedSecCapabilityList: ['TLS'], plmnIdList: [plmn] });
        if (answer.status === 200) await whileOpen?.();
        return answer.status;
      } finally {
        client.close();
      }
    }

    it.each([
      ['C1 (ID1 by RCA1)', 'c1', FQDN_1, ID1],
      ['C2 (ID2 by RCA2)', 'c2', FQDN_2, ID2],
    ] as const)('%s connects and negotiates: 200, tls-established', async (_name, cert, sender, plmn) => {
      const from = responder.lines.length;
      expect(await tlsHandshake(responder.port('n32'), FQDN_SUT, clientTls(pki[cert]))).toEqual({ ok: true, authorized: true });
      const status = await negotiate(responder.port('n32'), pki[cert], sender, plmn, async () => {
        expect((await responder.peer(sender))?.state).toBe('tls-established');
      });
      expect(status).toBe(200);
      expect(responder.lines.slice(from).filter((l) => l.msg === 'TLS handshake failed')).toEqual([]);
    });

    it.each([
      ['C3 (ID1 but signed by RCA2)', 'c3', /does not chain to the roots of n32\.trustAnchors\[0\]/],
      ['C4 (ID1 + ID2 in one certificate)', 'c4', /belong to different trust anchors/],
      ['C5 (a PLMN no anchor covers, signed by RCA1)', 'c5', /belongs to no trust anchor/],
    ] as const)('%s fails on the N32 port and on the N32-f port: closed after the handshake, logged with reason trust_anchor', async (_name, cert, why) => {
      for (const listener of ['n32', 'n32f']) {
        const from = responder.lines.length;
        const result = await tlsHandshake(responder.port(listener), FQDN_SUT, clientTls(pki[cert]));
        expect({ listener, ok: result.ok }).toEqual({ listener, ok: false });
        const logged = await responder.waitForLog('the refusal', (l) => l.msg === 'TLS handshake failed' && l['reason'] === 'trust_anchor' && l['listener'] === listener, 5_000, from);
        expect(logged).toMatchObject({ level: 'warn', listener, remoteAddress: '127.0.0.1', remotePort: expect.any(Number) });
        expect(String(logged['error'])).toMatch(why);
      }
      // No request gets through either: an HTTP/2 client is cut off before any answer (the
      // stream fails, or ends without a status).
      const from = responder.lines.length;
      const client = await H2Client.open(responder.port('n32'), FQDN_SUT, clientTls(pki[cert])).catch(() => null);
      if (client) {
        const outcome = await client.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_1, supportedSecCapabilityList: ['TLS'] }).then(
          (answer) => (Number.isNaN(answer.status) ? 'no answer' : answer.status),
          () => 'no answer',
        );
        expect(outcome).toBe('no answer');
        client.close();
      }
      await responder.waitForLog('the refusal of the HTTP/2 client', (l) => l.msg === 'TLS handshake failed' && l['reason'] === 'trust_anchor', 5_000, from);
    });

    it('C3 cannot ride on the agreement C1 made for ID1: its N32-f requests are never read (a C1 connection is answered)', async () => {
      const c1 = await H2Client.open(responder.port('n32'), FQDN_SUT, clientTls(pki.c1));
      try {
        const agreed = await c1.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_1, supportedSecCapabilityList: ['TLS'], plmnIdList: [ID1] });
        expect(agreed.status).toBe(200);
        await responder.waitForPeerState(FQDN_1, 'tls-established');
        const nfRequest = { '3gpp-sbi-target-apiroot': 'http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081' };
        // Control: another connection with C1 is identified as ID1's SEPP and answered (403: no allowed target here).
        const other = await H2Client.open(responder.port('n32'), FQDN_SUT, clientTls(pki.c1));
        const beforeControl = responder.lines.length;
        try {
          expect((await other.request('GET', '/nudm-sdm/v2/imsi-002020000000001/am-data', undefined, nfRequest)).status).toBe(403);
        } finally {
          other.close();
        }
        // The control's own refusal line may trail its answer through the log pipe: let it in first,
        // so it is not taken for C3's below.
        await responder.waitForLog('the control refusal', (l) => l.msg === 'N32-f request refused', 5_000, beforeControl);
        const from = responder.lines.length;
        // The request leaves in the client's first flight, right behind its TLS Finished: the
        // anchor check must run before the HTTP/2 session could turn it into a stream.
        expect(await firstFlightRequest(responder.port('n32'), clientTls(pki.c3), nfRequest)).toBe('no answer');
        await responder.waitForLog('the refusal', (l) => l.msg === 'TLS handshake failed' && l['reason'] === 'trust_anchor', 5_000, from);
        await sleep(200);
        expect(responder.lines.slice(from).filter((l) => l.msg === 'N32-f request refused' || l.msg === 'N32-f forwarding failed')).toEqual([]);
      } finally {
        c1.close();
      }
    });

    it('no refused certificate reached the negotiation or changed a peer; the failures are counted as trust_anchor', async () => {
      const negotiated = (await responder.waitForLines('the negotiations of C1 and C2', (l) => l.msg === 'security capability negotiation', 2)).map((l) => l['peer']);
      expect([...new Set(negotiated)].sort()).toEqual([FQDN_1, FQDN_2].sort());
      expect((await responder.peer(FQDN_9))?.state).toBe('idle');
      const failures = metricBy(await metricsOf(responder), 'sepp_tls_handshake_failures_total', { reason: 'trust_anchor' }, 'side');
      expect(failures).toEqual({ n32: 7, n32f: 3 });
    });

    it('control: without n32.trustAnchors the same TLS store accepts C3 and C4 (the refusals above are the anchor check)', async () => {
      expect(await tlsHandshake(control.port('n32'), FQDN_SUT, clientTls(pki.c3))).toEqual({ ok: true, authorized: true });
      expect(await tlsHandshake(control.port('n32'), FQDN_SUT, clientTls(pki.c4))).toEqual({ ok: true, authorized: true });
      expect(await negotiate(control.port('n32'), pki.c3, FQDN_1, ID1)).toBe(200);
    });
  });

  describe('SUT as client: the initiator dialling a peer that presents C1..C4', () => {
    let fake: FakeResponder | undefined;
    let initiator: SeppProcess | undefined;

    afterEach(async () => {
      await initiator?.stop();
      await fake?.close();
      initiator = undefined;
      fake = undefined;
    });

    /** The initiator (PLMN 001/01, anchors ID1 -> RCA1, ID2 -> RCA2) with one peer `fqdn` at a fake presenting `cert`. */
    async function dial(name: string, cert: CertFiles, fqdn: string, plmn: PlmnId): Promise<{ fake: FakeResponder; initiator: SeppProcess }> {
      fake = await FakeResponder.start(cert, pki.rca0.certPem, () => ({
        body: { sender: fqdn, selectedSecCapability: 'TLS', plmnIdList: [plmn], supportedFeatures: '0', '3GppSbiTargetApiRootSupported': true },
      }));
      const config: AnchoredYaml = {
        sepp: { fqdn: FQDN_SUT, plmns: [PLMN_SUT], capabilities: ['TLS'] },
        tls: { cert: pki.sut.cert, key: pki.sut.key, ca: [pki.files.rca1] },
        n32: {
          peers: [{ fqdn, plmns: [plmn], address: `127.0.0.1:${fake.port}`, intermediaries: 'none' }],
          retry: { initialDelayMs: 200, maxDelayMs: 1_000 },
          requestTimeoutMs: 3_000,
          trustAnchors: anchors(pki),
        },
        admin: { listen: { host: '127.0.0.1', port: 0 } },
        logging: { level: 'debug' },
      };
      initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, name, config));
      return { fake, initiator };
    }

    it.each([
      ['C1 (ID1 by RCA1)', 'c1', FQDN_1, ID1],
      ['C2 (ID2 by RCA2)', 'c2', FQDN_2, ID2],
    ] as const)('%s: the initiator connects and reaches tls-established', async (_name, cert, fqdn, plmn) => {
      const { fake, initiator } = await dial(`client-${cert}`, pki[cert], fqdn, plmn);
      await initiator.waitForPeerState(fqdn, 'tls-established');
      expect(fake.requests.map((r) => r.headers[':path'])).toEqual([N32C_PATHS.exchangeCapability]);
    });

    it.each([
      ['C3 (ID1 but signed by RCA2)', 'c3', /does not chain to the roots of n32\.trustAnchors\[0\]/],
      ['C4 (ID1 + ID2 in one certificate)', 'c4', /belong to different trust anchors/],
    ] as const)('%s: the connection fails with CONNECTION_FAILED, nothing is sent, the failure is logged and counted', async (_name, cert, why) => {
      const { fake, initiator } = await dial(`client-${cert}`, pki[cert], FQDN_1, ID1);
      const failed = await initiator.waitForPeer(FQDN_1, 'failed with CONNECTION_FAILED', (p) => p.state === 'failed' && p.lastError?.reason === 'CONNECTION_FAILED');
      expect(failed.lastError?.detail).toMatch(/trust anchor/);
      expect(failed.lastError?.detail).toMatch(why);
      // It retries, and fails the same way each time, never sending a request.
      await initiator.waitForPeer(FQDN_1, 'attempts >= 2', (p) => p.attempts >= 2);
      await sleep(200);
      expect(fake.requests).toEqual([]);
      expect(fake.sessions.length).toBeGreaterThanOrEqual(1);
      expect(initiator.lines.some((l) => l.msg === 'sending exchange-capability')).toBe(false);
      // Security event: the failed peer state names the reason.
      const event = await initiator.waitForLog('the failed peer state', (l) => l.msg === 'peer state' && l['reason'] === 'CONNECTION_FAILED');
      expect(event).toMatchObject({ level: 'warn', peer: FQDN_1, detail: expect.stringMatching(/trust anchor/) });
      const failures = metricBy(await metricsOf(initiator), 'sepp_tls_handshake_failures_total', { side: 'client' }, 'reason');
      expect(failures['trust_anchor']).toBeGreaterThanOrEqual(1);
    });
  });

  describe('configuration', () => {
    it('a PLMN in two anchors stops the app with exit code 2, naming the key', async () => {
      const config = responderConfig(pki, true);
      config.n32.trustAnchors = [
        { plmns: [ID1], ca: [pki.files.rca1] },
        { plmns: [ID2, { mcc: '002', mnc: '002' }], ca: [pki.files.rca2] },
      ];
      const app = AppProcess.launch('responder', { args: ['--config', writeYaml(pki.dir, 'overlap', config)] });
      expect(await app.exitCodeWithin(15_000)).toBe(2);
      expect(app.stderr).toContain('n32.trustAnchors[1].plmns[1]: 002-002 is already in n32.trustAnchors[0]');
      expect(app.listening).toEqual([]);
    });

    it.each([
      ['an anchor without roots', [{ plmns: [ID1], ca: [] }], 'n32.trustAnchors[0].ca: must list at least one trusted root'],
      ['an anchor whose root cannot be read', [{ plmns: [ID1], ca: ['missing.crt'] }], 'n32.trustAnchors[0].ca[0]: cannot read'],
      ['an anchor without PLMNs', [{ plmns: [], ca: ['rca1.crt'] }], 'n32.trustAnchors[0].plmns: must list at least one PLMN'],
    ] as const)('%s is refused the same way', async (name, trustAnchors, problem) => {
      const config = responderConfig(pki, true);
      config.n32.trustAnchors = trustAnchors.map((anchor) => ({ plmns: [...anchor.plmns], ca: [...anchor.ca] }));
      const app = AppProcess.launch('responder', { args: ['--config', writeYaml(pki.dir, `bad-anchor-${name.length}`, config)] });
      expect(await app.exitCodeWithin(15_000)).toBe(2);
      expect(app.stderr).toContain(problem);
    });
  });
});
