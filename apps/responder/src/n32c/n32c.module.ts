import { Module } from '@nestjs/common';
import { HandshakeService } from './handshake.service';
import { N32SessionsService } from './n32-sessions.service';

/** The responder's N32-c services; the controller is mounted on the N32 listener. */
@Module({ providers: [HandshakeService, N32SessionsService], exports: [HandshakeService, N32SessionsService] })
export class N32cModule {}
