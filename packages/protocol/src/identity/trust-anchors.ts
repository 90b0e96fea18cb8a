import { formatPlmnId, normalizeFqdn, plmnFqdnKey, type PlmnIdValue } from '../identifiers/plmn';
import { certificatePlmnKeys } from './certificate-identity';

/**
 * Per-PLMN trust anchors (TS 33.501 13.1.2, N32-DIGEST §7.3): each anchor is a set of trusted roots
 * with the PLMN IDs it covers, a PLMN ID belongs to at most one anchor, and a peer certificate is
 * verified only against the ONE anchor of its PLMN IDs. Pure selection logic: the roots and the
 * chain verification live with the TLS wiring.
 */
export interface TrustAnchorScope {
  readonly plmns: readonly PlmnIdValue[];
}

export const TrustAnchorRefusal = {
  /** The certificate proves no PLMN ID (and names no configured lab peer). */
  NO_PLMN: 'NO_PLMN',
  /** One of its PLMN IDs belongs to no anchor. */
  NO_ANCHOR: 'NO_ANCHOR',
  /** Its PLMN IDs belong to different anchors. */
  SEVERAL_ANCHORS: 'SEVERAL_ANCHORS',
} as const;
export type TrustAnchorRefusal = (typeof TrustAnchorRefusal)[keyof typeof TrustAnchorRefusal];

export type TrustAnchorSelection =
  | { readonly ok: true; readonly index: number }
  | { readonly ok: false; readonly refusal: TrustAnchorRefusal; readonly detail: string };

/**
 * THE anchor for a certificate's PLMN IDs (FQDN keys, `001-001`): every key must belong to an
 * anchor, and all to the same one. A PLMN outside every anchor is refused rather than ignored: the
 * certificate would otherwise vouch for a PLMN no configured root was chosen to certify.
 */
export function selectTrustAnchor(plmnKeys: Iterable<string>, anchors: readonly TrustAnchorScope[]): TrustAnchorSelection {
  const keys = [...new Set(plmnKeys)].sort();
  if (keys.length === 0) {
    return { ok: false, refusal: TrustAnchorRefusal.NO_PLMN, detail: 'the certificate names no PLMN ID (no mnc<MNC>.mcc<MCC>.3gppnetwork.org dNSName)' };
  }
  const anchorOf = new Map<string, number>();
  anchors.forEach((anchor, index) => {
    for (const plmn of anchor.plmns) if (!anchorOf.has(plmnFqdnKey(plmn))) anchorOf.set(plmnFqdnKey(plmn), index);
  });
  const chosen = new Set<number>();
  for (const key of keys) {
    const index = anchorOf.get(key);
    if (index === undefined) {
      return { ok: false, refusal: TrustAnchorRefusal.NO_ANCHOR, detail: `PLMN ${key} of the certificate belongs to no trust anchor` };
    }
    chosen.add(index);
  }
  if (chosen.size > 1) {
    return {
      ok: false,
      refusal: TrustAnchorRefusal.SEVERAL_ANCHORS,
      detail: `the PLMN IDs of the certificate (${keys.join(', ')}) belong to different trust anchors (#${[...chosen].sort((a, b) => a - b).join(', #')})`,
    };
  }
  return { ok: true, index: [...chosen][0]! };
}

/**
 * The PLMN IDs that choose the anchor for a certificate: those of its SAN dNSNames; for a lab
 * certificate without any (Open5GS's `sepp1.localdomain`), the configured PLMNs of the peers it
 * names, as in identity binding (DECISIONS.md §5).
 */
export function trustAnchorPlmnKeys(dnsNames: readonly string[], peers: readonly { readonly fqdn: string; readonly plmns: readonly PlmnIdValue[] }[]): Set<string> {
  const keys = certificatePlmnKeys(dnsNames);
  if (keys.size > 0) return keys;
  const names = new Set(dnsNames.map(normalizeFqdn));
  for (const peer of peers) if (names.has(normalizeFqdn(peer.fqdn))) for (const plmn of peer.plmns) keys.add(plmnFqdnKey(plmn));
  return keys;
}

/** A PLMN listed by two anchors (or twice by one): `anchor`/`plmn` index the later listing. */
export interface TrustAnchorOverlap {
  readonly anchor: number;
  readonly plmn: number;
  readonly firstAnchor: number;
  readonly text: string;
}

/**
 * PLMNs that appear in more than one anchor (compared as in FQDNs: `001-01` and `001-001` are the
 * same PLMN there, so they cannot be told apart by a certificate either).
 */
export function trustAnchorOverlaps(anchors: readonly TrustAnchorScope[]): TrustAnchorOverlap[] {
  const first = new Map<string, number>();
  const overlaps: TrustAnchorOverlap[] = [];
  anchors.forEach((anchor, index) => {
    anchor.plmns.forEach((plmn, plmnIndex) => {
      const key = plmnFqdnKey(plmn);
      const seen = first.get(key);
      if (seen === undefined) first.set(key, index);
      else overlaps.push({ anchor: index, plmn: plmnIndex, firstAnchor: seen, text: formatPlmnId(plmn) });
    });
  });
  return overlaps;
}
