import { Module } from '@nestjs/common';
import { HandshakeClient } from '@sepp/server';
import { NegotiatorService } from './negotiator.service';
import { ParamsClient } from './params.client';
import { PeersAdminController } from './peers-admin.controller';

/** The initiator's N32-c: negotiation with every configured peer (its admin actions on the admin listener). */
@Module({ controllers: [PeersAdminController], providers: [HandshakeClient, ParamsClient, NegotiatorService], exports: [NegotiatorService] })
export class N32cModule {}
