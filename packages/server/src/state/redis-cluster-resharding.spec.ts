import { RedisCluster, type RedisServer } from '@sepp/infra';
import { ClusterStores } from '../testing/redis-cluster.spec-support';
import type { RedisStateStore } from './redis-store';
import { StateStoreUnavailable, type StoredContext } from './state-store';

/**
 * The Redis adapter while a Redis Cluster is resharded under it (real redis-server processes in
 * cluster mode on loopback, real `redis-cli --cluster add-node` and `reshard`): an operator scales
 * the cluster out by adding a master and moving slots to it while the SEPP replicas go on using
 * the contexts those slots hold. A slot being migrated answers ASK for the keys already moved and
 * TRYAGAIN for a script whose keys are split between the two nodes (one key per MIGRATE here, so
 * that window is real); the store must follow both, and the replay state must move with the keys.
 */

const PASSWORD = 'reshard-secret';
const PREFIX = 'reshard-spec:';
/** Slots moved to the new master: the first of the source's (redis-cli takes the lowest). */
const MOVED_SLOTS = 512;
const CONTEXTS = 4;
const stores = new ClusterStores(PREFIX, PASSWORD);

let cluster: RedisCluster;

const store = (replicaId: string, seed: number): RedisStateStore => stores.open(cluster, replicaId, { seeds: [cluster.seeds[seed]!] });
const contextKey = (context: StoredContext): string => stores.contextKey(context);
/** A new context whose slot is in [from, to). */
const contextInSlots = (from: number, to: number): Promise<{ context: StoredContext; slot: number }> => stores.contextWhere(cluster, (slot) => slot >= from && slot < to, `to slots ${from}-${to - 1}`);

/** What the nodes counted of a slot migration: ASK redirections followed (ASKING), TRYAGAIN answers. */
async function migrationCounts(): Promise<{ asking: number; tryagain: number }> {
  let asking = 0;
  let tryagain = 0;
  for (const node of cluster.nodes.filter((member) => member.running)) {
    asking += Number(/cmdstat_asking:calls=(\d+)/.exec(await node.cli(['INFO', 'commandstats']))?.[1] ?? 0);
    tryagain += Number(/errorstat_TRYAGAIN:count=(\d+)/.exec(await node.cli(['INFO', 'errorstats']))?.[1] ?? 0);
  }
  return { asking, tryagain };
}

const keysOn = async (node: RedisServer): Promise<string[]> => (await node.cli(['KEYS', `${PREFIX}*`])).split('\n').filter((key) => key !== '');

beforeAll(async () => {
  cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 0, password: PASSWORD, nodeTimeoutMs: 2_000 });
}, 60_000);

afterAll(async () => {
  await stores.closeAll();
  await cluster?.dispose();
}, 30_000);

