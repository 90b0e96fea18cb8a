import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { base64urlDecode, base64urlEncode, buildNonce, decryptFlattenedJwe, encryptFlattenedJwe, N32C_PATHS, protectionPolicy, toProtectionPolicyData, type N32fContext } from '@sepp/protocol';
import { RedisServer } from '@sepp/infra';
import { createPkiAB, FQDN_B, initiatorYaml, writeYaml } from './support/configs';
import type { H2Answer, H2Client } from './support/h2-client';
import { NfClient, TappedProducer, TARGET_HEADER } from './support/n32f';
import { contextsOf, PrinsPair } from './support/prins';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { deliveredOn, negotiateOn, prinsCapabilityAndSuites, refused, sealOn, sendTo, type Negotiated, type Problem, type Rig } from './support/prins-rig';
import { startResponderReplicas, type ResponderReplicas } from './support/responder-replicas';
import { SeppProcess, type LogLine } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(90_000);

/**
 * Replicas of one SEPP sharing their N32 state in Redis (a real redis-server started here): three
 * responder replicas serve one PRINS context that the test (as the initiating SEPP, with its own
 * TLS session and keys) set up on one of them.
 */

describe('a responder cluster: three replicas, one PRINS context in Redis', () => {
  let redis: RedisServer;
  let set: ResponderReplicas;
  let producer: TappedProducer;
  let replicas: SeppProcess[];
  let rig: Rig;
  let context: N32fContext;
  let initiatorContextId: string;
  let responderContextId: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    set = await startResponderReplicas({
      names: ['r1', 'r2', 'r3'],
      filePrefix: 'cluster',
      state: () => ({ redis: { url: redis.url } }),
      reports: (r) =>
        r.headers[':path'] === N32C_PATHS.n32fTerminate ? { status: 200, body: { n32fContextId: (r.json as { n32fContextId: string }).n32fContextId } } : { status: 204 },
    });
    ({ producer, replicas, rig } = set);
  });

  afterAll(async () => {
    await set?.close();
    await redis?.dispose();
  });

  const seal = (on: N32fContext = context): { wire: string; messageId: string } => sealOn(rig, on);
  const send = (replica: number, wire: string): Promise<H2Answer> => sendTo(rig, replica, wire);
  const delivered = (answer: H2Answer, messageId: string, on: N32fContext = context): string => deliveredOn(answer, messageId, on);
  const negotiate = (replica: number): Promise<Negotiated> => negotiateOn(rig.clients[replica]!);

  /** A fresh message carrying the messageId of another one (a new SEQ, a valid tag: only the ID repeats). */
  function withMessageId(on: N32fContext, messageId: string, seq: number): string {
    const fresh = JSON.parse(seal(on).wire) as { reformattedData: Record<string, string> };
    const jwe = fresh.reformattedData;
    const { key, salt } = on.keys.parallelRequest;
    const { plaintext } = decryptFlattenedJwe(jwe, key, { enc: 'A128GCM', salt });
    const aad = JSON.parse(base64urlDecode(jwe['aad']!).toString('utf8')) as { metaData: Record<string, unknown> };
    aad.metaData['messageId'] = messageId;
    const reformattedData = encryptFlattenedJwe({ plaintext, aad: base64urlEncode(JSON.stringify(aad)), key, iv: buildNonce(salt, seq), enc: 'A128GCM' });
    return JSON.stringify({ reformattedData });
  }

  it('a context set up on replica 1 is stored (wrapped) and every replica lists it', async () => {
    ({ context, initiatorId: initiatorContextId, responderId: responderContextId } = await negotiate(0));
    for (const replica of replicas) {
      const view = await replica.admin<{ stored: { localContextId: string; peer: string; kekId: string }[] }>('/admin/contexts');
      expect(view.body.stored).toEqual([expect.objectContaining({ localContextId: responderContextId, remoteContextId: initiatorContextId, peer: FQDN_B, kekId: expect.stringMatching(/^[0-9a-f]{16}$/) })]);
    }
  });

  it('the three replicas answer concurrently on that one context: every IV is distinct (SEQ blocks per replica)', async () => {
    const perReplica = 60;
    const messages = replicas.flatMap((_, replica) => Array.from({ length: perReplica }, () => ({ replica, ...seal() })));
    const answers = await Promise.all(messages.map(async ({ replica, wire, messageId }) => delivered(await send(replica, wire), messageId)));
    expect(answers).toHaveLength(3 * perReplica);
    expect(new Set(answers).size).toBe(answers.length);
    // Each replica answered its own share (its replica view counts its messages).
    for (const replica of replicas) {
      const view = await replica.admin<{ contexts: { localContextId: string; messagesSent: number }[] }>('/admin/contexts');
      expect(view.body.contexts).toEqual([expect.objectContaining({ localContextId: responderContextId, messagesSent: perReplica })]);
    }
  });

  it('a message accepted by replica 1 and replayed to replicas 2 and 3 is refused (INTEGRITY_CHECK_FAILED), as is its messageId on a new SEQ', async () => {
    const seen = producer.seen.length;
    const captured = seal();
    delivered(await send(0, captured.wire), captured.messageId);
    refused(await send(1, captured.wire), 'INTEGRITY_CHECK_FAILED');
    refused(await send(2, captured.wire), 'INTEGRITY_CHECK_FAILED');
    refused(await send(2, withMessageId(context, captured.messageId, 2 ** 31)), 'INTEGRITY_CHECK_FAILED');
    expect(producer.seen.length).toBe(seen + 1);
    await replicas[2]!.waitForLog('the refusal', (line) => line.msg === 'PRINS message refused' && /already received/.test(String(line['detail'])));
  });

  it('the cluster view: /admin/peers on any replica lists every replica with its state and connections per peer', async () => {
    const view = await waitFor('three replicas in the view', async () => {
      const answer = await replicas[2]!.admin<{ replica: string; cluster: { replica: string; peers: { fqdn: string; state: string; connections: unknown }[] }[] }>('/admin/peers');
      return answer.body.cluster.length === 3 ? answer.body : undefined;
    });
    expect(view.replica).toBe('r3');
    expect(view.cluster.map((entry) => entry.replica)).toEqual(['r1', 'r2', 'r3']);
    const r1 = view.cluster.find((entry) => entry.replica === 'r1')!;
    expect(r1.peers).toEqual([expect.objectContaining({ fqdn: FQDN_B, state: 'prins-established', connections: expect.objectContaining({ agreed: 1 }) })]);
  });

  it('Redis down: the established context goes on from every replica cache, a new exchange gets 503 naming the store, /readyz names it; all comes back by itself', async () => {
    await redis.stop();
    await waitFor('/readyz degraded', async () => {
      const ready = await replicas[0]!.admin<{ status: string; dependencies: { state: { status: string } } }>('/readyz');
      return ready.status === 200 && ready.body.status === 'degraded' && ready.body.dependencies.state.status === 'down';
    });
    expect(await (await fetch(`http://127.0.0.1:${replicas[0]!.port('admin')}/metrics`)).text()).toMatch(/^sepp_state_store_up\{store="redis",app="sepp-responder"\} 0$/m);
    expect((await replicas[0]!.admin<{ store: { name: string; up: boolean } }>('/admin/status')).body.store).toMatchObject({ name: 'redis', up: false });
    for (let replica = 0; replica < 3; replica++) {
      const message = seal();
      delivered(await send(replica, message.wire), message.messageId);
    }
    const outage = await negotiateExpectingOutage(rig.clients[1]!);
    expect(outage.status).toBe(503);
    expect(String(outage.headers['content-type'])).toMatch(/^application\/problem\+json/);
    expect((outage.json as Problem).detail).toMatch(/state store \(redis\)/);
    await redis.restart();
    // Every replica's client reconnects on its own schedule: the next cases negotiate on any of them.
    for (const replica of replicas) await waitFor('/readyz ready again', async () => (await replica.admin<{ status: string }>('/readyz')).body.status === 'ready', 15_000);
    const message = seal();
    delivered(await send(2, message.wire), message.messageId);
  });

  it('a re-key on replica 2 retires the old context for every replica; a terminate on replica 3 is honoured by all (CONTEXT_NOT_FOUND)', async () => {
    const old = context;
    const fresh = await negotiate(1);
    // The old one still answers during the grace (answers on the way), then is gone everywhere.
    const during = seal(old);
    delivered(await send(2, during.wire), during.messageId, old);
    await waitFor(
      'the old context gone on replica 1',
      async () => (await send(0, seal(old).wire)).status === 403,
      20_000,
      250,
    );
    refused(await send(2, seal(old).wire), 'CONTEXT_NOT_FOUND');
    const onNew = seal(fresh.context);
    delivered(await send(0, onNew.wire), onNew.messageId, fresh.context);

    const terminated = await rig.clients[2]!.postJson(N32C_PATHS.n32fTerminate, { n32fContextId: fresh.responderId });
    expect(terminated).toMatchObject({ status: 200, json: { n32fContextId: fresh.initiatorId } });
    for (let replica = 0; replica < 3; replica++) refused(await send(replica, seal(fresh.context).wire), 'CONTEXT_NOT_FOUND');
    for (const replica of replicas) expect((await replica.admin<{ stored: unknown[] }>('/admin/contexts')).body.stored).toEqual([]);
  });

  it('past prins.maxContextsPerPeer (4) contexts set up across the replicas, the oldest ends at once in the store and on the replica holding it; the others serve', async () => {
    // Five contexts in a row, each on the next replica: no replica holds more than two of them,
    // so only the store sees five.
    const made: Negotiated[] = [];
    for (let i = 0; i < 5; i++) made.push(await negotiate(i % 3));
    const kept = made.slice(1).map((m) => m.responderId);
    await waitFor('the store holding the newest four', async () => {
      const stored = (await replicas[2]!.admin<{ stored: { localContextId: string }[] }>('/admin/contexts')).body.stored.map((c) => c.localContextId);
      return stored.length === 4 && kept.every((id) => stored.includes(id));
    });
    // Replica 1 set the oldest up (and holds it): the store's retirement reached it.
    await replicas[0]!.waitForLog('the oldest context ended', (l) => l.msg === 'N32-f context terminated' && l['localContextId'] === made[0]!.responderId && l['reason'] === 'terminated by another replica');
    for (let replica = 0; replica < 3; replica++) refused(await send(replica, seal(made[0]!.context).wire), 'CONTEXT_NOT_FOUND');
    // The oldest kept one (in its grace) and the newest serve on any replica.
    for (const on of [made[1]!, made[4]!]) {
      const message = seal(on.context);
      delivered(await send(2, message.wire), message.messageId, on.context);
    }
  });

  /** A new exchange on a replica: with the store down, the context it would set up cannot be stored. */
  async function negotiateExpectingOutage(client: H2Client): Promise<H2Answer> {
    const { initiatorId: id } = await prinsCapabilityAndSuites(client);
    return client.postJson(N32C_PATHS.exchangeParams, { n32fContextId: id, protectionPolicyInfo: toProtectionPolicyData(protectionPolicy()), sender: FQDN_B });
  }
});

