import { Global, Module } from '@nestjs/common';
import { N32fContextsService } from './n32f-contexts.service';
import { N32fControlService } from './n32f-control.service';
import { ClusterViewService } from '../cluster/cluster-view.service';

/**
 * PRINS state and procedures shared by both apps, and the cluster view of the replicas (global: the negotiation and both forwarding
 * sides use them). The app hands N32fControlService its PeerChannel (`useChannel`), and mounts
 * N32fControlController on its N32 listener.
 */
@Global()
@Module({ providers: [N32fContextsService, N32fControlService, ClusterViewService], exports: [N32fContextsService, N32fControlService, ClusterViewService] })
export class PrinsModule {}
