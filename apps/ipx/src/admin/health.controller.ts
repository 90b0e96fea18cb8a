import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PROBLEM_JSON, ReadinessService } from '@sepp/server';

/** `/healthz` (the process answers) and `/readyz` (200 once every listener is up), as on the SEPPs. */
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  readyz(@Res() reply: FastifyReply): void {
    const state = this.readiness.describe();
    if (state.ready) {
      void reply.status(200).send({ status: 'ready', listeners: state.listeners });
      return;
    }
    void reply
      .status(503)
      .header('content-type', PROBLEM_JSON)
      .send(
        JSON.stringify({
          title: 'Service Unavailable',
          status: 503,
          cause: 'INSUFFICIENT_RESOURCES',
          detail: state.stopping ? 'shutting down' : 'not every listener is up yet',
          listeners: state.listeners,
        }),
      );
  }
}
