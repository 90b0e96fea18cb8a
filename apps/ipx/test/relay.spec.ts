import type { ClientHttp2Session } from 'node:http2';
import {
  base64urlDecode,
  decryptFlattenedJwe,
  ipxKeysFromSecInfo,
  N32F_PROCESS_PATH,
  processModifications,
  rebuildRequest,
  rebuildResponse,
  verifyModificationsBlock,
  type DataToIntegrityProtectBlockData,
  type FlatJwsJsonData,
  type IpxProviderSecInfoData,
  type N32fReformattedReqMsgData,
} from '@sepp/protocol';
import { startIpxApp, type RunningIpx } from '../src/bootstrap/run-ipx-app';
import { loadIpxConfig } from '../src/config/load-ipx-config';
import { createIpxLogger } from '../src/logging/logger';
import { RelayService } from '../src/relay/relay.service';
import { IpxStatusService } from '../src/status/ipx-status.service';
import { FakeNextHop } from './support/fake-next-hop';
import { h2Request, h2Session } from './support/h2';
import { AUSF_PATH, createRig, IPX_FQDN, LogLines, POLICY, protectedAnswers, protectRequest, SEPP_A, SEPP_B, writeConfig, type Protected, type Rig } from './support/rig';

const POST = { ':method': 'POST', ':path': N32F_PROCESS_PATH, 'content-type': 'application/json' };
const payloadOf = (jws: FlatJwsJsonData): { identity: string; operations: unknown; tag: string } => JSON.parse(base64urlDecode(jws.payload).toString('utf8'));

