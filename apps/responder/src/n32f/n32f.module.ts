import { Module } from '@nestjs/common';
import { N32cModule } from '../n32c/n32c.module';
import { N32fForwarderService } from './n32f-forwarder.service';
import { N32fPeersService } from './n32f-peers.service';
import { PrinsReceiverService } from './prins-receiver.service';

/** The pSEPP's N32-f (TLS mode and PRINS): accepted on the N32 listener and on the optional N32-f listener. */
@Module({ imports: [N32cModule], providers: [N32fForwarderService, N32fPeersService, PrinsReceiverService], exports: [N32fForwarderService, PrinsReceiverService] })
export class N32fModule {}
