import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ReadinessService } from '../runtime/readiness.service';
import { PROBLEM_JSON } from '../problem/problem-details.filter';

@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  /** Liveness: the process answers. */
  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: 200 only once every listener is up (and not while shutting down). Dependencies are
   * listed by name (`state`: the shared store); one that is down turns the status to `degraded`.
   */
  @Get('readyz')
  readyz(@Res() reply: FastifyReply): void {
    const state = this.readiness.describe();
    if (state.ready) {
      // A dependency that is down is named, but does not take the replica out of service.
      void reply.status(200).send({
        status: state.degraded.length > 0 ? 'degraded' : 'ready',
        listeners: state.listeners,
        ...dependenciesOf(state.dependencies),
        ...(state.degraded.length > 0 ? { detail: `down: ${state.degraded.map((name) => `${name} (${state.dependencies[name]!.detail})`).join(', ')}` } : {}),
      });
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
          ...dependenciesOf(state.dependencies),
        }),
      );
  }
}

/** `dependencies` when the app has any (the SEPPs: `state`; the IPX relay none). */
function dependenciesOf(dependencies: Record<string, unknown>): { dependencies?: Record<string, unknown> } {
  return Object.keys(dependencies).length > 0 ? { dependencies } : {};
}
