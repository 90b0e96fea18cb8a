import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MASTER_KEY_LENGTH, N32F_PROCESS_PATH, N32fContext, protectionPolicy, type PlmnId } from '@sepp/protocol';
import { RedisServer } from '@sepp/infra';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml } from './support/configs';
import { H2Client } from './support/h2-client';
import { IPX_FQDN, IpxPath } from './support/ipx';
import { TappedProducer, TARGET_HEADER } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { contextsOf } from './support/prins';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(90_000);

/** A SEPP of a PLMN that is neither a peer nor a relay of ours. */
const PLMN_C: PlmnId = { mcc: '003', mnc: '03' };

/**
 * PRINS through an IPX relay to a responder cluster: the initiator's N32-c (exchange-params) goes
 * to replica r1, which stores the context in Redis; the relay forwards N32-f to replica r2, which
 * has not seen that context. r2 loads it from the store on the relay's first message, as it would
 * on a direct peer's, and checks the relay is on its path.
 */
describe('a responder cluster behind an IPX relay: the replica the relay reaches loads the context on first use', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;
  let redis: RedisServer;
  let path: IpxPath | undefined;
  let r2: SeppProcess | undefined;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    producer = await TappedProducer.start('udm1');
    redis = await RedisServer.start();
    writeFileSync(join(pki.dir, 'cluster-ipx-kek.bin'), randomBytes(32));
    const state = (replicaId: string): Record<string, unknown> => ({ redis: { url: redis.url }, keyWrapKeyFile: 'cluster-ipx-kek.bin', replicaId });
    path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'cluster-ipx',
      state: state('r1'),
      between: async (_r1, yaml) => {
        r2 = await SeppProcess.ready('responder', writeYaml(pki.dir, 'cluster-ipx-r2', { ...yaml, state: state('r2') }));
        await r2.dependenciesUp(); // its first N32-f message loads the context from the store
        return { port: r2.port('n32') };
      },
    });
  });

  afterAll(async () => {
    await path?.stop();
    await r2?.stop();
    await redis?.dispose();
    await producer?.close();
  });

  it('r2 has not loaded the context r1 set up; the relay\'s first message makes it load the context from the store, and the NF gets the producer\'s answer', async () => {
    const [atR1] = await contextsOf(path!.responder);
    expect(atR1).toMatchObject({ peer: FQDN_B });
    expect(await contextsOf(r2!)).toEqual([]);

    const before = producer.seen.length;
    const answer = await path!.nf!.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ supi: 'imsi-001010000000001', servedBy: 'udm1' });
    expect(producer.seen).toHaveLength(before + 1);

    // r2 answered it on the context it loaded (the same one, the relay on its path); r1 answered nothing.
    const [atR2] = await contextsOf(r2!);
    expect(atR2).toMatchObject({ peer: FQDN_B, localContextId: atR1!.localContextId, messagesSent: 1, intermediaries: { verified: [IPX_FQDN] } });
    expect(await contextsOf(path!.responder)).toEqual([expect.objectContaining({ localContextId: atR1!.localContextId, messagesSent: 0 })]);
  });

  it('a client that is neither a peer nor a relay on the context\'s path is still refused (403, naming it), on the replica that has the context loaded too', async () => {
    const certC = await pki.sepp(PLMN_C);
    const [context] = await contextsOf(r2!);
    const client = await H2Client.open(r2!.port('n32'), FQDN_A, pki.clientTls(certC));
    try {
      // A well-formed message naming the live context (under keys of its own: the sender is refused first).
      const forged = new N32fContext({
        role: 'initiator',
        peer: FQDN_A,
        localContextId: context!.remoteContextId,
        remoteContextId: context!.localContextId,
        master: randomBytes(MASTER_KEY_LENGTH),
        enc: context!.enc as 'A128GCM',
        policy: protectionPolicy(),
      });
      const { body } = forged.protectRequest({ method: 'GET', scheme: 'http', authority: 'udm1.5gc.mnc001.mcc001.3gppnetwork.org', path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: [] });
      const answer = await client.request('POST', N32F_PROCESS_PATH, JSON.stringify(body), { 'content-type': 'application/json' });
      expect(answer.status).toBe(403);
      expect(answer.json).toMatchObject({ cause: 'UNSPECIFIED', detail: expect.stringContaining('is neither a configured peer nor an intermediary on the path of the context') });
    } finally {
      client.close();
    }
  });
});
