import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { PeerSettings, SeppConfig } from '../config/sepp-config';
import { peerDnsNames } from '../tls/certificate-names';
import { n32ClientTlsOptions } from '../tls/tls-options';
import { trustAnchorFailure } from '../tls/trust-anchors';
import type { SeppMetrics } from '../metrics/sepp-metrics';
import { n32cOperation } from '../metrics/instrument';
import type { StatusConnection } from '../status/status-document';
import { isRetiring, outOfStreamIds, requestOn, SESSION_RETIRING } from '../stream-ids';

/** Largest answer body we read from a peer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface N32cResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly contentType: string;
  /** Parsed JSON when the answer is JSON, otherwise undefined. */
  readonly json: unknown;
  readonly raw: Buffer;
}

/** The N32 connections of this process that are up (`N32Connection.live`). */
const LIVE = new Set<N32Connection>();

/** Where and as whom to dial when it is not the peer's N32-c endpoint with our N32 certificate. */
export interface N32Endpoint {
  readonly fqdn: string;
  readonly host: string;
  readonly port: number;
  readonly identity?: { readonly cert: Buffer; readonly key: Buffer };
}

export class N32ConnectionError extends Error {
  override readonly name = 'N32ConnectionError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** The TS 29.500 date format of `3gpp-Sbi-Sender-Timestamp` (RFC 1123 with milliseconds). */
function senderTimestamp(now: Date): string {
  const s = now.toUTCString(); // "Fri, 27 Nov 2026 17:37:21 GMT"
  return s.replace(' GMT', `.${String(now.getUTCMilliseconds()).padStart(3, '0')} GMT`);
}

/**
 * One mutually authenticated HTTP/2 connection to a peer SEPP (N32-c). SNI and the RFC 6125 check
 * use the peer FQDN whatever address is dialled; `:authority` is the peer FQDN too.
 */
export class N32Connection {
  private closing = false;
  private keepalive: NodeJS.Timeout | null = null;
  /** When the connection was up (ms since the epoch). */
  readonly openedAt = Date.now();
  /**
   * SAN dNSNames of the certificate the peer presented, read once the connection is up: a peer may
   * close the connection right after its answer (a `NONE` selection), and a closed socket has no
   * peer certificate to read any more.
   */
  readonly peerDnsNames: readonly string[];

  private constructor(
    readonly peer: PeerSettings,
    readonly session: ClientHttp2Session,
    readonly socket: TLSSocket,
    /** `:authority` of requests on this connection: the FQDN dialled, with a non-default port. */
    readonly authority: string,
    /** `host:port` dialled. */
    readonly dialled: string,
    private readonly userAgent: string,
    private readonly metrics?: SeppMetrics,
  ) {
    this.peerDnsNames = peerDnsNames(socket);
  }

  /**
   * Opens the connection; rejects on TCP, TLS (certificate) or ALPN failure, or after `timeoutMs`.
   * By default it dials the peer's N32-c endpoint with our N32 certificate; `endpoint` dials
   * another FQDN/port (a dedicated N32-f connection) and may present another certificate.
   */
  static open(config: SeppConfig, peer: PeerSettings, timeoutMs: number, endpoint?: N32Endpoint, metrics?: SeppMetrics): Promise<N32Connection> {
    const fqdn = endpoint?.fqdn ?? peer.fqdn;
    const host = endpoint?.host ?? peer.dial.host;
    const port = endpoint?.port ?? peer.dial.port;
    return new Promise((resolve, reject) => {
      let socket: TLSSocket | undefined;
      const authority = `${fqdn}${port === 443 ? '' : `:${port}`}`;
      const session = connect(`https://${authority}`, {
        createConnection: () => {
          socket = tlsConnect({ ...n32ClientTlsOptions(config, fqdn, endpoint?.identity), host, port });
          return socket;
        },
        settings: { enablePush: false },
      });
      const fail = (error: Error & { code?: string }): void => {
        clearTimeout(timer);
        session.destroy();
        reject(new N32ConnectionError(`cannot connect to ${fqdn} at ${host}:${port}: ${error.message}`, error.code ?? 'CONNECT_FAILED'));
      };
      const timer = setTimeout(() => fail(Object.assign(new Error(`no connection within ${timeoutMs} ms`), { code: 'TIMEOUT' })), timeoutMs);
      session.once('error', fail);
      session.once('connect', () => {
        // TS 33.501 13.1.2: the server's chain must end at the trust anchor of its PLMNs.
        const anchorFailure = trustAnchorFailure(socket!, config);
        if (anchorFailure !== null) {
          fail(Object.assign(new Error(`server certificate refused (trust anchor): ${anchorFailure}`), { code: 'TRUST_ANCHOR' }));
          return;
        }
        clearTimeout(timer);
        session.off('error', fail);
        session.on('error', () => undefined); // errors after connect surface as 'close'
        const connection = new N32Connection(peer, session, socket!, authority, `${host}:${port}`, `SEPP-${config.sepp.fqdn}`, metrics);
        LIVE.add(connection);
        session.once('close', () => LIVE.delete(connection));
        resolve(connection);
      });
    });
  }

