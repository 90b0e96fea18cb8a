import { Module } from '@nestjs/common';
import { N32cModule } from '../n32c/n32c.module';
import { PrinsSenderService } from './prins-sender.service';
import { SbiForwarderService } from './sbi-forwarder.service';
import { TelescopicService } from './telescopic.service';

/** The NF-facing side: forwarding to peer SEPPs and the telescopic FQDN table. */
@Module({ imports: [N32cModule], providers: [SbiForwarderService, PrinsSenderService, TelescopicService], exports: [SbiForwarderService, TelescopicService] })
export class SbiModule {}
