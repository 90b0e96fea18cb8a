import { Controller, Get, Param } from '@nestjs/common';
import { ClusterViewService } from '../cluster/cluster-view.service';
import { PeerRegistry, type PeerView } from '../peers/peer-registry.service';
import { ProblemException } from '../problem/problem.exception';
import type { ReplicaView } from '../state/state-store';

@Controller('admin/peers')
export class PeersController {
  constructor(
    private readonly peers: PeerRegistry,
    private readonly cluster: ClusterViewService,
  ) {}

  /**
   * Per peer: FQDN, state, selected mechanism, since, last error, attempts (this replica); and
   * every replica's view (replica ID, state and connections per peer).
   */
  @Get()
  async list(): Promise<{ replica: string; peers: PeerView[]; cluster: Omit<ReplicaView, 'contexts'>[]; clusterError: string | null }> {
    const cluster = await this.cluster.cluster();
    return { replica: this.cluster.replicaId, peers: this.peers.view(), cluster: cluster.replicas.map(({ contexts: _contexts, ...view }) => view), clusterError: cluster.error };
  }

  @Get(':fqdn')
  one(@Param('fqdn') fqdn: string): PeerView {
    const view = this.peers.view().find((peer) => peer.fqdn === fqdn.toLowerCase());
    if (!view) throw new ProblemException({ status: 404, cause: 'RESOURCE_NOT_FOUND', detail: `no peer ${fqdn}` });
    return view;
  }
}
