import { homeNetworkDomain as protocolHomeNetworkDomain, isPlmnId, parsePlmnId, plmnKeyFromFqdn, seppFqdn as protocolSeppFqdn, type PlmnIdValue } from '../identifiers/plmn';

/** A PLMN identity; `mnc` keeps its real length (2 or 3 digits) because the two are distinct PLMNs. */
export type PlmnId = PlmnIdValue;

/** The TS 23.003 helpers of identifiers/plmn, with the certificate minting's input checks. */
export function assertPlmn(plmn: PlmnId): void {
  if (!isPlmnId(plmn)) {
    const { mcc, mnc } = plmn as PlmnId;
    throw new RangeError(`invalid PLMN mcc=${mcc} mnc=${mnc}: MCC is 3 digits, MNC 2 or 3`);
  }
}

export function homeNetworkDomain(plmn: PlmnId): string {
  assertPlmn(plmn);
  return protocolHomeNetworkDomain(plmn);
}

export function seppFqdn(plmn: PlmnId): string {
  assertPlmn(plmn);
  return protocolSeppFqdn(plmn);
}

/**
 * Recovers the PLMN from a 3GPP FQDN. The MNC comes back zero-padded to 3 digits because the
 * domain has lost the real length; that is still enough to rebuild the same domain.
 */
export function plmnFromFqdn(fqdn: string): PlmnId | undefined {
  const key = plmnKeyFromFqdn(fqdn);
  return key ? (parsePlmnId(key) ?? undefined) : undefined;
}

// Only a handful of MCCs: the subject C attribute is informative for SEPP peers (they match on
// the SAN), so an unknown MCC falls back to ZZ rather than pulling in the full ITU E.212 list.
const COUNTRY_BY_MCC: Readonly<Record<string, string>> = {
  '204': 'NL', '206': 'BE', '208': 'FR', '214': 'ES', '222': 'IT', '228': 'CH', '232': 'AT',
  '234': 'GB', '235': 'GB', '238': 'DK', '240': 'SE', '242': 'NO', '244': 'FI', '260': 'PL',
  '262': 'DE', '268': 'PT', '302': 'CA', '310': 'US', '311': 'US', '312': 'US', '313': 'US',
  '314': 'US', '315': 'US', '316': 'US', '404': 'IN', '405': 'IN', '440': 'JP', '441': 'JP',
  '450': 'KR', '460': 'CN', '505': 'AU', '724': 'BR',
};

/** ISO 3166 alpha-2 code for the subject C attribute; ZZ for test MCCs (001, 999...) and unknowns. */
export function countryCode(plmn: PlmnId | undefined): string {
  return (plmn && COUNTRY_BY_MCC[plmn.mcc]) ?? 'ZZ';
}
