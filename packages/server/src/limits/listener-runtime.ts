import type { LimitsSettings } from '../config/limits-config';
import type { SeppLogger } from '../logging/logger';
import type { SeppMetrics } from '../metrics/sepp-metrics';

/**
 * What the listener protections (`protectListener`, the connection bounds, the overload bound, the
 * per-peer rate limits) read: the logger, the metrics, and the `limits` as configured now. A SEPP's
 * runtime is one; the IPX relay builds its own (it has no peers, no N32 state, no reload).
 */
export interface ListenerRuntime {
  readonly logger: SeppLogger;
  readonly metrics: SeppMetrics;
  readonly config: {
    readonly current: {
      readonly limits: LimitsSettings;
      /** A SEPP's identity: the `SEPP-FQDN` scope of the `3gpp-Sbi-Oci` it sends when overloaded (none without it). */
      readonly sepp?: { readonly fqdn: string };
    };
    on(event: 'reload', listener: (reload: LimitsReload) => void): unknown;
  };
}

/** A configuration reload as the protections see it: the `limits` now, and which areas changed. */
export interface LimitsReload {
  readonly current: { readonly limits: LimitsSettings };
  readonly changed: readonly string[];
}
