import { writeFileSync } from 'node:fs';
import type { ClientHttp2Session } from 'node:http2';
import fc from 'fast-check';
import { base64urlEncode, defaultProtectionPolicy, N32C_PATHS, N32F_PROCESS_PATH, toProtectionPolicyData, type N32fContext } from '@sepp/protocol';
import { FQDN_A, FQDN_B, PLMN_B, createPkiAB, writeYaml } from '../test/support/configs';
import { FakeResponder } from '../test/support/fake-responder';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER, UDM1_FQDN, udmApiRoot } from '../test/support/n32f';
import type { CertFiles, TestPki } from '../test/support/pki';
import { freePort } from '../test/support/ports';
import { SeppProcess } from '../test/support/sepp-process';
import {
  EXCLUDED_HEADERS,
  headerSet,
  httpRequestMessage,
  jsonBodies,
  jsonContentType,
  jsonEndpoint,
  methods,
  n32fContextInfo,
  n32fErrorInfo,
  nfBody,
  nfPath,
  partialRecord,
  secNegotiateReq,
  secParamExchReq,
  weirdString,
  hexString,
  mutated,
  type FuzzRequest,
} from './support/arbitraries';
import { h2cSession, HEAVY_BODY_BYTES, runFuzz, SessionPool, type FuzzStats } from './support/fuzz';
import { afterFullGc, memoryProbeEnv, type MemorySample } from './support/memory-probe';
import { ProcSampler } from './support/proc-stats';
import { runCase, type CaseRow } from './support/results';
import { openFuzzClient, SimPeer, type N32Client } from './support/sim-peer';

/**
 * Property-based fuzzing of every N32-c and N32-f endpoint of the real processes and of the
 * initiator's NF-facing listener: SEPP_FUZZ_RUNS generated requests per endpoint (default 5,000;
 * bodies and header sets from ./support/arbitraries.ts, sampled with fast-check from one seed,
 * printed; SEPP_FUZZ_SEED replays a run, SEPP_FUZZ_DUMP=<file> writes every request and answer).
 * Each request goes to the real listener with the certificate of a configured peer (so it gets past
 * TLS), CONCURRENCY in flight. The property, per request: an HTTP answer below 500 (a 5xx, a reset
 * stream or no answer within 10 s breaks it); per endpoint: the app alive, no error line and no
 * abuse event in its log, its RSS under RSS_BOUND_MB throughout (sampled every 250 ms), its heap
 * after a full GC at most KEPT_HEAP_BOUND_MB above the same before any fuzzing, and afterwards it
 * still negotiates (responder) or forwards an NF request (initiator).
 *
 * No 5xx is legitimate here but one: N32-f in TLS mode to the allowed producer never asks for one
 * of its deliberate 5xx or slow answers (`/status/5xx`, `/slow/`, `/bytes/` are not generated), and
 * no fault is injected; the exception is the documented `503 N32_NOT_ESTABLISHED` of TLS-mode
 * N32-f from the peer while it has no agreement (the responder's renegotiation with it cannot reach
 * it, or its rate limit holds the next attempt back: `noAgreementWithPeer` in support/fuzz.ts,
 * counted in the row's notes).
 */
jest.setTimeout(240_000);

