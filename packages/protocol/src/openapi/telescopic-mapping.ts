import { Conditional, FqdnValue, StringValue } from '../models/field-decorators';

/** Root of the TS 29.573 SeppTelescopicFqdnMapping API (Release 19, API version 1.3.1). */
export const NSEPP_TELESCOPIC_API = '/nsepp-telescopic/v1';
export const NSEPP_TELESCOPIC_MAPPING_PATH = `${NSEPP_TELESCOPIC_API}/mapping`;

/**
 * TS 29.573 TelescopicMapping: the answer to GET /nsepp-telescopic/v1/mapping. Every attribute is
 * optional in the schema; our answers always carry the three of them.
 */
export class TelescopicMapping {
  @Conditional() @StringValue() telescopicLabel?: string;
  @Conditional() @FqdnValue() seppDomain?: string;
  @Conditional() @FqdnValue() foreignFqdn?: string;
}
