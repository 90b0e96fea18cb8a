import { Inject, Injectable } from '@nestjs/common';
import { BorderPolicy, normalizeFqdn, type HiddenNames, type SchemaCatalog } from '@sepp/protocol';
import type { SeppConfig } from '../config/sepp-config';
import type { SeppLogger } from '../logging/logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { PeerRegistry } from '../peers/peer-registry.service';
import { ConfigService } from '../runtime/config.service';
import { SEPP_LOGGER } from '../runtime/sepp-runtime';
import { BorderChecks } from './border-checks';
import { BorderCounts } from './border-counts';
import { BorderGate, type SeppSide } from './border-gate';
import { HIDDEN_NAMES } from './border.constants';
import { schemaCatalog } from './openapi-documents';
import type { PeerBorderSettings } from './read-border';

/**
 * Border protection of N32-f (TS 33.501 5.9.3.2), per peer: hands the forwarding paths of both
 * SEPP roles a {@link BorderGate}, or null when nothing applies to the peer (then they keep their
 * fast paths untouched). Gates are compiled once per peer and side, again after a reload.
 */
@Injectable()
export class BorderService {
  private readonly gates = new Map<string, BorderGate | null>();
  private readonly counts = new BorderCounts();
  private catalog: SchemaCatalog | null = null;
  private generation = -1;

  constructor(
    private readonly config: ConfigService,
    private readonly checks: BorderChecks,
    @Inject(HIDDEN_NAMES) private readonly names: HiddenNames,
    metrics: SeppMetrics,
    private readonly peers: PeerRegistry,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    metrics.collectBorderChecks((counter) => this.counts.drain(counter));
    this.prepare(config.current);
    config.on('reload', ({ current, changed }) => {
      if (!changed.includes('border') && !changed.includes('peers') && !changed.includes('identity')) return;
      this.prepare(current);
    });
    // Peers accepted without configuration get their PLMNs from the negotiation.
    peers.on('change', ({ after }) => {
      if (!after.configured) for (const side of ['cSEPP', 'pSEPP'] as const) this.gates.delete(`${side} ${after.fqdn}`);
    });
  }

  /** The border toward `peer` for this side, or null when no category and no check applies. */
  gate(peer: string, side: SeppSide): BorderGate | null {
    if (this.generation !== this.checks.generation) {
      this.gates.clear();
      this.generation = this.checks.generation;
    }
    const key = `${side} ${peer}`;
    let gate = this.gates.get(key);
    if (gate === undefined) {
      gate = this.build(peer, side);
      this.gates.set(key, gate);
    }
    return gate;
  }

  private build(peer: string, side: SeppSide): BorderGate | null {
    const config = this.config.current;
    const fqdn = normalizeFqdn(peer);
    const configured = config.n32.peers.find((candidate) => candidate.fqdn === fqdn);
    const settings: PeerBorderSettings = config.border.peers[fqdn] ?? config.border.others;
    const checks = settings.extensions === 'off' ? [] : this.checks.list();
    const policy = new BorderPolicy(
      settings.rules,
      {
        ourPlmns: config.sepp.plmns,
        peerPlmns: configured?.plmns ?? this.peers.get(fqdn)?.negotiation?.peerPlmns ?? [],
        seppFqdn: config.sepp.fqdn,
        peerSeppFqdn: fqdn,
        names: this.names,
      },
      settings.rules.schemaValidation.mode === 'off' ? null : this.catalog,
    );
    if (!policy.active && checks.length === 0) return null;
    return new BorderGate(fqdn, side, policy, { mode: settings.extensions, checks }, this.counts.of(fqdn), this.logger);
  }

  /** Loads the OpenAPI documents the configuration needs (once per set of APIs) and forgets the gates. */
  private prepare(config: SeppConfig): void {
    const apis = config.border.schemaApis;
    if (apis.length > 0) {
      const started = performance.now();
      this.catalog = schemaCatalog(apis);
      this.logger.info({ apis, ms: Math.round(performance.now() - started) }, 'border: 3GPP OpenAPI documents loaded (each operation compiled on first use)');
    } else {
      this.catalog = null;
    }
    this.gates.clear();
    const summary = Object.fromEntries(
      Object.entries(config.border.peers).map(([peer, settings]) => [
        peer,
        Object.fromEntries(
          (['topologyHiding', 'serviceAllowList', 'networkId', 'schemaValidation'] as const).map((category) => [category, settings.rules[category].mode]),
        ),
      ]),
    );
    this.logger.info({ peers: summary }, 'border protection');
  }
}
