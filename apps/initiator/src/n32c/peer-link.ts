import { createHash } from 'node:crypto';
import { hasAgreedMechanism, N32Error, N32ErrorCode, plmnKeysNotCovered, type N32fContext, type PeerFailureReason } from '@sepp/protocol';
import {
  dialPeer,
  N32Connection,
  StateStoreUnavailable,
  type ListenAddress,
  type ConfigService,
  type HandshakeClient,
  type N32fContextsService,
  type N32fControlService,
  type NegotiationDetails,
  type PeerChange,
  type PeerRegistry,
  type PeerSettings,
  type SeppLogger,
  type SeppMetrics,
  type StatusConnection,
} from '@sepp/server';
import { backoffDelay } from './backoff';
import type { ParamsClient } from './params.client';

export interface PeerLinkDeps {
  readonly config: ConfigService;
  readonly peers: PeerRegistry;
  readonly client: HandshakeClient;
  readonly params: ParamsClient;
  readonly contexts: N32fContextsService;
  readonly control: N32fControlService;
  readonly metrics: SeppMetrics;
  readonly logger: SeppLogger;
}

/** How N32-f reaches the peer right now. */
export type N32fTransport =
  | { readonly mechanism: 'TLS'; readonly connection: N32Connection; readonly negotiation: NegotiationDetails | null }
  | { readonly mechanism: 'PRINS'; readonly connection: N32Connection; readonly context: N32fContext };

/** How long a release (["NONE"]) may take at shutdown before we just close. */
const RELEASE_TIMEOUT_MS = 2_000;
/** Nonces left on a PRINS context when a fresh one is negotiated (before the counter could wrap). */
const PRINS_REKEY_MARGIN = 2;

/**
 * Drives N32 with one peer from the initiating side: one N32-c connection at a time (plus, in
 * `n32f.connection: dedicated`, one N32-f connection), one negotiation at a time (requests arriving
 * meanwhile coalesce into one more run), retries with exponential back-off, renegotiation when a
 * connection is lost. The peer's state lives in the registry.
 */
export class PeerLink {
  private connection: N32Connection | null = null;
  private n32f: N32Connection | null = null;
  /** PRINS through an IPX relay (`n32.peers[].ipx.address`): the connection to the relay. */
  private ipx: N32Connection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pendingReason: string | null = null;
  private failures = 0;
  private lastAttemptEnded = 0;
  private stopped = false;
  /** Which of the peer's addresses we dial (`n32.peers[].address` may list its replicas). */
  private addressIndex: number;
  /** Released by an operator: no negotiation (nor N32-f) until an operator asks for one again. */
  private held = false;
  private readonly log: SeppLogger;

  constructor(
    private peer: PeerSettings,
    private readonly deps: PeerLinkDeps,
  ) {
    this.log = deps.logger.child({ peer: peer.fqdn });
    this.addressIndex = spreadIndex(deps.contexts.store.replicaId, peer);
  }

  /** The address dialled now (the cluster view). */
  get address(): ListenAddress {
    return this.peer.dials[this.addressIndex % this.peer.dials.length]!;
  }

  /** This replica's N32 connections to the peer (the cluster view). */
  connectionView(): { address: string; n32c: boolean; n32f: boolean; ipx: boolean } {
    return { address: `${this.address.host}:${this.address.port}`, n32c: this.connection?.open ?? false, n32f: this.n32f?.open ?? false, ipx: this.ipx?.open ?? false };
  }

  get fqdn(): string {
    return this.peer.fqdn;
  }

  /** Negotiate as soon as possible (now, or right after the negotiation in progress). */
  request(reason: string): void {
    if (this.stopped || this.held) return;
    this.clearTimer();
    if (this.running) {
      this.pendingReason = reason;
      return;
    }
    this.running = this.negotiate(reason).finally(() => {
      this.running = null;
      this.lastAttemptEnded = Date.now();
      const next = this.pendingReason;
      this.pendingReason = null;
      if (next) this.request(next);
    });
  }

