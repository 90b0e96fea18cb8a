import { N32C_PATHS, N32F_PROCESS_PATH } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, initiatorYaml, responderYaml, writeYaml } from './support/configs';
import { H2Client, type H2Answer } from './support/h2-client';
import type { CertFiles, TestPki } from './support/pki';
import { expectNoServerBanner, expectProblem } from './support/problem';
import { freePort } from './support/ports';
import { SeppProcess, type PeerView } from './support/sepp-process';

jest.setTimeout(60_000);

/** Methods an N32 resource never takes (CONNECT needs other pseudo-headers in HTTP/2 and is not an origin request). */
const OTHER_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'HEAD'] as const;
const N32C_RESOURCES = [N32C_PATHS.exchangeCapability, N32C_PATHS.exchangeParams, N32C_PATHS.n32fTerminate, N32C_PATHS.n32fError];

/**
 * TS 33.117 4.3.4.3 TC_NO_UNUSED_HTTP_METHODS: the N32 API takes the methods TS 29.573 defines and
 * nothing else. Every N32-c resource is POST only: any other method gets `405` problem+json with
 * `Allow: POST` (it used to be Fastify's 404), on the responder's N32 listener and on the
 * initiator's. `/n32f-forward/v1/n32f-process` takes POST and OPTIONS (TS 29.573: `204`, with the
 * content codings accepted); other methods get `405` with `Allow: POST, OPTIONS`. Paths that are
 * no resource keep their 404. Nothing changes any peer state, and each 405 is logged.
 */
