import type { ClientHttp2Session, IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import {
  apiRootKey,
  authorityOf,
  certificatePlmnKeys,
  endToEndHeaders,
  isSeppApiPath,
  N32Error,
  N32ErrorCode,
  parseApiRoot,
  parseOriginatingNetworkId,
  plmnFqdnKey,
  SBI_HEADERS,
  type ApiRoot,
} from '@sepp/protocol';
import {
  BORDER_REFUSAL,
  BorderService,
  ConfigService,
  forwardStream,
  guardedForward,
  OriginPool,
  originPoolOf,
  PeerRegistry,
  peerDnsNames,
  PeerInFlight,
  perPeerBound,
  ProblemException,
  refusalOfError,
  respondWithProblem,
  SEPP_LOGGER,
  SeppMetrics,
  splitPath,
  toProblem,
  type ForwardOptions,
  type SeppConfig,
  type SeppLogger,
} from '@sepp/server';
import { N32SessionsService } from '../n32c/n32-sessions.service';
import { RenegotiationDeferred, RenegotiationService } from '../n32c/renegotiation.service';
import { N32fPeersService } from './n32f-peers.service';
import { assertAccessTokenPlmn } from './access-token-plmn';

const TARGET_PARAM = `header ${SBI_HEADERS.targetApiRoot}`;
/** Parsed target headers remembered (bounded; cleared on reload and when full). */
const TARGET_CACHE_SIZE = 4_096;

/**
 * The pSEPP side of N32-f in TLS mode (TS 33.501 13.1.1.2, N32-DIGEST §6.3): a request a peer SEPP
 * forwards on N32 is accepted only from a peer with an agreed TLS mechanism, only toward a local
 * NF of `sbi.allowedTargets` (never an arbitrary host), within the per-peer concurrency and body
 * limits; it is then relayed to that NF (`3gpp-Sbi-Target-apiRoot` consumed) and the NF's answer
 * streams back unchanged. Refusals are problem+json and reach no NF.
 *
 * Shared with the N32 listeners (no lifecycle hooks here): the sessions to local NFs are unref'd
 * and end with the process.
 */
@Injectable()
export class N32fForwarderService {
  private readonly inFlight = new PeerInFlight();
  private readonly targets = new Map<string, ApiRoot>();
  private pool: OriginPool;
  private allowed: Map<string, ApiRoot>;

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly sessions: N32SessionsService,
    private readonly senders: N32fPeersService,
    private readonly renegotiation: RenegotiationService,
    private readonly metrics: SeppMetrics,
    private readonly border: BorderService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    metrics.traffic.followInFlight('inbound', () => this.inFlight.counts);
    this.pool = this.createPool(config.current);
    this.allowed = allowedTargets(config.current);
    config.on('reload', ({ current, changed }) => {
      this.allowed = allowedTargets(current);
      this.targets.clear();
      // The pool's sessions follow sbi (hosts, TLS, keepalive) and n32f.requestTimeoutMs (how long one may take to come up).
      if (changed.includes('sbi') || changed.includes('n32f')) {
        const old = this.pool;
        this.pool = this.createPool(current);
        old.close();
      }
    });
  }

  /** The N32 listeners' fast path: everything but the SEPP's own APIs (`SEPP_API_PREFIXES`). */
  readonly handle = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean => {
    if (isSeppApiPath(headers[':path'] ?? '')) return false;
    this.serve(stream, headers, process.hrtime.bigint(), true);
    return true;
  };

  /**
   * Forwards, or refuses. A configured peer without an agreed TLS mechanism does not get its 403 at
   * once when the SEPP can renegotiate with it (RenegotiationService): the request waits for the
   * agreement, then goes on (`mayWait` false: it waits once), or gets the 503 of the renegotiation.
   */
  private serve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, startedAt: bigint, mayWait: boolean): void {
    let peer: string | undefined;
    try {
      peer = this.senders.senderOf(stream.session!);
      this.forward(stream, headers, startedAt, peer);
    } catch (error) {
      const claimed = peer ?? (stream.session ? this.senders.claimedPeer(stream.session) : undefined);
      const agreement = mayWait && error instanceof N32Error && error.code === N32ErrorCode.N32F_NOT_AGREED ? this.agreementFor(claimed) : null;
      if (!agreement) {
        this.refuse(stream, headers, startedAt, error, claimed);
        return;
      }
      agreement.then(
        () => {
          if (stream.destroyed || stream.closed) {
            this.metrics.observeN32f('TLS', 'inbound', 'abandoned', startedAt, claimed);
            return;
          }
          this.serve(stream, headers, startedAt, false);
        },
        (failure: unknown) => this.refuse(stream, headers, startedAt, failure, claimed),
      );
    }
  }

  /** The renegotiation an N32-f request of the peer a connection claims to be may wait for, or null. */
  private agreementFor(peer: string | undefined): Promise<void> | null {
    return peer ? this.renegotiation.agreement(peer) : null;
  }

  /** Answers with our problem; the refusal counts for the peer (or the name the client certificate gives) on the status page. */
  private refuse(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, startedAt: bigint, error: unknown, peer: string | undefined): void {
    const extra: Record<string, string> = error instanceof RenegotiationDeferred ? { 'retry-after': String(Math.max(1, error.retryAfterSeconds)) } : {};
    const bodyLimit = this.config.current.n32f.bodyLimit;
    const status = respondWithProblem(stream, error, bodyLimit, extra);
    const { category, cause, detail } = refusalOfError(error, toProblem(error, bodyLimit));
    this.metrics.observeN32f('TLS', 'inbound', status, startedAt, peer, cause);
    // A border refusal (ProblemException) is listed by the border gate itself, with its rule.
    if (!(error instanceof ProblemException)) {
      this.metrics.refuse({ category, cause, peer: peer ?? peerDnsNames(stream.session?.socket as TLSSocket | undefined)[0], remoteAddress: remoteAddressOf(stream), detail });
    }
    if (error instanceof N32Error) {
      this.logRefusal(stream, headers, { status, code: error.code, cause: error.cause, detail: error.detail });
    } else {
      this.logger.error({ err: error, path: headers[':path'] }, 'N32-f forwarding failed');
    }
  }

  /** Relays one request of `peer` (the sender allowed on this connection). */
  private forward(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, startedAt: bigint, peer: string): void {
    const config = this.config.current;
    const session = stream.session!;
    // Border protection (TS 33.501 5.9.3.2) may first recover a hidden target: the target check then follows it.
    const gate = this.border.gate(peer, 'pSEPP');
    const target = gate ? null : this.targetOf(headers[SBI_HEADERS.targetApiRoot]);
    this.checkOriginatingNetwork(peer, headers);
    assertAccessTokenPlmn(peer, headers['authorization'], this.peers, config, this.logger);

    const max = perPeerBound(config.n32f.maxConcurrentPerPeer, headers, config.limits);
    if (!this.inFlight.tryTake(peer, max)) {
      throw new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${peer} has ${this.inFlight.count(peer)} N32-f requests in flight (limit ${max})`);
    }
    this.sessions.countN32f(session, peer);

    const out: OutgoingHttpHeaders = endToEndHeaders(headers, SBI_HEADERS.targetApiRoot);
    out[':method'] = headers[':method'];
    const options: ForwardOptions = {
      timeoutMs: config.n32f.requestTimeoutMs,
      bodyLimit: config.n32f.bodyLimit,
      upstreamFailure: N32ErrorCode.TARGET_NF_NOT_REACHABLE,
      onDone: (outcome) => {
        this.metrics.observeN32f('TLS', 'inbound', outcome.kind === 'abandoned' ? 'abandoned' : outcome.status, startedAt, peer, outcome.kind === 'refused' ? outcome.code : undefined);
        // (A border rule's refusal is logged by the border as a `border refusal`.)
        if (outcome.kind === 'refused' && outcome.code !== BORDER_REFUSAL) this.logRefusal(stream, headers, outcome, peer);
        else if (outcome.kind === 'abandoned' && outcome.by === 'upstream') this.logger.warn({ peer, path: headers[':path'], detail: outcome.detail }, 'N32-f answer broke off: stream reset');
        this.inFlight.release(peer);
      },
    };
    const toward = (root: ApiRoot): ClientHttp2Session => {
      out[':path'] = `${root.prefix}${String(headers[':path'])}`;
      out[':scheme'] = root.scheme;
      out[':authority'] = authorityOf(root);
      return this.pool.get(root);
    };
    if (!gate) {
      // A request the NF did not process (a refused stream, a session it or we closed) goes out
      // again on the session the pool has now.
      forwardStream(stream, toward(target!), out, { ...options, reroute: () => Promise.resolve(toward(target!)) });
      return;
    }
    const { path, query } = splitPath(String(headers[':path']));
    const received = headers[SBI_HEADERS.targetApiRoot];
    guardedForward({
      stream,
      gate,
      request: { method: String(headers[':method']), path, query, target: typeof received === 'string' ? received : undefined, contentType: headers['content-type'] },
      out,
      upstream: (recovered) => {
        try {
          return toward(this.targetOf(recovered ?? received));
        } catch (error) {
          if (error instanceof N32Error) this.logger.info({ peer, code: error.code, detail: error.detail, path: headers[':path'] }, 'N32-f request refused');
          throw error;
        }
      },
      options,
    });
  }

  /**
   * One line per N32-f request we answered with a problem of ours (it reached no NF, or the NF did
   * not answer): info for a refused request, warn for a failure of ours (5xx).
   */
  private logRefusal(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, refusal: { status: number; code: string; cause: string; detail: string }, peer?: string): void {
    const { status, code, cause, detail } = refusal;
    this.logger[status >= 500 ? 'warn' : 'info']({ status, cause, code, detail, path: headers[':path'], remoteAddress: remoteAddressOf(stream), ...(peer ? { peer } : {}) }, 'N32-f request refused');
  }

  /** The local NF named by `3gpp-Sbi-Target-apiRoot`, if it is one of ours. */
  private targetOf(value: string | string[] | undefined): ApiRoot {
    if (typeof value !== 'string') {
      throw new N32Error(N32ErrorCode.NF_TARGET_MISSING, `N32-f requests carry ${SBI_HEADERS.targetApiRoot} (TLS mode)`, [
        { param: TARGET_PARAM, reason: 'is mandatory' },
      ]);
    }
    const known = this.targets.get(value);
    if (known) return known;
    const parsed = parseApiRoot(value);
    if (!parsed) {
      throw new N32Error(N32ErrorCode.NF_TARGET_INVALID, `${SBI_HEADERS.targetApiRoot} is not an apiRoot: ${value}`, [
        { param: TARGET_PARAM, reason: 'must be <http|https>://host[:port][/prefix]' },
      ]);
    }
    const allowed = this.allowed.get(apiRootKey(parsed));
    if (!allowed) {
      throw new N32Error(N32ErrorCode.TARGET_NOT_ALLOWED, `${value} is not a local NF this SEPP forwards to`, [
        { param: TARGET_PARAM, reason: 'not in sbi.allowedTargets' },
      ]);
    }
    if (this.targets.size >= TARGET_CACHE_SIZE) this.targets.clear();
    this.targets.set(value, allowed);
    return allowed;
  }

  /**
   * TS 33.501 13.1.2: PLMN IDs in the message should match the peer's certificate; a mismatch is
   * logged (a security event), not refused.
   */
  private checkOriginatingNetwork(peer: string, headers: IncomingHttpHeaders): void {
    const header = headers[SBI_HEADERS.originatingNetworkId];
    const claimed = parseOriginatingNetworkId(typeof header === 'string' ? header : undefined);
    if (!claimed) return;
    const record = this.peers.get(peer);
    const certified = certificatePlmnKeys(record?.negotiation?.peerN32cDnsNames ?? []);
    const configured = this.config.current.n32.peers.find((p) => p.fqdn === peer)?.plmns ?? [];
    for (const plmn of configured) certified.add(plmnFqdnKey(plmn));
    if (!certified.has(plmnFqdnKey(claimed))) {
      this.logger.warn({ peer, claimed: `${claimed.mcc}-${claimed.mnc}`, certified: [...certified] }, 'PLMN ID mismatch: originating network not covered by the peer certificate');
    }
  }

  private createPool(config: SeppConfig): OriginPool {
    return originPoolOf(config, this.logger);
  }
}

/** The peer's address, if the connection can still tell (a destroyed session's socket cannot). */
function remoteAddressOf(stream: ServerHttp2Stream): string | undefined {
  try {
    return stream.session?.socket.remoteAddress;
  } catch {
    return undefined;
  }
}

function allowedTargets(config: SeppConfig): Map<string, ApiRoot> {
  return new Map(config.sbi.allowedTargets.map((root) => [apiRootKey(root), root]));
}
