import { Inject, Injectable } from '@nestjs/common';
import { ConfigService, dialPeer, N32Connection, N32fControlService, SEPP_LOGGER, SeppMetrics, type PeerChannel, type SeppLogger } from '@sepp/server';

/**
 * The responder's own N32-c connections to peers (TS 33.501 13.2.2.2 step 5): opened to the peer's
 * `address` when PRINS needs to send a request (n32f-error, n32f-terminate), without a
 * negotiation, and when the responder renegotiates itself (RenegotiationService); reused while open.
 */
@Injectable()
export class PeerConnectionsService implements PeerChannel {
  private readonly open = new Map<string, Promise<N32Connection>>();

  constructor(
    private readonly config: ConfigService,
    control: N32fControlService,
    private readonly metrics: SeppMetrics,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    control.useChannel(this);
  }

  connectionTo(peer: string): Promise<N32Connection> {
    const existing = this.open.get(peer);
    if (existing) {
      return existing.then((connection) => (connection.open ? connection : this.dial(peer)));
    }
    return this.dial(peer);
  }

  private dial(peer: string): Promise<N32Connection> {
    const config = this.config.current;
    const settings = config.n32.peers.find((candidate) => candidate.fqdn === peer);
    if (!settings) return Promise.reject(new Error(`${peer} is not a configured peer`));
    const opening = dialPeer(() => N32Connection.open(config, settings, config.n32.requestTimeoutMs, undefined, this.metrics), this.metrics);
    this.open.set(peer, opening);
    opening.then(
      (connection) => {
        this.logger.info({ peer, dial: `${settings.dial.host}:${settings.dial.port}` }, 'second N32-c connection up');
        connection.onClose(() => {
          if (this.open.get(peer) === opening) this.open.delete(peer);
        });
      },
      () => {
        if (this.open.get(peer) === opening) this.open.delete(peer);
      },
    );
    return opening;
  }
}
