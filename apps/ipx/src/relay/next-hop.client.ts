import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { N32ErrorCode } from '@sepp/protocol';
import { exchangeBuffered, isRetiring, RequestNotProcessed, SESSION_RETIRING, watchClientSession, type BufferedAnswer } from '@sepp/server';
import { nextHopTlsOptions } from '../config/tls';
import { IPX_CONFIG, IPX_LOGGER, type IpxLogger } from '../ipx.constants';
import type { IpxConfig } from '../config/ipx-config';

/** How many times a message the next hop did not process (refused stream, GOAWAY) goes out again. */
const MAX_RESENDS = 2;

/**
 * The hop toward the next SEPP (`forward`): one multiplexed HTTP/2 session over mutual TLS, opened
 * on first use and replaced when it ends or stops answering (`watch`); every relayed message is a
 * stream on it.
 */
@Injectable()
export class NextHopClient implements OnApplicationShutdown {
  private session: ClientHttp2Session | null = null;

  constructor(
    @Inject(IPX_CONFIG) private readonly config: IpxConfig,
    @Inject(IPX_LOGGER) private readonly logger: IpxLogger,
  ) {}

  /**
   * Sends one request and reads the whole answer (N32Error on failure, timeout or oversize). A
   * message the next hop did not process (a replica behind `forward` stopping refuses the streams
   * that crossed its GOAWAY) goes out again on a new session, which reaches another replica.
   */
  async exchange(headers: OutgoingHttpHeaders, body: Buffer): Promise<BufferedAnswer> {
    const options = { timeoutMs: this.config.forward.timeoutMs, limit: this.config.bodyLimit, failure: N32ErrorCode.N32_CONNECTION_LOST };
    for (let resends = 0; ; resends++) {
      try {
        return await exchangeBuffered(this.current(), headers, body, options);
      } catch (error) {
        if (!(error instanceof RequestNotProcessed) || resends >= MAX_RESENDS) throw error;
        this.logger.debug({ detail: error.detail }, 'message not processed by the next hop: sending it again');
      }
    }
  }

  /** The `:authority` of requests to the next hop. */
  get authority(): string {
    const { fqdn, port } = this.config.forward;
    return port === 443 ? fqdn : `${fqdn}:${port}`;
  }

  onApplicationShutdown(): void {
    this.session?.close();
    this.session = null;
  }

  private current(): ClientHttp2Session {
    const existing = this.session;
    if (existing && !existing.closed && !existing.destroyed && !isRetiring(existing)) return existing;
    const { forward } = this.config;
    const session = connect(`https://${this.authority}`, { createConnection: () => tlsConnect(nextHopTlsOptions(this.config)) });
    session.on('error', (error: Error & { code?: string }) => {
      // Also reported on the streams that were using the session.
      this.logger.warn({ next: `${forward.host}:${forward.port}`, fqdn: forward.fqdn, error: error.code ?? error.message }, 'next hop session failed');
    });
    session.once('close', () => {
      if (this.session === session) this.session = null;
    });
    session.once(SESSION_RETIRING, (reason: string) => this.logger.info({ next: `${forward.host}:${forward.port}`, reason }, 'next hop session retired: the next message opens a new one'));
    this.watch(session);
    session.unref();
    this.session = session;
    return session;
  }

  /**
   * A next hop that stops answering without closing (a replica gone without a FIN, a middlebox
   * that dropped the flow) would hold every message until its timeout, and the session would stay
   * in use until TCP gives up (minutes): a session not up within `forward.timeoutMs`, or without
   * the ACK of a PING within `forward.keepaliveMs`, is destroyed (its messages in flight fail
   * with 502 `N32_CONNECTION_LOST`), and the next message opens a new one.
   */
  private watch(session: ClientHttp2Session): void {
    const { forward } = this.config;
    const where = { next: `${forward.host}:${forward.port}`, fqdn: forward.fqdn };
    watchClientSession(session, {
      connectTimeoutMs: forward.timeoutMs,
      keepaliveMs: forward.keepaliveMs,
      onGivenUp: (reason) =>
        reason === 'not-up'
          ? this.logger.warn({ ...where, timeoutMs: forward.timeoutMs }, 'next hop session not up in time: closed')
          : this.logger.warn({ ...where, keepaliveMs: forward.keepaliveMs }, 'next hop session unresponsive (no PING ACK): closed'),
    });
  }
}
