import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { PeerRegistry } from '../peers/peer-registry.service';
import { N32fContextsService } from '../prins/n32f-contexts.service';
import { ConfigService } from '../runtime/config.service';
import { ReadinessService } from '../runtime/readiness.service';
import { SEPP_ROLE, SEPP_STATE, type SeppRole } from '../runtime/sepp-runtime';
import type { N32StateStore } from '../state/state-store';
import { TRAFFIC_RATE_SECONDS, TRAFFIC_WINDOW_SECONDS, UNIDENTIFIED } from './n32f-traffic';
import { PeerTimeline } from './peer-timeline';
import { NO_ACTIONS, STATUS_CONNECTIONS, type PeerStatusView, type StatusActions, type StatusConnection, type StatusConnectionSource, type StatusDocument } from './status-document';

/** The admin actions each SEPP role has (the routes of the admin API). */
export const SEPP_ACTIONS: Readonly<Record<SeppRole, StatusActions>> = {
  initiator: {
    renegotiate: 'admin/peers/renegotiate',
    release: 'admin/peers/{fqdn}/release',
    terminate: 'admin/peers/{fqdn}/n32f-terminate',
  },
  responder: NO_ACTIONS,
};

/**
 * Builds a SEPP's status document from what the admin API already shows (peers, contexts,
 * connections) and the status page's own bounded windows (timeline, N32-f figures, refusals):
 * nothing the JSON API does not, never a key.
 */
@Injectable()
export class SeppStatusService {
  private readonly startedAt = new Date(Date.now() - process.uptime() * 1000).toISOString();

  constructor(
    @Inject(SEPP_ROLE) private readonly role: SeppRole,
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly readiness: ReadinessService,
    private readonly metrics: SeppMetrics,
    private readonly contexts: N32fContextsService,
    private readonly timeline: PeerTimeline,
    private readonly modules: ModuleRef,
    @Inject(SEPP_STATE) private readonly store: N32StateStore,
  ) {}

  document(): StatusDocument {
    const config = this.config.current;
    const { ready, listeners } = this.readiness.describe();
    const connections = this.connections();
    const contexts = this.contexts.view();
    const traffic = this.metrics.traffic;
    const configured = new Map(config.n32.peers.map((peer) => [peer.fqdn, peer.plmns]));
    const peers: PeerStatusView[] = this.peers.view().map((view) => ({
      ...view,
      plmns: configured.get(view.fqdn) ?? view.negotiation?.peerPlmns ?? [],
      connections: connections.filter((connection) => connection.peer === view.fqdn),
      context: contexts.find((context) => context.peer === view.fqdn) ?? null,
      timeline: this.timeline.of(view.fqdn),
      traffic: { inbound: traffic.view(view.fqdn, 'inbound'), outbound: traffic.view(view.fqdn, 'outbound') },
    }));
    const unidentified = traffic.peers().includes(UNIDENTIFIED) ? { inbound: traffic.view(UNIDENTIFIED, 'inbound'), outbound: traffic.view(UNIDENTIFIED, 'outbound') } : null;
    return {
      app: `sepp-${this.role}`,
      role: this.role,
      fqdn: config.sepp.fqdn,
      plmns: config.sepp.plmns,
      now: new Date().toISOString(),
      startedAt: this.startedAt,
      ready,
      listeners,
      load: this.metrics.loadView(),
      store: { ...this.store.health(), failures: this.metrics.stateStoreFailureCount },
      certificates: this.metrics.certificatesView(),
      window: { trafficSeconds: TRAFFIC_WINDOW_SECONDS, rateSeconds: TRAFFIC_RATE_SECONDS, refusalMinutes: this.metrics.refusals.windowMs / 60_000 },
      actions: SEPP_ACTIONS[this.role],
      peers,
      unidentified,
      refusals: this.metrics.refusals.view(),
      relay: null,
    };
  }

  private connections(): StatusConnection[] {
    let source: StatusConnectionSource;
    try {
      source = this.modules.get<StatusConnectionSource>(STATUS_CONNECTIONS, { strict: false });
    } catch {
      return []; // the app lists no connections
    }
    return source.statusConnections();
  }
}