describe('apps/ipx: the N32-f relay (in-process, against a fake next hop)', () => {
  let rig: Rig;
  let nextHop: FakeNextHop;
  let ipx: RunningIpx;
  let logs: LogLines;
  let client: ClientHttp2Session;
  let keys: Map<string, import('node:crypto').KeyObject[]>;
  const answers: Protected[] = [];

  async function start(overrides: Record<string, unknown> = {}): Promise<void> {
    logs = new LogLines();
    ipx = await startIpxApp(loadIpxConfig(writeConfig(rig, nextHop.port, overrides)), createIpxLogger('info', logs));
    client = await h2Session(ipx.addresses.n32f.port, { ca: rig.pki.ca.certPem, cert: rig.seppA.certPem, key: rig.seppA.keyPem, servername: IPX_FQDN });
  }

  async function stop(): Promise<void> {
    client.close();
    await ipx.close();
  }

  beforeAll(async () => {
    rig = await createRig();
    nextHop = await FakeNextHop.start(rig.seppB, rig.pki.ca.certPem, protectedAnswers(answers));
  });
  afterAll(async () => {
    await nextHop.close();
  });

  describe('no rule matches', () => {
    beforeAll(() => start({ rules: [{ apiPath: '/nudm-sdm/v2/{supi}/am-data', direction: 'request', operations: [{ op: 'remove', path: '/headers/0' }] }] }));
    afterAll(stop);

    it('appends exactly one JWS (operations null) to each message and never touches reformattedData', async () => {
      const sent = protectRequest();
      const wire = JSON.stringify(sent.body);
      const before = nextHop.received.length;
      const answer = await h2Request(client, POST, wire);
      expect(answer.status).toBe(200);

      // Toward the pSEPP: the cSEPP's reformattedData byte for byte, one JWS of ours.
      expect(nextHop.received).toHaveLength(before + 1);
      const relayed = nextHop.received[before]!;
      const relayedBody = relayed.json as N32fReformattedReqMsgData;
      expect(JSON.stringify(relayedBody.reformattedData)).toBe(JSON.stringify(sent.body.reformattedData));
      expect(relayedBody.modificationsBlock).toHaveLength(1);
      expect(payloadOf(relayedBody.modificationsBlock![0]!)).toEqual({ identity: IPX_FQDN, operations: null, tag: sent.body.reformattedData.tag });
      expect(base64urlDecode(relayedBody.modificationsBlock![0]!.signature)).toHaveLength(64);
      expect(relayed.headers['user-agent']).toBe(`IPX-${IPX_FQDN}`);
      expect(relayed.headers[':authority']).toBe(`${SEPP_B}:${nextHop.port}`);
      expect(relayed.servername).toBe(SEPP_B);
      expect(relayed.clientSan).toBe(`DNS:${IPX_FQDN}`);

      // Back toward the cSEPP: the pSEPP's reformattedData untouched, one JWS of ours.
      const protectedAnswer = answers[answers.length - 1]!;
      const body = answer.json as N32fReformattedReqMsgData;
      expect(JSON.stringify(body.reformattedData)).toBe(JSON.stringify(protectedAnswer.body.reformattedData));
      expect(body.modificationsBlock).toHaveLength(1);
      expect(payloadOf(body.modificationsBlock![0]!)).toEqual({ identity: IPX_FQDN, operations: null, tag: protectedAnswer.body.reformattedData.tag });

      // Both verify with the key the SEPPs got from the IPX's sec-info, and nothing else.
      expect(verifyModificationsBlock({ block: relayedBody.modificationsBlock, jweTag: sent.body.reformattedData.tag, authorizedIpxId: IPX_FQDN, keysByIdentity: keys })).toEqual([{ identity: IPX_FQDN, operations: [] }]);
      expect(verifyModificationsBlock({ block: body.modificationsBlock, jweTag: protectedAnswer.body.reformattedData.tag, authorizedIpxId: IPX_FQDN, keysByIdentity: keys })).toHaveLength(1);
    });

    it('logs one line per message and direction, naming the rules applied and the identity', () => {
      const lines = logs.with('modifications signed');
      expect(lines.map((line) => line['direction'])).toEqual(['request', 'response']);
      for (const line of lines) expect(line).toMatchObject({ identity: IPX_FQDN, rules: [], operations: 0, api: `POST ${AUSF_PATH}`, modificationsBlock: 1 });
    });

    it('serves /healthz, /readyz and the IPX security information on the admin listener', async () => {
      const admin = `http://127.0.0.1:${ipx.addresses.admin.port}`;
      expect((await fetch(`${admin}/healthz`)).status).toBe(200);
      const ready = await fetch(`${admin}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', listeners: { admin: 'up', n32f: 'up' } });
      const info = (await (await fetch(`${admin}/admin/sec-info`)).json()) as { ipxProviderSecInfo: IpxProviderSecInfoData; publicKeyPem: string };
      expect(info.ipxProviderSecInfo.ipxProviderId).toBe(IPX_FQDN);
      expect(info.publicKeyPem).toContain('BEGIN PUBLIC KEY');
      expect(ipxKeysFromSecInfo([info.ipxProviderSecInfo]).invalid).toEqual([]);
    });
  });

  describe('request and response rules', () => {
    beforeAll(() =>
      start({
        rules: [
          {
            name: 'route-tag',
            apiPath: '/nausf-auth/v1/ue-authentications',
            method: 'POST',
            direction: 'request',
            operations: [
              { op: 'test', path: '/headers/2/header', value: 'x-ipx-route' },
              { op: 'replace', path: '/headers/2/value', value: 'via-ipx' },
            ],
          },
          { name: 'auth-type', apiPathPattern: '^/nausf-auth/', direction: 'response', operations: [{ op: 'replace', path: '/payload/0/value', value: 'EAP_AKA_PRIME' }] },
          { name: 'never', apiPath: '/**', method: 'DELETE', direction: 'request', operations: [{ op: 'remove', path: '/headers/0' }] },
        ],
      }),
    );
    afterAll(stop);

    it('the pSEPP verifies the JWE over the original AAD, then applies the verified IPX patch', async () => {
      const sent = protectRequest();
      const before = nextHop.received.length;
      const answer = await h2Request(client, { ...POST, '3gpp-sbi-message-priority': '5' }, JSON.stringify(sent.body));
      expect(answer.status).toBe(200);

      const relayed = nextHop.received[before]!;
      expect(relayed.headers['3gpp-sbi-message-priority']).toBe('5');
      const body = relayed.json as N32fReformattedReqMsgData;
      const { plaintext } = decryptFlattenedJwe(body.reformattedData, sent.key, { enc: 'A128GCM', salt: sent.salt });
      const { dataToEncrypt } = JSON.parse(plaintext.toString('utf8')) as { dataToEncrypt: unknown[] };
      const aad = JSON.parse(base64urlDecode(body.reformattedData.aad!).toString('utf8')) as DataToIntegrityProtectBlockData;
      expect(aad).toEqual(sent.aad);
      const processed = processModifications({
        block: body.modificationsBlock,
        jweTag: body.reformattedData.tag,
        authorizedIpxId: aad.metaData!.authorizedIpxId,
        keysByIdentity: keys,
        aad,
        policyFor: () => POLICY,
        confidentialValues: dataToEncrypt,
      });
      expect(processed.changes.map((change) => `${change.identity}: ${change.op} ${change.path} (${change.ie})`)).toEqual([
        `${IPX_FQDN}: test /headers/2/header (read)`,
        `${IPX_FQDN}: replace /headers/2/value (header x-ipx-route)`,
      ]);
      expect(rebuildRequest(processed.aad, dataToEncrypt).headers.find(([name]) => name === 'x-ipx-route')).toEqual(['x-ipx-route', 'via-ipx']);

      // The answer: the response rule, checked by the cSEPP with the request it sent.
      const protectedAnswer = answers[answers.length - 1]!;
      const rsp = answer.json as N32fReformattedReqMsgData;
      const rspAad = JSON.parse(base64urlDecode(rsp.reformattedData.aad!).toString('utf8')) as DataToIntegrityProtectBlockData;
      const decrypted = decryptFlattenedJwe(rsp.reformattedData, protectedAnswer.key, { enc: 'A128GCM', salt: protectedAnswer.salt });
      const rspProcessed = processModifications({
        block: rsp.modificationsBlock,
        jweTag: rsp.reformattedData.tag,
        authorizedIpxId: IPX_FQDN,
        keysByIdentity: keys,
        aad: rspAad,
        policyFor: () => POLICY,
        request: { method: 'POST', path: AUSF_PATH },
      });
      const rebuilt = rebuildResponse(rspProcessed.aad, (JSON.parse(decrypted.plaintext.toString('utf8')) as { dataToEncrypt: unknown[] }).dataToEncrypt);
      expect(JSON.parse(rebuilt.body!.toString('utf8'))).toMatchObject({ authType: 'EAP_AKA_PRIME' });

      const lines = logs.with('modifications signed');
      expect(lines[lines.length - 2]).toMatchObject({ direction: 'request', rules: ['route-tag'], operations: 2, identity: IPX_FQDN });
      expect(lines[lines.length - 1]).toMatchObject({ direction: 'response', rules: ['auth-type'], operations: 1, identity: IPX_FQDN });
    });

    it('relays an error of the next hop as it is (status, content type, body)', async () => {
      const previous = nextHop.script;
      const problem = JSON.stringify({ title: 'Forbidden', status: 403, cause: 'INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED', suggestedStatusCode: 500 });
      nextHop.script = () => ({ status: 403, headers: { 'content-type': 'application/problem+json', 'retry-after': '5' }, body: problem });
      try {
        const answer = await h2Request(client, POST, JSON.stringify(protectRequest().body));
        expect(answer.status).toBe(403);
        expect(answer.headers['content-type']).toBe('application/problem+json');
        expect(answer.headers['retry-after']).toBe('5');
        expect(answer.text).toBe(problem);
      } finally {
        nextHop.script = previous;
      }
    });

    it('refuses a 200 answer that is not a protected message (502), rather than relay it unsigned', async () => {
      const previous = nextHop.script;
      nextHop.script = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"hello":"world"}' });
      try {
        const answer = await h2Request(client, POST, JSON.stringify(protectRequest().body));
        expect(answer.status).toBe(502);
        expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(answer.json).toMatchObject({ status: 502, cause: 'N32F_PROTECTION_FAILED' });
      } finally {
        nextHop.script = previous;
      }
    });

    it('refuses what is not an n32f-process message before anything is forwarded', async () => {
      const before = nextHop.received.length;
      const notJson = await h2Request(client, POST, '{"reformattedData":');
      expect(notJson.status).toBe(400);
      const wrongShape = await h2Request(client, POST, JSON.stringify({ reformattedData: 'x' }));
      expect(wrongShape.status).toBe(400);
      expect(wrongShape.json).toMatchObject({ status: 400 });
      const noAad = await h2Request(client, POST, JSON.stringify({ reformattedData: { ciphertext: 'AA' } }));
      expect(noAad.status).toBe(400);
      expect(noAad.json).toMatchObject({ cause: 'INVALID_MSG_FORMAT' });
      const form = await h2Request(client, { ...POST, 'content-type': 'application/x-www-form-urlencoded' }, 'reformattedData=x');
      expect(form.status).toBe(415);
      const get = await h2Request(client, { ':method': 'GET', ':path': N32F_PROCESS_PATH });
      expect(get.status).toBe(404);
      const options = await h2Request(client, { ':method': 'OPTIONS', ':path': N32F_PROCESS_PATH });
      expect(options.status).toBe(204);
      expect(nextHop.received).toHaveLength(before);
    });

    it('relays each message without the framework, with the answers of the Nest route (which serves a query string)', async () => {
      const service = ipx.relay.get(RelayService);
      const status = ipx.relay.get(IpxStatusService);
      const relay = service.relay.bind(service);
      const callers: string[] = [];
      const spy = jest.spyOn(service, 'relay').mockImplementation((...args) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 50;
        callers.push(new Error().stack ?? '');
        Error.stackTraceLimit = limit;
        return relay(...args);
      });
      const viaNest = { ...POST, ':path': `${N32F_PROCESS_PATH}?via=nest` };
      const counts = (): { answered: number; refused: Record<string, number> } => {
        const { answered, refused } = status.traffic.view(SEPP_A, 'inbound');
        return { answered, refused: { ...refused } };
      };
      try {
        const before = counts();
        const received = nextHop.received.length;
        const fast = await h2Request(client, POST, JSON.stringify(protectRequest().body));
        const nest = await h2Request(client, viaNest, JSON.stringify(protectRequest().body));
        for (const answer of [fast, nest]) {
          expect(answer.status).toBe(200);
          expect(answer.headers['content-type']).toBe('application/json');
          expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.text));
          expect((answer.json as N32fReformattedReqMsgData).modificationsBlock).toHaveLength(1);
        }
        expect(nextHop.received.map((request) => request.headers[':path']).slice(received)).toEqual([N32F_PROCESS_PATH, `${N32F_PROCESS_PATH}?via=nest`]);
        // Who called the relay: the listener's fast path (no Nest router), then the Nest route.
        expect(callers).toHaveLength(2);
        expect(callers[0]).toMatch(/json-post-fast-path/);
        expect(callers[0]).not.toMatch(/router-execution-context|fastify/);
        expect(callers[1]).toMatch(/router-execution-context/);

        // Refusals: the same problem on both paths, reported to the status page alike.
        const bodies = ['', '{"reformattedData":', '{"__proto__":{"x":1}}', JSON.stringify({ reformattedData: 'x' }), JSON.stringify({ reformattedData: { ciphertext: 'AA' } }), 'x'.repeat(2 * 1024 * 1024 + 1)];
        for (const body of bodies) {
          const one = await h2Request(client, POST, body);
          const other = await h2Request(client, viaNest, body);
          // (The framework adds `; charset=utf-8` to the media type, as it does to the SEPPs' problems.)
          const mediaType = (answer: typeof one): string => String(answer.headers['content-type']).split(';')[0]!;
          expect([one.status, mediaType(one), one.json]).toEqual([other.status, mediaType(other), other.json]);
          expect(one.status).toBeGreaterThanOrEqual(400);
          expect(one.status).toBeLessThan(500);
        }
        expect(callers).toHaveLength(2 + 2 * 2); // the parser and the body limit refuse the others before the relay is called
        const after = counts();
        expect(after.answered - before.answered).toBe(2);
        const refusedNow = Object.values(after.refused).reduce((sum, n) => sum + n, 0) - Object.values(before.refused).reduce((sum, n) => sum + n, 0);
        expect(refusedNow).toBe(2 * bodies.length);
      } finally {
        spy.mockRestore();
      }
    });
  });

  describe('mutual TLS on both hops', () => {
    afterEach(async () => {
      await ipx?.close();
    });

    it('refuses a client without a certificate or from an untrusted CA, and logs it', async () => {
      logs = new LogLines();
      ipx = await startIpxApp(loadIpxConfig(writeConfig(rig, nextHop.port)), createIpxLogger('info', logs));
      const port = ipx.addresses.n32f.port;
      const attempt = async (tls: object): Promise<string> => {
        try {
          const session = await h2Session(port, { ca: rig.pki.ca.certPem, servername: IPX_FQDN, ...tls });
          // TLS 1.3: the refusal of the client certificate arrives after the handshake.
          const outcome = await h2Request(session, POST, '{}').then(
            () => 'answered',
            (error: Error) => error.message,
          );
          session.destroy();
          return outcome;
        } catch (error) {
          return (error as Error).message;
        }
      };
      expect(await attempt({})).not.toBe('answered');
      const rogue = await rig.pki.rogue('rogue-sepp', ['sepp.5gc.mnc009.mcc009.3gppnetwork.org']);
      expect(await attempt({ cert: rogue.certPem, key: rogue.keyPem })).not.toBe('answered');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(logs.with('TLS handshake failed').length).toBeGreaterThanOrEqual(2);
    });

    it('answers 502 when the next hop does not present the forward.fqdn certificate', async () => {
      logs = new LogLines();
      ipx = await startIpxApp(loadIpxConfig(writeConfig(rig, nextHop.port, { forward: { address: `127.0.0.1:${nextHop.port}`, fqdn: 'sepp.5gc.mnc009.mcc009.3gppnetwork.org' } })), createIpxLogger('info', logs));
      const session = await h2Session(ipx.addresses.n32f.port, { ca: rig.pki.ca.certPem, cert: rig.seppA.certPem, key: rig.seppA.keyPem, servername: IPX_FQDN });
      try {
        const before = nextHop.received.length;
        const answer = await h2Request(session, POST, JSON.stringify(protectRequest().body));
        expect(answer.status).toBe(502);
        expect(answer.json).toMatchObject({ cause: 'N32_CONNECTION_LOST' });
        expect(nextHop.received).toHaveLength(before);
      } finally {
        session.close();
      }
    });
  });

  beforeAll(async () => {
    // The SEPPs' view of the IPX: its sec-info entry, as exchanged on N32-c.
    const { ipxSecInfo } = await import('../src/sec-info');
    const config = loadIpxConfig(writeConfig(rig, 1, {}, 'keys.yaml'));
    keys = ipxKeysFromSecInfo([ipxSecInfo(config).ipxProviderSecInfo]).keysByIdentity;
  });
});
