import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { N32C_HANDSHAKE_API } from '@sepp/protocol';
import { peerDnsNames } from '@sepp/server';
import { HandshakeService } from './handshake.service';
import { ParamsService } from './params.service';
import { N32SessionsService } from './n32-sessions.service';

/** Inbound N32-c (TS 29.573 N32_Handshake API). Transport only: decoding, the connection, the answer. */
@Controller(N32C_HANDSHAKE_API)
export class HandshakeController {
  constructor(
    private readonly handshake: HandshakeService,
    private readonly params: ParamsService,
    private readonly sessions: N32SessionsService,
  ) {}

  @Post('exchange-capability')
  @HttpCode(200)
  exchangeCapability(
    @Body() body: unknown,
    @Req() request: FastifyRequest<{ Body: unknown }>,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): unknown {
    const raw = request.raw as unknown as Http2ServerRequest;
    const response = reply.raw as unknown as Http2ServerResponse;
    return this.answerCapability(body, raw.stream, (then) => response.once('finish', then));
  }

  /**
   * `exchange-capability` on the stream it came on, for this route and for the N32 listener's fast
   * path (`n32cFastPath`, which serves it without the framework): the answer's body; when the
   * connection must end, `afterAnswer` gets what closes it once the answer is out.
   */
  answerCapability(body: unknown, stream: ServerHttp2Stream, afterAnswer: (then: () => void) => void): unknown {
    const session = stream.session!;
    const socket = session.socket as TLSSocket;
    this.sessions.countN32c(session);
    const answer = this.handshake.exchangeCapability(body, { peerDnsNames: peerDnsNames(socket) });
    if (answer.agreed) {
      this.sessions.bind(answer.peer, session);
    } else {
      this.sessions.unbind(answer.peer, session);
    }
    if (answer.terminate) {
      const reason = answer.terminate;
      afterAnswer(() => this.sessions.closeAfterAnswer(session, answer.peer, reason));
    }
    return answer.body;
  }

  /** PRINS parameter exchange (TS 29.573 5.2.3), on the connection PRINS was selected on. */
  @Post('exchange-params')
  @HttpCode(200)
  exchangeParams(@Body() body: unknown, @Req() request: FastifyRequest<{ Body: unknown }>): Promise<unknown> {
    const session = (request.raw as unknown as Http2ServerRequest).stream.session!;
    this.sessions.countN32c(session);
    const socket = session.socket as TLSSocket;
    return this.params.exchangeParams(body, this.sessions.boundPeerOf(session), session, peerDnsNames(socket));
  }
}
