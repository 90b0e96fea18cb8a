import { Module } from '@nestjs/common';
import { HandshakeClient } from '@sepp/server';
import { ConnectionsController } from './connections.controller';
import { HandshakeService } from './handshake.service';
import { N32SessionsService } from './n32-sessions.service';
import { ParamsService } from './params.service';
import { PeerConnectionsService } from './peer-connections.service';
import { RenegotiationService } from './renegotiation.service';

/**
 * The responder's N32-c services. The handshake controller is mounted on the N32 listener
 * (listeners.ts); ConnectionsController, declared here, is served on the admin listener.
 */
@Module({
  controllers: [ConnectionsController],
  providers: [HandshakeService, ParamsService, N32SessionsService, PeerConnectionsService, HandshakeClient, RenegotiationService],
  exports: [HandshakeService, ParamsService, N32SessionsService, RenegotiationService],
})
export class N32cModule {}
