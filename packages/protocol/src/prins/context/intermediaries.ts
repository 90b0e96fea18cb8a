import type { KeyObject } from 'node:crypto';
import type { InvalidParam } from '../../models/common-data';
import { normalizeFqdn } from '../../identifiers/plmn';
import type { IpxProviderSecInfoData } from '../messages/bodies';
import { samePublicKey } from '../modifications/keys';
import type { ModificationPolicy } from '../modifications/policy';
import { ipxKeysFromSecInfo } from '../modifications/sec-info';
import type { N32fIntermediaries } from './n32f-context';

/** Our own RI toward a peer, from our configuration. */
export interface OwnIntermediary {
  /** Its FQDN: the `identity` of its JWS and its `ipxProviderId`. */
  readonly identity: string;
  /** The public keys of its ES256 signing keys. */
  readonly keys: readonly KeyObject[];
}

export interface ContextIntermediariesInput {
  /** Our RI toward this peer (`n32.peers[].ipx`), if any. */
  readonly own?: OwnIntermediary | null;
  /** The `ipxProviderSecInfoList` the peer sent in this context's parameter exchange, if any. */
  readonly received?: readonly IpxProviderSecInfoData[];
  /** Where `received` was in the peer's message, for `invalidParams`. */
  readonly receivedAt?: string;
  /** The keys of both SEPPs (TLS certificates): never an RI's. */
  readonly seppKeys: readonly KeyObject[];
  /** The protection policy the peer sent on N32-c: what its RIs may modify. */
  readonly peerPolicy: ModificationPolicy;
  /** Our protection policy: what our own RI may modify. */
  readonly ownPolicy: ModificationPolicy;
}

/**
 * The RIs of one N32-f context (TS 33.501 13.2.2.2 step 3, 13.2.4.5-13.2.4.7), from our
 * configured RI and the peer's `ipxProviderSecInfoList` of this very exchange:
 * - keys: both, and nothing else (never a key of another context, never a SEPP's key: a received
 *   entry carrying one is refused, TS 33.517 4.2.2.2);
 * - `authorizedIpxId` (who may modify what we send): our own RI, otherwise the peer's first RI (the
 *   only one on a path where we have none: it relays our answers too);
 * - our RI is held to our policy, the peer's RIs to the policy it sent.
 * Undefined `intermediaries` when neither side has an RI. Entries that are not P-256 keys or
 * certificates are reported in `invalid` (the caller refuses the exchange).
 */
export function contextIntermediaries(input: ContextIntermediariesInput): { intermediaries: N32fIntermediaries | undefined; invalid: InvalidParam[] } {
  const base = input.receivedAt ?? '/ipxProviderSecInfoList';
  const { keysByIdentity, invalid } = ipxKeysFromSecInfo(input.received, base);
  (input.received ?? []).forEach((info, i) => {
    const keys = keysByIdentity.get(normalizeFqdn(info.ipxProviderId)) ?? [];
    if (keys.some((key) => input.seppKeys.some((sepp) => samePublicKey(key, sepp)))) {
      invalid.push({ param: `${base}/${i}`, reason: 'carries the key of a SEPP: an RI must sign with its own key (TS 33.501 5.9.3.2)' });
    }
    if (keys.length === 0 && !invalid.some((problem) => problem.param.startsWith(`${base}/${i}/`))) {
      invalid.push({ param: `${base}/${i}`, reason: 'carries no key or certificate to verify the RI with' });
    }
  });
  const own = input.own ? { identity: normalizeFqdn(input.own.identity), keys: input.own.keys } : null;
  if (own) keysByIdentity.set(own.identity, [...(keysByIdentity.get(own.identity) ?? []), ...own.keys]);
  const firstReceived = input.received?.[0] ? normalizeFqdn(input.received[0].ipxProviderId) : null;
  const authorizedIpxId = own?.identity ?? firstReceived;
  if (keysByIdentity.size === 0) return { intermediaries: undefined, invalid };
  return {
    intermediaries: {
      authorizedIpxId,
      keysByIdentity,
      seppKeys: input.seppKeys,
      policy: input.peerPolicy,
      ownRiId: own?.identity ?? null,
      ownPolicy: input.ownPolicy,
    },
    invalid,
  };
}

/** The RI identities a context knows (to accept an N32-f connection from one of them). */
export function intermediaryIdentities(intermediaries: N32fIntermediaries | undefined): string[] {
  return intermediaries ? [...intermediaries.keysByIdentity.keys()].map(normalizeFqdn) : [];
}
