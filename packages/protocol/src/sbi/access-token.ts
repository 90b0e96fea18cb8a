import { formatPlmnId, isPlmnId, plmnFqdnKey, type PlmnIdValue } from '../identifiers/plmn';

/**
 * The serving-PLMN check of TS 33.501 13.4.1.2.2 at the pSEPP: the PLMN an OAuth 2.0 access token
 * was issued to (TS 29.510 AccessTokenClaims `consumerPlmnId`) must be a PLMN of the peer SEPP that
 * forwards the request. The SEPP only READS the token: verifying it is the producer NF's job (it
 * holds the NRF's key); the SEPP checks that the token is not used from another PLMN than the one
 * it names, which the producer cannot see.
 */

/** Largest Authorization value we look into (an NRF token is well under 2 KB; more is not a JWS we read). */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** `Bearer` (case-insensitive, RFC 6750 2.1) and a JWS Compact Serialization (RFC 7515 7.1). */
const BEARER_JWS = /^Bearer +([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/i;

/**
 * `consumerPlmnId` of the Bearer access token in an Authorization header value, or null when there
 * is none to read: no header, another scheme, not a JWS (an opaque or JWE-encrypted token), a
 * payload that is not a JSON object, or no well-formed `consumerPlmnId` claim (the claim is
 * optional in TS 29.510: a token without it says nothing about its PLMN).
 */
export function accessTokenConsumerPlmn(authorization: string | readonly string[] | undefined): PlmnIdValue | null {
  const value: unknown = typeof authorization === 'string' ? authorization : authorization?.[0];
  if (typeof value !== 'string' || value.length > MAX_TOKEN_LENGTH) return null;
  const match = BEARER_JWS.exec(value.trim());
  if (!match) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return null;
  if (!Object.prototype.hasOwnProperty.call(claims, 'consumerPlmnId')) return null;
  const claimed = (claims as { consumerPlmnId: unknown }).consumerPlmnId;
  return isPlmnId(claimed) ? { mcc: claimed.mcc, mnc: claimed.mnc } : null;
}

export type ConsumerPlmnCheck =
  | { readonly ok: true; readonly claimed: PlmnIdValue | null }
  | { readonly ok: false; readonly claimed: PlmnIdValue; readonly detail: string };

/**
 * Checks the token's `consumerPlmnId` against the PLMNs of the remote SEPP (FQDN keys: from its
 * certificate and configuration in TLS mode, from the N32-f context's peer with PRINS). A request
 * without a readable claim passes.
 */
export function checkAccessTokenPlmn(authorization: string | readonly string[] | undefined, remotePlmnKeys: ReadonlySet<string>): ConsumerPlmnCheck {
  const claimed = accessTokenConsumerPlmn(authorization);
  if (!claimed || remotePlmnKeys.has(plmnFqdnKey(claimed))) return { ok: true, claimed };
  return {
    ok: false,
    claimed,
    detail: `the access token was issued to a consumer of PLMN ${formatPlmnId(claimed)}, which is not a PLMN of the sending SEPP (${[...remotePlmnKeys].sort().join(', ') || 'none'})`,
  };
}