  /** Every N32 connection of this process that is up (a reload checks their peers' certificates again, tls/revocation.ts). */
  static live(): readonly N32Connection[] {
    return [...LIVE];
  }

  /** The connection as the status page lists it: `purpose` is what it carries for us. */
  statusView(purpose: StatusConnection['purpose']): StatusConnection {
    return {
      peer: this.peer.fqdn,
      purpose,
      direction: 'outbound',
      listener: null,
      remote: this.dialled,
      since: new Date(this.openedAt).toISOString(),
      certificate: this.peerDnsNames,
      n32cRequests: null,
      n32fRequests: null,
    };
  }

  get open(): boolean {
    return !this.closing && !this.session.closed && !this.session.destroyed && !isRetiring(this.session);
  }

  /** POSTs JSON to an N32-c path and reads the whole answer. */
  post(path: string, body: unknown, timeoutMs: number): Promise<N32cResponse> {
    const done = this.metrics?.startTimer(this.metrics.n32cRequests, { operation: n32cOperation(path), direction: 'outbound' });
    const posting = this.send(path, body, timeoutMs);
    if (done) posting.then((response) => done(response.status), () => done('failed'));
    return posting;
  }

  private send(path: string, body: unknown, timeoutMs: number): Promise<N32cResponse> {
    return new Promise((resolve, reject) => {
      if (!this.open) {
        reject(new N32ConnectionError('the connection is closed', 'CLOSED'));
        return;
      }
      const payload = Buffer.from(JSON.stringify(body));
      const stream = requestOn(this.session, {
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        'content-type': 'application/json',
        accept: 'application/json, application/problem+json',
        'user-agent': this.userAgent,
        '3gpp-sbi-sender-timestamp': senderTimestamp(new Date()),
        '3gpp-sbi-max-rsp-time': String(timeoutMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let headers: IncomingHttpHeaders = {};
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new N32ConnectionError(`no answer within ${timeoutMs} ms`, 'TIMEOUT'));
      }, timeoutMs);
      stream.on('response', (h) => (headers = h));
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          stream.close(constants.NGHTTP2_CANCEL);
          clearTimeout(timer);
          reject(new N32ConnectionError(`answer larger than ${MAX_RESPONSE_BYTES} bytes`, 'TOO_LARGE'));
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', (error: Error & { code?: string }) => {
        clearTimeout(timer);
        outOfStreamIds(this.session, error); // a session out of stream IDs is retired
        reject(new N32ConnectionError(`request failed: ${error.message}`, error.code ?? 'STREAM_ERROR'));
      });
      stream.on('end', () => {
        clearTimeout(timer);
        // Node ends the streams of a session destroyed under them (the keepalive giving the peer
        // up) without an answer, and a reset one with whatever had arrived: neither is an answer.
        if (headers[constants.HTTP2_HEADER_STATUS] === undefined) {
          reject(new N32ConnectionError('the stream ended before any answer (the connection was closed)', 'NO_ANSWER'));
          return;
        }
        if (stream.rstCode !== undefined && stream.rstCode !== constants.NGHTTP2_NO_ERROR) {
          reject(new N32ConnectionError(`the stream was reset (code ${stream.rstCode}) before the end of the answer`, 'STREAM_RESET'));
          return;
        }
        const raw = Buffer.concat(chunks);
        const contentType = String(headers['content-type'] ?? '');
        let json: unknown;
        if (/json/i.test(contentType)) {
          try {
            json = JSON.parse(raw.toString('utf8'));
          } catch {
            json = undefined;
          }
        }
        resolve({ status: Number(headers[constants.HTTP2_HEADER_STATUS] ?? 0), headers, contentType, json, raw });
      });
      stream.end(payload);
    });
  }

  /** Sends HTTP/2 PINGs; a missing answer destroys the session (which then reports 'close'). */
  startKeepalive(intervalMs: number): void {
    this.stopKeepalive();
    this.keepalive = setInterval(() => {
      if (!this.open) return;
      // A session the peer is closing gracefully (GOAWAY) is not dead: its streams finish on it.
      const deadline = setTimeout(() => {
        if (!this.session.closed) this.session.destroy();
      }, intervalMs);
      this.session.ping((error) => {
        clearTimeout(deadline);
        if (error) this.session.destroy();
      });
    }, intervalMs);
    this.keepalive.unref();
  }

  private stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
  }

  onClose(listener: () => void): void {
    this.session.once('close', listener);
  }

  /**
   * Called (with the reason) when this side retires the connection because its stream IDs are
   * nearly used up (`stream-ids`), just before it is closed gracefully: what is in flight
   * finishes on it, and its owner moves to a new connection.
   */
  onRetiring(listener: (reason: string) => void): void {
    this.session.once(SESSION_RETIRING, listener);
  }

  /**
   * Graceful close (N32-DIGEST §8.3): GOAWAY(NO_ERROR), then TLS close_notify and TCP close once
   * in-flight streams are done; destroyed after `graceMs` if the peer does not cooperate.
   */
  close(graceMs = 2_000): Promise<void> {
    this.closing = true;
    this.stopKeepalive();
    if (this.session.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.session.destroy(), graceMs);
      timer.unref();
      this.session.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.session.close();
    });
  }
}
