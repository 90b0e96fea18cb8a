import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { N32ErrorCode } from '@sepp/protocol';
import { exchangeBuffered, type BufferedAnswer } from '@sepp/server';
import { nextHopTlsOptions } from '../config/tls';
import { IPX_CONFIG, IPX_LOGGER, type IpxLogger } from '../ipx.constants';
import type { IpxConfig } from '../config/ipx-config';

/**
 * The hop toward the next SEPP (`forward`): one multiplexed HTTP/2 session over mutual TLS, opened
 * on first use and replaced when it ends; every relayed message is a stream on it.
 */
@Injectable()
export class NextHopClient implements OnApplicationShutdown {
  private session: ClientHttp2Session | null = null;

  constructor(
    @Inject(IPX_CONFIG) private readonly config: IpxConfig,
    @Inject(IPX_LOGGER) private readonly logger: IpxLogger,
  ) {}

  /** Sends one request and reads the whole answer (N32Error on failure, timeout or oversize). */
  exchange(headers: OutgoingHttpHeaders, body: Buffer): Promise<BufferedAnswer> {
    return exchangeBuffered(this.current(), headers, body, {
      timeoutMs: this.config.forward.timeoutMs,
      limit: this.config.bodyLimit,
      failure: N32ErrorCode.N32_CONNECTION_LOST,
    });
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
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const { forward } = this.config;
    const session = connect(`https://${this.authority}`, { createConnection: () => tlsConnect(nextHopTlsOptions(this.config)) });
    session.on('error', (error: Error & { code?: string }) => {
      // Also reported on the streams that were using the session.
      this.logger.warn({ next: `${forward.host}:${forward.port}`, fqdn: forward.fqdn, error: error.code ?? error.message }, 'next hop session failed');
    });
    session.once('close', () => {
      if (this.session === session) this.session = null;
    });
    session.unref();
    this.session = session;
    return session;
  }
}
