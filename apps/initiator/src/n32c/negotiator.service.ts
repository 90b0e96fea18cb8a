import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService, PeerRegistry, SEPP_LOGGER, type ConfigReload, type PeerSettings, type SeppLogger } from '@sepp/server';
import { HandshakeClient } from './handshake.client';
import { PeerLink } from './peer-link';

/**
 * Keeps one {@link PeerLink} per configured peer: negotiates at start, renegotiates when our own
 * capabilities change (TS 33.501 13.5: "when its own security capabilities have changed"),
 * follows peer additions, removals and changes on reload, and releases every peer at shutdown.
 */
@Injectable()
export class NegotiatorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly links = new Map<string, PeerLink>();
  private readonly onReload = (reload: ConfigReload): void => this.applyReload(reload);

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly client: HandshakeClient,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  onApplicationBootstrap(): void {
    for (const peer of this.config.current.n32.peers) this.add(peer).request('start-up');
    this.config.on('reload', this.onReload);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.config.off('reload', this.onReload);
    await Promise.all([...this.links.values()].map((link) => link.release('shutdown')));
    this.links.clear();
  }

  /** The link to a configured peer. */
  link(fqdn: string): PeerLink | undefined {
    return this.links.get(fqdn);
  }

  /** Negotiate with every peer now (used by reload and by operators through the admin API). */
  renegotiateAll(reason: string): void {
    for (const link of this.links.values()) link.request(reason);
  }

  private add(peer: PeerSettings): PeerLink {
    const link = new PeerLink(peer, { config: this.config, peers: this.peers, client: this.client, logger: this.logger });
    this.links.set(peer.fqdn, link);
    return link;
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
    const ownChange = changed.includes('capabilities') || changed.includes('identity') || changed.includes('n32f');
    for (const [fqdn, peer] of after) {
      const link = this.links.get(fqdn);
      if (!link) this.add(peer).request('peer added');
      else if (JSON.stringify(before.get(fqdn)) !== JSON.stringify(peer)) link.update(peer);
      else if (ownChange) link.request('own capabilities changed');
    }
  }
}
