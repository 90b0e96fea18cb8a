/**
 * TS 29.573 SecurityCapability: an open enumeration. `TLS` and `PRINS` are mechanisms, `NONE`
 * means "no security" and, alone in a request, a peer releasing N32. Any other string (for example
 * the withdrawn `ALS`) is legal JSON and must be carried, never crash anything.
 */
export const SecurityCapability = {
  TLS: 'TLS',
  PRINS: 'PRINS',
  NONE: 'NONE',
} as const;

export type KnownSecurityCapability = (typeof SecurityCapability)[keyof typeof SecurityCapability];
/** What can appear on the wire: a known value or any other string. */
export type SecurityCapabilityValue = KnownSecurityCapability | (string & {});
/** The two protection mechanisms TS 33.501 13.5 defines. */
export type N32Mechanism = typeof SecurityCapability.TLS | typeof SecurityCapability.PRINS;

export const N32_MECHANISMS: readonly N32Mechanism[] = [SecurityCapability.TLS, SecurityCapability.PRINS];

export function isN32Mechanism(value: unknown): value is N32Mechanism {
  return value === SecurityCapability.TLS || value === SecurityCapability.PRINS;
}

/** TS 29.573 N32Purpose values (open enumeration). */
export const N32Purpose = {
  ROAMING: 'ROAMING',
  INTER_PLMN_MOBILITY: 'INTER_PLMN_MOBILITY',
  SMS_INTERCONNECT: 'SMS_INTERCONNECT',
  ROAMING_TEST: 'ROAMING_TEST',
  INTER_PLMN_MOBILITY_TEST: 'INTER_PLMN_MOBILITY_TEST',
  SMS_INTERCONNECT_TEST: 'SMS_INTERCONNECT_TEST',
  SNPN_INTERCONNECT: 'SNPN_INTERCONNECT',
  SNPN_INTERCONNECT_TEST: 'SNPN_INTERCONNECT_TEST',
  DISASTER_ROAMING: 'DISASTER_ROAMING',
  DISASTER_ROAMING_TEST: 'DISASTER_ROAMING_TEST',
  DATA_ANALYTICS_EXCHANGE: 'DATA_ANALYTICS_EXCHANGE',
  DATA_ANALYTICS_EXCHANGE_TEST: 'DATA_ANALYTICS_EXCHANGE_TEST',
} as const;
