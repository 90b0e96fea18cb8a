import { Controller, HttpCode, Options, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { N32F_FORWARD_API } from '@sepp/protocol';
import { RelayService } from './relay.service';

/** The N32-f hop (mutual TLS, HTTP/2): `POST {apiRoot}/n32f-forward/v1/n32f-process`. */
@Controller(N32F_FORWARD_API)
export class N32fRelayController {
  constructor(private readonly relay: RelayService) {}

  @Post('n32f-process')
  async process(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const answer = await this.relay.relay(request.url, request.headers, request.body);
    await reply.status(answer.status).headers(answer.headers).send(answer.body);
  }

  /** TS 29.573 5.1: OPTIONS answers 204; no Accept-Encoding, so senders use the identity coding. */
  @Options('n32f-process')
  @HttpCode(204)
  options(): void {}
}