  /** New settings for this peer (address, policy, PLMNs): start over on a fresh connection. */
  update(peer: PeerSettings): void {
    this.peer = peer;
    this.addressIndex = spreadIndex(this.deps.contexts.store.replicaId, peer);
    void this.dropConnections();
    this.request('peer configuration changed');
  }

  /**
   * Stop for good: release N32 with ["NONE"] if a mechanism is agreed, then close. A replica of a
   * cluster (shared state store) going away releases nothing: the other replicas go on with the
   * peer and with the shared N32-f context; it only closes its connections (GOAWAY).
   */
  async release(reason: string): Promise<void> {
    this.stopped = true;
    await this.releaseNow(reason);
  }

  /**
   * Operators: release N32 now (n32f-terminate, ["NONE"], close) and stay released: no retry, no
   * negotiation for N32-f traffic, until {@link resume}. Resolves with whether the peer
   * acknowledged the release (false: it had nothing agreed, or did not answer).
   */
  async hold(reason: string): Promise<boolean> {
    this.held = true;
    return this.releaseNow(reason);
  }

  /** Operators: negotiate now, lifting a {@link hold}. */
  resume(reason: string): void {
    this.held = false;
    this.request(reason);
  }

  /** The connections this link has open to the peer (and its IPX relay). */
  statusConnections(): StatusConnection[] {
    const out: StatusConnection[] = [];
    if (this.connection?.open) out.push(this.connection.statusView('n32c'));
    if (this.n32f?.open) out.push(this.n32f.statusView('n32f'));
    if (this.ipx?.open) out.push(this.ipx.statusView('ipx'));
    return out;
  }

  private async releaseNow(reason: string): Promise<boolean> {
    this.clearTimer();
    await this.running;
    if (this.deps.contexts.store.shared && reason === 'shutdown') {
      this.deps.contexts.forgetPeerLocally(this.peer.fqdn, reason);
      this.log.info({ reason }, 'replica leaving: N32 connections closed, nothing released (the other replicas go on)');
      await this.dropConnections();
      return false;
    }
    let released = false;
    const context = this.deps.contexts.table.ofPeer(this.peer.fqdn);
    if (context) {
      const terminated = await this.deps.control.terminate(this.peer.fqdn, context.localContextId, reason);
      this.log.info({ reason, terminated, localContextId: context.localContextId }, 'terminated the N32-f context');
    }
    this.deps.contexts.dropPeer(this.peer.fqdn, reason);
    const connection = this.connection;
    const record = this.deps.peers.get(this.peer.fqdn);
    if (connection?.open && record && hasAgreedMechanism(record.status)) {
      released = await this.deps.client.release(connection, this.deps.config.current, RELEASE_TIMEOUT_MS);
      this.log.info({ reason, released }, 'released N32 with ["NONE"]');
    }
    this.deps.peers.apply(this.peer.fqdn, { type: 'RELEASED' }, null);
    await this.dropConnections();
    return released;
  }

  /**
   * How N32-f requests reach this peer: in TLS mode the N32-c connection itself (`shared`,
   * DECISIONS.md §2) or the dedicated one; in PRINS mode the N32-f context and a connection to the
   * peer's n32f-forward endpoint (opened without renegotiating: the context outlives N32-c).
   * Without an agreement it triggers a negotiation and waits for it up to `waitMs`; it never
   * bypasses the back-off of a failure that has just happened.
   */
  async n32fTransport(waitMs: number): Promise<N32fTransport> {
    if (this.held) throw new N32Error(N32ErrorCode.N32_NOT_ESTABLISHED, `N32 with ${this.peer.fqdn} was released by an operator (POST /admin/peers/renegotiate to negotiate again)`);
    const ready = this.readyTransport() ?? (await this.prinsTransport());
    if (ready) return ready;
    const state = this.deps.peers.get(this.peer.fqdn)?.status.state;
    const { initialDelayMs } = this.deps.config.current.n32.retry;
    if (state === 'failed' && !this.running && Date.now() - this.lastAttemptEnded < initialDelayMs) {
      throw this.notEstablished();
    }
    if (!this.running) this.request('N32-f traffic without an agreed mechanism');
    await this.waitForAgreement(waitMs);
    const agreed = this.readyTransport() ?? (await this.prinsTransport());
    if (!agreed) throw this.notEstablished();
    return agreed;
  }

