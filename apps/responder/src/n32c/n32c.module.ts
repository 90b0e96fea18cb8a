import { Module } from '@nestjs/common';
import { ConnectionsController } from './connections.controller';
import { HandshakeService } from './handshake.service';
import { N32SessionsService } from './n32-sessions.service';
import { ParamsService } from './params.service';
import { PeerConnectionsService } from './peer-connections.service';

/**
 * The responder's N32-c services. The handshake controller is mounted on the N32 listener
 * (listeners.ts); ConnectionsController, declared here, is served on the admin listener.
 */
@Module({ controllers: [ConnectionsController], providers: [HandshakeService, ParamsService, N32SessionsService, PeerConnectionsService], exports: [HandshakeService, ParamsService, N32SessionsService] })
export class N32cModule {}
