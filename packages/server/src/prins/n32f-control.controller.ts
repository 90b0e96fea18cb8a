import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Http2ServerRequest } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { N32C_HANDSHAKE_API } from '@sepp/protocol';
import { peerDnsNames } from '../tls/certificate-names';
import { N32fControlService } from './n32f-control.service';

/** Inbound n32f-error and n32f-terminate (TS 29.573 N32_Handshake API), on both apps' N32 listeners. */
@Controller(N32C_HANDSHAKE_API)
export class N32fControlController {
  constructor(private readonly control: N32fControlService) {}

  @Post('n32f-error')
  @HttpCode(204)
  n32fError(@Body() body: unknown, @Req() request: FastifyRequest): void {
    this.control.receiveErrorReport(this.peerOf(request), body);
  }

  @Post('n32f-terminate')
  @HttpCode(200)
  n32fTerminate(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ n32fContextId: string }> {
    return this.control.receiveTerminate(this.peerOf(request), body);
  }

  private peerOf(request: FastifyRequest): string {
    const socket = (request.raw as unknown as Http2ServerRequest).stream.session!.socket as TLSSocket;
    return this.control.peerOfCertificate(peerDnsNames(socket));
  }
}
