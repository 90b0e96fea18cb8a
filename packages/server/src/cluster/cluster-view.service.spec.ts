import { EventEmitter } from 'node:events';
import type { SeppLogger } from '../logging/logger';
import type { PeerRegistry } from '../peers/peer-registry.service';
import type { N32fContextsService } from '../prins/n32f-contexts.service';
import { MemoryStateStore } from '../state/memory-store';
import type { ReplicaView } from '../state/state-store';
import { ClusterViewService } from './cluster-view.service';

/** A peer registry and a context service as the view reads them: changes, and lists counted. */
function fakes(): { peers: PeerRegistry; contexts: N32fContextsService; change: () => void; listed: () => number } {
  const emitter = new EventEmitter();
  let listed = 0;
  const peers = Object.assign(emitter, { view: () => [] }) as unknown as PeerRegistry;
  const contexts = {
    view: () => {
      listed += 1;
      return [];
    },
  } as unknown as N32fContextsService;
  return { peers, contexts, change: () => emitter.emit('change', {}), listed: () => listed };
}

const logger = { debug: () => undefined } as unknown as SeppLogger;

/** The in-memory store, said to be shared (as Redis is): what it was given is what was published. */
class SharedMemoryStore extends MemoryStateStore {
  override readonly shared = true as unknown as false;
  readonly published: ReplicaView[] = [];
  override async publishReplica(view: ReplicaView): Promise<void> {
    this.published.push(view);
    await super.publishReplica(view);
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClusterViewService', () => {
  it('with a store nobody else reads (in memory), publishes nothing and builds its view when asked', async () => {
    const store = new MemoryStateStore('r1');
    const publish = jest.spyOn(store, 'publishReplica');
    const { peers, contexts, change, listed } = fakes();
    const service = new ClusterViewService(store, 'responder', peers, contexts, logger);
    service.onApplicationBootstrap();
    for (let i = 0; i < 5; i++) change();
    await turn();
    await turn();
    expect(publish).not.toHaveBeenCalled();
    expect(listed()).toBe(0);
    const { replicas, error } = await service.cluster();
    expect(error).toBeNull();
    expect(replicas.map((view) => view.replica)).toEqual(['r1']);
    expect(listed()).toBe(1);
    await service.onApplicationShutdown();
  });

  it('with a shared store, publishes at start and once for the changes of one event-loop turn', async () => {
    const store = new SharedMemoryStore('r1');
    const { peers, contexts, change } = fakes();
    const service = new ClusterViewService(store, 'initiator', peers, contexts, logger);
    service.onApplicationBootstrap();
    await turn();
    expect(store.published).toHaveLength(1);
    for (let i = 0; i < 5; i++) change();
    await turn();
    await turn();
    expect(store.published).toHaveLength(2);
    expect(store.published[1]).toMatchObject({ replica: 'r1', role: 'initiator', peers: [], contexts: [] });
    await service.onApplicationShutdown();
  });
});
