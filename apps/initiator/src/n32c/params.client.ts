import { Inject, Injectable } from '@nestjs/common';
import {
  checkClaimedIdentity,
  isJweEnc,
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  N32fErrorType,
  newN32fContextId,
  PeerFailureReason,
  policyMismatches,
  ProblemDetails,
  SecParamExchRspData,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  validateBody,
  type IpxProviderSecInfoData,
  type JweEnc,
  type ProtectionPolicyData,
  type SecParamExchReqBody,
} from '@sepp/protocol';
import { N32fContextsService, N32fControlService, SEPP_LOGGER, StateStoreUnavailable, type N32Connection, type PeerSettings, type SeppConfig, type SeppLogger } from '@sepp/server';

/** The only JWS algorithm allowed on N32 (TS 33.501 13.2.4.9). */
const JWS_SUITES = ['ES256'];

export type ParamsOutcome =
  | { readonly ok: true; readonly localContextId: string; readonly remoteContextId: string; readonly enc: JweEnc }
  | { readonly ok: false; readonly reason: PeerFailureReason; readonly detail: string };

/**
 * The initiating SEPP's parameter exchange after PRINS was selected (TS 33.501 13.2.2.2,
 * N32-DIGEST §3): on the same N32-c connection, cipher suites then protection policies, each POST
 * carrying our fresh N32-f context ID; then both sides export the master key from this TLS session
 * and derive the N32-f keys (N32-KDF over our context ID).
 */
