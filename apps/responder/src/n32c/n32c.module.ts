import { Module } from '@nestjs/common';
import { HandshakeClient, STATUS_CONNECTIONS } from '@sepp/server';
import { ConnectionsController } from './connections.controller';
import { HandshakeService } from './handshake.service';
import { N32SessionsService } from './n32-sessions.service';
import { ParamsService } from './params.service';
import { PeerConnectionsService } from './peer-connections.service';
import { RenegotiationService } from './renegotiation.service';
import { ResponderStatusConnections } from './status-connections';

/**
 * The responder's N32-c services. The handshake controller is mounted on the N32 listener
 * (listeners.ts); ConnectionsController, declared here, is served on the admin listener, and the
 * connections feed the status page (STATUS_CONNECTIONS).
 */
@Module({
  controllers: [ConnectionsController],
  providers: [
    HandshakeService,
    ParamsService,
    N32SessionsService,
    PeerConnectionsService,
    HandshakeClient,
    RenegotiationService,
    { provide: STATUS_CONNECTIONS, useClass: ResponderStatusConnections },
  ],
  exports: [HandshakeService, ParamsService, N32SessionsService, RenegotiationService],
})
export class N32cModule {}