const RUNS = Number(process.env['SEPP_FUZZ_RUNS'] ?? 5_000);
const SEED = Number(process.env['SEPP_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
/** Stated bound on the RSS of each app while it is fuzzed (sampled every 250 ms). */
const RSS_BOUND_MB = 512;
/** Stated bound on what an app keeps: its heap after a full GC, over the same before any fuzzing. */
const KEPT_HEAP_BOUND_MB = 32;
const N32_BODY_LIMIT = 65_536;
const CONCURRENCY = 48;

describe(`TC_BVT_ROBUSTNESS_AND_FUZZ_TESTING: fuzzing (fast-check, ${RUNS} requests per endpoint, seed ${SEED})`, () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let initiatorN32Port: number;
  let sinkF2: FakeResponder;
  let sinkF4: FakeResponder;
  /** F3's own N32-c server: the responder renegotiates there if F3's agreement goes while it sends N32-f. */
  let serverF3: FakeResponder;
  let sampler: ProcSampler;
  /** Memory after a full GC before any fuzzing. */
  let baseline: Record<'responder' | 'initiator', MemorySample>;
  /** F1: exchange-capability (ip-routing); F2: exchange-params, n32f-terminate, n32f-error (modifying); F3: TLS-mode N32-f (none); F4: n32f-process (modifying). */
  let f1: SimPeer;
  let f2: SimPeer;
  let f3: SimPeer;
  let f4: SimPeer;
  let prins: { context: N32fContext; client: N32Client } | null = null;
  const sealed: { bytes: Buffer; messageId: string }[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    [f1, f2, f3, f4] = await Promise.all([
      SimPeer.mint(pki, { mcc: '310', mnc: '01' }, 'ip-routing'),
      SimPeer.mint(pki, { mcc: '311', mnc: '01' }, 'modifying'),
      SimPeer.mint(pki, { mcc: '312', mnc: '01' }, 'none'),
      SimPeer.mint(pki, { mcc: '313', mnc: '01' }, 'modifying'),
    ]);
    producer = await TappedProducer.start('udm1');
    // Where the responder delivers n32f-error for the simulated PRINS peers (their own certificates).
    const sink = () => ({ status: 204, body: '' });
    sinkF2 = await FakeResponder.start(f2.cert, pki.ca.certPem, sink);
    sinkF4 = await FakeResponder.start(f4.cert, pki.ca.certPem, sink);
    serverF3 = await FakeResponder.start(f3.cert, pki.ca.certPem, (request) =>
      request.headers[':path'] === N32C_PATHS.exchangeCapability
        ? { status: 200, body: { sender: f3.fqdn, selectedSecCapability: 'TLS', '3GppSbiTargetApiRootSupported': true, plmnIdList: [f3.plmn], supportedFeatures: '0' } }
        : { status: 204, body: '' },
    );
    initiatorN32Port = await freePort();
    const responderConfig = n32fResponderYaml(certA, pki, producer.port, {
      responderN32: {
        peers: [
          { fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'none', address: `127.0.0.1:${initiatorN32Port}` },
          f1.entry(),
          f2.entry(`127.0.0.1:${sinkF2.port}`),
          f3.entry(`127.0.0.1:${serverF3.port}`),
          f4.entry(`127.0.0.1:${sinkF4.port}`),
        ],
      },
    });
    responderConfig.logging = { level: 'info' };
    // The fuzzer is one peer sending thousands of N32-c requests a second, over its default budget
    // (limits.n32cRateLimitPerPeer) at both SEPPs: what is fuzzed is what the handlers make of each input.
    const fuzzLimits = { n32cRateLimitPerPeer: 1_000_000 };
    responderConfig.limits = fuzzLimits;
    const probe = memoryProbeEnv(pki.dir);
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'fuzz-responder', responderConfig), probe);
    const initiatorConfig = n32fInitiatorYaml(certB, pki, responder.port('n32'), { initiatorN32: { listen: { host: '127.0.0.1', port: initiatorN32Port } } });
    initiatorConfig.logging = { level: 'info' };
    initiatorConfig.limits = fuzzLimits;
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'fuzz-initiator', initiatorConfig), probe);
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    baseline = { responder: await afterFullGc(responder), initiator: await afterFullGc(initiator) };
    sampler = new ProcSampler({ responder: responder.child.pid, initiator: initiator.child.pid }, 250);
  });

  afterAll(async () => {
    sampler?.stop();
    prins?.client.close();
    await initiator?.stop();
    await responder?.stop();
    await sinkF2?.close();
    await sinkF4?.close();
    await serverF3?.close();
    await producer?.close();
  });

  /** A session of a simulated peer on the responder's N32 listener, optionally prepared. */
  const peerSession = (peer: SimPeer, prepare?: (client: N32Client) => Promise<void>) => async (): Promise<ClientHttp2Session> => {
    const client = await peer.connectForFuzz(responder.port('n32'));
    if (prepare) await prepare(client);
    return client.session;
  };
  const negotiated = (peer: SimPeer, offered: string[], expected: string) => async (client: N32Client) => {
    const answer = await peer.negotiate(client, offered);
    if ((answer.json as { selectedSecCapability?: string } | undefined)?.selectedSecCapability !== expected) throw new Error(`${peer.fqdn}: expected ${expected}: ${answer.status} ${answer.text}`);
  };

  /** The responder still negotiates: a fresh connection of F1 offering [TLS] gets TLS. */
  async function responderStillNegotiates(): Promise<void> {
    const client = await f1.connect(responder.port('n32'));
    try {
      const answer = await f1.negotiate(client, ['TLS']);
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ sender: FQDN_A, selectedSecCapability: 'TLS' });
    } finally {
      client.close();
    }
  }

  /** The initiator still forwards: an NF request reaches the producer, and its peer is (back) in tls-established. */
  async function initiatorStillForwards(): Promise<void> {
    await initiator.waitForPeerState(FQDN_A, 'tls-established', 15_000);
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      const answer = await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data?after=fuzz', headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: 10_000 });
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ servedBy: 'udm1' });
    } finally {
      nf.close();
    }
  }

  /** Records and checks one endpoint's run. */
  async function report(row: CaseRow, stats: FuzzStats, app: SeppProcess, from: number, fromLine: number): Promise<void> {
    row.requests = stats.requests;
    // An error line in the app's log is an unexpected failure inside it, even when the answer was fine.
    const errorLines = app.lines.slice(fromLine).filter((l) => l.level === 'error' || l.level === 'fatal');
    if (errorLines.length) row.errors['app error log'] = errorLines.length;
    for (const line of errorLines.slice(0, 3)) row.notes.push(`${app.name} logged: ${JSON.stringify(line).slice(0, 1_500)}`);
    if (process.env['SEPP_FUZZ_DUMP']) {
      const lines = app.lines.slice(fromLine).filter((l) => l.level !== 'info' && l.level !== 'debug');
      writeFileSync(`${process.env['SEPP_FUZZ_DUMP']}.${row.name.replace(/\W+/g, '-')}.log`, lines.map((l) => JSON.stringify(l)).join('\n'));
    }
    // Connections the app closed or streams it reset as abuse (limits): the fuzzer must not trip them.
    const abuse = app.lines.slice(fromLine).filter((l) => l.msg === 'abuse');
    for (const line of abuse) row.errors[`abuse ${String(line['kind'])}`] = (row.errors[`abuse ${String(line['kind'])}`] ?? 0) + 1;
    for (const line of abuse.slice(0, 2)) row.notes.push(`${app.name} logged: ${JSON.stringify(line).slice(0, 400)}`);
    const statuses = Object.entries(stats.statuses).sort(([a], [b]) => Number(a) - Number(b));
    for (const [status, n] of statuses) if (Number(status) >= 400) row.errors[status] = n;
    Object.assign(row.errors, stats.violations);
    const samples = sampler.of(app.name).filter((s) => s.t >= from);
    const rss = samples.map((s) => s.rssMb);
    row.rss = rss.length ? { min: Math.min(...rss), max: Math.max(...rss) } : null;
    const fds = samples.map((s) => s.fds);
    row.fds = fds.length ? { min: Math.min(...fds), max: Math.max(...fds) } : null;
    row.notes.push(`${(stats.requests / (stats.ms / 1000)).toFixed(0)} req/s; statuses ${statuses.map(([s, n]) => `${s}×${n}`).join(' ')}; shapes ${Object.entries(stats.shapes).map(([s, n]) => `${s}×${n}`).join(' ')}`);
    for (const [info, n] of Object.entries(stats.info)) row.notes.push(`${info}: ${n}`);
    for (const example of stats.examples) row.notes.push(`violation: ${JSON.stringify(example).slice(0, 900)}`);
    // What the app keeps once the endpoint was fuzzed: the heap after a full GC, against before.
    const kept = await afterFullGc(app);
    const base = baseline[app.name as 'responder' | 'initiator'];
    row.notes.push(`after a full GC: heap ${kept.heapMb.toFixed(1)} MB (${base.heapMb.toFixed(1)} before any fuzzing), RSS ${kept.rssMb.toFixed(0)} MB`);
    expect({ violations: stats.violations, examples: stats.examples }).toEqual({ violations: {}, examples: [] });
    expect(errorLines).toEqual([]);
    expect(abuse).toEqual([]);
    expect(app.running).toBe(true);
    expect(row.rss?.max ?? 0).toBeLessThan(RSS_BOUND_MB);
    expect(kept.heapMb).toBeLessThan(base.heapMb + KEPT_HEAP_BOUND_MB);
    expect(stats.requests).toBe(RUNS);
  }

  const sample = (arbitrary: fc.Arbitrary<FuzzRequest>, offset: number): FuzzRequest[] => fc.sample(arbitrary, { numRuns: RUNS, seed: SEED + offset });
  const since = (): number => sampler.of('responder').at(-1)?.t ?? 0;

  it('N32-c exchange-capability (responder)', async () => {
    await runCase('fuzz', 'N32-c exchange-capability @responder', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const pool = new SessionPool(2, peerSession(f1));
      const stats = await runFuzz({ pool, cases: sample(jsonEndpoint(N32C_PATHS.exchangeCapability, secNegotiateReq(f1.fqdn, '310', '001'), N32_BODY_LIMIT), 1), concurrency: CONCURRENCY });
      pool.close();
      row.notes.push(`seed ${SEED} (SEPP_FUZZ_SEED=${SEED} replays this run), ${RUNS} requests per endpoint`);
      row.notes.push(`connections re-opened after the responder closed one (NONE / release answers): ${pool.reconnects}`);
      await report(row, stats, responder, from, lines.responder);
      await responderStillNegotiates();
    });
  });

  it('N32-c exchange-params (responder, PRINS selected on the connection)', async () => {
    await runCase('fuzz', 'N32-c exchange-params @responder', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const policy = toProtectionPolicyData(defaultProtectionPolicy()) as unknown as Record<string, unknown>;
      const known: string[] = [];
      const contextIds = (): string[] => known;
      // One connection: the responder binds PRINS to the connection it was selected on.
      const pool = new SessionPool(1, peerSession(f2, negotiated(f2, ['PRINS', 'TLS'], 'PRINS')));
      const stats = await runFuzz({
        pool,
        cases: sample(jsonEndpoint(N32C_PATHS.exchangeParams, secParamExchReq(f2.fqdn, policy, contextIds), N32_BODY_LIMIT), 2),
        concurrency: CONCURRENCY,
        batchSize: 250,
        // Re-select PRINS now and then, so that most requests meet the state they need (a valid
        // exchange in a batch establishes a context; a mismatch refuses it).
        beforeBatch: async (p) => {
          const [session] = await p.all();
          const answer = await new Promise<string>((resolve) => {
            const stream = session!.request({ ':method': 'POST', ':path': N32C_PATHS.exchangeCapability, 'content-type': 'application/json' });
            let text = '';
            stream.on('data', (c: Buffer) => (text += c.toString()));
            stream.on('close', () => resolve(text));
            stream.on('error', () => undefined);
            stream.end(JSON.stringify(f2.negotiateBody(['PRINS'])));
          });
          if (!answer.includes('"PRINS"')) throw new Error(`re-selecting PRINS failed: ${answer}`);
        },
        check: (_request, ending) => {
          const id = /"n32fContextId":"([0-9a-f]{16})"/.exec(ending.text)?.[1];
          if (ending.status === 200 && id) known.push(id);
          return null;
        },
      });
      pool.close();
      row.notes.push(`contexts the fuzzer got the responder to answer for: ${known.length}`);
      await report(row, stats, responder, from, lines.responder);
      await responderStillNegotiates();
    });
  });

  /** Context IDs of the responder's table (both peers), for the terminate and error cases. */
  async function responderContextIds(): Promise<string[]> {
    const answer = await responder.admin<{ contexts: { localContextId: string; remoteContextId: string }[] }>('/admin/contexts');
    return answer.body.contexts.flatMap((c) => [c.localContextId, c.remoteContextId]);
  }

  it('N32-f n32f-process (responder, PRINS context of the sender; sealed, tampered, replayed and raw messages)', async () => {
    await runCase('fuzz', 'N32-f n32f-process @responder', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const pool = new SessionPool(1, async () => {
        prins?.client.close();
        const client = await f4.connectForFuzz(responder.port('n32'));
        prins = { client, context: await f4.establishPrins(client) };
        return client.session;
      });
      await pool.all();
      const authority = `${UDM1_FQDN}:${producer.port}`;
      const contextId = (): string => prins!.context.remoteContextId;
      const seal = (message: Parameters<N32fContext['protectRequest']>[0]): { bytes: Buffer; messageId: string } => {
        const { body, messageId } = prins!.context.protectRequest(message);
        prins!.context.abandon(messageId);
        return { bytes: Buffer.from(JSON.stringify(body)), messageId };
      };
      /** How many times each sealed message (by messageId) was accepted: a replay must never be. */
      const accepted = new Map<string, number>();
      const tamper = (bytes: Buffer, at: number, field: string): Buffer => {
        const json = JSON.parse(bytes.toString()) as { reformattedData: Record<string, string> };
        const value = json.reformattedData[field] ?? '';
        const i = value.length ? at % value.length : 0;
        json.reformattedData[field] = value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1);
        return Buffer.from(JSON.stringify(json));
      };
      const meta = partialRecord({ n32fContextId: fc.oneof(fc.constant('CTX'), hexString(16), weirdString), messageId: mutated(hexString(16)), authorizedIpxId: mutated(fc.constantFrom('NULL', 'ipx.example.org')), riFqdn: weirdString }, ['n32fContextId', 'messageId', 'authorizedIpxId']);
      const reformatted = fc
        .record({
          meta,
          aadExtra: partialRecord({ requestLine: mutated(partialRecord({ method: fc.constant('GET'), scheme: fc.constant('http'), authority: fc.constant(authority), path: fc.constant('/x'), protocolVersion: fc.constant('HTTP/2') })), headers: mutated(fc.array(partialRecord({ header: weirdString, value: mutated(fc.string()) }))), payload: mutated(fc.array(fc.jsonValue())) }),
          jwe: partialRecord({ protected: mutated(fc.base64String()), ciphertext: mutated(fc.base64String()), iv: mutated(fc.base64String()), tag: mutated(fc.base64String()), encrypted_key: fc.base64String(), header: fc.jsonValue() }, ['protected', 'ciphertext', 'iv', 'tag']),
          modificationsBlock: fc.option(mutated(fc.array(partialRecord({ payload: fc.base64String(), signature: fc.base64String(), protected: fc.base64String() }))), { freq: 4, nil: undefined }),
        })
        .map(({ meta: m, aadExtra, jwe, modificationsBlock }) => {
          const metaData = m['n32fContextId'] === 'CTX' ? { ...m, n32fContextId: contextId() } : m;
          return { reformattedData: { ...jwe, aad: base64urlEncode(JSON.stringify({ metaData, ...aadExtra })) }, ...(modificationsBlock !== undefined ? { modificationsBlock } : {}) };
        });
      const sealedCase = fc.record({ message: httpRequestMessage(authority), headers: headerSet, tamper: fc.option(fc.tuple(fc.nat(), fc.constantFrom('ciphertext', 'tag', 'iv', 'protected', 'aad')), { freq: 3 }) }).map(
        ({ message, headers, tamper: t }): FuzzRequest => {
          const request: FuzzRequest = {
            method: 'POST',
            path: N32F_PROCESS_PATH,
            headers: { ...headers, 'content-type': 'application/json' },
            shape: t ? 'sealed-tampered' : 'sealed',
            // The producer echoes the body: a large one comes back sealed, as large again.
            heavy: (message.body?.length ?? 0) > HEAVY_BODY_BYTES,
            body: () => {
              let sealedMessage: { bytes: Buffer; messageId: string };
              try {
                sealedMessage = seal(message);
              } catch {
                // The local context refuses what no SEPP would send (e.g. a header it cannot carry).
                request.shape = 'sealing-refused-locally';
                return Buffer.from('{"sealing":"refused by the local context"}');
              }
              if (t) return tamper(sealedMessage.bytes, t[0], t[1]);
              request.tag = sealedMessage.messageId;
              if (sealed.length < 300) sealed.push({ ...sealedMessage });
              return sealedMessage.bytes;
            },
          };
          return request;
        },
      );
      const replay = fc.nat().map((n): FuzzRequest => {
        const request: FuzzRequest = {
          method: 'POST',
          path: N32F_PROCESS_PATH,
          headers: { 'content-type': 'application/json' },
          shape: 'replayed',
          body: () => {
            const original = sealed[n % Math.max(1, sealed.length)];
            if (!original) return Buffer.from('{}');
            request.tag = original.messageId;
            return original.bytes;
          },
        };
        return request;
      });
      const arbitrary = fc.oneof(
        { weight: 4, arbitrary: sealedCase },
        { weight: 1, arbitrary: replay },
        { weight: 4, arbitrary: jsonEndpoint(N32F_PROCESS_PATH, reformatted, 1_048_576 + 65_536) },
      );
      const stats = await runFuzz({
        pool,
        cases: sample(arbitrary, 3),
        concurrency: CONCURRENCY,
        // A sealed message is accepted at most once, however often it is replayed.
        check: (request, ending) => {
          if (!request.tag || ending.status >= 300) return null;
          const times = (accepted.get(request.tag) ?? 0) + 1;
          accepted.set(request.tag, times);
          return times > 1 ? 'replay accepted' : null;
        },
      });
      pool.close();
      row.notes.push(`sealed messages accepted once: ${accepted.size}; n32f-error reports the responder delivered to the sender: ${sinkF4.requests.length}`);
      await report(row, stats, responder, from, lines.responder);
      await responderStillNegotiates();
    });
  });

  it('N32-c n32f-terminate (responder)', async () => {
    await runCase('fuzz', 'N32-c n32f-terminate @responder', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      // F2 asks, with F2's certificate; the IDs include F4's live context (it must survive).
      const f4Context = prins?.context.remoteContextId;
      const known = [...(await responderContextIds())];
      const pool = new SessionPool(2, peerSession(f2));
      const stats = await runFuzz({ pool, cases: sample(jsonEndpoint(N32C_PATHS.n32fTerminate, n32fContextInfo(() => known), N32_BODY_LIMIT), 4), concurrency: CONCURRENCY });
      pool.close();
      await report(row, stats, responder, from, lines.responder);
      if (f4Context) {
        const contexts = (await responder.admin<{ contexts: { peer: string; localContextId: string }[] }>('/admin/contexts')).body.contexts;
        expect(contexts.some((c) => c.peer === f4.fqdn && c.localContextId === f4Context)).toBe(true);
        row.notes.push("F4's context survived F2's terminate requests naming it");
      }
      await responderStillNegotiates();
    });
  });

  it('N32-c n32f-error (responder)', async () => {
    await runCase('fuzz', 'N32-c n32f-error @responder', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const known = await responderContextIds();
      const pool = new SessionPool(2, peerSession(f2));
      const stats = await runFuzz({ pool, cases: sample(jsonEndpoint(N32C_PATHS.n32fError, n32fErrorInfo(() => known), N32_BODY_LIMIT), 5), concurrency: CONCURRENCY });
      pool.close();
      await report(row, stats, responder, from, lines.responder);
      await responderStillNegotiates();
    });
  });

  it('N32-f TLS mode, arbitrary paths with and without 3gpp-sbi-target-apiroot (responder)', async () => {
    await runCase('fuzz', 'N32-f TLS-mode paths @responder', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const seenBefore = producer.seen.length;
      const target = fc.oneof(
        { weight: 6, arbitrary: fc.constant(udmApiRoot(producer.port)) },
        { weight: 2, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom(`https://${UDM1_FQDN}:${producer.port}`, `http://udm2.5gc.mnc001.mcc001.3gppnetwork.org:${producer.port}`, `http://${UDM1_FQDN}`, 'http://127.0.0.1:1', `http://${UDM1_FQDN}:${producer.port}/prefix`, 'http://nrf.5gc.mnc999.mcc999.3gppnetwork.org') },
        { weight: 1, arbitrary: fc.oneof(fc.webUrl(), weirdString.map((s) => s.replace(/[^\x21-\x7e]/g, '').trim())) },
      );
      const arbitrary = fc
        .record({ method: methods('GET'), path: nfPath.filter((p) => !Object.values(N32C_PATHS).some((n) => p.startsWith(n))), target, headers: headerSet, body: nfBody })
        .map(({ method, path, target: t, headers, body }): FuzzRequest => ({
          method,
          path,
          headers: { ...headers, ...(t !== undefined ? { [TARGET_HEADER]: t } : {}), ...(body.contentType ? { 'content-type': body.contentType } : {}) },
          ...(body.body ? { body: body.body } : {}),
          shape: t === undefined ? 'no-target' : t === udmApiRoot(producer.port) ? 'allowed-target' : 'other-target',
        }));
      const pool = new SessionPool(2, peerSession(f3, negotiated(f3, ['TLS'], 'TLS')));
      const stats = await runFuzz({ pool, cases: sample(arbitrary, 6), concurrency: CONCURRENCY });
      pool.close();
      row.notes.push(`reached the producer: ${producer.seen.length - seenBefore}`);
      await report(row, stats, responder, from, lines.responder);
      await responderStillNegotiates();
    });
  });

  it('N32-c n32f-error (initiator N32 listener)', async () => {
    await runCase('fuzz', 'N32-c n32f-error @initiator', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const negotiationsBefore = initiator.lines.filter((l) => l.msg === 'negotiating').length;
      const pool = new SessionPool(2, async () => (await openFuzzClient(initiatorN32Port, FQDN_B, pki.clientTls(certA))).session);
      const stats = await runFuzz({ pool, cases: sample(jsonEndpoint(N32C_PATHS.n32fError, n32fErrorInfo(() => []), N32_BODY_LIMIT), 7), concurrency: CONCURRENCY });
      pool.close();
      const renegotiations = initiator.lines.filter((l) => l.msg === 'negotiating').length - negotiationsBefore;
      row.notes.push(`renegotiations the reports triggered (CONTEXT_NOT_FOUND from the peer restarts the negotiation, even in TLS mode): ${renegotiations}`);
      await report(row, stats, initiator, from, lines.initiator);
      await initiatorStillForwards();
    });
  });

  it('N32-c n32f-terminate (initiator N32 listener)', async () => {
    await runCase('fuzz', 'N32-c n32f-terminate @initiator', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const pool = new SessionPool(2, async () => (await openFuzzClient(initiatorN32Port, FQDN_B, pki.clientTls(certA))).session);
      const stats = await runFuzz({ pool, cases: sample(jsonEndpoint(N32C_PATHS.n32fTerminate, n32fContextInfo(() => []), N32_BODY_LIMIT), 8), concurrency: CONCURRENCY });
      pool.close();
      await report(row, stats, initiator, from, lines.initiator);
      await initiatorStillForwards();
    });
  });

  it('NF-facing listener: arbitrary methods, paths, headers, bodies, authorities and targets (initiator)', async () => {
    await runCase('fuzz', 'NF-facing forwarding @initiator', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      const seenBefore = producer.seen.length;
      const producerTarget = udmApiRoot(producer.port);
      const label = 'udm1--5gc--mnc001--mcc001--3gppnetwork--org';
      const target = fc.oneof(
        { weight: 6, arbitrary: fc.constant(producerTarget) },
        { weight: 3, arbitrary: fc.constant(undefined) },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            `https://${UDM1_FQDN}:${producer.port}`,
            `http://udm2.5gc.mnc001.mcc001.3gppnetwork.org:${producer.port}`,
            'http://nrf.5gc.mnc999.mcc999.3gppnetwork.org',
            'http://amf.5gc.mnc002.mcc002.3gppnetwork.org',
            `http://${UDM1_FQDN.toUpperCase()}:${producer.port}`,
            `http://${UDM1_FQDN}:${producer.port}/api/root`,
            'http://127.0.0.1:1',
            `http://user@${UDM1_FQDN}:${producer.port}`,
            'udm1.5gc.mnc001.mcc001.3gppnetwork.org',
          ),
        },
        { weight: 1, arbitrary: fc.oneof(fc.webUrl(), weirdString.map((s) => s.replace(/[^\x21-\x7e]/g, '').trim())) },
      );
      const authority = fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: fc.constant(`${label}.${FQDN_B}:${producer.port}`) },
        { weight: 1, arbitrary: fc.constantFrom(`${label}.${FQDN_B}`, `${label.toUpperCase()}.${FQDN_B}:1`, `m-0abcdefghijklmnopqrstuvwxyz.${FQDN_B}:80`, `x.${FQDN_B}`, FQDN_B, `${label}.${FQDN_A}:80`, '127.0.0.1:80', '[::1]:80') },
        { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[a-z0-9-]{1,63}$/), fc.option(fc.integer({ min: 0, max: 65_535 }))).map(([l, port]) => `${l}.${FQDN_B}${port === null ? '' : `:${port}`}`) },
        { weight: 1, arbitrary: fc.domain() },
      );
      const arbitrary = fc.record({ method: methods('GET'), path: nfPath, target, authority, headers: headerSet, body: nfBody }).map(
        ({ method, path, target: t, authority: a, headers, body }): FuzzRequest & { authority?: string } => ({
          method,
          path,
          headers: { ...headers, ...(t !== undefined ? { [TARGET_HEADER]: t } : {}), ...(body.contentType ? { 'content-type': body.contentType } : {}) },
          ...(body.body ? { body: body.body } : {}),
          ...(a !== undefined ? { authority: a } : {}),
          shape: t === producerTarget ? 'target' : a?.includes(label) ? 'telescopic' : t === undefined && a === undefined ? 'no-target' : 'other',
        }),
      );
      const pool = new SessionPool(2, () => h2cSession(initiator.port('sbi')));
      const stats = await runFuzz({ pool, cases: sample(arbitrary, 9), concurrency: CONCURRENCY, authority: (r) => (r as FuzzRequest & { authority?: string }).authority });
      pool.close();
      row.notes.push(`reached the producer: ${producer.seen.length - seenBefore}`);
      await report(row, stats, initiator, from, lines.initiator);
      await initiatorStillForwards();
    });
  });

  it('NF-facing mapping API (initiator)', async () => {
    await runCase('fuzz', 'NF-facing telescopic mapping API @initiator', async (row) => {
      const from = since();
      const lines = { responder: responder.lines.length, initiator: initiator.lines.length };
      // Percent-encodes the UTF-8 bytes (encodeURIComponent throws on a lone surrogate).
      const encode = (s: string): string => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
      const query = fc.oneof(
        { weight: 3, arbitrary: fc.oneof(fc.domain(), fc.constant(UDM1_FQDN), fc.constant('nf-instance-with-a-long-name.region-a.5gc.mnc001.mcc001.3gppnetwork.org'), weirdString).map((f) => `foreign-fqdn=${encode(f)}`) },
        { weight: 3, arbitrary: fc.oneof(fc.stringMatching(/^[a-z0-9-]{1,70}$/), fc.constant('udm1--5gc--mnc001--mcc001--3gppnetwork--org'), fc.constant('m-0abcdefghijklmnopqrstuvwxyz'), weirdString).map((l) => `telescopic-label=${encode(l)}`) },
        { weight: 1, arbitrary: fc.tuple(fc.domain(), fc.string()).map(([f, l]) => `foreign-fqdn=${encode(f)}&telescopic-label=${encode(l)}`) },
        { weight: 1, arbitrary: fc.tuple(fc.domain(), fc.domain()).map(([a, b]) => `foreign-fqdn=${encode(a)}&foreign-fqdn=${encode(b)}`) },
        { weight: 1, arbitrary: fc.webQueryParameters() },
        { weight: 1, arbitrary: fc.constantFrom('', 'foreign-fqdn', 'foreign-fqdn=', 'telescopic-label=', 'foreign-fqdn[]=a.b', 'foreign-fqdn[x]=a.b', '__proto__[x]=1', 'foreign-fqdn=%', 'foreign-fqdn=%ZZ', 'telescopic-label=%C0%80') },
      );
      const arbitrary = fc
        .record({ method: methods('GET'), path: fc.oneof({ weight: 8, arbitrary: fc.constant('/nsepp-telescopic/v1/mapping') }, { weight: 1, arbitrary: fc.constantFrom('/nsepp-telescopic/v1/mapping/', '/nsepp-telescopic/v1/Mapping', '/nsepp-telescopic/v2/mapping') }), query, headers: headerSet, contentType: jsonContentType, body: fc.option(jsonBodies(fc.constant({ foreignFqdn: UDM1_FQDN }), 4_096), { freq: 5 }) })
        .map(({ method, path, query: q, headers, contentType, body }): FuzzRequest => ({
          method,
          path: `${path}?${q}`,
          headers: { ...headers, ...(body && contentType ? { 'content-type': contentType } : {}) },
          ...(body ? { body: body.body } : {}),
          shape: q.startsWith('foreign') ? 'foreign-fqdn' : q.startsWith('telescopic') ? 'label' : 'other',
        }));
      const pool = new SessionPool(2, () => h2cSession(initiator.port('sbi')));
      const stats = await runFuzz({ pool, cases: sample(arbitrary, 10), concurrency: CONCURRENCY });
      pool.close();
      await report(row, stats, initiator, from, lines.initiator);
      await initiatorStillForwards();
    });
  });

  it('the generators only produce what the client library accepts', () => {
    // A request refused by node:http2 before it is sent tests nothing; keep the header generator honest.
    for (const headers of fc.sample(headerSet, { numRuns: 2_000, seed: SEED })) {
      for (const name of Object.keys(headers)) expect(EXCLUDED_HEADERS.has(name)).toBe(false);
    }
  });
});
