import {
  certificatePlmnKeys,
  checkAccessTokenPlmn,
  formatPlmnId,
  N32Error,
  N32ErrorCode,
  N32fErrorType,
  plmnFqdnKey,
  PrinsError,
  type HeaderField,
  type InvalidParam,
  type PlmnIdValue,
} from '@sepp/protocol';
import type { PeerRegistry, SeppConfig, SeppLogger } from '@sepp/server';

/**
 * TS 33.501 13.4.1.2.2 at the pSEPP: the serving PLMN an access token names (`consumerPlmnId`,
 * read, not verified) must be the remote PLMN, i.e. a PLMN of the peer SEPP the request comes
 * from. In TLS mode that peer is the one the N32 connection is bound to; with PRINS it is the peer
 * of the N32-f context the message was protected with (the same FQDN here: a context is only
 * accepted from its own peer).
 */

const PARAM = 'header authorization';

export interface AccessTokenPlmnMismatch {
  readonly claimed: PlmnIdValue;
  readonly remote: readonly string[];
  readonly detail: string;
  /** The entry naming the header, for problem `invalidParams` and n32f-error `policyMismatchList`. */
  readonly invalidParam: InvalidParam;
}

/**
 * The PLMNs of a peer SEPP as N32 authenticated them: those of the certificate it negotiated with
 * (its N32-c certificate, already checked against its trust anchor); for a lab certificate
 * without PLMN labels, its configured PLMNs (as in identity binding, DECISIONS.md §5).
 */
export function remotePlmnKeys(peer: string, peers: PeerRegistry, config: SeppConfig): Set<string> {
  const certified = certificatePlmnKeys(peers.get(peer)?.negotiation?.peerN32cDnsNames ?? []);
  if (certified.size > 0) return certified;
  return new Set((config.n32.peers.find((p) => p.fqdn === peer)?.plmns ?? []).map(plmnFqdnKey));
}

/** The mismatch between the token of a forwarded request and its peer's PLMNs, or null (also without a token or claim). */
export function accessTokenPlmnMismatch(peer: string, authorization: string | readonly string[] | undefined, peers: PeerRegistry, config: SeppConfig): AccessTokenPlmnMismatch | null {
  if (authorization === undefined) return null;
  const remote = remotePlmnKeys(peer, peers, config);
  const check = checkAccessTokenPlmn(authorization, remote);
  if (check.ok) return null;
  return {
    claimed: check.claimed,
    remote: [...remote].sort(),
    detail: check.detail,
    invalidParam: { param: PARAM, reason: `consumerPlmnId ${formatPlmnId(check.claimed)} is not a PLMN of ${peer}` },
  };
}

/** The Authorization header of a rebuilt (PRINS) request: the first field, as an HTTP/2 server would see it. */
export function authorizationOf(headers: readonly HeaderField[]): string | undefined {
  return headers.find(([name]) => name === 'authorization')?.[1];
}

function logMismatch(logger: SeppLogger, peer: string, mechanism: 'TLS' | 'PRINS', mismatch: AccessTokenPlmnMismatch, messageId?: string): void {
  logger.warn(
    { peer, mechanism, claimed: formatPlmnId(mismatch.claimed), remote: mismatch.remote, ...(messageId ? { messageId } : {}) },
    'PLMN ID mismatch: the access token names another PLMN than the peer SEPP',
  );
}

/** TLS mode: refuses (403, logged as a security event) a request whose token names another PLMN. */
export function assertAccessTokenPlmn(peer: string, authorization: string | readonly string[] | undefined, peers: PeerRegistry, config: SeppConfig, logger: SeppLogger): void {
  const mismatch = accessTokenPlmnMismatch(peer, authorization, peers, config);
  if (!mismatch) return;
  logMismatch(logger, peer, 'TLS', mismatch);
  throw new N32Error(N32ErrorCode.IDENTITY_MISMATCH, mismatch.detail, [mismatch.invalidParam]);
}

/**
 * PRINS: the refusal of a message whose token names another PLMN, reported with n32f-error.
 *
 * TS 29.573 has no N32fErrorType for a PLMN ID mismatch (TS 33.517 4.2.2.4 leaves the code open).
 * POLICY_MISMATCH is the closest: the message breaks what this N32-f context was agreed for (a
 * peer speaking for its own PLMNs), and since Rel-18 its N32fErrorInfo carries a
 * `policyMismatchList` of InvalidParam, which can name the offending IE (`header authorization`)
 * and the PLMN. The other types would mislead the sender: INTEGRITY_CHECK_FAILED and
 * DECIPHERING_FAILED blame keys or tampering (the message verified), MESSAGE_RECONSTRUCTION_FAILED
 * blames the encoding (it was rebuilt fine), and the Rel-19 values are RI errors.
 */
export function prinsAccessTokenRefusal(mismatch: AccessTokenPlmnMismatch, peer: string, logger: SeppLogger, messageId: string): { error: PrinsError; policyMismatchList: InvalidParam[] } {
  logMismatch(logger, peer, 'PRINS', mismatch, messageId);
  return { error: new PrinsError(N32fErrorType.POLICY_MISMATCH, mismatch.detail), policyMismatchList: [mismatch.invalidParam] };
}
