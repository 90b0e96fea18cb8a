import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REDIS_CLI_BINARY, REDIS_SERVER_BINARY } from '../redis/redis-server';
import { freePort } from '../demo/environment';
import { sleep, type BenchChild } from './child';
import { HOME, PRODUCER_FQDN, VISITED, type BenchContext, type ScenarioEntry } from './context';
import { appEnv, getJson, N32_TIMEOUT_MS, READY_TIMEOUT_MS, tcpOpen, waitReady, type PeerView } from './sepp-pair';

/**
 * (f): the PRINS pair as two clusters of two replicas, each side with its own redis-server (two
 * operators never share a store), all of them children of the scenario (their CPU and RSS count).
 * Initiator replica i dials responder replica i; both sides share one N32-f context per peer in
 * their Redis: the senders take SEQ blocks from it, the receiving responders check every message
 * there (the shared replay check), and a replica that did not set the context up loads it. The
 * load is spread over both initiators' NF-facing listeners.
 */
export async function startSeppCluster(ctx: BenchContext, options: { replicas?: number; redisCluster?: boolean } = {}): Promise<ScenarioEntry> {
  const { replicas = 2, redisCluster = false } = options;
  const mains = { responder: path.join(ctx.repoDir, 'apps', 'responder', 'dist', 'main.js'), initiator: path.join(ctx.repoDir, 'apps', 'initiator', 'dist', 'main.js') };
  const certs = await ctx.certs();
  const level = ctx.params.seppLogLevel;
  /** One side's redis-server; with `redisCluster` a one-node Redis Cluster holding every slot. What the SEPPs' `state.redis` names. */
  const startRedis = async (side: string): Promise<Record<string, unknown>> => {
    const port = await freePort();
    // Its own folder: another scenario's append-only file (keys outside any slot) would keep a cluster node from serving.
    const dir = path.join(ctx.workDir, `redis-${redisCluster ? 'cluster-' : ''}${side}`);
    // Empty every time: another round (--rounds) must not start on the last one's contexts.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'];
    // A node alone never learns its address from a peer: it announces it (else it names itself with an empty host).
    if (redisCluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(await freePort()), '--cluster-announce-ip', '127.0.0.1');
    const redis = ctx.spawn(`redis-${side}`, REDIS_SERVER_BINARY, args, { binary: true });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await tcpOpen('127.0.0.1', port))) {
      redis.assertRunning();
      if (Date.now() > deadline) throw new Error(`redis-server (${side}) did not listen within ${READY_TIMEOUT_MS / 1000} s (log: ${redis.logFile})`);
      await sleep(50);
    }
    const kek = path.join(ctx.workDir, `kek-${side}.bin`);
    await writeFile(kek, randomBytes(32));
    if (!redisCluster) return { url: `redis://127.0.0.1:${port}` };
    await oneNodeCluster(port, redis);
    return { cluster: { nodes: [`127.0.0.1:${port}`] } };
  };
  const responderRedis = await startRedis('responders');
  const initiatorRedis = await startRedis('initiators');

  const responderPorts = await Promise.all(Array.from({ length: replicas }, async () => ({ n32: await freePort(), admin: await freePort() })));
  const initiatorPorts = await Promise.all(Array.from({ length: replicas }, async () => ({ n32: await freePort(), admin: await freePort(), sbi: await freePort() })));
  const started: { child: BenchChild; admin: number }[] = [];
  for (const [index, ports] of responderPorts.entries()) {
    const config = {
      sepp: { fqdn: HOME.seppFqdn, plmns: [HOME.plmn], capabilities: ['TLS', 'PRINS'] },
      tls: { cert: certs.home.cert, key: certs.home.key, ca: [certs.ca], minVersion: 'TLSv1.2' },
      n32: {
        listen: { host: '127.0.0.1', port: ports.n32 },
        peers: [{ fqdn: VISITED.seppFqdn, plmns: [VISITED.plmn], address: initiatorPorts.map((p) => `127.0.0.1:${p.n32}`), intermediaries: 'modifying' }],
      },
      admin: { listen: { host: '127.0.0.1', port: ports.admin } },
      sbi: { allowedTargets: [ctx.producerApiRoot], hosts: { [PRODUCER_FQDN]: ctx.producer.host } },
      logging: { level },
      state: { redis: responderRedis, keyWrapKeyFile: path.join(ctx.workDir, 'kek-responders.bin'), replicaId: `responder-${index + 1}` },
    };
    const file = path.join(ctx.workDir, `responder-${index + 1}.yaml`);
    await writeFile(file, stringify(config));
    started.push({ child: ctx.spawn(`responder-${index + 1}`, mains.responder, ['--config', file], { env: appEnv() }), admin: ports.admin });
  }
  for (const { child, admin } of started) await waitReady(child, () => admin, READY_TIMEOUT_MS);

  const initiators: { child: BenchChild; admin: number; sbi: number }[] = [];
  for (const [index, ports] of initiatorPorts.entries()) {
    const config = {
      sepp: { fqdn: VISITED.seppFqdn, plmns: [VISITED.plmn], capabilities: ['TLS', 'PRINS'] },
      tls: { cert: certs.visited.cert, key: certs.visited.key, ca: [certs.ca], minVersion: 'TLSv1.2' },
      n32: {
        listen: { host: '127.0.0.1', port: ports.n32 },
        peers: [{ fqdn: HOME.seppFqdn, plmns: [HOME.plmn], address: `127.0.0.1:${responderPorts[index]!.n32}`, intermediaries: 'modifying' }],
      },
      admin: { listen: { host: '127.0.0.1', port: ports.admin } },
      sbi: { listen: { host: '127.0.0.1', port: ports.sbi } },
      logging: { level },
      state: { redis: initiatorRedis, keyWrapKeyFile: path.join(ctx.workDir, 'kek-initiators.bin'), replicaId: `initiator-${index + 1}` },
    };
    const file = path.join(ctx.workDir, `initiator-${index + 1}.yaml`);
    await writeFile(file, stringify(config));
    initiators.push({ child: ctx.spawn(`initiator-${index + 1}`, mains.initiator, ['--config', file], { env: appEnv() }), admin: ports.admin, sbi: ports.sbi });
    // One after the other: the second replica finds the first one's context in the store.
    await waitReady(initiators[index]!.child, () => ports.admin, READY_TIMEOUT_MS);
    await waitEstablished(initiators[index]!.child, ports.admin);
  }
  for (const initiator of initiators) {
    if (!(await tcpOpen('127.0.0.1', initiator.sbi))) throw new Error(`${initiator.child.name} does not listen on its NF-facing port ${initiator.sbi}`);
  }
  const [first, ...others] = initiators.map((initiator) => `http://127.0.0.1:${initiator.sbi}`);
  return { url: first!, alsoUrls: others, target: ctx.producerApiRoot };
}

