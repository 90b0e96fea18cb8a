import { Module } from '@nestjs/common';
import { PeerRegistry } from '../peers/peer-registry.service';
import { PeerTimeline } from './peer-timeline';
import { SeppStatusService } from './sepp-status.service';
import { STATUS_SOURCE, StatusPageController } from './status-page.controller';

/**
 * A SEPP's status page on its admin listener (`GET /`, `GET /admin/status`). The timeline follows
 * the peer registry from the moment the module is created, before any negotiation starts.
 */
@Module({
  controllers: [StatusPageController],
  providers: [
    {
      provide: PeerTimeline,
      inject: [PeerRegistry],
      useFactory: (peers: PeerRegistry): PeerTimeline => {
        const timeline = new PeerTimeline();
        timeline.follow(peers);
        return timeline;
      },
    },
    SeppStatusService,
    { provide: STATUS_SOURCE, useExisting: SeppStatusService },
  ],
})
export class SeppStatusModule {}
