import { hasAgreedMechanism, type PeerFailureReason } from '@sepp/protocol';
import { N32cConnection, type ConfigService, type PeerRegistry, type PeerSettings, type SeppLogger } from '@sepp/server';
import { backoffDelay } from './backoff';
import type { HandshakeClient } from './handshake.client';

export interface PeerLinkDeps {
  readonly config: ConfigService;
  readonly peers: PeerRegistry;
  readonly client: HandshakeClient;
  readonly logger: SeppLogger;
}

/** How long a release (["NONE"]) may take at shutdown before we just close. */
const RELEASE_TIMEOUT_MS = 2_000;

/**
 * Drives N32 with one peer from the initiating side: one connection at a time, one negotiation
 * at a time (requests arriving meanwhile coalesce into one more run), retries with exponential
 * back-off, renegotiation when the connection is lost. The peer's state lives in the registry.
 */
export class PeerLink {
  private connection: N32cConnection | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private pendingReason: string | null = null;
  private failures = 0;
  private stopped = false;
  private readonly log: SeppLogger;

  constructor(
    private peer: PeerSettings,
    private readonly deps: PeerLinkDeps,
  ) {
    this.log = deps.logger.child({ peer: peer.fqdn });
  }

  get fqdn(): string {
    return this.peer.fqdn;
  }

  /** Negotiate as soon as possible (now, or right after the negotiation in progress). */
  request(reason: string): void {
    if (this.stopped) return;
    this.clearTimer();
    if (this.running) {
      this.pendingReason = reason;
      return;
    }
    this.running = this.negotiate(reason).finally(() => {
      this.running = null;
      const next = this.pendingReason;
      this.pendingReason = null;
      if (next) this.request(next);
    });
  }

  /** New settings for this peer (address, policy, PLMNs): start over on a fresh connection. */
  update(peer: PeerSettings): void {
    this.peer = peer;
    void this.dropConnection();
    this.request('peer configuration changed');
  }

  /** Stop for good: release N32 with ["NONE"] if a mechanism is agreed, then close. */
  async release(reason: string): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.running;
    const connection = this.connection;
    const record = this.deps.peers.get(this.peer.fqdn);
    if (connection?.open && record && hasAgreedMechanism(record.status)) {
      const released = await this.deps.client.release(connection, this.deps.config.current, RELEASE_TIMEOUT_MS);
      this.log.info({ reason, released }, 'released N32 with ["NONE"]');
    }
    this.deps.peers.apply(this.peer.fqdn, { type: 'RELEASED' }, null);
    await this.dropConnection();
  }

  private async negotiate(reason: string): Promise<void> {
    const config = this.deps.config.current;
    this.deps.peers.apply(this.peer.fqdn, { type: 'NEGOTIATION_STARTED' });
    this.log.info({ reason, dial: `${this.peer.dial.host}:${this.peer.dial.port}` }, 'negotiating');

    let connection: N32cConnection;
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
      await this.dropConnection();
      this.fail(outcome.reason, outcome.detail);
      return;
    }
    this.failures = 0;
    this.deps.peers.apply(this.peer.fqdn, { type: 'MECHANISM_SELECTED', mechanism: outcome.mechanism }, outcome.details);
    connection.startKeepalive(config.n32.keepaliveMs);
  }

  private fail(reason: PeerFailureReason, detail: string): void {
    this.failures += 1;
    this.deps.peers.apply(this.peer.fqdn, { type: 'NEGOTIATION_FAILED', reason, detail });
    const { initialDelayMs, maxDelayMs } = this.deps.config.current.n32.retry;
    const delay = backoffDelay(this.failures, initialDelayMs, maxDelayMs);
    this.log.info({ retryInMs: delay, failures: this.failures }, 'will retry');
    this.schedule(delay, 'retry after failure');
  }

  private async ensureConnection(): Promise<N32cConnection> {
    if (this.connection?.open) return this.connection;
    const config = this.deps.config.current;
    const connection = await N32cConnection.open(config, this.peer, config.n32.requestTimeoutMs);
    this.connection = connection;
    this.log.info({ tlsVersion: connection.socket.getProtocol(), cipher: connection.socket.getCipher().name }, 'N32 connection up');
    connection.onClose(() => this.onConnectionClosed(connection));
    return connection;
  }

  /** The peer or the network ended the connection (not us: we unset `connection` before closing). */
  private onConnectionClosed(connection: N32cConnection): void {
    if (this.connection !== connection) return;
    this.connection = null;
    if (this.stopped) return;
    const record = this.deps.peers.get(this.peer.fqdn);
    if (record && hasAgreedMechanism(record.status)) {
      this.log.warn('N32 connection lost');
      this.deps.peers.apply(this.peer.fqdn, { type: 'CONNECTION_LOST' });
      this.request('connection lost');
    }
  }

  private async dropConnection(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection) await connection.close();
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
