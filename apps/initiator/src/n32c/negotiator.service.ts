import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { N32fErrorType } from '@sepp/protocol';
import {
  ConfigService,
  HandshakeClient,
  N32fContextsService,
  N32fControlService,
  PeerRegistry,
  SEPP_LOGGER,
  SeppMetrics,
  type ConfigReload,
  type N32Connection,
  type PeerChannel,
  type PeerSettings,
  type ReceivedErrorReport,
  type SeppLogger,
} from '@sepp/server';
import { ParamsClient } from './params.client';
import { PeerLink } from './peer-link';

/**
 * Keeps one {@link PeerLink} per configured peer: negotiates at start, renegotiates when our own
 * capabilities change (TS 33.501 13.5: "when its own security capabilities have changed"),
 * follows peer additions, removals and changes on reload, and releases every peer at shutdown.
 * It is also how PRINS procedures reach a peer on N32-c (PeerChannel).
 */
@Injectable()
export class NegotiatorService implements OnApplicationBootstrap, BeforeApplicationShutdown, PeerChannel {
  private readonly links = new Map<string, PeerLink>();
  private readonly onReload = (reload: ConfigReload): void => this.applyReload(reload);
  private readonly onErrorReport = (report: ReceivedErrorReport): void => this.applyErrorReport(report);

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly client: HandshakeClient,
    private readonly params: ParamsClient,
    private readonly contexts: N32fContextsService,
    private readonly control: N32fControlService,
    private readonly metrics: SeppMetrics,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    control.useChannel(this);
  }

  onApplicationBootstrap(): void {
    for (const peer of this.config.current.n32.peers) this.add(peer).request('start-up');
    this.config.on('reload', this.onReload);
    this.control.on('errorReport', this.onErrorReport);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.config.off('reload', this.onReload);
    this.control.off('errorReport', this.onErrorReport);
    await Promise.all([...this.links.values()].map((link) => link.release('shutdown')));
    this.links.clear();
  }

  /** The link to a configured peer. */
  link(fqdn: string): PeerLink | undefined {
    return this.links.get(fqdn);
  }

  /** PeerChannel: an N32-c connection to a peer, for n32f-error and n32f-terminate. */
  connectionTo(peer: string): Promise<N32Connection> {
    const link = this.links.get(peer);
    return link ? link.n32cConnection() : Promise.reject(new Error(`${peer} is not a configured peer`));
  }

  /** Negotiate with every peer now (used by reload and by operators through the admin API). */
  renegotiateAll(reason: string): void {
    for (const link of this.links.values()) link.request(reason);
  }

  /** Operators: tear the peer's N32-f context down on both sides (n32f-terminate). */
  async terminateContext(peer: string): Promise<{ terminated: string | null; acknowledged: boolean }> {
    const context = this.contexts.table.ofPeer(peer);
    if (!context) return { terminated: null, acknowledged: false };
    const acknowledged = await this.control.terminate(peer, context.localContextId, 'operator request');
    return { terminated: context.localContextId, acknowledged };
  }

  private add(peer: PeerSettings): PeerLink {
    const link = new PeerLink(peer, {
      config: this.config,
      peers: this.peers,
      client: this.client,
      params: this.params,
      contexts: this.contexts,
      control: this.control,
      metrics: this.metrics,
      logger: this.logger,
    });
    this.links.set(peer.fqdn, link);
    return link;
  }

  /**
   * A peer that lost our N32-f context cannot read what we send: set up a new one. Only when the
   * report is about a context we hold with that peer (it names the context by either ID, or the
   * message one of the last we sent on it): a report about nothing of ours (in TLS mode, a stale
   * or made-up message) changes nothing.
   */
  private applyErrorReport({ peer, info }: ReceivedErrorReport): void {
    if (info.n32fErrorType !== N32fErrorType.CONTEXT_NOT_FOUND) return;
    const named = info.n32fContextId?.toLowerCase();
    const ours = this.contexts.table
      .list()
      .some((context) => context.params.peer === peer && (context.localContextId === named || context.remoteContextId === named || context.sentRecently(info.n32fMessageId)));
    if (!ours) {
      this.logger.info({ peer, n32fContextId: info.n32fContextId }, 'CONTEXT_NOT_FOUND names no N32-f context of ours with this peer: ignored');
      return;
    }
    this.contexts.dropPeer(peer, 'the peer reported CONTEXT_NOT_FOUND');
    this.links.get(peer)?.request('the peer lost the N32-f context');
  }

  private applyReload({ previous, current, changed }: ConfigReload): void {
    const before = new Map(previous.n32.peers.map((peer) => [peer.fqdn, peer]));
    const after = new Map(current.n32.peers.map((peer) => [peer.fqdn, peer]));
    for (const [fqdn, link] of this.links) {
      if (!after.has(fqdn)) {
        this.links.delete(fqdn);
        void link.release('peer removed from the configuration').then(() => this.peers.forget(fqdn));
      }
    }
    const ownChange = ['capabilities', 'identity', 'n32f', 'prins'].some((area) => changed.includes(area));
    for (const [fqdn, peer] of after) {
      const link = this.links.get(fqdn);
      if (!link) this.add(peer).request('peer added');
      else if (JSON.stringify(before.get(fqdn)) !== JSON.stringify(peer)) link.update(peer);
      else if (ownChange) link.request('own capabilities changed');
    }
  }
}
