import { connect, type ClientHttp2Session } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { effectivePort, originOf, type ApiRoot } from '@sepp/protocol';
import type { SeppConfig } from '../config/sepp-config';
import type { SeppLogger } from '../logging/logger';
import { isRetiring, SESSION_RETIRING } from '../stream-ids';
import { watchClientSession, type SessionGivenUp } from './session-watch';

export interface OriginPoolOptions {
  /** Static host -> address resolution (`sbi.hosts`), consulted before DNS. */
  readonly hosts: Readonly<Record<string, string>>;
  /** Roots trusted for https NFs (empty: the system store). */
  readonly ca: readonly Buffer[];
  /** Our client certificate toward https NFs, if any. */
  readonly identity?: { readonly cert: Buffer; readonly key: Buffer };
  /**
   * A session to an NF that is not up within `connectTimeoutMs`, or leaves a PING without its ACK
   * for `keepaliveMs` (0: no PINGs), is given up (`watchClientSession`): an NF gone without
   * closing its connections costs the requests in flight on it, not every request until TCP
   * gives up. Without them, sessions are not watched.
   */
  readonly connectTimeoutMs?: number;
  readonly keepaliveMs?: number;
  readonly onGivenUp?: (origin: string, reason: SessionGivenUp) => void;
  /** A session retired for its stream IDs (`stream-ids`): the next request opens a new one. */
  readonly onRetired?: (origin: string, reason: string) => void;
}

/**
 * One multiplexed HTTP/2 session per local NF origin (h2c for http, TLS with ALPN h2 for https),
 * opened on first use and replaced when it ends. Streams to the same NF share the session, as
 * HTTP/2 intends; nothing waits behind a slow request.
 */
export class OriginPool {
  private readonly sessions = new Map<string, ClientHttp2Session>();

  constructor(private readonly options: OriginPoolOptions) {}

  get(root: ApiRoot): ClientHttp2Session {
    const origin = originOf(root);
    const existing = this.sessions.get(origin);
    if (existing && !existing.closed && !existing.destroyed && !isRetiring(existing)) return existing;
    const host = this.options.hosts[root.host] ?? root.host;
    const port = effectivePort(root);
    const session = connect(origin, {
      createConnection: () =>
        root.scheme === 'https'
          ? tlsConnect({
              host,
              port,
              servername: root.host,
              ALPNProtocols: ['h2'],
              ca: this.options.ca.length > 0 ? [...this.options.ca] : undefined,
              cert: this.options.identity?.cert,
              key: this.options.identity?.key,
            })
          : netConnect({ host, port }),
    });
    session.on('error', () => undefined); // reported on the streams that were using it
    session.once('close', () => {
      if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    });
    session.once(SESSION_RETIRING, (reason: string) => this.options.onRetired?.(origin, reason));
    const { connectTimeoutMs, keepaliveMs, onGivenUp } = this.options;
    if (connectTimeoutMs !== undefined) {
      watchClientSession(session, { connectTimeoutMs, keepaliveMs: keepaliveMs ?? 0, onGivenUp: (reason) => onGivenUp?.(origin, reason) });
    }
    session.unref();
    this.sessions.set(origin, session);
    return session;
  }

  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }
}

/**
 * The pool of a responder's forwarders toward its NFs, from the configuration: `sbi.hosts`, the
 * trust and client certificate of `sbi.tls`, sessions watched with `n32f.requestTimeoutMs` to come
 * up and `sbi.keepaliveMs` PINGs, each one given up logged.
 */
export function originPoolOf(config: SeppConfig, logger: SeppLogger): OriginPool {
  const tls = config.sbi.tls;
  const keepaliveMs = config.sbi.keepaliveMs;
  const connectTimeoutMs = config.n32f.requestTimeoutMs;
  return new OriginPool({
    hosts: config.sbi.hosts,
    ca: tls?.ca ?? [],
    identity: tls ? { cert: tls.cert, key: tls.key } : undefined,
    connectTimeoutMs,
    keepaliveMs,
    onGivenUp: (origin, reason) =>
      reason === 'not-up'
        ? logger.warn({ origin, connectTimeoutMs }, 'NF session not up in time: closed')
        : logger.warn({ origin, keepaliveMs }, 'NF session unresponsive (no PING ACK): closed'),
    onRetired: (origin, reason) => logger.info({ origin, reason }, 'NF session retired: the next request opens a new one'),
  });
}
