import { formatPlmnId, parsePlmnId } from '@sepp/protocol';
import type { PlmnId } from '@sepp/protocol/pki';

// The TS 23.003 helpers of the certificate factory live beside it in @sepp/protocol/pki.
export { assertPlmn, countryCode, homeNetworkDomain, plmnFromFqdn, seppFqdn, type PlmnId } from '@sepp/protocol/pki';

/** `001-01` form used in file names and on the command line. */
export const plmnKey = formatPlmnId;

export function parsePlmn(text: string): PlmnId {
  const plmn = parsePlmnId(text.trim());
  if (!plmn) throw new RangeError(`invalid PLMN "${text}": expected MCC-MNC such as 001-01`);
  return plmn;
}
