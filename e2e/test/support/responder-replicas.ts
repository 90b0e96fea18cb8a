import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertFiles, TestPki } from './pki';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, writeYaml } from './configs';
import { FakeResponder, type FakeScript } from './fake-responder';
import { H2Client } from './h2-client';
import { n32fResponderYaml, TappedProducer } from './n32f';
import type { Rig } from './prins-rig';
import { SeppProcess } from './sepp-process';

/**
 * Responder replicas sharing their N32 state (real processes): each configured with the peer FQDN_B
 * (PRINS required, `modifying`) whose N32-c requests (error reports, terminate) a fake responder
 * answers, the producer NF, `kek.bin` (or a key of its own) and its own `state` block; the test's N32 connection to each
 * as FQDN_B, once every replica's `/readyz` says its store is up.
 */
export interface ResponderReplicas {
  readonly pki: TestPki;
  readonly certA: CertFiles;
  readonly producer: TappedProducer;
  /** The peer's N32-c side: what the replicas report to FQDN_B. */
  readonly reports: FakeResponder;
  readonly replicas: SeppProcess[];
  /** The test's connections to the replicas and the producer's port, for the prins-rig helpers. */
  readonly rig: Rig;
  close(): Promise<void>;
}

export interface ResponderReplicasOptions {
  /** The replicas' IDs (`state.replicaId`), one process each. */
  readonly names: readonly string[];
  /** Each replica's `state` block (`keyWrapKeyFile: kek.bin` and `replicaId` are added). */
  readonly state: (pki: TestPki) => Record<string, unknown>;
  /** The configuration files are `<filePrefix>-<name>.yaml`. */
  readonly filePrefix: string;
  /** How the peer's fake responder answers (default 204). */
  readonly reports?: FakeScript;
  /** A replica's own key-wrap key file (in the PKI folder, a new random key each), instead of the shared `kek.bin`. */
  readonly keyWrapKeyFiles?: Readonly<Record<string, string>>;
}

export async function startResponderReplicas(options: ResponderReplicasOptions): Promise<ResponderReplicas> {
  const { pki, certA, certB } = await createPkiAB();
  const producer = await TappedProducer.start('udm1');
  const reports = await FakeResponder.start(certB, pki.ca.certPem, options.reports ?? (() => ({ status: 204 })));
  const kekFiles = new Set(['kek.bin', ...Object.values(options.keyWrapKeyFiles ?? {})]);
  for (const file of kekFiles) writeFileSync(join(pki.dir, file), randomBytes(32));
  const replicas: SeppProcess[] = [];
  const clients: H2Client[] = [];
  const close = async (): Promise<void> => {
    for (const client of clients) client.close();
    await Promise.all(replicas.map((started) => started.stop()));
    await reports.close();
    await producer.close();
  };
  try {
    const state = options.state(pki);
    for (const name of options.names) {
      const yaml = n32fResponderYaml(certA, pki, producer.port, {
        responderN32: { peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'modifying', address: `127.0.0.1:${reports.port}` }] },
      });
      yaml['state'] = { ...state, keyWrapKeyFile: options.keyWrapKeyFiles?.[name] ?? 'kek.bin', replicaId: name };
      replicas.push(await SeppProcess.ready('responder', writeYaml(pki.dir, `${options.filePrefix}-${name}`, yaml)));
    }
    for (const started of replicas) await started.dependenciesUp();
    for (const started of replicas) clients.push(await H2Client.open(started.port('n32'), FQDN_A, pki.clientTls(certB)));
  } catch (error) {
    await close();
    throw error;
  }
  return { pki, certA, producer, reports, replicas, rig: { clients, producerPort: producer.port }, close };
}