describe('state store: redis cluster resharded while in use', () => {
  it('a master added and the slots of live contexts moved to it, one key at a time: every command answered, the replay state and counters moved with them, a store that saw the old map follows', async () => {
    const a = store('reshard-a', 0);
    const b = store('reshard-b', 1);
    expect(await a.waitUntilUp(10_000)).toBe(true);
    expect(await b.waitUntilUp(10_000)).toBe(true);
    // A store that reads the slot map now and is not used again until the reshard is over.
    const stale = store('reshard-stale', 1);
    expect(await stale.waitUntilUp(10_000)).toBe(true);
    const source = await cluster.masterOfSlot(0);
    const contexts: StoredContext[] = [];
    for (let i = 0; i < CONTEXTS; i++) contexts.push((await contextInSlots(0, MOVED_SLOTS)).context);
    for (const context of contexts) {
      await a.saveContext(context);
      expect((await cluster.masterOf(contextKey(context))).port).toBe(source.port);
    }
    const before = await a.reserveSequences(contexts[0]!.localContextId, 'request', 100, 0);
    if (before === 'unknown-context') throw new Error('context lost');
    expect(await b.acceptReceived(contexts[0]!.localContextId, 'request', 1, '0000000000000001')).toBe('fresh');

    // Both replicas keep receiving on every context (a fresh SEQ and messageId each time, alternately)
    // while the operator adds a master and reshards the contexts' slots to it.
    let stop = false;
    const verdicts: Record<string, number> = {};
    const failures: string[] = [];
    const traffic = (async () => {
      let seq = 2;
      while (!stop) {
        for (const [index, context] of contexts.entries()) {
          const replica = (seq + index) % 2 === 0 ? a : b;
          try {
            const verdict = await replica.acceptReceived(context.localContextId, 'request', seq, seq.toString(16).padStart(16, '0'));
            verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
          } catch (error) {
            failures.push(`${context.localContextId} SEQ ${seq}: ${(error as Error).message}`);
          }
        }
        seq++;
      }
      return seq;
    })();
    const added = await cluster.addMaster();
    const startedAt = Date.now();
    await cluster.reshard(source, added, MOVED_SLOTS, { pipeline: 1 });
    const reshardMs = Date.now() - startedAt;
    // A little more traffic on the new map, then stop.
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop = true;
    const lastSeq = await traffic;
    console.log(`redis cluster resharding: ${MOVED_SLOTS} slots moved in ${reshardMs} ms under ${lastSeq - 2} rounds of ${CONTEXTS} checks; verdicts ${JSON.stringify(verdicts)}; the nodes counted ${JSON.stringify(await migrationCounts())}`);

    expect(failures).toEqual([]);
    expect(Object.keys(verdicts)).toEqual(['fresh']);
    expect(verdicts['fresh']).toBeGreaterThan(CONTEXTS * 10);
    // Every key of the contexts is on the new master now, none left behind.
    const [onAdded, onSource] = await Promise.all([keysOn(added), keysOn(source)]);
    for (const context of contexts) {
      expect((await cluster.masterOf(contextKey(context))).port).toBe(added.port);
      expect(onAdded.filter((key) => key.includes(context.localContextId)).length).toBeGreaterThanOrEqual(3);
      expect(onSource.filter((key) => key.includes(context.localContextId))).toEqual([]);
    }
    // The replay state moved: a message received before (from either replica) is refused.
    expect(await a.acceptReceived(contexts[0]!.localContextId, 'request', 1, '0000000000000001')).toBe('replayed');
    expect(await b.acceptReceived(contexts[1]!.localContextId, 'request', 2, '00000000000000ff')).toBe('replayed');
    // The send counter moved: no SEQ handed out before is handed out again.
    const after = await b.reserveSequences(contexts[0]!.localContextId, 'request', 100, 0);
    if (after === 'unknown-context') throw new Error('context lost');
    expect(after.start).toBeGreaterThanOrEqual(before.end);
    // The store that read the slot map before the reshard (and never since) follows MOVED.
    expect((await stale.loadContext(contexts[2]!.localContextId))?.peer).toBe(contexts[2]!.peer);
    expect(await stale.acceptReceived(contexts[3]!.localContextId, 'request', lastSeq + 10, 'aaaaaaaaaaaaaaaa')).toBe('fresh');
    expect(await a.acceptReceived(contexts[3]!.localContextId, 'request', lastSeq + 11, 'aaaaaaaaaaaaaaaa')).toBe('duplicate-message-id');
  }, 120_000);

  it('a slot caught in the middle of its migration (its keys already on the new node, the slot not yet handed over): the store follows ASK there', async () => {
    const a = store('ask-a', 0);
    expect(await a.waitUntilUp(10_000)).toBe(true);
    // A context on the first master, outside the slots the other test moved.
    const source = await cluster.masterOfSlot(MOVED_SLOTS);
    const { context, slot } = await contextInSlots(MOVED_SLOTS, MOVED_SLOTS + 2_048);
    expect((await cluster.masterOfSlot(slot)).port).toBe(source.port);
    const target = (await cluster.masters()).find((node) => node.port !== source.port)!;
    await a.saveContext(context);
    expect(await a.acceptReceived(context.localContextId, 'request', 1, '0000000000000001')).toBe('fresh');

    // What redis-cli --cluster reshard does for one slot, stopped before the slot is handed over.
    const [sourceId, targetId] = await Promise.all([cluster.nodeId(source), cluster.nodeId(target)]);
    await target.cli(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId]);
    await source.cli(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId]);
    const keys = (await source.cli(['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])).split('\n').filter((key) => key !== '');
    expect(keys.length).toBeGreaterThanOrEqual(3);
    await source.cli(['MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'AUTH', PASSWORD, 'KEYS', ...keys]);
    expect(await keysOn(source)).toEqual(expect.not.arrayContaining(keys));
    const { asking: askingBefore } = await migrationCounts();

    // The source answers ASK for every command on the context now; the target serves it after ASKING.
    expect(await a.acceptReceived(context.localContextId, 'request', 1, '0000000000000001')).toBe('replayed');
    expect(await a.acceptReceived(context.localContextId, 'request', 2, '0000000000000002')).toBe('fresh');
    expect((await a.loadContext(context.localContextId))?.peer).toBe(context.peer);
    const reserved = await a.reserveSequences(context.localContextId, 'request', 10, 0);
    expect(reserved).not.toBe('unknown-context');
    expect((await migrationCounts()).asking - askingBefore).toBeGreaterThanOrEqual(4);

    // Handed over: the same answers from the new owner, without redirections.
    for (const node of await cluster.masters()) await node.cli(['CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId]);
    await cluster.waitHealthy();
    expect(await a.acceptReceived(context.localContextId, 'request', 2, '0000000000000002')).toBe('replayed');
    expect(await a.acceptReceived(context.localContextId, 'request', 3, '0000000000000003')).toBe('fresh');
  }, 60_000);

  it("a slot whose migration stopped with a context's keys split between the nodes: the check of a received message is refused (TRYAGAIN), not half-done; once the keys are together it is answered as it would have been", async () => {
    const a = store('tryagain-a', 0);
    expect(await a.waitUntilUp(10_000)).toBe(true);
    // A context on a slot neither test above touched.
    const { context, slot } = await contextInSlots(MOVED_SLOTS + 2_048, MOVED_SLOTS + 4_096);
    const source = await cluster.masterOfSlot(slot);
    const target = (await cluster.masters()).find((node) => node.port !== source.port)!;
    const id = context.localContextId;
    await a.saveContext(context);
    expect(await a.acceptReceived(id, 'request', 1, '0000000000000001')).toBe('fresh');
    // The check's script reads and writes the context, its SEQ window and its messageIds (one slot).
    const [hash, window, ids] = [contextKey(context), `${contextKey(context)}:rx:request`, `${contextKey(context)}:ids:request`];
    expect((await source.cli(['CLUSTER', 'GETKEYSINSLOT', String(slot), '100'])).split('\n').filter((key) => key !== '').sort()).toEqual([hash, ids, window].sort());

    // The migration moves the SEQ window and stops there (an operator's reshard that died midway).
    const [sourceId, targetId] = await Promise.all([cluster.nodeId(source), cluster.nodeId(target)]);
    await target.cli(['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId]);
    await source.cli(['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId]);
    await source.cli(['MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'AUTH', PASSWORD, 'KEYS', window]);
    const { tryagain: tryagainBefore } = await migrationCounts();

    // The script cannot run on either node (TRYAGAIN); after its retries the store reports itself unavailable: no verdict.
    await expect(a.acceptReceived(id, 'request', 2, '0000000000000002')).rejects.toBeInstanceOf(StateStoreUnavailable);
    expect((await migrationCounts()).tryagain - tryagainBefore).toBeGreaterThanOrEqual(1);
    // A command on one key that is still on the source is served meanwhile.
    expect((await a.loadContext(id))?.peer).toBe(context.peer);

    // The migration finished: the refused check had recorded nothing, the earlier one moved along.
    await source.cli(['MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'AUTH', PASSWORD, 'KEYS', hash, ids]);
    for (const node of await cluster.masters()) await node.cli(['CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId]);
    await cluster.waitHealthy();
    expect(await a.acceptReceived(id, 'request', 2, '0000000000000002')).toBe('fresh');
    expect(await a.acceptReceived(id, 'request', 1, '0000000000000001')).toBe('replayed');
    expect((await cluster.masterOf(hash)).port).toBe(target.port);
  }, 60_000);
});
