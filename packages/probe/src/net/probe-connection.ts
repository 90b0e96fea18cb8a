import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { certificateDnsNames } from './certificates';

/** Where the partner's N32 listener is and the name its certificate must carry. */
export interface N32Target {
  readonly host: string;
  readonly port: number;
  /** SNI and the RFC 6125 host-name check: the partner SEPP's FQDN. */
  readonly servername: string;
}

/** An answer as read from the wire. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON; undefined when it is empty or not JSON. */
  readonly json: unknown;
  /** The stream the answer came on. */
  readonly streamId: number | undefined;
}

/** Why a connection or a request did not get an answer. */
export class WireFailure extends Error {
  constructor(
    readonly stage: 'connect' | 'tls' | 'h2' | 'stream' | 'timeout',
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** One line for reports: stage, code, message. */
  describe(): string {
    return `${this.stage} ${this.code}${this.message && this.message !== this.code ? `: ${this.message}` : ''}`;
  }
}

/** How a connection ended, as the client saw it. */
export interface ConnectionEnd {
  /** The server's GOAWAY, if one came. */
  readonly goaway: { readonly code: number; readonly lastStreamId: number } | null;
  /** The connection is closed (TCP and TLS gone). */
  readonly closed: boolean;
  /** Milliseconds from `since` to the close (or to the end of the wait). */
  readonly afterMs: number;
}

export const parseJson = (text: string): unknown => {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const LOCAL_TLS_ERRORS = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

/**
 * One mutually authenticated HTTP/2 connection to a partner SEPP, with what it did on the wire:
 * its GOAWAY, when it closed, the TLS version, ALPN and certificate it presented, and TLS alerts.
 */
export class ProbeConnection {
  goaway: { code: number; lastStreamId: number } | null = null;
  /** Time the connection closed (ms since epoch), null while open. */
  closedAt: number | null = null;
  /** The first error the session or socket reported (TLS alerts arrive here under TLS 1.3). */
  error: WireFailure | null = null;
  readonly openedAt = Date.now();
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(
    readonly session: ClientHttp2Session,
    readonly socket: TLSSocket,
  ) {
    session.on('goaway', (code: number, lastStreamId: number) => (this.goaway ??= { code, lastStreamId }));
    session.on('error', (error: Error & { code?: string }) => (this.error ??= asFailure(error, 'h2')));
    socket.on('error', (error: Error & { code?: string }) => (this.error ??= asFailure(error, 'tls')));
    const markClosed = (): void => {
      if (this.closedAt !== null) return;
      this.closedAt = Date.now();
      for (const waiter of this.closeWaiters.splice(0)) waiter();
    };
    session.once('close', markClosed);
    socket.once('close', markClosed);
  }

  /**
   * Opens the connection: TCP, TLS (ALPN h2, SNI = servername, the server certificate checked
   * against `ca` and the servername), HTTP/2 SETTINGS. Rejects with a WireFailure.
   */
  static open(target: N32Target, tls: ConnectionOptions, timeoutMs: number): Promise<ProbeConnection> {
    return new Promise((resolve, reject) => {
      let socket: TLSSocket | undefined;
      let settled = false;
      const fail = (failure: WireFailure): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.destroy();
        socket?.destroy();
        reject(failure);
      };
      const timer = setTimeout(() => fail(new WireFailure('timeout', 'ETIMEDOUT', `no HTTP/2 connection within ${timeoutMs} ms`)), timeoutMs);
      const session = connect(`https://${target.servername}:${target.port}`, {
        createConnection: () => {
          socket = tlsConnect({ minVersion: 'TLSv1.2', ...tls, host: target.host, port: target.port, servername: target.servername, ALPNProtocols: ['h2'] });
          socket.once('error', (error: Error & { code?: string }) => fail(asFailure(error, socket?.encrypted && socket.getProtocol() ? 'tls' : 'connect')));
          return socket;
        },
      });
      session.once('error', (error: Error & { code?: string }) => fail(asFailure(error, 'h2')));
      session.once('close', () => fail(new WireFailure('tls', 'ECONNRESET', 'the connection closed before HTTP/2 was up')));
      session.once('connect', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session.removeAllListeners('error');
        session.removeAllListeners('close');
        resolve(new ProbeConnection(session, socket!));
      });
    });
  }

