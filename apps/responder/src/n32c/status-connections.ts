import { Injectable } from '@nestjs/common';
import type { StatusConnection, StatusConnectionSource } from '@sepp/server';
import { N32SessionsService } from './n32-sessions.service';
import { PeerConnectionsService } from './peer-connections.service';

/** The responder's N32 connections for the status page: those peers opened to us, and our second N32-c ones to them. */
@Injectable()
export class ResponderStatusConnections implements StatusConnectionSource {
  constructor(
    private readonly sessions: N32SessionsService,
    private readonly outbound: PeerConnectionsService,
  ) {}

  statusConnections(): StatusConnection[] {
    return [...this.sessions.statusConnections(), ...this.outbound.statusConnections()];
  }
}
