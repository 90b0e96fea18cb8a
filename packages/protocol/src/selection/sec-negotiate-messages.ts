import type { PlmnIdValue } from '../identifiers/plmn';
import type { IntendedN32Purpose } from '../models/sec-negotiate';
import { SecurityCapability, type N32Mechanism } from '../models/security-capability';
import { TARGET_API_ROOT_SUPPORTED } from '../models/sec-negotiate';
import type { CapabilitySelection } from './select-security-capability';

/** What a SEPP says about itself in every N32-c negotiation message. */
export interface LocalSeppProfile {
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
  /** Supported mechanisms in our priority order. */
  readonly capabilities: readonly N32Mechanism[];
  /** TS 29.500 SupportedFeatures hex string of our N32 handshake API. */
  readonly supportedFeatures: string;
  /** Whether we forward with the `3gpp-Sbi-Target-apiRoot` header over N32-f in TLS mode. */
  readonly targetApiRootSupported: boolean;
}

/** Wire shape of SecNegotiateReqData as we send it. */
export interface SecNegotiateReqBody {
  sender: string;
  supportedSecCapabilityList: string[];
  n32HandshakeId?: string;
  [TARGET_API_ROOT_SUPPORTED]?: boolean;
  plmnIdList?: PlmnIdValue[];
  targetPlmnId?: PlmnIdValue;
  intendedUsagePurpose?: { usagePurpose: string; additionalInfo?: string; cause?: string }[];
  supportedFeatures?: string;
}

/** Wire shape of SecNegotiateRspData as we send it. */
export interface SecNegotiateRspBody {
  sender: string;
  selectedSecCapability: string;
  n32HandshakeId?: string;
  [TARGET_API_ROOT_SUPPORTED]?: boolean;
  plmnIdList?: PlmnIdValue[];
  allowedUsagePurpose?: { usagePurpose: string; additionalInfo?: string; cause?: string }[];
  rejectedUsagePurpose?: { usagePurpose: string; additionalInfo?: string; cause?: string }[];
  supportedFeatures?: string;
  senderN32fFqdn?: string;
  senderN32fPort?: number;
}

export interface NegotiationOptions {
  readonly n32HandshakeId?: string;
  readonly targetPlmnId?: PlmnIdValue;
  readonly intendedUsagePurpose?: readonly string[];
}

/** The initiator's exchange-capability request: our mechanisms in our priority order. */
export function buildSecNegotiateReq(self: LocalSeppProfile, options: NegotiationOptions = {}): SecNegotiateReqBody {
  const body: SecNegotiateReqBody = {
    sender: self.fqdn,
    supportedSecCapabilityList: [...self.capabilities],
  };
  if (options.n32HandshakeId) body.n32HandshakeId = options.n32HandshakeId;
  if (self.targetApiRootSupported) body[TARGET_API_ROOT_SUPPORTED] = true;
  if (self.plmns.length > 0) body.plmnIdList = self.plmns.map(({ mcc, mnc }) => ({ mcc, mnc }));
  if (options.targetPlmnId) body.targetPlmnId = { ...options.targetPlmnId };
  if (options.intendedUsagePurpose?.length) {
    body.intendedUsagePurpose = options.intendedUsagePurpose.map((usagePurpose) => ({ usagePurpose }));
  }
  body.supportedFeatures = self.supportedFeatures;
  return body;
}

/** A release: exchange-capability offering nothing but NONE (DECISIONS.md §3). */
export function buildReleaseReq(self: Pick<LocalSeppProfile, 'fqdn'>): SecNegotiateReqBody {
  return { sender: self.fqdn, supportedSecCapabilityList: [SecurityCapability.NONE] };
}

export interface UsagePurposeVerdict {
  readonly allowed: IntendedN32Purpose[];
  readonly rejected: IntendedN32Purpose[];
}

/** Cause we put on a rejected IntendedN32Purpose. */
export const PURPOSE_NOT_ALLOWED = 'PURPOSE_NOT_ALLOWED';

/**
 * Splits the initiator's intended purposes by our allowed list for that peer (absent list: all
 * allowed).
 */
export function evaluateUsagePurposes(
  intended: readonly IntendedN32Purpose[],
  allowedPurposes: readonly string[] | undefined,
): UsagePurposeVerdict {
  const allowed: IntendedN32Purpose[] = [];
  const rejected: IntendedN32Purpose[] = [];
  for (const purpose of intended) {
    if (!allowedPurposes || allowedPurposes.includes(purpose.usagePurpose)) allowed.push({ ...purpose });
    else rejected.push({ usagePurpose: purpose.usagePurpose, cause: PURPOSE_NOT_ALLOWED });
  }
  return { allowed, rejected };
}

export interface RspContext {
  readonly request: {
    readonly n32HandshakeId?: string;
    readonly [TARGET_API_ROOT_SUPPORTED]?: boolean;
  };
  readonly selection: CapabilitySelection;
  readonly purposes?: UsagePurposeVerdict;
  /** Where we accept N32-f connections, when that is not our N32-c endpoint (Rel-19 senderN32fPort). */
  readonly n32fEndpoint?: { readonly fqdn: string; readonly port: number };
}

/**
 * The responder's SecNegotiateRspData. `3GppSbiTargetApiRootSupported` is true only when both
 * sides support the header and a mechanism was agreed (a NONE answer promises nothing).
 */
export function buildSecNegotiateRsp(self: LocalSeppProfile, context: RspContext): SecNegotiateRspBody {
  const { request, selection, purposes, n32fEndpoint } = context;
  const body: SecNegotiateRspBody = { sender: self.fqdn, selectedSecCapability: selection.selected };
  if (request.n32HandshakeId) body.n32HandshakeId = request.n32HandshakeId;
  if (self.targetApiRootSupported && request[TARGET_API_ROOT_SUPPORTED] === true && selection.selected !== 'NONE') {
    body[TARGET_API_ROOT_SUPPORTED] = true;
  }
  if (self.plmns.length > 0) body.plmnIdList = self.plmns.map(({ mcc, mnc }) => ({ mcc, mnc }));
  if (purposes?.allowed.length) body.allowedUsagePurpose = purposes.allowed;
  if (purposes?.rejected.length) body.rejectedUsagePurpose = purposes.rejected;
  body.supportedFeatures = self.supportedFeatures;
  if (n32fEndpoint && selection.selected === 'TLS') {
    body.senderN32fFqdn = n32fEndpoint.fqdn;
    body.senderN32fPort = n32fEndpoint.port;
  }
  return body;
}

/**
 * Features both sides support: bitwise AND of two TS 29.500 SupportedFeatures strings (hex, most
 * significant first; a shorter string lacks the higher features). An absent or empty string means
 * no features.
 */
export function intersectSupportedFeatures(a: string | undefined, b: string | undefined): string {
  if (!a || !b) return '';
  const width = Math.min(a.length, b.length);
  const tailA = a.slice(a.length - width);
  const tailB = b.slice(b.length - width);
  let out = '';
  for (let i = 0; i < width; i++) out += (parseInt(tailA[i]!, 16) & parseInt(tailB[i]!, 16)).toString(16);
  return out.replace(/^0+(?=.)/, '');
}