describe('replicas given different key-wrap keys (a configuration mistake, or a rotation that dropped the old key too early)', () => {
  let redis: RedisServer;
  let set: ResponderReplicas;

  beforeAll(async () => {
    redis = await RedisServer.start();
    set = await startResponderReplicas({ names: ['k1', 'k2'], filePrefix: 'kek', state: () => ({ redis: { url: redis.url } }), keyWrapKeyFiles: { k2: 'kek-other.bin' } });
  });

  afterAll(async () => {
    await set?.close();
    await redis?.dispose();
  });

  it('a context the other replica stored is, to this one, an unknown context: refused as such, said once in its log, and it stays ready; a negotiation with it sets up its own', async () => {
    const { rig, replicas } = set;
    const stored = await negotiateOn(rig.clients[0]!);
    const first = sealOn(rig, stored.context);
    deliveredOn(await sendTo(rig, 0, first.wire), first.messageId, stored.context);
    // k2 finds the context in the store but cannot open its secrets: the same answer as for a context it never heard of.
    refused(await sendTo(rig, 1, sealOn(rig, stored.context).wire), 'CONTEXT_NOT_FOUND');
    refused(await sendTo(rig, 1, sealOn(rig, stored.context).wire), 'CONTEXT_NOT_FOUND');
    const warned = (line: LogLine): boolean => line['msg'] === 'N32-f context in the state store not usable by this replica (key-wrap keys): ignored' && line['localContextId'] === stored.responderId;
    await replicas[1]!.waitForLog('the warning', warned);
    expect(replicas[1]!.lines.filter(warned)).toHaveLength(1);
    expect(replicas[1]!.lines.find(warned)!['detail']).toMatch(/key-wrap key [0-9a-f]{16}, which this replica does not have/);
    expect((await replicas[1]!.admin<{ status: string }>('/readyz')).body.status).toBe('ready');
    // Its own context, with its own key, serves; and the first one still does on k1.
    const own = await negotiateOn(rig.clients[1]!);
    const onOwn = sealOn(rig, own.context);
    deliveredOn(await sendTo(rig, 1, onOwn.wire), onOwn.messageId, own.context);
    expect(replicas.every((replica) => replica.running)).toBe(true);
  });
});