  /**
   * A PRINS transport on a context other than `spent` (whose nonces ran out): asks for a fresh
   * context if none is coming yet and waits for it up to `waitMs`.
   */
  async renewedPrinsTransport(spent: N32fContext, waitMs: number): Promise<Extract<N32fTransport, { mechanism: 'PRINS' }>> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const current = this.deps.contexts.table.ofPeer(this.peer.fqdn);
      if (current && current !== spent && this.deps.peers.get(this.peer.fqdn)?.status.state === 'prins-established') {
        return { mechanism: 'PRINS', connection: await this.prinsConnection(), context: current };
      }
      if (!this.running) this.request('the N32-f context is exhausted');
      const left = deadline - Date.now();
      if (left <= 0) throw new N32Error(N32ErrorCode.N32_NEGOTIATION_TIMEOUT, `no fresh N32-f context with ${this.peer.fqdn} within ${waitMs} ms`);
      await this.waitForAgreement(left);
    }
  }

  /** The TLS-mode transport if a TLS agreement is in place right now (no waiting). */
  readyTransport(): Extract<N32fTransport, { mechanism: 'TLS' }> | null {
    const record = this.deps.peers.get(this.peer.fqdn);
    if (record?.status.state !== 'tls-established') return null;
    const connection = this.deps.config.current.n32f.connection === 'dedicated' ? this.n32f : this.connection;
    return connection?.open ? { mechanism: 'TLS', connection, negotiation: record.negotiation } : null;
  }

  /** The PRINS transport when a context is in place, reopening a connection if needed. */
  private async prinsTransport(): Promise<Extract<N32fTransport, { mechanism: 'PRINS' }> | null> {
    if (this.deps.peers.get(this.peer.fqdn)?.status.state !== 'prins-established') return null;
    const context = this.deps.contexts.table.ofPeer(this.peer.fqdn);
    if (!context) return null;
    if (context.nearlyExhausted(PRINS_REKEY_MARGIN) && !this.running) this.request('the N32-f context is nearly exhausted');
    return { mechanism: 'PRINS', connection: await this.prinsConnection(), context };
  }

  /**
   * Where PRINS N32-f messages go: the IPX relay toward this peer when one is configured with an
   * address (the relay forwards to the peer and signs its modifications, TS 33.501 13.2.4.5);
   * otherwise the peer itself, on the N32-c connection.
   */
  private async prinsConnection(): Promise<N32Connection> {
    const ipx = this.peer.intermediaries === 'modifying' ? this.peer.ipx : null;
    if (!ipx?.dial) return this.n32cConnection();
    if (this.ipx?.open) return this.ipx;
    const config = this.deps.config.current;
    const connection = await this.dial(() =>
      N32Connection.open(config, this.peer, config.n32.requestTimeoutMs, { fqdn: ipx.fqdn, host: ipx.dial!.host, port: ipx.dial!.port }, this.deps.metrics),
    );
    this.ipx = connection;
    this.log.info({ ipx: ipx.fqdn, address: `${ipx.dial.host}:${ipx.dial.port}` }, 'N32-f connection to the IPX relay up');
    connection.onClose(() => {
      if (this.ipx === connection) this.ipx = null;
    });
    connection.startKeepalive(config.n32.keepaliveMs);
    return connection;
  }

  /** An N32-c connection to the peer, opened without a negotiation if none is open (PeerChannel). */
  n32cConnection(): Promise<N32Connection> {
    return this.ensureConnection();
  }

  private waitForAgreement(waitMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        unwatch();
        outcome();
      };
      const onChange = ({ after }: PeerChange): void => {
        const state = after.status.state;
        if (state === 'tls-established' || state === 'prins-established') settle(resolve);
        else if (state === 'failed' || state === 'terminated') settle(() => reject(this.notEstablished()));
      };
      const timer = setTimeout(
        () => settle(() => reject(new N32Error(N32ErrorCode.N32_NEGOTIATION_TIMEOUT, `no agreed mechanism with ${this.peer.fqdn} within ${waitMs} ms (negotiation in progress)`))),
        waitMs,
      );
      const unwatch = this.deps.peers.watch(this.peer.fqdn, onChange);
    });
  }

  private notEstablished(): N32Error {
    const error = this.deps.peers.get(this.peer.fqdn)?.status.lastError;
    const why = error ? `${error.reason}: ${error.detail}` : 'no agreed mechanism';
    return new N32Error(N32ErrorCode.N32_NOT_ESTABLISHED, `no agreed N32 mechanism with ${this.peer.fqdn} (${why})`);
  }

  private async negotiate(reason: string): Promise<void> {
    const config = this.deps.config.current;
    this.deps.peers.apply(this.peer.fqdn, { type: 'NEGOTIATION_STARTED', offered: config.sepp.capabilities });
    this.log.info({ reason, dial: `${this.address.host}:${this.address.port}` }, 'negotiating');

    let connection: N32Connection;
    try {
      connection = await this.ensureConnection();
    } catch (error) {
      this.fail('CONNECTION_FAILED', (error as Error).message);
      return;
    }
    const outcome = await this.deps.client.exchangeCapability(connection, config, this.peer);
    if (this.stopped) return;
    if (!outcome.ok) {
      // No agreed mechanism: nothing more is sent on this connection (DECISIONS.md §3).
      await this.dropConnections();
      this.fail(outcome.reason, outcome.detail);
      return;
    }
    if (outcome.mechanism === 'TLS' && config.n32f.connection === 'dedicated') {
      try {
        await this.openDedicatedN32f(connection, outcome.details);
      } catch (error) {
        await this.dropConnections();
        this.fail('CONNECTION_FAILED', `dedicated N32-f connection: ${(error as Error).message}`);
        return;
      }
    }
    this.deps.peers.apply(this.peer.fqdn, { type: 'MECHANISM_SELECTED', mechanism: outcome.mechanism }, outcome.details);
    if (outcome.mechanism === 'PRINS') {
      // Another replica of this SEPP may have set up a context with the peer already (the shared
      // state store): use it rather than a new exchange.
      let adopted: N32fContext | undefined;
      try {
        adopted = await this.deps.contexts.adoptCurrent(this.peer.fqdn, PRINS_REKEY_MARGIN);
      } catch (error) {
        if (!(error instanceof StateStoreUnavailable)) throw error;
        await this.dropConnections();
        this.fail('PARAMETER_EXCHANGE_FAILED', `a new N32-f context needs the state store: ${error.message}`);
        return;
      }
      if (this.stopped) return;
      if (adopted) {
        this.log.info({ localContextId: adopted.localContextId, remoteContextId: adopted.remoteContextId }, 'PRINS: using the N32-f context another replica set up');
        this.deps.peers.apply(this.peer.fqdn, { type: 'PARAMETERS_EXCHANGED' }, {
          ...outcome.details,
          n32fContextIds: { local: adopted.localContextId, remote: adopted.remoteContextId },
          jweCipherSuite: adopted.params.enc,
        });
        this.failures = 0;
        connection.startKeepalive(config.n32.keepaliveMs);
        return;
      }
      // TS 33.501 13.5: PRINS selected -> 13.2: the parameter exchange on this same connection.
      const params = await this.deps.params.exchange(connection, config, this.peer);
      if (this.stopped) return;
      if (!params.ok) {
        await this.dropConnections();
        this.fail(params.reason, params.detail);
        return;
      }
      this.deps.peers.apply(this.peer.fqdn, { type: 'PARAMETERS_EXCHANGED' }, { ...outcome.details, n32fContextIds: { local: params.localContextId, remote: params.remoteContextId }, jweCipherSuite: params.enc });
    }
    this.failures = 0;
    connection.startKeepalive(config.n32.keepaliveMs);
  }

  /**
   * The dedicated N32-f connection (TS 33.501 13.1.2): to the peer's advertised N32-f endpoint, or
   * its N32-c endpoint; the server's N32-f certificate must not carry a PLMN its N32-c one lacks.
   */
  private async openDedicatedN32f(n32c: N32Connection, details: NegotiationDetails): Promise<void> {
    const config = this.deps.config.current;
    if (this.n32f?.open) await this.n32f.close();
    const fqdn = details.peerN32f?.fqdn ?? this.peer.fqdn;
    const port = details.peerN32f?.port ?? this.address.port;
    const host = fqdn === this.peer.fqdn ? this.address.host : fqdn;
    const n32f = await this.dial(() =>
      N32Connection.open(
        config,
        this.peer,
        config.n32.requestTimeoutMs,
        { fqdn, host, port, identity: { cert: config.n32f.tls.cert, key: config.n32f.tls.key } },
        this.deps.metrics,
      ),
    );
    const extra = plmnKeysNotCovered(n32f.peerDnsNames, n32c.peerDnsNames);
    if (extra.length > 0) {
      await n32f.close();
      throw new Error(`the peer's N32-f certificate carries PLMNs its N32-c certificate lacks (${extra.join(', ')})`);
    }
    this.n32f = n32f;
    this.log.info({ n32f: `${fqdn}:${port}` }, 'dedicated N32-f connection up');
    n32f.onClose(() => this.onConnectionClosed(n32f));
    n32f.onRetiring((reason) => this.log.info({ reason }, 'dedicated N32-f connection retired'));
    n32f.startKeepalive(config.n32.keepaliveMs);
  }

  private fail(reason: PeerFailureReason, detail: string): void {
    this.failures += 1;
    this.deps.peers.apply(this.peer.fqdn, { type: 'NEGOTIATION_FAILED', reason, detail });
    const { initialDelayMs, maxDelayMs } = this.deps.config.current.n32.retry;
    const delay = backoffDelay(this.failures, initialDelayMs, maxDelayMs);
    this.log.info({ retryInMs: delay, failures: this.failures }, 'will retry');
    this.schedule(delay, 'retry after failure');
  }

  /**
   * The N32-c connection, dialled if none is open: the peer's addresses in turn from the current
   * one (a refused or failed address moves on to the next), so one replica down costs one connect.
   */
  private ensureConnection(): Promise<N32Connection> {
    if (this.connection?.open) return Promise.resolve(this.connection);
    this.opening ??= this.openConnection().finally(() => (this.opening = null));
    return this.opening;
  }

  private opening: Promise<N32Connection> | null = null;

  private async openConnection(): Promise<N32Connection> {
    const config = this.deps.config.current;
    let lastError: unknown;
    for (let tried = 0; tried < this.peer.dials.length; tried++) {
      const { host, port } = this.address;
      try {
        const connection = await this.dial(() => N32Connection.open(config, this.peer, config.n32.requestTimeoutMs, { fqdn: this.peer.fqdn, host, port }, this.deps.metrics));
        this.connection = connection;
        this.log.info({ tlsVersion: connection.socket.getProtocol(), cipher: connection.socket.getCipher().name, address: `${host}:${port}` }, 'N32 connection up');
        connection.onClose(() => this.onConnectionClosed(connection));
        connection.session.once('goaway', () => this.onGoaway(connection));
        connection.onRetiring((reason) => this.onGoaway(connection, `the N32 connection was retired: ${reason}`, 'N32 connection retired: opening a new one'));
        return connection;
      } catch (error) {
        lastError = error;
        if (this.peer.dials.length > 1) this.log.info({ address: `${host}:${port}`, error: (error as Error).message }, 'N32 address failed: trying the next one');
        this.nextAddress();
      }
    }
    throw lastError;
  }

  private nextAddress(): void {
    this.addressIndex = (this.addressIndex + 1) % this.peer.dials.length;
  }

  /**
   * The peer is going away on this connection (GOAWAY: a replica stopping, RFC 9113 §6.8), or we
   * retire it (its stream IDs nearly used up): what is in flight finishes on it, and a new
   * connection (to the next address) and, in TLS mode, a new negotiation start now, before the
   * old connection is gone (make before break). Requests that arrive meanwhile wait for the new
   * agreement.
   */
  private onGoaway(connection: N32Connection, why = 'the peer sent GOAWAY', message = 'GOAWAY from the peer: opening a new N32 connection'): void {
    if (this.stopped || this.connection !== connection) return;
    this.connection = null;
    this.nextAddress();
    const state = this.deps.peers.get(this.peer.fqdn)?.status.state;
    this.log.info({ state, why, next: `${this.address.host}:${this.address.port}` }, message);
    if (state === 'prins-established') {
      void this.ensureConnection().catch((error: unknown) => this.log.warn({ error: (error as Error).message, why }, 'no new N32 connection after the old one went away'));
      return;
    }
    const record = this.deps.peers.get(this.peer.fqdn);
    if (record && hasAgreedMechanism(record.status)) this.deps.peers.apply(this.peer.fqdn, { type: 'CONNECTION_LOST' });
    this.request(why);
  }

  /** Dials, counting TLS handshake failures (the client side of `sepp_tls_handshake_failures_total`). */
  private dial(open: () => Promise<N32Connection>): Promise<N32Connection> {
    return dialPeer(open, this.deps.metrics, this.peer.fqdn);
  }

  /** The peer or the network ended a connection (not us: we unset ours before closing them). */
  private onConnectionClosed(connection: N32Connection): void {
    if (this.connection !== connection && this.n32f !== connection) return;
    if (this.connection === connection) this.connection = null;
    if (this.n32f === connection) this.n32f = null;
    if (this.stopped) return;
    // That replica of the peer is gone: the next connection goes to the next address.
    this.nextAddress();
    const record = this.deps.peers.get(this.peer.fqdn);
    if (record?.status.state === 'prins-established') {
      // The N32-f context outlives N32-c (TS 33.501 13.2.2.2 step 6): reconnect when needed.
      this.log.info('N32 connection closed; the PRINS context stays');
      void this.dropConnections();
      return;
    }
    if (record && hasAgreedMechanism(record.status)) {
      this.log.warn('N32 connection lost');
      // Without both connections the agreement cannot be used: start over on fresh ones.
      void this.dropConnections();
      this.deps.peers.apply(this.peer.fqdn, { type: 'CONNECTION_LOST' });
      this.request('connection lost');
    }
  }

  private async dropConnections(): Promise<void> {
    const connections = [this.connection, this.n32f, this.ipx].filter((connection): connection is N32Connection => connection !== null);
    this.connection = null;
    this.n32f = null;
    this.ipx = null;
    await Promise.all(connections.map((connection) => connection.close()));
  }

  private schedule(delayMs: number, reason: string): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.request(reason);
    }, delayMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Where this replica starts in the peer's address list: spread over the replicas of this SEPP by
 * their IDs, so that the peer's replicas share the connections.
 */
function spreadIndex(replicaId: string, peer: PeerSettings): number {
  if (peer.dials.length <= 1) return 0;
  return createHash('sha256').update(`${replicaId}\n${peer.fqdn}`).digest().readUInt32BE(0) % peer.dials.length;
}
