import { Inject, Injectable } from '@nestjs/common';
import { ConfigService, dialPeer, N32Connection, N32fControlService, SEPP_LOGGER, SeppMetrics, type PeerChannel, type SeppLogger, type StatusConnection } from '@sepp/server';

/**
 * The responder's own N32-c connections to peers (TS 33.501 13.2.2.2 step 5): opened to the peer's
 * `address` (the first of its addresses that answers) when PRINS needs to send a request
 * (n32f-error, n32f-terminate), without a negotiation, and when the responder renegotiates itself
 * (RenegotiationService); reused while open.
 */
@Injectable()
export class PeerConnectionsService implements PeerChannel {
  private readonly open = new Map<string, Promise<N32Connection>>();
  /** The connections of `open` that are up. */
  private readonly up = new Map<string, N32Connection>();

  constructor(
    private readonly config: ConfigService,
    control: N32fControlService,
    private readonly metrics: SeppMetrics,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    control.useChannel(this);
  }

  /** The second N32-c connections that are up (the status page). */
  statusConnections(): StatusConnection[] {
    return [...this.up.values()].filter((connection) => connection.open).map((connection) => connection.statusView('n32c'));
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
    // The peer's addresses in order (its replicas): the first that answers.
    const opening = (async (): Promise<N32Connection> => {
      let lastError: unknown;
      for (const { host, port } of settings.dials) {
        try {
          return await dialPeer(() => N32Connection.open(config, settings, config.n32.requestTimeoutMs, { fqdn: settings.fqdn, host, port }, this.metrics), this.metrics, peer);
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError;
    })();
    this.open.set(peer, opening);
    opening.then(
      (connection) => {
        this.logger.info({ peer, dial: `${connection.socket.remoteAddress}:${connection.socket.remotePort}` }, 'second N32-c connection up');
        this.up.set(peer, connection);
        connection.onClose(() => {
          if (this.open.get(peer) === opening) this.open.delete(peer);
          if (this.up.get(peer) === connection) this.up.delete(peer);
        });
      },
      () => {
        if (this.open.get(peer) === opening) this.open.delete(peer);
      },
    );
    return opening;
  }
}
