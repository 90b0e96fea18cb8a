import type { Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import {
  checkClaimedIdentity,
  isJweEnc,
  MASTER_KEY_LENGTH,
  N32Error,
  N32ErrorCode,
  N32fErrorType,
  newN32fContextId,
  parseBody,
  policyMismatches,
  SecParamExchReqData,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  type IpxProviderSecInfoData,
  type JweEnc,
  type N32fIntermediaries,
  type PrinsProtectionPolicy,
  type ProtectionPolicyData,
  type SecParamExchRspBody,
} from '@sepp/protocol';
import {
  ConfigService,
  N32fContextsService,
  N32fControlService,
  PeerRegistry,
  ProblemException,
  SEPP_LOGGER,
  StateStoreUnavailable,
  type ReceivedErrorReport,
  type SeppLogger,
} from '@sepp/server';

/** An exchange in progress, keyed by peer and the initiator's context ID. */
interface PendingExchange {
  readonly peer: string;
  readonly initiatorContextId: string;
  readonly responderContextId: string;
  enc?: JweEnc;
  policyExchanged: boolean;
  /** The initiator's protection policy: what its RIs may modify. */
  peerPolicy?: ProtectionPolicyData;
  /** The initiator's RIs (`ipxProviderSecInfoList`), when it sent them before the context existed. */
  received?: IpxProviderSecInfoData[];
  /** Set once the context exists: a later RI step updates it. */
  established: boolean;
  readonly startedAt: number;
}

/** Our policy as its wire data, built once per policy (the answer and the comparison only read it). */
const policyDataOf = new WeakMap<PrinsProtectionPolicy, ProtectionPolicyData>();

function policyData(policy: PrinsProtectionPolicy): ProtectionPolicyData {
  let data = policyDataOf.get(policy);
  if (!data) {
    data = toProtectionPolicyData(policy);
    policyDataOf.set(policy, data);
  }
  return data;
}

/** How long a finished exchange is remembered for a late RI step (13.2.2.2 step 3). */
const EXCHANGE_MEMORY_MS = 60_000;
/** Exchanges remembered per peer; the oldest goes when a new one starts. */
const MAX_EXCHANGES_PER_PEER = 8;

/**
 * The responding SEPP's parameter exchange (TS 33.501 13.2.2.2, N32-DIGEST §3.1): only on the
 * connection where PRINS was selected with that peer; cipher suites chosen from the initiator's
 * list in its order among ours (JWS: ES256 only); protection policies compared (a mismatch is
 * refused with POLICY_MISMATCH or logged, per `prins.policyMismatch`). Once suites and policies
 * are settled, the master key is exported from this TLS session and the context established.
 * The three steps may come as separate POSTs with the same initiator context ID, or combined.
 * Step 3 (RI security information, `ipxProviderSecInfoList`) may come after the context exists: it
 * then sets the context's RIs. Our own IPX toward the peer is in every answer from step 2 on.
 */
@Injectable()
export class ParamsService {
  private readonly pending = new Map<string, PendingExchange>();

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly contexts: N32fContextsService,
    control: N32fControlService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    control.on('errorReport', (report) => this.onErrorReport(report));
  }

  async exchangeParams(body: unknown, peer: string | undefined, session: Http2Session, peerDnsNames: readonly string[]): Promise<SecParamExchRspBody> {
    const config = this.config.current;
    this.prune();
    const request = parseBody(SecParamExchReqData, body);
    const state = peer ? this.peers.get(peer)?.status.state : undefined;
    if (!peer || (state !== 'prins-selected' && state !== 'prins-established')) {
      throw new ProblemException({
        status: 409,
        cause: 'PRINS_NOT_NEGOTIATED',
        detail: 'exchange-params needs PRINS selected with this peer on this connection (exchange-capability first)',
      });
    }
    if (request.sender) {
      const identity = checkClaimedIdentity({ sender: request.sender }, peerDnsNames, config.n32.peers.find((p) => p.fqdn === peer));
      if (!identity.ok || identity.sender !== peer) {
        throw new N32Error(N32ErrorCode.IDENTITY_MISMATCH, identity.ok ? `sender ${identity.sender} is not the peer of this connection` : identity.detail, [
          { param: '/sender', reason: 'does not match the peer of this connection' },
        ]);
      }
    }
    const log = this.logger.child({ peer });
    const key = `${peer}|${request.n32fContextId.toLowerCase()}`;
    let exchange = this.pending.get(key);
    if (!exchange) {
      // Bounded: a peer may have a few exchanges in progress, not an ever-growing number.
      const ofPeer = [...this.pending].filter(([, other]) => other.peer === peer);
      if (ofPeer.length >= MAX_EXCHANGES_PER_PEER) this.pending.delete(ofPeer[0]![0]);
      exchange = { peer, initiatorContextId: request.n32fContextId.toLowerCase(), responderContextId: newN32fContextId(), policyExchanged: false, established: false, startedAt: Date.now() };
      this.pending.set(key, exchange);
    }
    const answer: SecParamExchRspBody = { n32fContextId: exchange.responderContextId, sender: config.sepp.fqdn };

    if (exchange.established && (request.jweCipherSuiteList || request.protectionPolicyInfo)) {
      throw new N32Error(N32ErrorCode.MANDATORY_IE_INCORRECT, 'the parameters of this N32-f context are already settled (start a new exchange with a new n32fContextId)', [
        { param: '/n32fContextId', reason: 'names an established context' },
      ]);
    }
    if (request.jweCipherSuiteList) {
      const enc = request.jweCipherSuiteList.find((suite): suite is JweEnc => isJweEnc(suite) && config.prins.jweCipherSuites.includes(suite));
      if (!enc) {
        throw new N32Error(N32ErrorCode.MANDATORY_IE_INCORRECT, `no JWE cipher suite in common (we support ${config.prins.jweCipherSuites.join(', ')})`, [
          { param: '/jweCipherSuiteList', reason: 'no suite in common' },
        ]);
      }
      if (request.jwsCipherSuiteList && !request.jwsCipherSuiteList.includes('ES256')) {
        throw new N32Error(N32ErrorCode.MANDATORY_IE_INCORRECT, 'only ES256 is allowed for JWS on N32 (TS 33.501 13.2.4.9)', [
          { param: '/jwsCipherSuiteList', reason: 'must include ES256' },
        ]);
      }
      exchange.enc = enc;
      answer.selectedJweCipherSuite = enc;
      answer.selectedJwsCipherSuite = 'ES256';
    }
    if (request.protectionPolicyInfo) {
      const ours = policyData(this.contexts.policy());
      const theirs = (body as { protectionPolicyInfo: ProtectionPolicyData }).protectionPolicyInfo;
      const mismatches = policyMismatches(ours, theirs);
      if (mismatches.length > 0) {
        log.warn({ mismatches, mode: config.prins.policyMismatch }, 'the peer protection policy differs from ours');
        if (config.prins.policyMismatch === 'reject') {
          this.pending.delete(key);
          throw new ProblemException({
            status: 403,
            cause: 'POLICY_MISMATCH',
            detail: 'the protection policy differs from ours (TS 33.501 13.2.3)',
            invalidParams: mismatches.map(({ param, reason }) => ({ param: `/protectionPolicyInfo${param}`, reason })),
          });
        }
      }
      exchange.policyExchanged = true;
      exchange.peerPolicy = theirs;
      answer.selProtectionPolicyInfo = ours;
    }
    const peerSocket = session.socket as TLSSocket;
    if (request.ipxProviderSecInfoList) {
      const received = (body as { ipxProviderSecInfoList: IpxProviderSecInfoData[] }).ipxProviderSecInfoList;
      // Checked now (the answer must say what is wrong), used when the context is set up.
      const { invalid } = this.contexts.intermediariesFor(peer, { received, peerSocket });
      if (invalid.length > 0) {
        // A context already set up for this exchange must not live on without its RIs.
        const context = exchange.established ? await this.contexts.lookup(exchange.responderContextId) : undefined;
        if (context) this.contexts.terminate(context.localContextId, 'the peer sent unusable RI security information');
        this.pending.delete(key);
        throw new N32Error(N32ErrorCode.OPTIONAL_IE_INCORRECT, `ipxProviderSecInfoList: ${invalid[0]!.param} ${invalid[0]!.reason ?? ''}`, invalid);
      }
      exchange.received = received;
      log.info({ intermediaries: received.map((info) => info.ipxProviderId) }, 'RI security information received');
    }
    const ownSecInfo = this.contexts.ownSecInfo(peer);
    if (ownSecInfo && (exchange.policyExchanged || exchange.established)) answer.ipxProviderSecInfoList = ownSecInfo;

    if (exchange.established) {
      const context = await this.contexts.lookup(exchange.responderContextId);
      if (context && request.ipxProviderSecInfoList) await this.stored(() => this.contexts.setIntermediaries(context, this.intermediaries(peer, exchange, peerSocket)));
    } else if (exchange.enc && exchange.policyExchanged) {
      // Step 4: the master key from this very TLS session (TS 33.501 13.2.2.2, empty context).
      const master = (session.socket as TLSSocket).exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
      const intermediaries = this.intermediaries(peer, exchange, peerSocket);
      const enc = exchange.enc;
      await this.stored(() =>
        this.contexts.establish({
          role: 'responder',
          peer,
          localContextId: exchange.responderContextId,
          remoteContextId: exchange.initiatorContextId,
          master,
          enc,
          ...(intermediaries ? { intermediaries } : {}),
        }),
      );
      exchange.established = true;
      const record = this.peers.get(peer);
      this.peers.apply(peer, { type: 'PARAMETERS_EXCHANGED' }, {
        ...record?.negotiation,
        n32fContextIds: { local: exchange.responderContextId, remote: exchange.initiatorContextId },
        jweCipherSuite: exchange.enc,
      });
    }
    return answer;
  }

  /** Runs what needs the state store; unreachable, the exchange gets a 503 (the initiator retries). */
  private async stored<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof StateStoreUnavailable)) throw error;
      this.logger.warn({ detail: error.message }, 'exchange-params refused: the state store is unreachable');
      throw new ProblemException({ status: 503, cause: 'SYSTEM_FAILURE', detail: `the N32-f context cannot be stored: ${error.message}` });
    }
  }

  private intermediaries(peer: string, exchange: PendingExchange, peerSocket: TLSSocket): N32fIntermediaries | undefined {
    return this.contexts.intermediariesFor(peer, {
      ...(exchange.received ? { received: exchange.received } : {}),
      ...(exchange.peerPolicy ? { peerPolicy: exchange.peerPolicy } : {}),
      peerSocket,
    }).intermediaries;
  }

  /** Forgets finished exchanges after a while (and unfinished ones too: the initiator gave up). */
  private prune(): void {
    const oldest = Date.now() - EXCHANGE_MEMORY_MS;
    for (const [key, exchange] of this.pending) if (exchange.startedAt < oldest) this.pending.delete(key);
  }

  /**
   * The initiator compares our protection policy only after we established the context (step 2
   * answer), and refuses a mismatch with n32f-error POLICY_MISMATCH naming our context ID: that
   * context is dead on its side, so it goes here too (otherwise every retry of the initiator would
   * leave one more context behind, and the peer would show prins-established here only).
   */
  private onErrorReport({ peer, info }: ReceivedErrorReport): void {
    if (info.n32fErrorType !== N32fErrorType.POLICY_MISMATCH || !info.n32fContextId) return;
    void this.contexts.lookup(info.n32fContextId).then(
      (context) => {
        if (context?.params.peer === peer) this.contexts.terminate(context.localContextId, 'the peer refused the protection policy (POLICY_MISMATCH)');
      },
      () => undefined,
    );
  }

  /** Forgets exchanges in progress with a peer (it renegotiated or released). */
  forget(peer: string): void {
    for (const [key, exchange] of this.pending) if (exchange.peer === peer) this.pending.delete(key);
  }
}