describe('TC_NO_UNUSED_HTTP_METHODS', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let before: PeerView[];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    const responderConfig = { ...responderYaml(certA, pki), n32f: { listen: { host: '127.0.0.1', port: 0 } } };
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', responderConfig));
    // The initiator only for its own N32 listener (n32f-error, n32f-terminate): its peer address
    // leads nowhere, so the responder's peer state stays as it is.
    const [initiatorN32, nowhere] = await Promise.all([freePort(), freePort()]);
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', initiatorYaml(certB, pki, nowhere, { listen: { host: '127.0.0.1', port: initiatorN32 } })));
    before = await responder.peers();
  });

  afterAll(async () => {
    await initiator?.stop();
    await responder?.stop();
  });

  async function send(sepp: SeppProcess, listener: string, cert: CertFiles, servername: string, method: string, path: string, body?: string): Promise<H2Answer> {
    const client = await H2Client.open(sepp.port(listener), servername, pki.clientTls(cert));
    try {
      return await client.request(method, path, body, body === undefined ? {} : { 'content-type': 'application/json' });
    } finally {
      client.close();
    }
  }

  /** 405, `Allow`, and (but for HEAD) a problem+json body naming the method. */
  function expect405(answer: H2Answer, method: string, allow: string): void {
    expect({ status: answer.status, allow: answer.headers['allow'] }).toEqual({ status: 405, allow });
    expectNoServerBanner(answer);
    if (method === 'HEAD') {
      expect(answer.text).toBe('');
      return;
    }
    const problem = expectProblem(answer, 405);
    expect(problem).toMatchObject({ title: 'Method Not Allowed', cause: 'UNSPECIFIED', detail: expect.stringContaining(method) });
    expect(problem.invalidParams).toEqual([{ param: 'header :method', reason: expect.stringContaining('POST') }]);
  }

  describe('N32-c resources on the responder (N32 listener)', () => {
    const cases = N32C_RESOURCES.flatMap((path) => OTHER_METHODS.map((method) => [method, path] as const));
    it.each(cases)('%s %s -> 405 problem+json, Allow: POST', async (method, path) => {
      const from = responder.lines.length;
      expect405(await send(responder, 'n32', certB, FQDN_A, method, path, method === 'PUT' || method === 'PATCH' ? '{}' : undefined), method, 'POST');
      if (method !== 'HEAD') {
        const logged = await responder.waitForLog('the refusal', (l) => l.msg === 'request refused' && l['status'] === 405 && l['method'] === method && l['url'] === path, 5_000, from);
        expect(logged).toMatchObject({ level: 'info', remoteAddress: '127.0.0.1' });
      }
    });

    it('a query string does not hide the resource: GET exchange-capability?x=1 -> 405', async () => {
      expect405(await send(responder, 'n32', certB, FQDN_A, 'GET', `${N32C_PATHS.exchangeCapability}?x=1`), 'GET', 'POST');
    });

    it('paths that are no resource keep their 404 (GET and POST)', async () => {
      for (const method of ['GET', 'POST']) {
        const answer = await send(responder, 'n32', certB, FQDN_A, method, '/n32c-handshake/v1/no-such-resource', method === 'POST' ? '{}' : undefined);
        expect(expectProblem(answer, 404).cause).toBe('RESOURCE_URI_STRUCTURE_NOT_FOUND');
        expect(answer.headers['allow']).toBeUndefined();
      }
    });
  });

  describe('N32-c resources on the initiator (its N32 listener: n32f-error, n32f-terminate)', () => {
    it.each([N32C_PATHS.n32fError, N32C_PATHS.n32fTerminate].flatMap((path) => ['GET', 'PUT', 'DELETE', 'OPTIONS'].map((method) => [method, path] as const)))(
      '%s %s -> 405, Allow: POST',
      async (method, path) => {
        expect405(await send(initiator, 'n32', certA, FQDN_B, method, path), method, 'POST');
      },
    );

    it('exchange-capability is no resource of the initiator: 404, not 405', async () => {
      expect(expectProblem(await send(initiator, 'n32', certA, FQDN_B, 'GET', N32C_PATHS.exchangeCapability), 404).cause).toBe('RESOURCE_URI_STRUCTURE_NOT_FOUND');
    });
  });

  describe('n32f-process (TS 29.573 JOSEProtectedMessageForwarding)', () => {
    it.each(['n32', 'n32f'])('OPTIONS on the %s listener -> 204, Accept-Encoding: identity, no body', async (listener) => {
      const answer = await send(responder, listener, certB, FQDN_A, 'OPTIONS', N32F_PROCESS_PATH);
      expect(answer.status).toBe(204);
      expect(answer.headers['accept-encoding']).toBe('identity');
      expect(answer.headers['allow']).toBe('POST, OPTIONS');
      expect(answer.text).toBe('');
      expectNoServerBanner(answer);
    });

    it.each(['GET', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'HEAD'].flatMap((method) => ['n32', 'n32f'].map((listener) => [method, listener] as const)))(
      '%s on the %s listener -> 405 problem+json, Allow: POST, OPTIONS',
      async (method, listener) => {
        const from = responder.lines.length;
        const answer = await send(responder, listener, certB, FQDN_A, method, N32F_PROCESS_PATH, method === 'PUT' || method === 'PATCH' ? '{}' : undefined);
        expect({ status: answer.status, allow: answer.headers['allow'] }).toEqual({ status: 405, allow: 'POST, OPTIONS' });
        if (method !== 'HEAD') {
          const problem = expectProblem(answer, 405);
          expect(problem.invalidParams).toEqual([{ param: 'header :method', reason: 'must be POST or OPTIONS' }]);
        }
        const logged = await responder.waitForLog('the refusal', (l) => l.msg === 'n32f-process refused' && l['status'] === 405 && l['method'] === method, 5_000, from);
        expect(logged['remoteAddress']).toBe('127.0.0.1');
      },
    );

    it('POST is still n32f-process (control): a body that is no N32fReformattedReqMsg is a 400, not a 405', async () => {
      const answer = await send(responder, 'n32', certB, FQDN_A, 'POST', N32F_PROCESS_PATH, '{}');
      expect(expectProblem(answer, 400).invalidParams?.map((p) => p.param)).toContain('/reformattedData');
    });

    it('other paths under /n32f-forward/v1/ are no resource: 404, not 405', async () => {
      for (const method of ['GET', 'POST']) {
        const answer = await send(responder, 'n32', certB, FQDN_A, method, '/n32f-forward/v1/other', method === 'POST' ? '{}' : undefined);
        expect(expectProblem(answer, 404).cause).toBe('RESOURCE_URI_STRUCTURE_NOT_FOUND');
        expect(answer.headers['allow']).toBeUndefined();
      }
    });
  });

  /**
   * TS 29.500 5.2.7.2: a URI no resource of ours answers to is a 404 problem+json. On the N32 port
   * every path outside the SEPP's own APIs is N32-f in TLS mode (an SBI path toward a local NF),
   * but a path under /n32c-handshake/, /n32f-forward/ or /nsepp-telescopic/ is ours: another API
   * version or resource is never taken for N32-f (it used to get N32-f's 403 N32F_NOT_AGREED).
   */
  describe('unknown API versions and resources on the N32 ports: 404', () => {
    const UNKNOWN = [
      '/n32c-handshake/v2/exchange-capability',
      '/n32c-handshake/v2/exchange-params?x=1',
      '/n32c-handshake/exchange-capability',
      '/n32f-forward/v2/n32f-process',
      '/n32f-forward/v1/n32f-process/extra',
      '/nsepp-telescopic/v1/mapping?foreign-fqdn=udm1.5gc.mnc001.mcc001.3gppnetwork.org',
      '/n32c-handshake',
    ];
    it.each(UNKNOWN.flatMap((path) => ['GET', 'POST'].flatMap((method) => ['n32', 'n32f'].map((listener) => [method, path, listener] as const))))(
      'responder: %s %s on the %s listener -> 404 RESOURCE_URI_STRUCTURE_NOT_FOUND',
      async (method, path, listener) => {
        const answer = await send(responder, listener, certB, FQDN_A, method, path, method === 'POST' ? '{}' : undefined);
        expect({ status: answer.status, allow: answer.headers['allow'] }).toEqual({ status: 404, allow: undefined });
        expect(expectProblem(answer, 404).cause).toBe('RESOURCE_URI_STRUCTURE_NOT_FOUND');
        expectNoServerBanner(answer);
      },
    );

    it.each(UNKNOWN.flatMap((path) => ['GET', 'POST'].map((method) => [method, path] as const)))('initiator: %s %s on its N32 listener -> 404', async (method, path) => {
      const answer = await send(initiator, 'n32', certA, FQDN_B, method, path, method === 'POST' ? '{}' : undefined);
      expect(expectProblem(answer, 404).cause).toBe('RESOURCE_URI_STRUCTURE_NOT_FOUND');
    });

    it('an SBI path is still N32-f (control): a sender that is no peer gets N32-f\'s 403, not a 404', async () => {
      const stranger = await pki.sepp({ mcc: '003', mnc: '03' });
      for (const listener of ['n32', 'n32f']) {
        const answer = await send(responder, listener, stranger, FQDN_A, 'GET', '/nudm-sdm/v2/imsi-001010000000001/am-data');
        expect(expectProblem(answer, 403).detail).toMatch(/no peer with an agreed mechanism/);
      }
    });
  });

  it('no request above changed a peer or was logged as our failure', async () => {
    expect(await responder.peers()).toEqual(before);
    expect(responder.lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    expect(responder.lines.filter((l) => l.msg === 'security capability negotiation')).toEqual([]);
  });

  it('POST is still served (control, last: it changes the peer): exchange-capability answers 200', async () => {
    const client = await H2Client.open(responder.port('n32'), FQDN_A, pki.clientTls(certB));
    try {
      const answer = await client.postJson(N32C_PATHS.exchangeCapability, { sender: FQDN_B, supportedSecCapabilityList: ['TLS'] });
      expect(answer.status).toBe(200);
    } finally {
      client.close();
    }
  });
});
