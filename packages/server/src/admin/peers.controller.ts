import { Controller, Get, Param } from '@nestjs/common';
import { PeerRegistry, type PeerView } from '../peers/peer-registry.service';
import { ProblemException } from '../problem/problem.exception';

@Controller('admin/peers')
export class PeersController {
  constructor(private readonly peers: PeerRegistry) {}

  /** Per peer: FQDN, state, selected mechanism, since, last error, attempts. */
  @Get()
  list(): { peers: PeerView[] } {
    return { peers: this.peers.view() };
  }

  @Get(':fqdn')
  one(@Param('fqdn') fqdn: string): PeerView {
    const view = this.peers.view().find((peer) => peer.fqdn === fqdn.toLowerCase());
    if (!view) throw new ProblemException({ status: 404, cause: 'RESOURCE_NOT_FOUND', detail: `no peer ${fqdn}` });
    return view;
  }
}