  /** TLS version, cipher, ALPN and the server certificate's SAN dNSNames. */
  get tlsInfo(): { protocol: string | null; cipher: string; alpn: string | false | null; serverNames: string[] } {
    const certificate = this.socket.getPeerCertificate();
    return {
      protocol: this.socket.getProtocol(),
      cipher: this.socket.getCipher()?.name ?? '',
      alpn: this.socket.alpnProtocol ?? null,
      serverNames: certificate && 'raw' in certificate && certificate.raw ? certificateDnsNames(certificate.raw) : [],
    };
  }

  get open(): boolean {
    return this.closedAt === null && !this.session.closed && !this.session.destroyed && this.goaway === null;
  }

  /** Sends one request and reads the whole answer. */
  request(method: string, path: string, body: string | Buffer | undefined, headers: OutgoingHttpHeaders, timeoutMs: number): Promise<WireAnswer> {
    return new Promise((resolve, reject) => {
      let stream;
      try {
        stream = this.session.request({ [constants.HTTP2_HEADER_METHOD]: method, [constants.HTTP2_HEADER_PATH]: path, ...headers }, { endStream: body === undefined });
      } catch (error) {
        reject(asFailure(error as Error & { code?: string }, 'stream'));
        return;
      }
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        stream.close(constants.NGHTTP2_CANCEL);
        reject(new WireFailure('timeout', 'ETIMEDOUT', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      stream.on('response', (h) => (responseHeaders = h));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // An answer can come before the whole body was taken (a 413), followed by RST_STREAM: what
      // counts is whether an answer arrived before the stream closed.
      let streamError: WireFailure | null = null;
      stream.on('error', (error: Error & { code?: string }) => (streamError ??= asFailure(error, 'stream')));
      stream.on('close', () => {
        clearTimeout(timer);
        if (responseHeaders[':status'] === undefined) {
          reject(this.error ?? streamError ?? new WireFailure('stream', `RST_STREAM ${stream.rstCode ?? '?'}`, 'the stream ended without an answer'));
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, text, json: parseJson(text), streamId: stream.id });
      });
      if (body !== undefined) stream.end(body);
    });
  }

  postJson(path: string, body: unknown, timeoutMs: number, headers: OutgoingHttpHeaders = {}): Promise<WireAnswer> {
    return this.request('POST', path, JSON.stringify(body), { 'content-type': 'application/json', ...headers }, timeoutMs);
  }

  /** Waits until the connection is closed or `timeoutMs` passed since `since` (default: now). */
  async waitClosed(timeoutMs: number, since = Date.now()): Promise<ConnectionEnd> {
    if (this.closedAt === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, since + timeoutMs - Date.now()));
        this.closeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const closed = this.closedAt !== null;
    return { goaway: this.goaway, closed, afterMs: (closed ? this.closedAt! : Date.now()) - since };
  }

  /** Closes our side at once (the probe's own connections, when a case is done with them). */
  close(): void {
    if (!this.session.destroyed) this.session.destroy();
    this.socket.destroy();
  }
}

function asFailure(error: Error & { code?: string }, stage: WireFailure['stage']): WireFailure {
  if (error instanceof WireFailure) return error;
  const code = error.code ?? 'ERROR';
  const resolvedStage = LOCAL_TLS_ERRORS.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') ? 'tls' : stage;
  return new WireFailure(code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' ? 'connect' : resolvedStage, code, error.message);
}

/** One line for a ConnectionEnd. */
export function describeEnd(end: ConnectionEnd): string {
  const goaway = end.goaway ? `GOAWAY(code ${end.goaway.code}, last stream ${end.goaway.lastStreamId})` : 'no GOAWAY';
  return `${goaway}, ${end.closed ? `connection closed after ${end.afterMs} ms` : `connection still open after ${end.afterMs} ms`}`;
}
