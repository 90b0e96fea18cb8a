import { EventEmitter } from 'node:events';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { certificateDnsNames } from '../net/certificates';
import { parseJson } from '../net/probe-connection';

/** One request an initiator sent to the probe. */
export interface ReceivedRequest {
  readonly session: SessionRecord;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
  readonly at: number;
}

/** What the probe answers. */
export interface ScriptedAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** One TLS connection from the initiator, as the probe saw it. */
export class SessionRecord {
  readonly requests: ReceivedRequest[] = [];
  /** The initiator's GOAWAY. */
  goaway: { code: number; lastStreamId: number } | null = null;
  closedAt: number | null = null;
  /** The probe closed it (to make the initiator negotiate again). */
  closedByProbe = false;
  readonly servername: string | false | null;
  readonly alpn: string | false | null;
  readonly clientNames: string[];

  constructor(
    readonly id: number,
    readonly session: ServerHttp2Session,
    readonly openedAt: number,
  ) {
    const socket = session.socket as TLSSocket;
    this.servername = socket.servername;
    this.alpn = socket.alpnProtocol;
    const raw = socket.getPeerCertificate()?.raw;
    this.clientNames = raw ? certificateDnsNames(raw) : [];
  }

  get closed(): boolean {
    return this.closedAt !== null;
  }

  /** The probe's own end of the connection: GOAWAY, then close. */
  closeFromProbe(): void {
    if (this.closed || this.session.destroyed) return;
    this.closedByProbe = true;
    this.session.close();
    setTimeout(() => this.session.destroy(), 500).unref();
  }
}

export type Script = (request: ReceivedRequest) => ScriptedAnswer;

export interface ScriptedResponderOptions {
  readonly host: string;
  readonly port: number;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: readonly string[];
}

/**
 * The probe as a responding SEPP: a mutual-TLS HTTP/2 server (client certificate required and
 * verified, ALPN h2 only) that answers every request with what `script` says and records each
 * connection's requests, the client's GOAWAY and closes. Every change emits `change`.
 */
export class ScriptedResponder extends EventEmitter {
  readonly sessions: SessionRecord[] = [];
  readonly requests: ReceivedRequest[] = [];
  readonly tlsErrors: string[] = [];
  script: Script = () => ({ status: 404, contentType: 'application/problem+json', body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } });

  private constructor(private readonly server: Http2SecureServer) {
    super();
    server.on('session', (session: ServerHttp2Session) => this.track(session));
    server.on('tlsClientError', (error: Error & { code?: string }) => {
      this.tlsErrors.push(error.code ?? error.message);
      this.emit('change');
    });
  }

  static listen(options: ScriptedResponderOptions): Promise<ScriptedResponder> {
    const server = createSecureServer({
      cert: options.certPem,
      key: options.keyPem,
      ca: [...options.caPem],
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
    });
    const responder = new ScriptedResponder(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve(responder);
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** Resolves with the first value `check` returns (checked now and on every change), or null after `timeoutMs`. */
  until<T>(check: () => T | null | undefined | false, timeoutMs: number): Promise<T | null> {
    const now = check();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const onChange = (): void => {
        const value = check();
        if (!value) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(null);
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('change', onChange);
      };
      this.on('change', onChange);
    });
  }

  close(): Promise<void> {
    for (const record of this.sessions) if (!record.session.destroyed) record.session.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private track(session: ServerHttp2Session): void {
    const record = new SessionRecord(this.sessions.length + 1, session, Date.now());
    this.sessions.push(record);
    session.on('error', () => undefined);
    session.on('goaway', (code: number, lastStreamId: number) => {
      record.goaway ??= { code, lastStreamId };
      this.emit('change');
    });
    session.once('close', () => {
      record.closedAt = Date.now();
      this.emit('change');
    });
    session.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const request: ReceivedRequest = {
          session: record,
          method: String(headers[':method']),
          path: String(headers[':path']),
          headers,
          text,
          json: parseJson(text),
          at: Date.now(),
        };
        record.requests.push(request);
        this.requests.push(request);
        const answer = this.script(request);
        if (!stream.destroyed && !stream.closed) {
          const body = answer.body === undefined ? undefined : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
          stream.respond({ ':status': answer.status, ...(body !== undefined ? { 'content-type': answer.contentType ?? 'application/json' } : {}), ...answer.headers });
          stream.end(body);
        }
        this.emit('change');
      });
    });
    this.emit('change');
  }
}
