import { Conditional, FqdnValue, Mandatory, NestedList, StringValue, UintegerValue } from './field-decorators';
import { MCC_PATTERN, MNC_PATTERN, NID_PATTERN } from './patterns';

/** TS 29.571 PlmnId. `mnc` keeps its real length (2 or 3 digits); only FQDNs pad it. */
export class PlmnId {
  @Mandatory() @StringValue(MCC_PATTERN, '3 digits') mcc!: string;
  @Mandatory() @StringValue(MNC_PATTERN, '2 or 3 digits') mnc!: string;
}

/** TS 29.571 PlmnIdNid: a PLMN ID plus, for an SNPN, the 11-hex-digit NID. */
export class PlmnIdNid {
  @Mandatory() @StringValue(MCC_PATTERN, '3 digits') mcc!: string;
  @Mandatory() @StringValue(MNC_PATTERN, '2 or 3 digits') mnc!: string;
  @Conditional() @StringValue(NID_PATTERN, '11 hexadecimal digits') nid?: string;
}

/** TS 29.571 InvalidParam. */
export class InvalidParam {
  @Mandatory() @StringValue() param!: string;
  @Conditional() @StringValue() reason?: string;
}

/**
 * TS 29.571 ProblemDetails. Used to read a peer's error answers, so only the attributes we act on
 * are typed; anything else in the body is ignored.
 */
export class ProblemDetails {
  @Conditional() @StringValue() type?: string;
  @Conditional() @StringValue() title?: string;
  @Conditional() @UintegerValue() status?: number;
  @Conditional() @StringValue() detail?: string;
  @Conditional() @StringValue() instance?: string;
  @Conditional() @StringValue() cause?: string;
  @Conditional() @NestedList(() => InvalidParam) invalidParams?: InvalidParam[];
  @Conditional() @StringValue() supportedFeatures?: string;
  @Conditional() @FqdnValue() nrfId?: string;
}

/** The shape we send: plain data, no class instance needed. */
export interface ProblemDetailsData {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  cause?: string;
  invalidParams?: { param: string; reason?: string }[];
}
