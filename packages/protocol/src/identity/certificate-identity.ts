import { normalizeFqdn, plmnFqdnKey, plmnKeyFromFqdn, type PlmnIdValue } from '../identifiers/plmn';

/**
 * Binding between what a peer claims on N32-c and what its certificate proves (DECISIONS.md §5,
 * N32-DIGEST §7.4). Pure: the caller extracts the certificate's SAN dNSNames.
 */
export interface ClaimedIdentity {
  /** `sender` of the SecNegotiateReqData / SecNegotiateRspData. */
  readonly sender: string;
  /** `plmnIdList` the peer says it serves, if any. */
  readonly plmnIdList?: readonly PlmnIdValue[];
}

/** The configured roaming partner the claim is checked against, when there is one. */
export interface ConfiguredPeerIdentity {
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
}

export const IdentityMismatch = {
  /** `sender` is not one of the certificate's SAN dNSNames. */
  SENDER_NOT_IN_CERTIFICATE: 'SENDER_NOT_IN_CERTIFICATE',
  /** `sender` has no PLMN labels and no peer is configured under exactly that FQDN. */
  LAB_FQDN_NOT_CONFIGURED: 'LAB_FQDN_NOT_CONFIGURED',
  /** A PLMN the peer claims is not among the certificate's PLMN IDs. */
  PLMN_NOT_IN_CERTIFICATE: 'PLMN_NOT_IN_CERTIFICATE',
  /** The certificate carries no identity at all (no SAN dNSName). */
  NO_CERTIFICATE_IDENTITY: 'NO_CERTIFICATE_IDENTITY',
} as const;
export type IdentityMismatch = (typeof IdentityMismatch)[keyof typeof IdentityMismatch];

export type IdentityCheck =
  | { ok: true; sender: string; plmnKeys: ReadonlySet<string> }
  | { ok: false; mismatch: IdentityMismatch; detail: string; param: string };

/** The PLMN IDs a certificate proves, as FQDN keys, read from its SAN dNSNames. */
export function certificatePlmnKeys(dnsNames: readonly string[]): Set<string> {
  const keys = new Set<string>();
  for (const name of dnsNames) {
    const key = plmnKeyFromFqdn(name);
    if (key) keys.add(key);
  }
  return keys;
}

/**
 * Checks that `sender` is one of the certificate's SAN dNSNames and that every PLMN the peer
 * claims (the PLMN of its FQDN and its `plmnIdList`) is among the certificate's PLMN IDs.
 *
 * A lab FQDN without PLMN labels (Open5GS's default `sepp1.localdomain`) proves no PLMN, so it is
 * accepted only when the peer is configured under exactly that FQDN; the configured PLMN list then
 * stands in for the certificate's PLMN IDs.
 */
export function checkClaimedIdentity(
  claim: ClaimedIdentity,
  certDnsNames: readonly string[],
  configuredPeer?: ConfiguredPeerIdentity,
): IdentityCheck {
  if (certDnsNames.length === 0) {
    return {
      ok: false,
      mismatch: IdentityMismatch.NO_CERTIFICATE_IDENTITY,
      detail: 'the peer certificate has no SAN dNSName',
      param: '/sender',
    };
  }
  const sender = normalizeFqdn(claim.sender);
  const names = certDnsNames.map(normalizeFqdn);
  if (!names.includes(sender)) {
    return {
      ok: false,
      mismatch: IdentityMismatch.SENDER_NOT_IN_CERTIFICATE,
      detail: `sender ${sender} is not a SAN dNSName of the peer certificate (${names.join(', ')})`,
      param: '/sender',
    };
  }

  let plmnKeys: Set<string> = certificatePlmnKeys(names);
  if (plmnKeyFromFqdn(sender) === null) {
    if (!configuredPeer || normalizeFqdn(configuredPeer.fqdn) !== sender) {
      return {
        ok: false,
        mismatch: IdentityMismatch.LAB_FQDN_NOT_CONFIGURED,
        detail: `sender ${sender} carries no PLMN and no peer is configured under that FQDN`,
        param: '/sender',
      };
    }
    plmnKeys = new Set([...plmnKeys, ...configuredPeer.plmns.map(plmnFqdnKey)]);
  }

  const claimed = claim.plmnIdList ?? [];
  for (const [index, plmn] of claimed.entries()) {
    if (!plmnKeys.has(plmnFqdnKey(plmn))) {
      return {
        ok: false,
        mismatch: IdentityMismatch.PLMN_NOT_IN_CERTIFICATE,
        detail: `plmnIdList[${index}] ${plmn.mcc}-${plmn.mnc} is not a PLMN of the peer certificate`,
        param: `/plmnIdList/${index}`,
      };
    }
  }
  return { ok: true, sender, plmnKeys };
}

/**
 * TS 33.501 13.1.2: the N32-f certificate must not carry a PLMN ID that the N32-c certificate
 * lacks. Returns the offending keys (empty when the N32-f certificate is acceptable).
 */
export function plmnKeysNotCovered(n32fDnsNames: readonly string[], n32cDnsNames: readonly string[]): string[] {
  const allowed = certificatePlmnKeys(n32cDnsNames);
  return [...certificatePlmnKeys(n32fDnsNames)].filter((key) => !allowed.has(key));
}
