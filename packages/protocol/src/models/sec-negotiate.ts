import {
  BooleanValue,
  Conditional,
  FqdnValue,
  Mandatory,
  Nested,
  NestedList,
  StringList,
  StringValue,
  UintegerList,
  UintegerValue,
} from './field-decorators';
import { PlmnId, PlmnIdNid } from './common-data';
import { N32_HANDSHAKE_ID_PATTERN, SUPPORTED_FEATURES_PATTERN } from './patterns';
import type { SecurityCapabilityValue } from './security-capability';
// The decorator alone: the package's index loads its schema generator (and lodash) too.
import { JSONSchema } from 'class-validator-jsonschema/build/decorators';
import { openEnum } from '../openapi/schema-hints';

/** Attribute name that breaks the 29.501 naming rules on purpose; spelled exactly like this. */
export const TARGET_API_ROOT_SUPPORTED = '3GppSbiTargetApiRootSupported' as const;

/** TS 29.573 IntendedN32Purpose. */
export class IntendedN32Purpose {
  @Mandatory() @StringValue() @JSONSchema(openEnum('N32Purpose')) usagePurpose!: string;
  @Conditional() @StringValue() additionalInfo?: string;
  @Conditional() @StringValue() cause?: string;
}

/** TS 29.573 (Rel-19) SecNegotiateReqData: body of POST /exchange-capability. */
export class SecNegotiateReqData {
  @Mandatory() @FqdnValue() sender!: string;
  @Conditional() @StringValue(N32_HANDSHAKE_ID_PATTERN, '16 hexadecimal digits') n32HandshakeId?: string;
  @Mandatory() @StringList() @JSONSchema(openEnum('SecurityCapability')) supportedSecCapabilityList!: SecurityCapabilityValue[];
  @Conditional() @BooleanValue() [TARGET_API_ROOT_SUPPORTED]?: boolean;
  @Conditional() @NestedList(() => PlmnId) plmnIdList?: PlmnId[];
  @Conditional() @NestedList(() => PlmnIdNid) snpnIdList?: PlmnIdNid[];
  @Conditional() @Nested(() => PlmnId) targetPlmnId?: PlmnId;
  @Conditional() @Nested(() => PlmnIdNid) targetSnpnId?: PlmnIdNid;
  @Conditional() @NestedList(() => IntendedN32Purpose) intendedUsagePurpose?: IntendedN32Purpose[];
  @Conditional() @StringValue(SUPPORTED_FEATURES_PATTERN, 'hexadecimal digits') supportedFeatures?: string;
  @Conditional() @FqdnValue() senderN32fFqdn?: string;
  @Conditional() @UintegerList() senderN32fPortList?: number[];
  @Conditional() @UintegerValue() n32KeepaliveTimer?: number;
}

/** TS 29.573 (Rel-19) SecNegotiateRspData: the 200 answer to POST /exchange-capability. */
export class SecNegotiateRspData {
  @Mandatory() @FqdnValue() sender!: string;
  @Mandatory() @StringValue() @JSONSchema(openEnum('SecurityCapability')) selectedSecCapability!: SecurityCapabilityValue;
  @Conditional() @StringValue(N32_HANDSHAKE_ID_PATTERN, '16 hexadecimal digits') n32HandshakeId?: string;
  @Conditional() @BooleanValue() [TARGET_API_ROOT_SUPPORTED]?: boolean;
  @Conditional() @NestedList(() => PlmnId) plmnIdList?: PlmnId[];
  @Conditional() @NestedList(() => PlmnIdNid) snpnIdList?: PlmnIdNid[];
  @Conditional() @NestedList(() => IntendedN32Purpose) allowedUsagePurpose?: IntendedN32Purpose[];
  @Conditional() @NestedList(() => IntendedN32Purpose) rejectedUsagePurpose?: IntendedN32Purpose[];
  @Conditional() @StringValue(SUPPORTED_FEATURES_PATTERN, 'hexadecimal digits') supportedFeatures?: string;
  @Conditional() @FqdnValue() senderN32fFqdn?: string;
  @Conditional() @UintegerValue() senderN32fPort?: number;
  @Conditional() @UintegerValue() n32KeepaliveTimer?: number;
}

/** Plain-data forms of the two bodies, for building messages without class instances. */
export type SecNegotiateReq = Omit<SecNegotiateReqData, never>;
export type SecNegotiateRsp = Omit<SecNegotiateRspData, never>;
