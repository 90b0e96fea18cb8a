import { Inject, Injectable } from '@nestjs/common';
import { isNegotiating, N32Error, N32ErrorCode, PeerFailureReason, type PeerStatus } from '@sepp/protocol';
import { ConfigService, HandshakeClient, PeerRegistry, SEPP_LOGGER, type PeerChange, type PeerSettings, type SeppLogger } from '@sepp/server';
import { N32SessionsService } from './n32-sessions.service';
import { PeerConnectionsService } from './peer-connections.service';

/** N32-f refused while the renegotiation it would need may not start yet: 503 with `retry-after`. */
export class RenegotiationDeferred extends N32Error {
  constructor(
    detail: string,
    /** Seconds until the next attempt may start. */
    readonly retryAfterSeconds: number,
  ) {
    super(N32ErrorCode.N32_NOT_ESTABLISHED, detail);
  }
}

/**
 * Outcomes in which the peer answered and agreed to nothing (its policy, or an answer we cannot
 * accept): N32-f gets 403 N32F_NOT_AGREED, since waiting will not help. The others (no connection,
 * connection lost, timeout) are transient: 503.
 */
const PEER_DECIDED: ReadonlySet<string> = new Set<PeerFailureReason>([
  PeerFailureReason.NO_COMMON_MECHANISM,
  PeerFailureReason.UNKNOWN_MECHANISM,
  PeerFailureReason.NOT_OFFERED,
  PeerFailureReason.POLICY_VIOLATION,
  PeerFailureReason.PEER_REJECTED,
  PeerFailureReason.INVALID_RESPONSE,
  PeerFailureReason.IDENTITY_MISMATCH,
  PeerFailureReason.POLICY_MISMATCH,
]);

/** Per peer: the attempt running, when the next may start, failures in a row, requests waiting. */
interface PeerAttempts {
  running: Promise<void> | null;
  notBefore: number;
  failures: number;
  waiting: number;
}

/** The only mechanism the receiving SEPP renegotiates: that of the N32-f it received (TLS mode). */
const OFFERED = ['TLS'] as const;

/**
 * The receiving SEPP's own renegotiation (TS 33.501 13.5: a SEPP that has no agreed mechanism with
 * a peer negotiates; nothing reserves that to the initiating SEPP). A configured peer may go on
 * sending N32-f after we lost the agreement (our restart, a lost state) without negotiating again:
 * Open5GS's SEPP negotiates once and then considers the peer established for as long as it runs.
 * Its N32-f request then starts a negotiation toward the peer's N32-c `address`, with us as the
 * initiating SEPP, and waits for it (`n32.renegotiation.waitMs`, then 503); requests that come
 * meanwhile wait for the same one. When the peer answered and agreed to nothing (no common
 * mechanism, `NONE`, an answer we refuse), the request gets 403 N32F_NOT_AGREED instead: that
 * outcome is the peer's decision, not a passing fault.
 *
 * - A peer that released N32 itself (`["NONE"]`, state `terminated`) is not renegotiated with:
 *   nothing of ours was lost; its N32-f keeps its 403 until it negotiates again.
 * - Only TLS is offered: the request that triggers it is TLS-mode N32-f, so the peer considers
 *   TLS agreed. A peer our policy holds to PRINS (`intermediaries: modifying`), a SEPP without TLS
 *   among its capabilities, an agreed PRINS, or `n32.renegotiation.enabled: false`: no attempt,
 *   the request keeps its 403.
 * - PRINS is not renegotiated from here: the sender of an n32f-process naming a context we do not
 *   know gets CONTEXT_NOT_FOUND (403 and an n32f-error report), which is how TS 29.573 asks it to
 *   set up a new context; only the sender can, since it holds the keys of the direction it sends.
 * - Rate limit per peer: at most one attempt per `n32.renegotiation.minIntervalMs`, doubling after
 *   each failed attempt (up to `n32.retry.maxDelayMs`); in between, N32-f gets 503 with
 *   `retry-after` at once. A misbehaving peer cannot make us dial it in a loop.
 * - The agreement lives on the connection we negotiated on (as TLS mode does on the responder's
 *   inbound connections): it ends with that connection.
 */
