import {
  isN32Mechanism,
  SecurityCapability,
  type N32Mechanism,
  type SecurityCapabilityValue,
} from '../models/security-capability';

/**
 * Local policy input per peer (CONFIG.md `n32.peers[].intermediaries`, DECISIONS.md §4): what sits
 * on the path between us and that peer.
 * - `none`: no roaming intermediaries. TS 33.501 13.1.2 says TLS; we prefer it.
 * - `ip-routing`: intermediaries that only route IP. Either mechanism is fine; the initiator's
 *   priority order decides.
 * - `modifying`: intermediaries that must see or modify messages. PRINS is required.
 */
export type IntermediaryPolicy = 'none' | 'ip-routing' | 'modifying';
export const INTERMEDIARY_POLICIES: readonly IntermediaryPolicy[] = ['none', 'ip-routing', 'modifying'];

export const SelectionReason = {
  /** The offered list is only NONE: the peer is releasing N32. */
  RELEASE_REQUESTED: 'RELEASE_REQUESTED',
  /** No intermediaries and TLS is common. */
  TLS_PREFERRED_WITHOUT_INTERMEDIARIES: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES',
  /** No intermediaries but TLS is not common; PRINS is the only common mechanism. */
  PRINS_AS_ONLY_COMMON_MECHANISM: 'PRINS_AS_ONLY_COMMON_MECHANISM',
  /** IP-routing intermediaries: the first of the initiator's list that we support. */
  INITIATOR_PRIORITY: 'INITIATOR_PRIORITY',
  /** Modifying intermediaries and PRINS is common. */
  PRINS_REQUIRED_BY_INTERMEDIARIES: 'PRINS_REQUIRED_BY_INTERMEDIARIES',
  /** Modifying intermediaries but PRINS is not common. */
  PRINS_REQUIRED_BUT_NOT_COMMON: 'PRINS_REQUIRED_BUT_NOT_COMMON',
  /** No mechanism both sides support. */
  NO_COMMON_MECHANISM: 'NO_COMMON_MECHANISM',
} as const;
export type SelectionReason = (typeof SelectionReason)[keyof typeof SelectionReason];

export interface CapabilitySelection {
  readonly selected: N32Mechanism | typeof SecurityCapability.NONE;
  readonly reason: SelectionReason;
  /** Mechanisms both sides support, in the initiator's order (duplicates and unknowns removed). */
  readonly common: readonly N32Mechanism[];
}

/**
 * The responding SEPP's choice (TS 33.501 13.5 step 2, DECISIONS.md §3-4). Pure: the offered list
 * in the initiator's priority order, what we support, and our policy for this peer decide.
 *
 * Unknown strings (including the withdrawn `ALS`) and duplicates in the offered list are ignored;
 * `NONE` among real mechanisms is ignored too, and a list of nothing but `NONE` is a release.
 */
export function selectSecurityCapability(
  offered: readonly SecurityCapabilityValue[],
  localSupport: readonly N32Mechanism[],
  localPolicy: IntermediaryPolicy,
): CapabilitySelection {
  if (offered.length > 0 && offered.every((value) => value === SecurityCapability.NONE)) {
    return none(SelectionReason.RELEASE_REQUESTED, []);
  }
  const supported = new Set(localSupport);
  const common = uniqueMechanisms(offered).filter((mechanism) => supported.has(mechanism));

  switch (localPolicy) {
    case 'modifying':
      return common.includes(SecurityCapability.PRINS)
        ? { selected: SecurityCapability.PRINS, reason: SelectionReason.PRINS_REQUIRED_BY_INTERMEDIARIES, common }
        : none(
            common.length === 0 ? SelectionReason.NO_COMMON_MECHANISM : SelectionReason.PRINS_REQUIRED_BUT_NOT_COMMON,
            common,
          );
    case 'none':
      if (common.includes(SecurityCapability.TLS)) {
        return { selected: SecurityCapability.TLS, reason: SelectionReason.TLS_PREFERRED_WITHOUT_INTERMEDIARIES, common };
      }
      return common.includes(SecurityCapability.PRINS)
        ? { selected: SecurityCapability.PRINS, reason: SelectionReason.PRINS_AS_ONLY_COMMON_MECHANISM, common }
        : none(SelectionReason.NO_COMMON_MECHANISM, common);
    case 'ip-routing': {
      const first = common[0];
      return first
        ? { selected: first, reason: SelectionReason.INITIATOR_PRIORITY, common }
        : none(SelectionReason.NO_COMMON_MECHANISM, common);
    }
  }
}

function none(reason: SelectionReason, common: readonly N32Mechanism[]): CapabilitySelection {
  return { selected: SecurityCapability.NONE, reason, common };
}

/** Known mechanisms of a list, first occurrence kept, order kept. */
export function uniqueMechanisms(list: readonly SecurityCapabilityValue[]): N32Mechanism[] {
  const seen = new Set<N32Mechanism>();
  for (const value of list) if (isN32Mechanism(value)) seen.add(value);
  return [...seen];
}

export const SelectionVerdict = {
  /** The responder found no common mechanism. */
  NO_COMMON_MECHANISM: 'NO_COMMON_MECHANISM',
  /** The responder answered a string we do not know (for example `ALS`). */
  UNKNOWN_MECHANISM: 'UNKNOWN_MECHANISM',
  /** The responder answered a mechanism we did not offer. */
  NOT_OFFERED: 'NOT_OFFERED',
  /** The mechanism contradicts our own policy for this peer (TLS across modifying intermediaries). */
  POLICY_VIOLATION: 'POLICY_VIOLATION',
} as const;
export type SelectionVerdict = (typeof SelectionVerdict)[keyof typeof SelectionVerdict];

export type SelectionEvaluation =
  | { accepted: true; mechanism: N32Mechanism }
  | { accepted: false; verdict: SelectionVerdict; detail: string };

/**
 * The initiating SEPP's check of the responder's answer (TS 33.501 13.5 step 3, DECISIONS.md §3):
 * only a mechanism we know, offered and that our own policy allows is acted on; anything else
 * means "no agreed mechanism" and the connection is closed.
 */
export function evaluateSelection(
  offered: readonly SecurityCapabilityValue[],
  selected: SecurityCapabilityValue,
  localPolicy: IntermediaryPolicy,
): SelectionEvaluation {
  if (selected === SecurityCapability.NONE) {
    return { accepted: false, verdict: SelectionVerdict.NO_COMMON_MECHANISM, detail: 'the responder selected NONE' };
  }
  if (!isN32Mechanism(selected)) {
    return {
      accepted: false,
      verdict: SelectionVerdict.UNKNOWN_MECHANISM,
      detail: `the responder selected an unknown mechanism ${JSON.stringify(selected)}`,
    };
  }
  if (!offered.includes(selected)) {
    return {
      accepted: false,
      verdict: SelectionVerdict.NOT_OFFERED,
      detail: `the responder selected ${selected}, which was not offered (${offered.join(', ')})`,
    };
  }
  if (localPolicy === 'modifying' && selected !== SecurityCapability.PRINS) {
    return {
      accepted: false,
      verdict: SelectionVerdict.POLICY_VIOLATION,
      detail: `the responder selected ${selected} but modifying intermediaries on the path require PRINS`,
    };
  }
  return { accepted: true, mechanism: selected };
}
