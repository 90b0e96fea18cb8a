import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, writeYaml } from './support/configs';
import { H2Client, type H2Answer } from './support/h2-client';
import {
  connections,
  expectProblemAnswer,
  n32fInitiatorYaml,
  n32fResponderYaml,
  NfClient,
  TappedProducer,
  TARGET_HEADER,
  udmApiRoot,
  type NfAnswer,
} from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { HoldingPort } from './support/holding-port';
import { SeppProcess } from './support/sepp-process';
import { sleep, waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const AM_DATA = '/nudm-sdm/v2/imsi-001010000000001/am-data';

/** An H2Client answer in the NfAnswer shape the problem helper reads. */
const asNf = (answer: H2Answer): NfAnswer => ({ ...answer, body: Buffer.from(answer.text), ms: 0, endedAt: 0 });

describe('N32-f refusals', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  describe('one pair with n32f.bodyLimit 4096 on both sides and maxConcurrentPerPeer 2 at the responder', () => {
    let udm1: TappedProducer;
    let udm2: TappedProducer;
    let responder: SeppProcess;
    let initiator: SeppProcess | undefined;
    let nf: NfClient;
    /** The initiator's certificate, straight to the responder's N32 port (not through the initiator). */
    let raw: H2Client;

    beforeAll(async () => {
      [udm1, udm2] = await Promise.all([TappedProducer.start('udm1'), TappedProducer.start('udm2')]);
      // The peer's N32-c address: a loopback port nobody listens on (the responder's own
      // renegotiation toward it fails at once).
      const closedPort = await freePort();
      responder = await SeppProcess.ready(
        'responder',
        writeYaml(
          pki.dir,
          'responder',
          n32fResponderYaml(certA, pki, udm1.port, {
            // udm2 resolves (sbi.hosts) but is not an allowed target.
            hosts: { 'udm2.5gc.mnc001.mcc001.3gppnetwork.org': '127.0.0.1' },
            responderN32f: { bodyLimit: 4096, maxConcurrentPerPeer: 2 },
            responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], address: `127.0.0.1:${closedPort}` }] },
          }),
        ),
      );
    });

    afterAll(async () => {
      raw?.close();
      nf?.close();
      await initiator?.stop();
      await responder?.stop();
      await udm1?.close();
      await udm2?.close();
    });

    /** What had reached the producers, and the log lines of each app, when the current test started. */
    let baseline = { udm1: 0, udm2: 0, sessions: 0, responderLines: 0, initiatorLines: 0 };
    beforeEach(() => {
      baseline = { udm1: udm1.seen.length, udm2: udm2.seen.length, sessions: udm1.sessions + udm2.sessions, responderLines: responder.lines.length, initiatorLines: initiator?.lines.length ?? 0 };
    });
    /** The refusal's log line since the test started: the cSEPP's 'NF request refused' or the pSEPP's 'N32-f request refused'. */
    const refusalLogged = (side: 'cSEPP' | 'pSEPP', status: number, cause: string) => {
      const [app, msg, from] = side === 'cSEPP' ? [initiator!, 'NF request refused', baseline.initiatorLines] : [responder, 'N32-f request refused', baseline.responderLines];
      return app.waitForLog(`${side} ${status} ${cause}`, (l) => l.msg === msg && l['status'] === status && l['cause'] === cause, 5_000, from);
    };
    /** Since the test started, no NF got a stream, nor even a new connection. */
    const nothingAtAnyNf = (): void => {
      expect(udm1.seen.slice(baseline.udm1)).toEqual([]);
      expect(udm2.seen.slice(baseline.udm2)).toEqual([]);
      expect(udm1.sessions + udm2.sessions).toBe(baseline.sessions);
    };
    const rawForward = (headers: Record<string, string>, path = AM_DATA): Promise<NfAnswer> =>
      raw.request('GET', path, undefined, { ':authority': FQDN_A, ...headers }).then(asNf);

    describe('before any negotiation', () => {
      it('a forwarded request before any negotiation makes the responder renegotiate; that failing, 503 and no NF reached', async () => {
        raw = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
        const body = expectProblemAnswer(await rawForward({ [TARGET_HEADER]: udmApiRoot(udm1.port) }), 503, 'N32_NOT_ESTABLISHED');
        expect(body.detail).toMatch(new RegExp(`^no agreed N32 mechanism with ${FQDN_B.replace(/\./g, '\\.')}: the renegotiation failed \\(CONNECTION_FAILED: .*ECONNREFUSED`));
        raw.close();
        nothingAtAnyNf();
        await responder.waitForLog('the refusal', (l) => l.msg === 'N32-f request refused' && l['code'] === 'N32_NOT_ESTABLISHED' && l['status'] === 503, 5_000);
        expect(await responder.peer(FQDN_B)).toMatchObject({ state: 'failed', lastError: { reason: 'CONNECTION_FAILED' } });
      });

      it('a SEPP that is no configured peer gets its 403 at once (nothing to renegotiate with)', async () => {
        const stranger = await pki.leaf('sepp2-002-02', ['sepp2.5gc.mnc002.mcc002.3gppnetwork.org']);
        const client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(stranger));
        try {
          const answer = asNf(await client.request('GET', AM_DATA, undefined, { ':authority': FQDN_A, [TARGET_HEADER]: udmApiRoot(udm1.port) }));
          expect(expectProblemAnswer(answer, 403, 'UNSPECIFIED').detail).toBe('no peer with an agreed mechanism matches the certificate (sepp2.5gc.mnc002.mcc002.3gppnetwork.org)');
        } finally {
          client.close();
        }
        nothingAtAnyNf();
      });
    });

    describe('once TLS is agreed', () => {
      beforeAll(async () => {
        initiator = await SeppProcess.ready(
          'initiator',
          writeYaml(pki.dir, 'initiator', n32fInitiatorYaml(certB, pki, responder.port('n32'), { initiatorN32f: { bodyLimit: 4096 } })),
        );
        await initiator.waitForPeerState(FQDN_A, 'tls-established');
        await responder.waitForPeerState(FQDN_B, 'tls-established');
        nf = await NfClient.connect(initiator.port('sbi'));
        raw = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
      });

      describe('at the pSEPP (the initiator certificate, straight to the N32 port)', () => {
        it('a target outside sbi.allowedTargets is 403 and reaches no NF', async () => {
          const body = expectProblemAnswer(await rawForward({ [TARGET_HEADER]: udmApiRoot(udm2.port, 'udm2.5gc.mnc001.mcc001.3gppnetwork.org') }), 403, 'UNSPECIFIED');
          expect(body.detail).toMatch(/is not a local NF/);
          nothingAtAnyNf();
          expect(await refusalLogged('pSEPP', 403, 'UNSPECIFIED')).toMatchObject({ level: 'info', code: 'TARGET_NOT_ALLOWED', remoteAddress: '127.0.0.1' });
        });

        it("the producer's real address is not a listed target either: 403", async () => {
          for (const target of [`http://127.0.0.1:${udm1.port}`, `https://udm1.5gc.mnc001.mcc001.3gppnetwork.org:${udm1.port}`, `http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:${udm2.port}`]) {
            expectProblemAnswer(await rawForward({ [TARGET_HEADER]: target }), 403, 'UNSPECIFIED');
          }
          nothingAtAnyNf();
        });

        it('the connection view still answers while refused connections are closing', async () => {
          for (let i = 0; i < 5; i++) {
            const client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
            const answer = await client.request('GET', AM_DATA, undefined, { [TARGET_HEADER]: `http://127.0.0.1:${udm1.port}` });
            expect(answer.status).toBe(403);
            client.close();
            // Right after the close: the session may be destroyed and not yet gone from the list.
            const view = await responder.admin<{ connections: unknown[] }>('/admin/connections');
            expect({ status: view.status, body: view.body }).toMatchObject({ status: 200, body: { connections: expect.any(Array) } });
          }
          nothingAtAnyNf();
        });

        it('no 3gpp-sbi-target-apiroot is 400', async () => {
          const body = expectProblemAnswer(await rawForward({}), 400, 'MANDATORY_IE_MISSING');
          expect(JSON.stringify(body)).toContain(TARGET_HEADER);
          nothingAtAnyNf();
          await refusalLogged('pSEPP', 400, 'MANDATORY_IE_MISSING');
        });
      });

      describe('at the cSEPP (an NF request through the initiator)', () => {
        it('a target outside the allow-list is refused by the pSEPP: 403 relayed to the NF, nothing at any NF', async () => {
          const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(udm2.port, 'udm2.5gc.mnc001.mcc001.3gppnetwork.org') } });
          expect(expectProblemAnswer(answer, 403, 'UNSPECIFIED').detail).toMatch(/is not a local NF/);
          nothingAtAnyNf();
          // Refused by the pSEPP, which logs it; the cSEPP relays the peer's answer as it is.
          expect(await refusalLogged('pSEPP', 403, 'UNSPECIFIED')).toMatchObject({ code: 'TARGET_NOT_ALLOWED', remoteAddress: '127.0.0.1' });
        });

        it('a PLMN without a configured peer SEPP is 404', async () => {
          const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: 'http://udm1.5gc.mnc003.mcc003.3gppnetwork.org:8080' } });
          expect(expectProblemAnswer(answer, 404, 'UNKNOWN_TARGET_PLMN').detail).toMatch(/003/);
          nothingAtAnyNf();
          expect(await refusalLogged('cSEPP', 404, 'UNKNOWN_TARGET_PLMN')).toMatchObject({ level: 'info', path: AM_DATA, remoteAddress: '127.0.0.1' });
        });

        it('a target in our own PLMN is 400', async () => {
          const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: 'http://nrf.5gc.mnc002.mcc002.3gppnetwork.org:8080' } });
          expect(expectProblemAnswer(answer, 400, 'MANDATORY_IE_INCORRECT').detail).toMatch(/own PLMN/);
          nothingAtAnyNf();
          expect((await refusalLogged('cSEPP', 400, 'MANDATORY_IE_INCORRECT'))['detail']).toMatch(/own PLMN/);
        });

        it('an IP-address target (not a PLMN FQDN) is 400', async () => {
          expectProblemAnswer(await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: `http://127.0.0.1:${udm1.port}` } }), 400, 'MANDATORY_IE_INCORRECT');
          nothingAtAnyNf();
          await refusalLogged('cSEPP', 400, 'MANDATORY_IE_INCORRECT');
        });

        it('no target header and no telescopic authority is 400', async () => {
          expectProblemAnswer(await nf.request({ path: AM_DATA }), 400, 'MANDATORY_IE_MISSING');
          nothingAtAnyNf();
          await refusalLogged('cSEPP', 400, 'MANDATORY_IE_MISSING');
        });
      });

      describe('a body over n32f.bodyLimit (4096) is 413 and no NF gets it', () => {
        const big = Buffer.alloc(64 * 1024, 0x61);
        const put = '/nudm-uecm/v1/imsi-001010000000001/registrations/amf-3gpp-access';
        /**
         * Without a content-length the SEPPs stream the body and find out on the way: the request may
         * have been opened toward the producer (headers, at most 4096 body bytes), but it must then
         * be reset, never ended: the producer must not get a cut body as a complete request.
         */
        const noCompleteRequest = (): void => {
          for (const seen of udm1.seen.slice(baseline.udm1)) {
            expect({ path: seen.headers[':path'], ended: seen.ended, reset: seen.reset }).toEqual({ path: put, ended: false, reset: true });
            expect(seen.bytes).toBeLessThanOrEqual(4096);
          }
          expect(udm2.seen.slice(baseline.udm2)).toEqual([]);
        };
        const n32fRequests = async (): Promise<number> => (await connections(responder)).reduce((sum, c) => sum + c.n32fRequests, 0);

        it('NF -> cSEPP with content-length: refused before anything crosses N32', async () => {
          const before = await n32fRequests();
          const answer = await nf.request({ method: 'PUT', path: put, body: big, headers: { [TARGET_HEADER]: udmApiRoot(udm1.port), 'content-type': 'application/json', 'content-length': big.length } });
          expect(expectProblemAnswer(answer, 413, 'INVALID_MSG_FORMAT').detail).toBe('the body exceeds 4096 bytes');
          expect(await n32fRequests()).toBe(before);
          nothingAtAnyNf();
          expect(await refusalLogged('cSEPP', 413, 'INVALID_MSG_FORMAT')).toMatchObject({ code: 'BODY_TOO_LARGE', path: put });
        });

        it('NF -> cSEPP without content-length: 413, and no complete request reaches the producer', async () => {
          const answer = await nf.request({ method: 'PUT', path: put, body: big, headers: { [TARGET_HEADER]: udmApiRoot(udm1.port), 'content-type': 'application/json' } });
          expectProblemAnswer(answer, 413, 'INVALID_MSG_FORMAT');
          // Counted on the way: the cSEPP finds out first (both limits are 4096).
          expect(await refusalLogged('cSEPP', 413, 'INVALID_MSG_FORMAT')).toMatchObject({ code: 'BODY_TOO_LARGE', path: put });
          await sleep(300);
          noCompleteRequest();
        });

        it('peer -> pSEPP with content-length: 413 before any NF is contacted', async () => {
          const answer = await raw.request('PUT', put, big, { ':authority': FQDN_A, [TARGET_HEADER]: udmApiRoot(udm1.port), 'content-type': 'application/json', 'content-length': String(big.length) });
          expectProblemAnswer(asNf(answer), 413, 'INVALID_MSG_FORMAT');
          nothingAtAnyNf();
          expect(await refusalLogged('pSEPP', 413, 'INVALID_MSG_FORMAT')).toMatchObject({ code: 'BODY_TOO_LARGE', peer: FQDN_B });
        });

        it('peer -> pSEPP without content-length: 413, and no complete request reaches the producer', async () => {
          const answer = await raw.request('PUT', put, big, { ':authority': FQDN_A, [TARGET_HEADER]: udmApiRoot(udm1.port), 'content-type': 'application/json' });
          expectProblemAnswer(asNf(answer), 413, 'INVALID_MSG_FORMAT');
          expect(await refusalLogged('pSEPP', 413, 'INVALID_MSG_FORMAT')).toMatchObject({ code: 'BODY_TOO_LARGE', peer: FQDN_B });
          await sleep(300);
          noCompleteRequest();
        });
      });

      it('a third concurrent request over maxConcurrentPerPeer (2) is 429 problem+json; the first two are answered', async () => {
        const target = { [TARGET_HEADER]: udmApiRoot(udm1.port) };
        let firstTwoDone = false;
        const first = nf.request({ path: '/nudm-sdm/v2/slow/3000?n=1', headers: target });
        const second = nf.request({ path: '/nudm-sdm/v2/slow/3000?n=2', headers: target });
        void Promise.allSettled([first, second]).then(() => (firstTwoDone = true));
        await waitFor('two slow requests at the producer', () => udm1.seen.filter((s) => String(s.headers[':path']).startsWith('/nudm-sdm/v2/slow/')).length === 2, 5_000, 10);
        const third = await nf.request({ path: '/nudm-sdm/v2/slow/3000?n=3', headers: target });
        expect(expectProblemAnswer(third, 429, 'NF_CONGESTION_RISK').detail).toMatch(/limit 2/);
        // Refused at once, while the two in flight were still running (not queued behind them).
        expect(firstTwoDone).toBe(false);
        expect(await refusalLogged('pSEPP', 429, 'NF_CONGESTION_RISK')).toMatchObject({ code: 'PEER_CONCURRENCY_EXCEEDED' });
        expect((await first).status).toBe(200);
        expect((await second).status).toBe(200);
        expect(udm1.byPath('/nudm-sdm/v2/slow/3000?n=3')).toHaveLength(0);
        // The limit counts requests in flight, not requests: once they are done, the next passes.
        expect((await nf.request({ path: '/nudm-sdm/v2/slow/10?n=4', headers: target })).status).toBe(200);
      });
    });
  });

  describe('a peer with PRINS agreed (responder policy: modifying intermediaries)', () => {
    let producer: TappedProducer;
    let responder: SeppProcess;
    let initiator: SeppProcess;

    beforeAll(async () => {
      producer = await TappedProducer.start('udm1');
      responder = await SeppProcess.ready(
        'responder',
        writeYaml(
          pki.dir,
          'responder-prins',
          n32fResponderYaml(certA, pki, producer.port, { responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying' }] } }),
        ),
      );
      initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-prins', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
      await initiator.waitForPeer(FQDN_A, 'with PRINS agreed', (p) => p.mechanism === 'PRINS' && p.state.startsWith('prins-'));
      await responder.waitForPeer(FQDN_B, 'with PRINS agreed', (p) => p.mechanism === 'PRINS' && p.state.startsWith('prins-'));
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
      await producer?.close();
    });

    it('a TLS-mode N32-f request from that peer is 403 at the pSEPP and reaches no NF', async () => {
      const raw = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
      try {
        const answer = asNf(await raw.request('GET', AM_DATA, undefined, { [TARGET_HEADER]: udmApiRoot(producer.port) }));
        expect(expectProblemAnswer(answer, 403, 'UNSPECIFIED').detail).toBe(`no peer with an agreed mechanism matches the certificate (${FQDN_B})`);
      } finally {
        raw.close();
      }
      expect(producer.seen).toHaveLength(0);
      expect((await connections(responder)).every((c) => c.n32fRequests === 0)).toBe(true);
      await responder.waitForLog('the refusal', (l) => l.msg === 'N32-f request refused' && l['code'] === 'N32F_NOT_AGREED', 5_000);
    });

    it('an NF request to that peer is not refused: it is carried by PRINS (n32f-process) to the producer', async () => {
      const from = responder.lines.length;
      const nf = await NfClient.connect(initiator.port('sbi'));
      try {
        const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } });
        expect({ status: answer.status, body: answer.text.slice(0, 300) }).toMatchObject({ status: 200 });
        expect(answer.json).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
      } finally {
        nf.close();
      }
      expect(producer.seen.map((seen) => seen.headers[':path'])).toEqual([AM_DATA]);
      expect(responder.lines.slice(from).some((l) => l.msg === 'N32-f request refused')).toBe(false);
    });
  });

  describe('a peer that does not declare 3GppSbiTargetApiRootSupported (TLS agreed)', () => {
    let producer: TappedProducer;
    let responder: SeppProcess;
    let initiator: SeppProcess;

    beforeAll(async () => {
      producer = await TappedProducer.start('udm1');
      const config = n32fResponderYaml(certA, pki, producer.port);
      config.sepp.targetApiRootSupported = false;
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-no-apiroot', config));
      initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-no-apiroot', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
      const agreed = await initiator.waitForPeerState(FQDN_A, 'tls-established');
      expect(agreed.negotiation).toMatchObject({ targetApiRootSupported: false });
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
      await producer?.close();
    });

    it('an NF request gets 502 N32F_MECHANISM_UNAVAILABLE and nothing crosses N32', async () => {
      const nf = await NfClient.connect(initiator.port('sbi'));
      try {
        const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } });
        expect(expectProblemAnswer(answer, 502, 'N32F_MECHANISM_UNAVAILABLE').detail).toMatch(/3GppSbiTargetApiRootSupported/);
      } finally {
        nf.close();
      }
      expect(producer.seen).toHaveLength(0);
      expect((await connections(responder)).map((c) => c.n32fRequests)).toEqual([0]);
    });
  });

  describe('a peer in failed state (no common mechanism: the initiator offers TLS, the responder supports PRINS only)', () => {
    let producer: TappedProducer;
    let responder: SeppProcess;
    let initiator: SeppProcess;
    const establishTimeoutMs = 3_000;

    beforeAll(async () => {
      producer = await TappedProducer.start('udm1');
      const responderConfig = n32fResponderYaml(certA, pki, producer.port, { responderN32: { capabilities: ['PRINS'] } });
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-failed', responderConfig));
      // Back-off that grows quickly: after a few failures the next scheduled retry is seconds away,
      // so a negotiation seen right after an NF request is the one that request triggered.
      initiator = await SeppProcess.ready(
        'initiator',
        writeYaml(
          pki.dir,
          'initiator-failed',
          n32fInitiatorYaml(certB, pki, responder.port('n32'), {
            initiatorN32: { capabilities: ['TLS'], retry: { initialDelayMs: 300, maxDelayMs: 60_000 } },
            initiatorN32f: { establishTimeoutMs },
          }),
        ),
      );
      await initiator.waitForPeer(FQDN_A, 'failed 4 times', (p) => p.state === 'failed' && p.attempts >= 4, 15_000);
      await responder.waitForPeerState(FQDN_B, 'failed');
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
      await producer?.close();
    });

    it('a TLS-mode N32-f request from that peer is 403 at the pSEPP', async () => {
      const raw = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
      try {
        const answer = asNf(await raw.request('GET', AM_DATA, undefined, { [TARGET_HEADER]: udmApiRoot(producer.port) }));
        expect(expectProblemAnswer(answer, 403, 'UNSPECIFIED').detail).toBe(`no peer with an agreed mechanism matches the certificate (${FQDN_B})`);
      } finally {
        raw.close();
      }
      expect(producer.seen).toHaveLength(0);
    });

    it('an NF request triggers a renegotiation; when it fails the NF gets 503 N32_NOT_ESTABLISHED with the reason, within establishTimeoutMs', async () => {
      const peer = await initiator.waitForPeer(FQDN_A, 'failed', (p) => p.state === 'failed');
      // Past the initial back-off delay (a request right after a failure does not bypass it).
      await sleep(Math.max(0, Date.parse(peer.since) + 400 - Date.now()));
      const from = initiator.lines.length;
      const negotiationsBefore = responder.lines.filter((l) => l.msg === 'security capability negotiation').length;
      const nf = await NfClient.connect(initiator.port('sbi'));
      let answer: NfAnswer;
      try {
        answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: establishTimeoutMs + 2_000 });
      } finally {
        nf.close();
      }
      const body = expectProblemAnswer(answer, 503, 'N32_NOT_ESTABLISHED');
      expect(body.detail).toContain(FQDN_A);
      expect(body.detail).toContain('NO_COMMON_MECHANISM');
      // 503 with the negotiation's reason, not the 504 of n32f.establishTimeoutMs: the wait ended on the failure
      // (no wall-clock bound on the whole request: a loaded machine stretches what comes after).
      expect(await initiator.waitForLog('the negotiation it triggered', (l) => l.msg === 'negotiating', 5_000, from)).toMatchObject({ peer: FQDN_A, reason: 'N32-f traffic without an agreed mechanism' });
      await responder.waitForLines('security capability negotiation', (l) => l.msg === 'security capability negotiation', negotiationsBefore + 1);
      expect(producer.seen).toHaveLength(0);
    });
  });

  describe('a responder that is not up yet', () => {
    let producer: TappedProducer;
    let responder: SeppProcess | undefined;
    let initiator: SeppProcess;
    let port: number;
    const establishTimeoutMs = 10_000;

    beforeEach(async () => {
      producer = await TappedProducer.start('udm1');
      port = await freePort();
      initiator = await SeppProcess.ready(
        'initiator',
        writeYaml(
          pki.dir,
          'initiator-late',
          n32fInitiatorYaml(certB, pki, port, {
            // The N32 connection attempt may take as long as the whole bound.
            initiatorN32: { retry: { initialDelayMs: 200, maxDelayMs: 60_000 }, requestTimeoutMs: establishTimeoutMs },
            initiatorN32f: { establishTimeoutMs },
          }),
        ),
      );
    });

    afterEach(async () => {
      await initiator?.stop();
      await responder?.stop();
      responder = undefined;
      await producer?.close();
    });

    const startResponder = async (): Promise<SeppProcess> => {
      const config = n32fResponderYaml(certA, pki, producer.port);
      config.n32.listen = { host: '127.0.0.1', port };
      responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-late', config));
      return responder;
    };

    it('started after the initiator gave up for now: the next NF request triggers the negotiation and succeeds', async () => {
      // After 5 failures the next scheduled retry is >= 2.5 s away: time enough to start the responder.
      await initiator.waitForPeer(FQDN_A, 'failed 5 times', (p) => p.state === 'failed' && p.lastError?.reason === 'CONNECTION_FAILED' && p.attempts >= 5, 15_000);
      await startResponder();
      const peer = await initiator.peer(FQDN_A);
      expect(peer?.state).toBe('failed');
      await sleep(Math.max(0, Date.parse(peer!.since) + 400 - Date.now()));
      const from = initiator.lines.length;
      const nf = await NfClient.connect(initiator.port('sbi'));
      try {
        const answer = await nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: establishTimeoutMs + 2_000 });
        expect(answer.status).toBe(200);
        expect(answer.json).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
        // A 200, not the 504 of n32f.establishTimeoutMs: the agreement came within the bound.
      } finally {
        nf.close();
      }
      expect(await initiator.waitForLog('the negotiation it triggered', (l) => l.msg === 'negotiating', 5_000, from)).toMatchObject({ reason: 'N32-f traffic without an agreed mechanism' });
      expect((await initiator.peer(FQDN_A))?.state).toBe('tls-established');
      expect(producer.stats().total).toBe(1);
    });

    it('reachable but not answering yet (a host still coming up): the request waits for the negotiation it triggered and succeeds within the bound', async () => {
      const down = await initiator.waitForPeer(FQDN_A, 'failed 5 times', (p) => p.state === 'failed' && p.lastError?.reason === 'CONNECTION_FAILED' && p.attempts >= 5, 15_000);
      // The address now takes connections but nothing answers on them until the responder runs.
      const gate = await HoldingPort.listen(port);
      try {
        await sleep(Math.max(0, Date.parse(down.since) + 400 - Date.now()));
        const from = initiator.lines.length;
        const nf = await NfClient.connect(initiator.port('sbi'));
        try {
          let answered = false;
          const pending = nf.request({ path: AM_DATA, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: establishTimeoutMs + 2_000 });
          void pending.then(() => (answered = true), () => (answered = true));
          await initiator.waitForLog('the negotiation the request triggered', (l) => l.msg === 'negotiating' && l['reason'] === 'N32-f traffic without an agreed mechanism', 5_000, from);
          // The responder starts only now, while the request waits.
          const config = n32fResponderYaml(certA, pki, producer.port);
          responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-late', config));
          expect(answered).toBe(false);
          gate.forwardTo(responder.port('n32'));
          const answer = await pending;
          expect({ status: answer.status, body: answer.text.slice(0, 300) }).toMatchObject({ status: 200 });
          expect(answer.json).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
          // A 200, not the 504 of n32f.establishTimeoutMs: the agreement came within the bound (the
          // forwarding after it is not timed: a loaded machine stretches it).
        } finally {
          nf.close();
        }
        // One negotiation: the one the request triggered, on the connection that waited.
        expect(initiator.lines.slice(from).filter((l) => l.msg === 'negotiating')).toHaveLength(1);
        expect(producer.stats().total).toBe(1);
      } finally {
        await gate.close();
      }
    });
  });
});
