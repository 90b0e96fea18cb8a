import { Controller, Get } from '@nestjs/common';
import { ClusterViewService } from '../cluster/cluster-view.service';
import { N32fContextsService, type N32fContextView } from '../prins/n32f-contexts.service';
import type { ReplicaView, StoredContextSummary } from '../state/state-store';

/**
 * The N32-f (PRINS) contexts: this replica's (never the keys, only who, which IDs, which suite,
 * how many messages), every replica's view, and what the state store holds.
 */
@Controller('admin/contexts')
export class ContextsController {
  constructor(
    private readonly contexts: N32fContextsService,
    private readonly cluster: ClusterViewService,
  ) {}

  @Get()
  async list(): Promise<{ replica: string; contexts: N32fContextView[]; cluster: ReplicaView[]; stored: StoredContextSummary[]; storeError: string | null }> {
    const [cluster, stored] = await Promise.all([this.cluster.cluster(), this.cluster.storedContexts()]);
    return { replica: this.cluster.replicaId, contexts: this.contexts.view(), cluster: cluster.replicas, stored: stored.contexts, storeError: cluster.error ?? stored.error };
  }
}
