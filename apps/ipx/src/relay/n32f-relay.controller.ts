import { Controller, HttpCode, Options, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { N32F_FORWARD_API } from '@sepp/protocol';
import { clientCertificateName } from '@sepp/server';
import { IpxStatusService } from '../status/ipx-status.service';
import { RelayService } from './relay.service';

/** The N32-f hop (mutual TLS, HTTP/2): `POST {apiRoot}/n32f-forward/v1/n32f-process`. */
@Controller(N32F_FORWARD_API)
export class N32fRelayController {
  constructor(
    private readonly relay: RelayService,
    private readonly status: IpxStatusService,
  ) {}

  /** A relayed exchange counts as answered for its sender (the status page); a refusal is counted by the problem filter. */
  @Post('n32f-process')
  async process(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const startedAt = process.hrtime.bigint();
    const answer = await this.relay.relay(request.url, request.headers, request.body);
    await reply.status(answer.status).headers(answer.headers).send(answer.body);
    this.status.traffic.record(clientCertificateName(request), 'inbound', 'answered', undefined, Number(process.hrtime.bigint() - startedAt) / 1e6);
  }

  /** TS 29.573 5.1: OPTIONS answers 204; no Accept-Encoding, so senders use the identity coding. */
  @Options('n32f-process')
  @HttpCode(204)
  options(): void {}
}
