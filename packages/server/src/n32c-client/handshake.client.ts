import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  buildReleaseReq,
  buildSecNegotiateReq,
  checkClaimedIdentity,
  evaluateSelection,
  intersectSupportedFeatures,
  N32C_PATHS,
  PeerFailureReason,
  ProblemDetails,
  SecNegotiateRspData,
  TARGET_API_ROOT_SUPPORTED,
  validateBody,
  type N32Mechanism,
} from '@sepp/protocol';
import type { PeerSettings, SeppConfig } from '../config/sepp-config';
import type { SeppLogger } from '../logging/logger';
import { N32ConnectionError, type N32Connection } from '../n32c/n32-connection';
import type { NegotiationDetails } from '../peers/peer-registry.service';
import { SEPP_LOGGER } from '../runtime/sepp-runtime';

export type NegotiationOutcome =
  | { readonly ok: true; readonly mechanism: N32Mechanism; readonly details: NegotiationDetails }
  | { readonly ok: false; readonly reason: PeerFailureReason; readonly detail: string };

/**
 * Outbound N32-c: the initiating SEPP's exchange-capability (TS 33.501 13.5 steps 1 and 3). It
 * sends our mechanisms in our priority order and accepts an answer only if it is a valid
 * SecNegotiateRspData, from the identity the server certificate proves, selecting a mechanism we
 * know, offered and our own policy allows. Both apps use it: the initiator for every negotiation,
 * the responder when it renegotiates itself with a peer that sends N32-f without an agreement.
 */
@Injectable()
export class HandshakeClient {
  constructor(@Inject(SEPP_LOGGER) private readonly logger: SeppLogger) {}

  /** `offered`: the mechanisms to offer, in our priority order (default: all of `sepp.capabilities`). */
  async exchangeCapability(connection: N32Connection, config: SeppConfig, peer: PeerSettings, offered: readonly N32Mechanism[] = config.sepp.capabilities): Promise<NegotiationOutcome> {
    const handshakeId = randomBytes(8).toString('hex');
    const request = buildSecNegotiateReq(
      {
        fqdn: config.sepp.fqdn,
        plmns: config.sepp.plmns,
        capabilities: offered,
        supportedFeatures: config.sepp.supportedFeatures,
        targetApiRootSupported: config.sepp.targetApiRootSupported,
      },
      { n32HandshakeId: handshakeId, intendedUsagePurpose: config.n32.purposes },
    );
    const log = this.logger.child({ peer: peer.fqdn });
    log.info({ offered, handshakeId }, 'sending exchange-capability');

    let response;
    try {
      response = await connection.post(N32C_PATHS.exchangeCapability, request, config.n32.requestTimeoutMs);
    } catch (error) {
      const code = error instanceof N32ConnectionError ? error.code : 'UNKNOWN';
      return fail(code === 'TIMEOUT' ? PeerFailureReason.TIMEOUT : PeerFailureReason.CONNECTION_LOST, (error as Error).message);
    }

    if (response.status !== 200) {
      const problem = validateBody(ProblemDetails, response.json);
      const text = problem.ok ? [problem.value.title, problem.value.cause, problem.value.detail].filter(Boolean).join(': ') : response.raw.toString('utf8').slice(0, 200);
      return fail(PeerFailureReason.PEER_REJECTED, `HTTP ${response.status}${text ? ` ${text}` : ''}`);
    }
    const answer = validateBody(SecNegotiateRspData, response.json);
    if (!answer.ok) return fail(PeerFailureReason.INVALID_RESPONSE, `not a SecNegotiateRspData: ${answer.error.detail}`);
    const body = answer.value;

    const identity = checkClaimedIdentity({ sender: body.sender, plmnIdList: body.plmnIdList }, connection.peerDnsNames, peer);
    if (!identity.ok) return fail(PeerFailureReason.IDENTITY_MISMATCH, identity.detail);
    if (identity.sender !== peer.fqdn) log.warn({ sender: identity.sender }, 'the peer answers under another FQDN of its certificate');

    const evaluation = evaluateSelection(offered, body.selectedSecCapability, peer.intermediaries);
    if (!evaluation.accepted) return fail(evaluation.verdict, evaluation.detail);
    return {
      ok: true,
      mechanism: evaluation.mechanism,
      details: {
        handshakeId: body.n32HandshakeId ?? handshakeId,
        peerPlmns: body.plmnIdList?.map(({ mcc, mnc }) => ({ mcc, mnc })),
        commonFeatures: intersectSupportedFeatures(config.sepp.supportedFeatures, body.supportedFeatures),
        targetApiRootSupported: config.sepp.targetApiRootSupported && body[TARGET_API_ROOT_SUPPORTED] === true,
        peerN32f: body.senderN32fFqdn ? { fqdn: body.senderN32fFqdn.toLowerCase(), port: body.senderN32fPort } : undefined,
        peerN32cDnsNames: connection.peerDnsNames,
      },
    };
  }

  /** Releases N32 with a peer: exchange-capability offering only NONE (DECISIONS.md §3). */
  async release(connection: N32Connection, config: SeppConfig, timeoutMs: number): Promise<boolean> {
    try {
      const response = await connection.post(N32C_PATHS.exchangeCapability, buildReleaseReq(config.sepp), timeoutMs);
      return response.status === 200;
    } catch {
      return false;
    }
  }
}

function fail(reason: PeerFailureReason, detail: string): NegotiationOutcome {
  return { ok: false, reason, detail };
}