describe('an initiator whose store holds the peer\'s current context under another key-wrap key', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let redis: RedisServer;
  const pairs: PrinsPair[] = [];

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    producer = await TappedProducer.start('udm1');
    redis = await RedisServer.start();
    for (const file of ['kek-i1.bin', 'kek-i2.bin']) writeFileSync(join(pki.dir, file), randomBytes(32));
  });

  afterAll(async () => {
    await Promise.all(pairs.map((pair) => pair.stop()));
    await redis?.dispose();
    await producer?.close();
  });

  const state = (replicaId: string): Record<string, unknown> => ({ redis: { url: redis.url }, keyWrapKeyFile: `kek-${replicaId}.bin`, replicaId });
  const amData = async (pair: PrinsPair): Promise<number> => (await pair.nf!.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } })).status;

  it('does not adopt it: one warning, a context of its own set up, NF traffic forwarded; it does not stop', async () => {
    // i1 sets up a PRINS context with the peer and stores it as the peer's current one.
    const first = await PrinsPair.start(pki, certA, certB, producer, { name: 'kek-i1', initiator: { state: state('i1') } });
    pairs.push(first);
    expect(await amData(first)).toBe(200);
    const [stored] = await contextsOf(first.initiator);
    await first.stop();
    pairs.splice(pairs.indexOf(first), 1);
    // i2, with another key, finds that current context and cannot open it.
    const second = await PrinsPair.start(pki, certA, certB, producer, { name: 'kek-i2', initiator: { state: state('i2') } });
    pairs.push(second);
    const warned = (line: LogLine): boolean => line['msg'] === 'N32-f context in the state store not usable by this replica (key-wrap keys): ignored' && line['localContextId'] === stored!.localContextId;
    await second.initiator.waitForLog('the warning', warned);
    expect(await amData(second)).toBe(200);
    const [own] = await contextsOf(second.initiator);
    expect(own!.localContextId).not.toBe(stored!.localContextId);
    expect(second.initiator.lines.filter(warned)).toHaveLength(1);
    expect(second.initiator.running).toBe(true);
  });
});

