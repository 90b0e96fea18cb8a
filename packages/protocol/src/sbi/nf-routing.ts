import { formatPlmnId, normalizeFqdn, plmnFqdnKey, plmnKeyFromFqdn, type PlmnIdValue } from '../identifiers/plmn';
import { N32Error, N32ErrorCode } from '../errors';
import { parseApiRoot, type ApiRoot } from './api-root';
import { SBI_HEADERS } from './headers';
import { telescopicLabelOf, type TelescopicMappingTable } from './telescopic';

/** How an NF addressed a request to its SEPP (the cSEPP's NF-facing side). */
export interface NfRequestAddress {
  /** `3gpp-Sbi-Target-apiRoot`, when present. */
  readonly targetApiRoot?: string;
  /** `:authority` of the request (host[:port]). */
  readonly authority: string;
  readonly scheme: 'http' | 'https';
}

export interface RoutingPeer {
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
}

export interface RoutingContext {
  /** Our SEPP FQDN: telescopic FQDNs are `<label>.<seppFqdn>`. */
  readonly seppFqdn: string;
  readonly ownPlmns: readonly PlmnIdValue[];
  readonly peers: readonly RoutingPeer[];
  readonly telescopic: TelescopicMappingTable;
}

export interface NfRoute {
  /** The target apiRoot as the peer will see it in `3gpp-Sbi-Target-apiRoot`. */
  readonly target: ApiRoot;
  /** The peer SEPP serving the target's PLMN. */
  readonly peer: string;
  /** The target PLMN as an FQDN key (`001-001`). */
  readonly plmnKey: string;
  readonly via: 'target-api-root' | 'telescopic';
}

const TARGET_PARAM = `header ${SBI_HEADERS.targetApiRoot}`;

/**
 * Where an NF request goes (TS 33.501 13.1.1, N32-DIGEST §6.2): from `3gpp-Sbi-Target-apiRoot`,
 * or from a telescopic `:authority` mapped back to the foreign FQDN; then from the target FQDN's
 * PLMN (TS 23.003) to the peer SEPP that serves it. Throws N32Errors for what cannot be routed.
 */
export function routeNfRequest(address: NfRequestAddress, context: RoutingContext): NfRoute {
  const { target, via } = targetOf(address, context);
  const plmnKey = plmnKeyFromFqdn(target.host);
  if (!plmnKey) {
    throw new N32Error(N32ErrorCode.NF_TARGET_INVALID, `${target.host} is not an FQDN of a PLMN (…mnc<MNC>.mcc<MCC>.3gppnetwork.org)`, [
      { param: TARGET_PARAM, reason: 'the target host must name its PLMN' },
    ]);
  }
  if (context.ownPlmns.some((plmn) => plmnFqdnKey(plmn) === plmnKey)) {
    throw new N32Error(N32ErrorCode.NF_TARGET_INVALID, `${target.host} is in our own PLMN: a SEPP forwards to other PLMNs only`, [
      { param: TARGET_PARAM, reason: 'the target is in the home PLMN' },
    ]);
  }
  const peer = context.peers.find((candidate) => candidate.plmns.some((plmn) => plmnFqdnKey(plmn) === plmnKey));
  if (!peer) {
    const [mcc, mnc] = plmnKey.split('-');
    throw new N32Error(N32ErrorCode.NO_PEER_FOR_PLMN, `no roaming partner serves PLMN ${formatPlmnId({ mcc: mcc!, mnc: mnc! })} (target ${target.host})`);
  }
  return { target, peer: normalizeFqdn(peer.fqdn), plmnKey, via };
}

function targetOf(address: NfRequestAddress, context: RoutingContext): { target: ApiRoot; via: NfRoute['via'] } {
  const { host, port } = splitAuthority(address.authority);
  const label = host ? telescopicLabelOf(host, context.seppFqdn) : null;
  if (label !== null) {
    const fqdn = context.telescopic.fqdnFor(label);
    if (!fqdn) {
      throw new N32Error(N32ErrorCode.UNKNOWN_TELESCOPIC_LABEL, `no foreign FQDN is known for the telescopic label ${label}`, [
        { param: 'header :authority', reason: 'unknown telescopic label' },
      ]);
    }
    return { target: { scheme: address.scheme, host: fqdn, port, prefix: '' }, via: 'telescopic' };
  }
  if (address.targetApiRoot === undefined) {
    throw new N32Error(
      N32ErrorCode.NF_TARGET_MISSING,
      `the request names no target: send ${SBI_HEADERS.targetApiRoot} or use a telescopic FQDN under ${context.seppFqdn}`,
      [{ param: TARGET_PARAM, reason: 'is mandatory without a telescopic FQDN' }],
    );
  }
  const target = parseApiRoot(address.targetApiRoot);
  if (!target) {
    throw new N32Error(N32ErrorCode.NF_TARGET_INVALID, `${SBI_HEADERS.targetApiRoot} is not an apiRoot: ${address.targetApiRoot}`, [
      { param: TARGET_PARAM, reason: 'must be <http|https>://host[:port][/prefix]' },
    ]);
  }
  return { target, via: 'target-api-root' };
}

/** `host[:port]` -> parts (IPv6 in brackets supported); port null when absent. */
export function splitAuthority(authority: string): { host: string; port: number | null } {
  const match = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(authority.trim());
  if (!match) return { host: '', port: null };
  return { host: match[1]!.replace(/^\[|\]$/g, '').toLowerCase(), port: match[2] ? Number(match[2]) : null };
}
