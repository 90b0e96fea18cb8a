import { trustAnchorOverlaps, type PlmnIdValue } from '@sepp/protocol';
import type { ConfigProblem } from './config-problems';
import { readCaList } from './read-tls';
import type { TrustAnchorSettings } from './sepp-config';
import type { TrustAnchorConfig } from './sepp-config.schema';

/**
 * `n32.trustAnchors` (TS 33.501 13.1.2): reads each anchor's roots and checks that no PLMN is in
 * two anchors (`n32.trustAnchors[1].plmns[0]: 001-01 is already in n32.trustAnchors[0]`). PLMNs
 * are compared as certificates carry them (3-digit MNC), so `01` and `001` collide too.
 */
export function readTrustAnchors(
  anchors: readonly TrustAnchorConfig[] | undefined,
  pathOf: (key: string, value: string) => string,
  problems: ConfigProblem[],
): TrustAnchorSettings[] {
  if (!anchors) return [];
  for (const overlap of trustAnchorOverlaps(anchors)) {
    const where = overlap.firstAnchor === overlap.anchor ? 'listed twice in this anchor' : `already in n32.trustAnchors[${overlap.firstAnchor}]`;
    problems.push({ key: `n32.trustAnchors[${overlap.anchor}].plmns[${overlap.plmn}]`, problem: `${overlap.text} is ${where} (a PLMN belongs to at most one trust anchor)` });
  }
  return anchors.map((anchor, index) => {
    const key = `n32.trustAnchors[${index}].ca`;
    const caFiles = anchor.ca.map((file) => pathOf(key, file));
    return {
      plmns: anchor.plmns.map(({ mcc, mnc }): PlmnIdValue => ({ mcc, mnc })),
      caFiles,
      ca: readCaList(key, caFiles, problems) ?? [],
    };
  });
}

/**
 * The roots the N32 TLS stack verifies peers against: `tls.ca` and every anchor's roots (each root
 * once). TLS accepts a chain to any of them; the anchor check that follows the handshake then
 * insists on the one anchor of the peer's PLMNs.
 */
export function n32TrustedRoots(ca: readonly Buffer[], anchors: readonly TrustAnchorSettings[]): Buffer[] {
  const out: Buffer[] = [];
  for (const pem of [...ca, ...anchors.flatMap((anchor) => anchor.ca)]) if (!out.some((known) => known.equals(pem))) out.push(pem);
  return out;
}
