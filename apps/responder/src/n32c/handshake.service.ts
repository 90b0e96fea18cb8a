import { Inject, Injectable } from '@nestjs/common';
import {
  buildSecNegotiateRsp,
  checkClaimedIdentity,
  evaluateUsagePurposes,
  intersectSupportedFeatures,
  N32Error,
  N32ErrorCode,
  parseBody,
  plmnFqdnKey,
  SecNegotiateReqData,
  selectSecurityCapability,
  TARGET_API_ROOT_SUPPORTED,
  type LocalSeppProfile,
  type SecNegotiateRspBody,
} from '@sepp/protocol';
import { ConfigService, N32fContextsService, PeerRegistry, ReadinessService, SEPP_LOGGER, type SeppConfig, type SeppLogger } from '@sepp/server';
import { ParamsService } from './params.service';

/** What the transport needs to know about the connection a request came on. */
export interface N32cRequestContext {
  /** SAN dNSNames of the client certificate (verified by TLS already). */
  readonly peerDnsNames: readonly string[];
}

export interface CapabilityAnswer {
  readonly body: SecNegotiateRspBody;
  /** The peer, by its verified `sender`. */
  readonly peer: string;
  /** Whether an agreed mechanism now lives on this connection. */
  readonly agreed: boolean;
  /** Why the connection must be terminated after the answer, or null to keep it. */
  readonly terminate: string | null;
}

export function localProfile(config: SeppConfig): LocalSeppProfile {
  return {
    fqdn: config.sepp.fqdn,
    plmns: config.sepp.plmns,
    capabilities: config.sepp.capabilities,
    supportedFeatures: config.sepp.supportedFeatures,
    targetApiRootSupported: config.sepp.targetApiRootSupported,
  };
}

/**
 * The responding SEPP's security capability negotiation (TS 33.501 13.5, DECISIONS.md §3-5):
 * validate, bind `sender` to the client certificate, select by local policy, record the peer's
 * state. Refusals are N32Errors and change no state.
 */
@Injectable()
export class HandshakeService {
  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly readiness: ReadinessService,
    private readonly contexts: N32fContextsService,
    private readonly params: ParamsService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  exchangeCapability(body: unknown, context: N32cRequestContext): CapabilityAnswer {
    const config = this.config.current;
    const request = parseBody(SecNegotiateReqData, body);
    const sender = request.sender.toLowerCase().replace(/\.$/, '');
    const peerConfig = config.n32.peers.find((peer) => peer.fqdn === sender);
    const log = this.logger.child({ peer: sender });

    // TS 33.517 4.2.2.2 (TC_CRYPT_MATERIAL_SEPP_IPX_SEPARATION): an IPX certificate never opens N32-c.
    if (this.contexts.isIntermediary(context.peerDnsNames) || this.contexts.isIntermediary([sender])) {
      log.warn({ certificate: context.peerDnsNames }, 'refused: an intermediary (IPX) cannot negotiate N32-c');
      throw new N32Error(N32ErrorCode.IDENTITY_MISMATCH, 'a roaming intermediary (IPX) cannot negotiate N32-c: only SEPPs can', [
        { param: '/sender', reason: 'names or is presented by a roaming intermediary' },
      ]);
    }
    if (!peerConfig && !config.n32.acceptUnknownPeers) {
      log.warn({ certificate: context.peerDnsNames }, 'refused: sender is not a configured peer');
      throw new N32Error(N32ErrorCode.UNKNOWN_PEER, `${sender} is not a roaming partner of ${config.sepp.fqdn}`, [
        { param: '/sender', reason: 'is not a configured peer' },
      ]);
    }
    const identity = checkClaimedIdentity(request, context.peerDnsNames, peerConfig);
    if (!identity.ok) {
      log.warn({ mismatch: identity.mismatch, certificate: context.peerDnsNames }, `refused: ${identity.detail}`);
      throw new N32Error(N32ErrorCode.IDENTITY_MISMATCH, identity.detail, [{ param: identity.param, reason: identity.mismatch }]);
    }
    if (request.targetPlmnId && !config.sepp.plmns.some((plmn) => plmnFqdnKey(plmn) === plmnFqdnKey(request.targetPlmnId!))) {
      throw new N32Error(N32ErrorCode.TARGET_PLMN_NOT_SERVED, `${config.sepp.fqdn} does not serve the target PLMN`, [
        { param: '/targetPlmnId', reason: 'is not a PLMN this SEPP serves' },
      ]);
    }
    if (peerConfig && request.plmnIdList) {
      const configured = new Set(peerConfig.plmns.map(plmnFqdnKey));
      const extra = request.plmnIdList.filter((plmn) => !configured.has(plmnFqdnKey(plmn)));
      if (extra.length > 0) log.warn({ plmns: extra }, 'peer claims PLMNs that are not configured for it');
    }

    const policy = peerConfig?.intermediaries ?? 'none';
    const selection = selectSecurityCapability(request.supportedSecCapabilityList, config.sepp.capabilities, policy);
    const purposes = request.intendedUsagePurpose
      ? evaluateUsagePurposes(request.intendedUsagePurpose, peerConfig?.purposes ?? undefined)
      : undefined;
    if (purposes && purposes.allowed.length === 0 && selection.selected !== 'NONE') {
      throw new N32Error(N32ErrorCode.USAGE_PURPOSE_REJECTED, 'none of the intended N32 purposes is allowed for this peer', [
        { param: '/intendedUsagePurpose', reason: 'no purpose allowed' },
      ]);
    }
    const n32fListener = this.readiness.addressOf('n32f');
    const n32fEndpoint = n32fListener ? { fqdn: config.n32f.fqdn, port: n32fListener.port } : undefined;
    const answer = buildSecNegotiateRsp(localProfile(config), { request, selection, purposes, n32fEndpoint });
    log.info(
      { offered: request.supportedSecCapabilityList, policy, selected: selection.selected, reason: selection.reason, handshakeId: request.n32HandshakeId },
      'security capability negotiation',
    );

    // A new negotiation supersedes what PRINS had set up with this peer (a context lives until
    // terminated, released, or replaced by a new exchange-params after a new PRINS selection).
    this.params.forget(sender);
    if (selection.selected !== 'PRINS') this.contexts.dropPeer(sender, `renegotiated: ${selection.selected}`);
    if (selection.reason === 'RELEASE_REQUESTED') {
      this.peers.apply(sender, { type: 'RELEASED' }, null);
      return { body: answer, peer: sender, agreed: false, terminate: 'peer released N32' };
    }
    this.peers.apply(sender, { type: 'NEGOTIATION_STARTED', offered: request.supportedSecCapabilityList });
    if (selection.selected === 'NONE') {
      this.peers.apply(sender, { type: 'NEGOTIATION_FAILED', reason: 'NO_COMMON_MECHANISM', detail: selection.reason });
      return { body: answer, peer: sender, agreed: false, terminate: `no agreed mechanism (${selection.reason})` };
    }
    this.peers.apply(
      sender,
      { type: 'MECHANISM_SELECTED', mechanism: selection.selected },
      {
        handshakeId: request.n32HandshakeId,
        selectionReason: selection.reason,
        peerPlmns: request.plmnIdList?.map(({ mcc, mnc }) => ({ mcc, mnc })),
        commonFeatures: intersectSupportedFeatures(request.supportedFeatures, config.sepp.supportedFeatures),
        targetApiRootSupported: answer[TARGET_API_ROOT_SUPPORTED] === true,
        peerN32cDnsNames: [...context.peerDnsNames],
      },
    );
    return { body: answer, peer: sender, agreed: true, terminate: null };
  }
}
