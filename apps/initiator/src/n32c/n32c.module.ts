import { Module } from '@nestjs/common';
import { HandshakeClient } from './handshake.client';
import { NegotiatorService } from './negotiator.service';

/** The initiator's N32-c: negotiation with every configured peer. */
@Module({ providers: [HandshakeClient, NegotiatorService], exports: [NegotiatorService] })
export class N32cModule {}
