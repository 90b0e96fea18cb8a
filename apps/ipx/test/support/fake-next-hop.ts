import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CertFiles } from './pki';

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
  /** SAN of the client certificate (the IPX's). */
  readonly clientSan: string | undefined;
  readonly servername: string | false | null;
}

export interface NextHopAnswer {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly body: string | Buffer;
}

/** The next hop of the IPX (the peer SEPP's n32f endpoint): mutual TLS, HTTP/2, scripted answers. */
export class FakeNextHop {
  readonly received: ReceivedRequest[] = [];

  private constructor(
    private readonly server: Http2SecureServer,
    public script: (request: ReceivedRequest) => NextHopAnswer | Promise<NextHopAnswer>,
  ) {
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined);
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const socket = stream.session!.socket as TLSSocket;
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        const request: ReceivedRequest = { headers, text, json, clientSan: socket.getPeerCertificate()?.subjectaltname, servername: socket.servername };
        this.received.push(request);
        // A script may hold its answer (a slow next hop).
        void Promise.resolve(this.script(request)).then((answer) => {
          if (stream.destroyed) return;
          stream.respond({ ':status': answer.status, ...(answer.headers ?? {}) });
          stream.end(answer.body);
        });
      });
    });
  }

  static async start(cert: CertFiles, caPem: string, script: (request: ReceivedRequest) => NextHopAnswer | Promise<NextHopAnswer>): Promise<FakeNextHop> {
    const server = createSecureServer({ cert: cert.certPem, key: cert.keyPem, ca: caPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] });
    server.on('sessionError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeNextHop(server, script);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      // Sessions the IPX keeps open would hold close() forever.
      (this.server as unknown as { closeAllSessions?: () => void }).closeAllSessions?.();
    });
  }
}