@Injectable()
export class RenegotiationService {
  private readonly byPeer = new Map<string, PeerAttempts>();

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    private readonly client: HandshakeClient,
    private readonly channel: PeerConnectionsService,
    private readonly sessions: N32SessionsService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  /**
   * For N32-f (TLS mode) from configured peer `fqdn` without an agreed TLS mechanism: a promise
   * that resolves once TLS is agreed, or rejects with a 503 N32Error (`RenegotiationDeferred` when
   * the rate limit holds the next attempt back). Null when no renegotiation applies (the request
   * keeps its refusal).
   */
  agreement(fqdn: string): Promise<void> | null {
    const config = this.config.current;
    const settings = config.n32.peers.find((peer) => peer.fqdn === fqdn);
    const record = this.peers.get(fqdn);
    if (!settings || !record || !this.applies(settings, record.status)) return null;
    if (record.status.state === 'tls-established') return Promise.resolve();
    const attempts = this.attemptsOf(fqdn);
    if (attempts.waiting >= config.n32f.maxConcurrentPerPeer) {
      return Promise.reject(new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${fqdn} has ${attempts.waiting} N32-f requests waiting for the renegotiation`));
    }
    if (!isNegotiating(record.status) && attempts.running === null) {
      const waitMs = attempts.notBefore - Date.now();
      if (waitMs > 0) {
        const last = record.status.lastError;
        if (last && PEER_DECIDED.has(last.reason)) {
          return Promise.reject(new N32Error(N32ErrorCode.N32F_NOT_AGREED, `no agreed N32 mechanism with ${fqdn}: the renegotiation ended with ${last.reason} (${last.detail})`));
        }
        return Promise.reject(
          new RenegotiationDeferred(
            `no agreed N32 mechanism with ${fqdn}${last ? ` (${last.reason}: ${last.detail})` : ''}; the next renegotiation may start in ${Math.ceil(waitMs / 1000)} s`,
            Math.ceil(waitMs / 1000),
          ),
        );
      }
      attempts.running = this.attempt(settings, attempts).finally(() => {
        attempts.running = null;
      });
    }
    attempts.waiting += 1;
    this.logger.debug({ peer: fqdn, waiting: attempts.waiting, waitMs: config.n32.renegotiation.waitMs }, 'N32-f request waits for the renegotiation');
    return this.waitForTls(fqdn, config.n32.renegotiation.waitMs).finally(() => {
      attempts.waiting -= 1;
    });
  }

  /** Whether a renegotiation can give this peer's TLS-mode N32-f an agreement. */
  private applies(settings: PeerSettings, status: PeerStatus): boolean {
    const config = this.config.current;
    return (
      config.n32.renegotiation.enabled &&
      config.sepp.capabilities.includes('TLS') &&
      settings.intermediaries !== 'modifying' &&
      status.state !== 'prins-selected' &&
      status.state !== 'prins-established' &&
      // The peer released N32 itself (`["NONE"]`): nothing of ours was lost, it has to negotiate.
      status.state !== 'terminated'
    );
  }

  private attemptsOf(fqdn: string): PeerAttempts {
    let attempts = this.byPeer.get(fqdn);
    if (!attempts) {
      attempts = { running: null, notBefore: 0, failures: 0, waiting: 0 };
      this.byPeer.set(fqdn, attempts);
    }
    return attempts;
  }

  /** One exchange-capability toward the peer, as initiating SEPP, offering TLS. */
  private async attempt(settings: PeerSettings, attempts: PeerAttempts): Promise<void> {
    const config = this.config.current;
    const fqdn = settings.fqdn;
    const log = this.logger.child({ peer: fqdn });
    this.peers.apply(fqdn, { type: 'RENEGOTIATION_STARTED', offered: OFFERED });
    log.info({ dial: `${settings.dial.host}:${settings.dial.port}`, offered: OFFERED }, 'renegotiating: N32-f from the peer without an agreed mechanism');

    let connection;
    try {
      connection = await this.channel.connectionTo(fqdn);
    } catch (error) {
      this.failed(fqdn, attempts, PeerFailureReason.CONNECTION_FAILED, (error as Error).message);
      return;
    }
    const outcome = await this.client.exchangeCapability(connection, config, settings, OFFERED);
    if (!outcome.ok) {
      // No agreed mechanism: nothing more is sent on this connection (DECISIONS.md §3).
      await connection.close();
      this.failed(fqdn, attempts, outcome.reason, outcome.detail);
      return;
    }
    attempts.failures = 0;
    attempts.notBefore = Date.now() + config.n32.renegotiation.minIntervalMs;
    if (this.peers.get(fqdn)?.status.state !== 'renegotiating') {
      // The peer negotiated itself meanwhile: its outcome stands.
      log.info({ state: this.peers.get(fqdn)?.status.state }, 'renegotiation answered after the peer negotiated itself: its outcome stands');
      return;
    }
    this.peers.apply(fqdn, { type: 'MECHANISM_SELECTED', mechanism: outcome.mechanism }, outcome.details);
    this.sessions.bindOutbound(fqdn, connection.session);
    connection.startKeepalive(config.n32.keepaliveMs);
  }

  private failed(fqdn: string, attempts: PeerAttempts, reason: PeerFailureReason, detail: string): void {
    const { renegotiation, retry } = this.config.current.n32;
    attempts.failures += 1;
    const delayMs = Math.min(renegotiation.minIntervalMs * 2 ** (attempts.failures - 1), Math.max(renegotiation.minIntervalMs, retry.maxDelayMs));
    attempts.notBefore = Date.now() + delayMs;
    // The peer's own handshake, if one came meanwhile, has the last word on the state.
    if (this.peers.get(fqdn)?.status.state === 'renegotiating') this.peers.apply(fqdn, { type: 'NEGOTIATION_FAILED', reason, detail });
    this.logger.warn({ peer: fqdn, reason, detail, failures: attempts.failures, nextAttemptInMs: delayMs }, 'renegotiation failed');
  }

  /** Resolves when the peer is in tls-established; rejects when a negotiation ends otherwise, or after `waitMs`. */
  private waitForTls(fqdn: string, waitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        unwatch();
        outcome();
      };
      const notEstablished = (status: PeerStatus): N32Error => {
        const why = status.lastError ? `${status.lastError.reason}: ${status.lastError.detail}` : `state ${status.state}`;
        if (status.lastError && PEER_DECIDED.has(status.lastError.reason)) {
          return new N32Error(N32ErrorCode.N32F_NOT_AGREED, `no agreed N32 mechanism with ${fqdn}: the renegotiation ended with ${status.lastError.reason} (${status.lastError.detail})`);
        }
        if (status.state === 'prins-selected' || status.state === 'prins-established' || status.state === 'terminated') {
          // The peer settled it meanwhile (its own negotiation: PRINS, a release): TLS is not agreed.
          return new N32Error(N32ErrorCode.N32F_NOT_AGREED, `no agreed TLS mechanism with ${fqdn}: the peer negotiated meanwhile (state ${status.state})`);
        }
        return new N32Error(N32ErrorCode.N32_NOT_ESTABLISHED, `no agreed N32 mechanism with ${fqdn}: the renegotiation failed (${why})`);
      };
      const onChange = ({ after }: PeerChange): void => {
        if (after.status.state === 'tls-established') settle(resolve);
        else if (!isNegotiating(after.status)) settle(() => reject(notEstablished(after.status)));
      };
      const timer = setTimeout(
        () => settle(() => reject(new N32Error(N32ErrorCode.N32_NOT_ESTABLISHED, `no agreed N32 mechanism with ${fqdn} within ${waitMs} ms (renegotiation in progress)`))),
        waitMs,
      );
      const unwatch = this.peers.watch(fqdn, onChange);
      // The state may have settled between the caller's look and now.
      const status = this.peers.get(fqdn)?.status;
      if (status?.state === 'tls-established') settle(resolve);
      else if (status && !isNegotiating(status)) settle(() => reject(notEstablished(status)));
    });
  }
}