/** Makes the cluster-mode node on `port` a cluster of its own: every slot its, then waits for `cluster_state:ok`. */
async function oneNodeCluster(port: number, redis: BenchChild): Promise<void> {
  const cli = async (...args: string[]): Promise<string> => (await promisify(execFile)(REDIS_CLI_BINARY, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;
  await cli('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/cluster_state:ok/.test(await cli('CLUSTER', 'INFO'))) {
    redis.assertRunning();
    if (Date.now() > deadline) throw new Error(`the one-node Redis Cluster on ${port} is not ok within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

async function waitEstablished(child: BenchChild, admin: number): Promise<void> {
  const deadline = Date.now() + N32_TIMEOUT_MS;
  for (;;) {
    child.assertRunning();
    const view = ((await getJson(`http://127.0.0.1:${admin}/admin/peers`))?.body as { peers?: PeerView[] } | undefined)?.peers?.find((peer) => peer.fqdn === HOME.seppFqdn);
    if (view?.state === 'prins-established') return;
    if (view?.state === 'failed' || Date.now() > deadline) {
      throw new Error(`${child.name}: N32 did not reach prins-established (${view?.state ?? 'no peer'}${view?.lastError ? `: ${view.lastError.reason} ${view.lastError.detail}` : ''}) (log: ${child.logFile})`);
    }
    await sleep(150);
  }
}
