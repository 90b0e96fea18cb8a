/**
 * TS 23.003 identifiers. The JSON PlmnId keeps the real MNC length ("01"); FQDNs always carry three
 * digits ("mnc001"). An FQDN therefore cannot tell "01" from "001": comparisons between the two
 * worlds go through {@link plmnFqdnKey}, and the real length always comes from configuration.
 */
export interface PlmnIdValue {
  readonly mcc: string;
  readonly mnc: string;
}

const MCC = /^\d{3}$/;
const MNC = /^\d{2,3}$/;
const HOME_NETWORK_DOMAIN = /(?:^|\.)mnc(\d{3})\.mcc(\d{3})\.3gppnetwork\.org\.?$/i;

export function isPlmnId(value: unknown): value is PlmnIdValue {
  if (value === null || typeof value !== 'object') return false;
  const { mcc, mnc } = value as Record<string, unknown>;
  return typeof mcc === 'string' && MCC.test(mcc) && typeof mnc === 'string' && MNC.test(mnc);
}

/** `"001-01"`: the string-key form TS 29.571 uses for a PlmnId. */
export function formatPlmnId(plmn: PlmnIdValue): string {
  return `${plmn.mcc}-${plmn.mnc}`;
}

/** Parses `"001-01"` (the inverse of {@link formatPlmnId}); null when malformed. */
export function parsePlmnId(text: string): PlmnIdValue | null {
  const match = /^(\d{3})-(\d{2,3})$/.exec(text);
  return match ? { mcc: match[1]!, mnc: match[2]! } : null;
}

/** The key under which a PLMN appears in an FQDN: MCC and 3-digit MNC, e.g. `"001-001"`. */
export function plmnFqdnKey(plmn: PlmnIdValue): string {
  return `${plmn.mcc}-${plmn.mnc.padStart(3, '0')}`;
}

/** TS 23.003 28.2 Home Network Domain: `5gc.mnc<MNC>.mcc<MCC>.3gppnetwork.org`. */
export function homeNetworkDomain(plmn: PlmnIdValue): string {
  return `5gc.mnc${plmn.mnc.padStart(3, '0')}.mcc${plmn.mcc}.3gppnetwork.org`;
}

/** The conventional SEPP FQDN of a PLMN: `sepp.5gc.mnc<MNC>.mcc<MCC>.3gppnetwork.org`. */
export function seppFqdn(plmn: PlmnIdValue, label = 'sepp'): string {
  return `${label}.${homeNetworkDomain(plmn)}`;
}

/**
 * The PLMN an FQDN belongs to, read from its `mnc<3 digits>.mcc<3 digits>.3gppnetwork.org`
 * suffix, as an FQDN key (`"001-001"`). Null for FQDNs outside 3gppnetwork.org (lab names such as
 * `sepp1.localdomain`).
 */
export function plmnKeyFromFqdn(fqdn: string): string | null {
  const match = HOME_NETWORK_DOMAIN.exec(fqdn);
  return match ? `${match[2]}-${match[1]}` : null;
}

/** FQDNs compare case-insensitively and without a trailing root dot. */
export function normalizeFqdn(fqdn: string): string {
  return fqdn.toLowerCase().replace(/\.$/, '');
}

/** Whether two PlmnIds name the same PLMN (exact: MNC lengths must agree). */
export function samePlmn(a: PlmnIdValue, b: PlmnIdValue): boolean {
  return a.mcc === b.mcc && a.mnc === b.mnc;
}