describe('opaque telescopic labels in the shared store', () => {
  let redis: RedisServer;
  const initiators: SeppProcess[] = [];
  let pki: TestPki;
  let certB: CertFiles;
  const LONG = `${'a'.repeat(40)}.${'b'.repeat(30)}.5gc.mnc001.mcc001.3gppnetwork.org`;

  beforeAll(async () => {
    const created = await createPkiAB();
    pki = created.pki;
    certB = created.certB;
    redis = await RedisServer.start();
    writeFileSync(join(pki.dir, 'kek.bin'), randomBytes(32));
    const unreachable = await freePort();
    for (const replica of ['i1', 'i2']) {
      const yaml = initiatorYaml(certB, pki, unreachable);
      yaml['sbi'] = { listen: { host: '127.0.0.1', port: 0 } };
      yaml['state'] = { redis: { url: redis.url }, keyWrapKeyFile: 'kek.bin', replicaId: replica };
      const started = SeppProcess.start('initiator', writeYaml(pki.dir, `labels-${replica}`, yaml));
      initiators.push(started);
      await started.ready(30_000).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${started.dump()}`);
      });
      await started.dependenciesUp();
    }
  });

  afterAll(async () => {
    await Promise.all(initiators.map((initiator) => initiator.stop()));
    await redis?.dispose();
  });

  const mapping = async (initiator: SeppProcess, query: string): Promise<{ status: number; json: unknown }> => {
    const client = await NfClient.connect(initiator.port('sbi'));
    try {
      const answer = await client.request({ path: `/nsepp-telescopic/v1/mapping?${query}` });
      return { status: answer.status, json: answer.json };
    } finally {
      client.close();
    }
  };

  it('a label handed out by one replica resolves on the other, and after a restart', async () => {
    const given = await mapping(initiators[0]!, `foreign-fqdn=${LONG}`);
    expect(given.status).toBe(200);
    const label = (given.json as { telescopicLabel: string }).telescopicLabel;
    expect(label).toMatch(/^m-0[a-z2-7]{26}$/);
    expect(await mapping(initiators[1]!, `telescopic-label=${label}`)).toEqual({ status: 200, json: expect.objectContaining({ foreignFqdn: LONG }) });
    await initiators[0]!.stop();
    initiators[0] = await SeppProcess.ready('initiator', join(pki.dir, 'labels-i1.yaml'));
    await initiators[0].dependenciesUp();
    expect(await mapping(initiators[0], `telescopic-label=${label}`)).toEqual({ status: 200, json: expect.objectContaining({ foreignFqdn: LONG }) });
    expect((await mapping(initiators[1]!, 'telescopic-label=m-0aaaaaaaaaaaaaaaaaaaaaaaaaa')).status).toBe(404);
  });

  it('with the store down, an opaque label this replica does not hold is not "unknown": 503 (mapping API and NF request)', async () => {
    const other = `${'c'.repeat(40)}.${'d'.repeat(30)}.5gc.mnc001.mcc001.3gppnetwork.org`;
    const given = await mapping(initiators[1]!, `foreign-fqdn=${other}`);
    expect(given.status).toBe(200);
    const label = (given.json as { telescopicLabel: string }).telescopicLabel;
    await redis.stop();
    try {
      await waitFor('/readyz degraded', async () => (await initiators[0]!.admin<{ status: string }>('/readyz')).body.status === 'degraded');
      const looked = await mapping(initiators[0]!, `telescopic-label=${label}`);
      expect(looked).toEqual({ status: 503, json: expect.objectContaining({ cause: 'SYSTEM_FAILURE', detail: expect.stringMatching(/cannot be looked up now/) as unknown }) });
      await initiators[0]!.waitForLog('the store warning', (line) => line.msg === 'telescopic label not looked up: the state store is unreachable' && line['label'] === label);
      const client = await NfClient.connect(initiators[0]!.port('sbi'));
      try {
        const answer = await client.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { ':authority': `${label}.${FQDN_B}` } });
        expect({ status: answer.status, cause: (answer.json as { cause?: string } | undefined)?.cause }).toEqual({ status: 503, cause: 'SYSTEM_FAILURE' });
      } finally {
        client.close();
      }
    } finally {
      await redis.restart();
    }
    await initiators[0]!.dependenciesUp();
    expect(await mapping(initiators[0]!, `telescopic-label=${label}`)).toEqual({ status: 200, json: expect.objectContaining({ foreignFqdn: other }) });
  });
});