@Injectable()
export class ParamsClient {
  constructor(
    private readonly contexts: N32fContextsService,
    private readonly control: N32fControlService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  async exchange(connection: N32Connection, config: SeppConfig, peer: PeerSettings): Promise<ParamsOutcome> {
    const log = this.logger.child({ peer: peer.fqdn });
    const localContextId = newN32fContextId();
    const sender = config.sepp.fqdn;

    // Step 1: cipher suites (our priority order).
    const suites = await this.post(connection, config, peer, { n32fContextId: localContextId, jweCipherSuiteList: [...config.prins.jweCipherSuites], jwsCipherSuiteList: JWS_SUITES, sender });
    if (!suites.ok) return suites;
    const remoteContextId = suites.body.n32fContextId.toLowerCase();
    const enc = suites.body.selectedJweCipherSuite;
    if (!isJweEnc(enc) || !config.prins.jweCipherSuites.includes(enc)) {
      return fail(PeerFailureReason.PARAMETER_EXCHANGE_FAILED, `the responder selected JWE suite ${String(enc)}, not one we offered`);
    }
    if (suites.body.selectedJwsCipherSuite !== 'ES256') {
      return fail(PeerFailureReason.PARAMETER_EXCHANGE_FAILED, `the responder selected JWS suite ${String(suites.body.selectedJwsCipherSuite)}; only ES256 is allowed`);
    }
    if (remoteContextId === localContextId) return fail(PeerFailureReason.PARAMETER_EXCHANGE_FAILED, 'the responder chose our own context ID');

    // Step 2: protection policies (detect misconfiguration; TS 33.501 13.2.3.6 NOTE 1).
    const ours = toProtectionPolicyData(this.contexts.policy());
    const policies = await this.post(connection, config, peer, { n32fContextId: localContextId, protectionPolicyInfo: ours, sender });
    if (!policies.ok) return policies;
    const theirs = policies.raw['selProtectionPolicyInfo'] as ProtectionPolicyData | undefined;
    const mismatches = theirs ? policyMismatches(ours, theirs) : [{ param: '/selProtectionPolicyInfo', reason: 'the responder sent no protection policy' }];
    if (mismatches.length > 0) {
      log.warn({ mismatches, mode: config.prins.policyMismatch }, 'the peer protection policy differs from ours');
      if (config.prins.policyMismatch === 'reject') {
        await this.control.reportErrorOn(connection, {
          n32fMessageId: '0000000000000000',
          n32fErrorType: N32fErrorType.POLICY_MISMATCH,
          n32fContextId: remoteContextId,
          policyMismatchList: mismatches.map(({ param, reason }) => ({ param, reason })),
        });
        return fail(PeerFailureReason.POLICY_MISMATCH, mismatches.map((m) => `${m.param}: ${m.reason ?? ''}`).join('; '));
      }
    }

    // Step 3: RI security information (TS 29.573 5.2.3.4): the keys of our IPX toward this peer;
    // the responder's RIs may come in any answer.
    const received: IpxProviderSecInfoData[] = [...(policies.body.ipxProviderSecInfoList ?? []), ...(suites.body.ipxProviderSecInfoList ?? [])];
    const ownSecInfo = this.contexts.ownSecInfo(peer.fqdn);
    if (ownSecInfo) {
      const ris = await this.post(connection, config, peer, { n32fContextId: localContextId, ipxProviderSecInfoList: ownSecInfo, sender });
      if (!ris.ok) return ris;
      received.unshift(...(ris.body.ipxProviderSecInfoList ?? []));
    }
    const { intermediaries, invalid } = this.contexts.intermediariesFor(peer.fqdn, {
      received: dedupe(received),
      ...(theirs ? { peerPolicy: theirs } : {}),
      peerSocket: connection.socket,
    });
    if (invalid.length > 0) {
      return fail(PeerFailureReason.PARAMETER_EXCHANGE_FAILED, `the responder's ipxProviderSecInfoList: ${invalid.map((p) => `${p.param} ${p.reason ?? ''}`).join('; ')}`);
    }

    // Step 4: both sides export the master key from this TLS session (empty context, 64 bytes).
    const master = connection.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
    try {
      await this.contexts.establish({ role: 'initiator', peer: peer.fqdn, localContextId, remoteContextId, master, enc, ...(intermediaries ? { intermediaries } : {}) });
    } catch (error) {
      if (!(error instanceof StateStoreUnavailable)) throw error;
      return fail(PeerFailureReason.PARAMETER_EXCHANGE_FAILED, `the N32-f context cannot be stored: ${error.message}`);
    }
    log.info({ localContextId, remoteContextId, enc, authorizedIpxId: intermediaries?.authorizedIpxId ?? null }, 'PRINS parameters exchanged');
    return { ok: true, localContextId, remoteContextId, enc };
  }

  private async post(
    connection: N32Connection,
    config: SeppConfig,
    peer: PeerSettings,
    body: SecParamExchReqBody,
  ): Promise<{ ok: true; body: SecParamExchRspData; raw: Record<string, unknown> } | { ok: false; reason: PeerFailureReason; detail: string }> {
    let response;
    try {
      response = await connection.post(N32C_PATHS.exchangeParams, body, config.n32.requestTimeoutMs);
    } catch (error) {
      return fail(PeerFailureReason.CONNECTION_LOST, `exchange-params: ${(error as Error).message}`);
    }
    if (response.status !== 200) {
      const problem = validateBody(ProblemDetails, response.json);
      const cause = problem.ok ? problem.value.cause : undefined;
      const text = problem.ok ? [problem.value.title, cause, problem.value.detail].filter(Boolean).join(': ') : '';
      return fail(cause === 'POLICY_MISMATCH' ? PeerFailureReason.POLICY_MISMATCH : PeerFailureReason.PARAMETER_EXCHANGE_FAILED, `exchange-params: HTTP ${response.status} ${text}`);
    }
    const checked = validateBody(SecParamExchRspData, response.json);
    if (!checked.ok) return fail(PeerFailureReason.PARAMETER_EXCHANGE_FAILED, `not a SecParamExchRspData: ${checked.error.detail}`);
    if (checked.value.sender) {
      const identity = checkClaimedIdentity({ sender: checked.value.sender }, connection.peerDnsNames, peer);
      if (!identity.ok) return fail(PeerFailureReason.IDENTITY_MISMATCH, identity.detail);
    }
    return { ok: true, body: checked.value, raw: response.json as Record<string, unknown> };
  }
}

/** The same RI listed in two answers counts once (the first, i.e. the latest answer). */
function dedupe(list: readonly IpxProviderSecInfoData[]): IpxProviderSecInfoData[] {
  const seen = new Set<string>();
  return list.filter((info) => {
    const id = info.ipxProviderId.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function fail(reason: PeerFailureReason, detail: string): { ok: false; reason: PeerFailureReason; detail: string } {
  return { ok: false, reason, detail };
}
