import { isPlmnId, plmnFqdnKey, plmnKeyFromFqdn, type PlmnIdValue } from '../identifiers/plmn';
import { parseOriginatingNetworkId } from '../sbi/headers';
import type { NetworkIdFormat } from './types';

/**
 * Reading PLMN IDs out of the places of a network-ID rule and comparing them with the PLMNs the
 * sender (or receiver) may use. Comparisons go through the FQDN key (3-digit MNC) except for an
 * IMSI, which has no separator between MNC and MSIN: it matches a PLMN whose MCC and MNC, at the
 * MNC's real length, start it (TS 23.003 2.2).
 */
export type NetworkIdVerdict =
  | { readonly kind: 'ok' }
  /** A PLMN that is not one of the expected PLMNs (`claimed` for logs: `001-01`, or an IMSI's first six digits). */
  | { readonly kind: 'mismatch'; readonly claimed: string }
  /** Not in the format the place must hold. */
  | { readonly kind: 'malformed'; readonly reason: string }
  /** The value names no PLMN (a GPSI where a SUPI or GPSI may stand, `shared-data` in a `{supi}` position). */
  | { readonly kind: 'skip' };

const OK: NetworkIdVerdict = { kind: 'ok' };
const SKIP: NetworkIdVerdict = { kind: 'skip' };
const SERVING_NETWORK_NAME = /^5G:(mnc\d{3}\.mcc\d{3}\.3gppnetwork\.org)(?::[0-9A-Fa-f]{11})?$/;
const IMSI = /^imsi-(\d{5,15})$/;
const SUCI_IMSI = /^suci-0-(\d{3})-(\d{2,3})-/;
const NAI = /^nai-[^@]*@(.+)$/;

export function checkNetworkId(value: unknown, format: NetworkIdFormat, expected: readonly PlmnIdValue[]): NetworkIdVerdict {
  switch (format) {
    case 'plmnId':
      if (!isPlmnId(value)) return { kind: 'malformed', reason: 'must be a PlmnId {mcc, mnc}' };
      return byKey(plmnFqdnKey(value), `${value.mcc}-${value.mnc}`, expected);
    case 'plmnIdList': {
      if (!Array.isArray(value) || value.length === 0) return { kind: 'malformed', reason: 'must be a non-empty array of PlmnId' };
      for (const item of value) {
        const verdict = checkNetworkId(item, 'plmnId', expected);
        if (verdict.kind !== 'ok') return verdict;
      }
      return OK;
    }
    case 'servingNetworkName': {
      const match = typeof value === 'string' ? SERVING_NETWORK_NAME.exec(value) : null;
      if (!match) return { kind: 'malformed', reason: 'must be 5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org' };
      const key = plmnKeyFromFqdn(match[1]!)!;
      return byKey(key, key, expected);
    }
    case 'originatingNetworkId': {
      const plmn = typeof value === 'string' ? parseOriginatingNetworkId(value) : null;
      if (!plmn) return { kind: 'malformed', reason: 'must be <MCC>-<MNC>' };
      return byKey(plmnFqdnKey(plmn), `${plmn.mcc}-${plmn.mnc}`, expected);
    }
    case 'ueIdentity':
      return typeof value === 'string' ? checkUeIdentity(value, expected) : { kind: 'malformed', reason: 'must be a SUPI or SUCI' };
  }
}

function checkUeIdentity(identity: string, expected: readonly PlmnIdValue[]): NetworkIdVerdict {
  const imsi = IMSI.exec(identity);
  if (imsi) {
    const digits = imsi[1]!;
    return expected.some((plmn) => digits.startsWith(plmn.mcc + plmn.mnc)) ? OK : { kind: 'mismatch', claimed: `imsi ${digits.slice(0, 6)}…` };
  }
  const suci = SUCI_IMSI.exec(identity);
  if (suci) return byKey(plmnFqdnKey({ mcc: suci[1]!, mnc: suci[2]! }), `${suci[1]}-${suci[2]}`, expected);
  const nai = NAI.exec(identity);
  if (nai) {
    const key = plmnKeyFromFqdn(nai[1]!);
    return key ? byKey(key, key, expected) : SKIP;
  }
  return SKIP;
}

function byKey(key: string, claimed: string, expected: readonly PlmnIdValue[]): NetworkIdVerdict {
  return expected.some((plmn) => plmnFqdnKey(plmn) === key) ? OK : { kind: 'mismatch', claimed };
}
