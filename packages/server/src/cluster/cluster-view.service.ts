import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { SeppLogger } from '../logging/logger';
import { PeerRegistry, type PeerView } from '../peers/peer-registry.service';
import { N32fContextsService, type N32fContextView } from '../prins/n32f-contexts.service';
import { SEPP_LOGGER, SEPP_ROLE, SEPP_STATE, type SeppRole } from '../runtime/sepp-runtime';
import type { N32StateStore, ReplicaView, StoredContextSummary } from '../state/state-store';

/** How often a replica publishes its view, and how long a view counts when not refreshed. */
const PUBLISH_EVERY_MS = 2_000;
const VIEW_TTL_MS = 3 * PUBLISH_EVERY_MS;

/** One peer as a replica sees it: its state and this replica's connections to or from it. */
export interface ReplicaPeerView {
  fqdn: string;
  state: PeerView['state'];
  mechanism: PeerView['mechanism'];
  since: string;
  connections: unknown;
}

/** What this replica says about its N32 connections to/from a peer (set by the app). */
export type ConnectionsProvider = (peer: string) => unknown;

/**
 * The cluster view for operators (`/admin/peers`, `/admin/contexts` on any replica): each replica
 * publishes its own view (peers with state and connections, the contexts it holds) to the state
 * store every 2 s and when a peer changes; any replica lists every replica's. With the in-memory
 * store the cluster is this process: nothing is published, its view is built when asked.
 */
@Injectable()
export class ClusterViewService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;
  private connections: ConnectionsProvider = () => null;
  private publishing = false;
  /** A change came while publishing: publish again once done. */
  private stale = false;
  /** A publication is scheduled for the changes of this turn of the event loop. */
  private scheduled: NodeJS.Immediate | null = null;
  private stopped = false;
  /**
   * A negotiation changes its peer several times in one go (and every change would rebuild the
   * whole view): the changes of one turn of the event loop are published together, right after it.
   */
  private readonly onPeerChange = (): void => {
    this.scheduled ??= setImmediate(() => {
      this.scheduled = null;
      void this.publish();
    });
  };

  constructor(
    @Inject(SEPP_STATE) private readonly store: N32StateStore,
    @Inject(SEPP_ROLE) private readonly role: SeppRole,
    private readonly peers: PeerRegistry,
    private readonly contexts: N32fContextsService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  get replicaId(): string {
    return this.store.replicaId;
  }

  /** The app says how to describe its connections with a peer. */
  useConnections(provider: ConnectionsProvider): void {
    this.connections = provider;
  }

  onApplicationBootstrap(): void {
    // Not shared (the in-memory store): nobody else reads a publication, and `cluster()` builds
    // this replica's view fresh; publishing would rebuild it (every context listed) at each change.
    if (!this.store.shared) return;
    this.peers.on('change', this.onPeerChange);
    this.timer = setInterval(() => void this.publish(), PUBLISH_EVERY_MS);
    this.timer.unref();
    void this.publish();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.peers.off('change', this.onPeerChange);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    await this.store.removeReplica(this.store.replicaId).catch(() => undefined);
  }

  /** This replica's view now. */
  own(): ReplicaView {
    return {
      replica: this.store.replicaId,
      role: this.role,
      updatedAt: new Date().toISOString(),
      peers: this.peers.view().map((peer): ReplicaPeerView => ({ fqdn: peer.fqdn, state: peer.state, mechanism: peer.mechanism, since: peer.since, connections: this.connections(peer.fqdn) })),
      contexts: this.contexts.view() satisfies N32fContextView[],
    };
  }

  /** Every replica's view (this one fresh); `error` when the store cannot be read. */
  async cluster(): Promise<{ replicas: ReplicaView[]; error: string | null }> {
    const own = this.own();
    try {
      const others = (await this.store.listReplicas()).filter((view) => view.replica !== own.replica);
      return { replicas: [own, ...others].sort((a, b) => a.replica.localeCompare(b.replica)), error: null };
    } catch (error) {
      return { replicas: [own], error: (error as Error).message };
    }
  }

  /** The contexts in the store (every replica's), or the error. */
  async storedContexts(): Promise<{ contexts: StoredContextSummary[]; error: string | null }> {
    try {
      return { contexts: await this.store.listContexts(), error: null };
    } catch (error) {
      return { contexts: [], error: (error as Error).message };
    }
  }

  private async publish(): Promise<void> {
    if (this.stopped) return;
    if (this.publishing) {
      this.stale = true;
      return;
    }
    this.publishing = true;
    try {
      await this.store.publishReplica(this.own(), VIEW_TTL_MS);
    } catch (error) {
      this.logger.debug({ error: (error as Error).message }, 'replica view not published');
    } finally {
      this.publishing = false;
    }
    if (this.stale) {
      this.stale = false;
      await this.publish();
    }
  }
}
