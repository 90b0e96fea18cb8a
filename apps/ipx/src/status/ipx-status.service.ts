import { Inject, Injectable } from '@nestjs/common';
import {
  NO_ACTIONS,
  ReadinessService,
  SeppMetrics,
  TRAFFIC_RATE_SECONDS,
  TRAFFIC_WINDOW_SECONDS,
  UNIDENTIFIED,
  type Refusal,
  type StatusDocument,
  type StatusSource,
} from '@sepp/server';
import type { IpxConfig } from '../config/ipx-config';
import { IPX_CONFIG } from '../ipx.constants';

/**
 * The relay's status page (`GET /` and `GET /admin/status` on its admin listener, the SEPPs' page):
 * where it forwards, its rules, the N32-f messages it relayed per sending SEPP (by the name its
 * client certificate gives), and its refusals of the last minutes (failed TLS handshakes, bad
 * input, messages it could not sign or relay, connections and requests its listener protections
 * refused) and the N32-f listener's load against its overload bound. The figures are the relay's
 * metrics (`GET /metrics`): the page and Prometheus read the same counts.
 */
@Injectable()
export class IpxStatusService implements StatusSource {
  private readonly startedAt = new Date(Date.now() - process.uptime() * 1000).toISOString();

  constructor(
    @Inject(IPX_CONFIG) private readonly config: IpxConfig,
    private readonly readiness: ReadinessService,
    private readonly metrics: SeppMetrics,
  ) {}

  /** N32-f messages per sending SEPP (`sepp_n32f_peer_requests_total{direction="inbound"}`). */
  get traffic(): SeppMetrics['traffic'] {
    return this.metrics.traffic;
  }

  refuse(refusal: Refusal): void {
    this.metrics.refuse(refusal);
  }

  /** Every sender with figures, and those whose first messages are still in flight. */
  private senders(): string[] {
    const senders = new Set(this.traffic.peers());
    for (const peer of this.traffic.inFlight('inbound')?.keys() ?? []) senders.add(peer);
    return [...senders];
  }

  document(): StatusDocument {
    const { ready, listeners } = this.readiness.describe();
    const { ipx, forward, rules } = this.config;
    return {
      app: 'ipx',
      role: 'ipx',
      fqdn: ipx.fqdn,
      plmns: [],
      now: new Date().toISOString(),
      startedAt: this.startedAt,
      ready,
      listeners,
      load: this.metrics.loadView(),
      store: null,
      certificates: null,
      window: { trafficSeconds: TRAFFIC_WINDOW_SECONDS, rateSeconds: TRAFFIC_RATE_SECONDS, refusalMinutes: this.metrics.refusals.windowMs / 60_000 },
      actions: NO_ACTIONS,
      peers: [],
      unidentified: null,
      refusals: this.metrics.refusals.view(),
      relay: {
        identity: ipx.fqdn,
        next: { fqdn: forward.fqdn, address: `${forward.host}:${forward.port}` },
        rules: rules.map((rule) => ({ name: rule.name ?? null, direction: rule.direction })),
        senders: this.senders().map((peer) => ({ peer: peer === UNIDENTIFIED ? '(unidentified)' : peer, traffic: this.traffic.view(peer, 'inbound') })),
      },
    };
  }
}
