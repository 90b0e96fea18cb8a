import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ProblemException } from '@sepp/server';
import { NegotiatorService } from './negotiator.service';

/** Admin (served on the admin listener): operator actions on one peer. */
@Controller('admin/peers')
export class PeersAdminController {
  constructor(private readonly negotiator: NegotiatorService) {}

  /** Tear the peer's N32-f context down on both sides (TS 29.573 n32f-terminate). */
  @Post(':fqdn/n32f-terminate')
  @HttpCode(200)
  async terminate(@Param('fqdn') fqdn: string): Promise<{ terminated: string; acknowledged: boolean }> {
    const outcome = await this.negotiator.terminateContext(fqdn.toLowerCase());
    if (!outcome.terminated) throw new ProblemException({ status: 404, cause: 'CONTEXT_NOT_FOUND', detail: `no N32-f context with ${fqdn}` });
    return { terminated: outcome.terminated, acknowledged: outcome.acknowledged };
  }

  /**
   * Release N32 with the peer now (n32f-terminate of a PRINS context, exchange-capability with
   * ["NONE"], close) and keep it released: no retries and no negotiation for N32-f traffic until
   * POST /admin/peers/renegotiate.
   */
  @Post(':fqdn/release')
  @HttpCode(200)
  async release(@Param('fqdn') fqdn: string): Promise<{ released: string; acknowledged: boolean }> {
    const peer = fqdn.toLowerCase();
    const outcome = await this.negotiator.releasePeer(peer, 'operator request');
    if (!outcome) throw new ProblemException({ status: 404, cause: 'RESOURCE_NOT_FOUND', detail: `no configured peer ${fqdn}` });
    return { released: peer, acknowledged: outcome.acknowledged };
  }

  /** Negotiate again with every peer now (also those released by an operator). */
  @Post('renegotiate')
  @HttpCode(202)
  renegotiate(): { renegotiating: true } {
    this.negotiator.renegotiateAll('operator request');
    return { renegotiating: true };
  }
}
