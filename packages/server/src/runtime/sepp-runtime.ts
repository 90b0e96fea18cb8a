import type { SeppLogger } from '../logging/logger';
import type { SeppMetrics } from '../metrics/sepp-metrics';
import type { PeerRegistry } from '../peers/peer-registry.service';
import type { ConfigService } from './config.service';
import type { ReadinessService } from './readiness.service';
import type { N32StateStore } from '../state/state-store';

export type SeppRole = 'initiator' | 'responder';

/** Injection token of the app's pino logger. */
export const SEPP_LOGGER = Symbol('SEPP_LOGGER');
/** Injection token of the app's role. */
export const SEPP_ROLE = Symbol('SEPP_ROLE');
/** Injection token of the N32 state store (the port; in memory or Redis). */
export const SEPP_STATE = Symbol('SEPP_STATE');

/**
 * The state every listener of one process shares, created before Nest starts (config must be
 * valid before any module loads) and provided to every Nest application of the process.
 */
export interface SeppRuntime {
  readonly role: SeppRole;
  readonly logger: SeppLogger;
  readonly config: ConfigService;
  readonly peers: PeerRegistry;
  readonly readiness: ReadinessService;
  readonly metrics: SeppMetrics;
  /** Where N32 state that replicas share lives (`state.*`). */
  readonly state: N32StateStore;
}
