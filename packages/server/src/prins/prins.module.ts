import { Global, Module } from '@nestjs/common';
import { N32fContextsService } from './n32f-contexts.service';
import { N32fControlService } from './n32f-control.service';

/**
 * PRINS state and procedures shared by both apps (global: the negotiation and both forwarding
 * sides use them). The app hands N32fControlService its PeerChannel (`useChannel`), and mounts
 * N32fControlController on its N32 listener.
 */
@Global()
@Module({ providers: [N32fContextsService, N32fControlService], exports: [N32fContextsService, N32fControlService] })
export class PrinsModule {}
