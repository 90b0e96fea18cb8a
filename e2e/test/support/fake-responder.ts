import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { parseJson } from './h2-client';
import type { CertFiles } from './pki';
import { waitFor } from './wait-for';

/** One request the fake received. */
export interface FakeRequest {
  /** 0-based, over the whole fake (all sessions). */
  readonly index: number;
  readonly session: FakeSession;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined. */
  readonly json: unknown;
}

/** What the fake answers: a status, a content type and a body (an object is sent as JSON, a string as is). */
export interface FakeAnswer {
  readonly status?: number;
  readonly contentType?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: unknown;
}

/** The answer to a request, or a promise of it (an answer the test holds back until it wants). */
export type FakeScript = (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>;

/** One HTTP/2 session (one mutually authenticated TLS connection) as the fake saw it. */
export class FakeSession {
  /** Streams the client opened on this session. */
  streams = 0;
  readonly requests: FakeRequest[] = [];
  /** The GOAWAY the client sent, if any. */
  goaway: { code: number; lastStreamId: number } | null = null;
  closed = false;
  readonly servername: string | false | null;
  readonly alpnProtocol: string | false | null;
  readonly clientCertificateSubjectAltName: string | undefined;

  constructor(
    readonly id: number,
    readonly session: ServerHttp2Session,
  ) {
    const socket = session.socket as TLSSocket;
    this.servername = socket.servername;
    this.alpnProtocol = socket.alpnProtocol;
    this.clientCertificateSubjectAltName = socket.getPeerCertificate()?.subjectaltname;
  }
}

/**
 * A scripted N32-c responder for driving the real initiator: a plain `node:http2` secure server
 * with mutual TLS (client certificate required and verified), ALPN h2 only, on 127.0.0.1 port 0.
 * Every request gets the answer `script` returns; sessions, streams per session, the client's
 * GOAWAY and session closes are recorded.
 */
export class FakeResponder {
  readonly sessions: FakeSession[] = [];
  readonly requests: FakeRequest[] = [];
  readonly tlsErrors: string[] = [];

  private constructor(
    private readonly server: Http2SecureServer,
    public script: FakeScript,
  ) {
    server.on('session', (session: ServerHttp2Session) => {
      const fake = new FakeSession(this.sessions.length, session);
      this.sessions.push(fake);
      session.on('error', () => undefined);
      session.on('goaway', (code: number, lastStreamId: number) => (fake.goaway = { code, lastStreamId }));
      session.once('close', () => (fake.closed = true));
      session.on('stream', (stream, headers) => {
        fake.streams += 1;
        stream.on('error', () => undefined);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const request: FakeRequest = { index: this.requests.length, session: fake, headers, text, json: parseJson(text) };
          this.requests.push(request);
          fake.requests.push(request);
          void Promise.resolve(this.script(request)).then((answer) => {
            const body = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
            if (stream.destroyed || stream.closed) return;
            stream.respond({
              ':status': answer.status ?? 200,
              'content-type': answer.contentType ?? 'application/json',
              ...answer.headers,
            });
            stream.end(body);
          });
        });
      });
    });
    server.on('tlsClientError', (error: Error & { code?: string }) => this.tlsErrors.push(error.code ?? error.message));
  }

  static start(cert: CertFiles, caPem: string, script: FakeScript): Promise<FakeResponder> {
    const server = createSecureServer({
      cert: cert.certPem,
      key: cert.keyPem,
      ca: [caPem],
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
    });
    const fake = new FakeResponder(server, script);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(fake);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Waits until at least `count` requests arrived; returns them all. */
  waitForRequests(count: number, timeoutMs = 10_000): Promise<FakeRequest[]> {
    return waitFor(`fake responder: ${count} request(s) (have ${this.requests.length})`, () => (this.requests.length >= count ? this.requests : undefined), timeoutMs);
  }

  /** Waits until at least `count` sessions were opened; returns them all. */
  waitForSessions(count: number, timeoutMs = 10_000): Promise<FakeSession[]> {
    return waitFor(`fake responder: ${count} session(s) (have ${this.sessions.length})`, () => (this.sessions.length >= count ? this.sessions : undefined), timeoutMs);
  }

  /** Waits until `session` has been closed by the client; returns it. */
  waitForClosed(session: FakeSession, timeoutMs = 10_000): Promise<FakeSession> {
    return waitFor(`fake responder: session ${session.id} closed`, () => (session.closed ? session : undefined), timeoutMs);
  }

  close(): Promise<void> {
    for (const { session } of this.sessions) if (!session.destroyed) session.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
