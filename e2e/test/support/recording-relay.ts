import { connect, createSecureServer, type ClientHttp2Session, type Http2SecureServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { CertFiles } from './pki';

/** One HTTP/2 exchange that crossed the relay, as plaintext. */
export interface RecordedExchange {
  readonly request: { headers: IncomingHttpHeaders; body: Buffer[] };
  readonly response: { headers: IncomingHttpHeaders; body: Buffer[] };
}

export interface RecordingRelayOptions {
  /** Presented to the client (the initiator checks it names the responder). */
  serverCert: CertFiles;
  /** Presented to the responder (it binds the N32 peer to this certificate). */
  clientCert: CertFiles;
  /** Trusted roots (PEM) on both sides. */
  ca: string;
  /** The responder's N32 listener. */
  forward: { port: number; servername: string };
}

/**
 * A mutual-TLS HTTP/2 hop of the test on the N32 path, in TLS mode: it terminates the initiator's
 * TLS with the responder's certificate and opens its own to the responder with the initiator's
 * (one upstream session per downstream session, so N32-c and N32-f stay on one connection as the
 * responder expects), relays every stream both ways and records each in plaintext: every header
 * (decoded: HPACK would hide header values from a byte scan of the frames) and every body byte.
 */
export class RecordingRelay {
  readonly exchanges: RecordedExchange[] = [];
  private readonly sessions = new Set<ServerHttp2Session | ClientHttp2Session>();

  private constructor(
    private readonly server: Http2SecureServer,
    private readonly options: RecordingRelayOptions,
  ) {
    server.on('session', (session: ServerHttp2Session) => this.bridge(session));
  }

  static start(options: RecordingRelayOptions): Promise<RecordingRelay> {
    const server = createSecureServer({
      cert: options.serverCert.certPem,
      key: options.serverCert.keyPem,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
      minVersion: 'TLSv1.2',
    });
    const relay = new RecordingRelay(server, options);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(relay);
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private bridge(downstream: ServerHttp2Session): void {
    const { forward, clientCert, ca } = this.options;
    const upstream = connect(`https://127.0.0.1:${forward.port}`, { servername: forward.servername, cert: clientCert.certPem, key: clientCert.keyPem, ca, ALPNProtocols: ['h2'] });
    this.sessions.add(downstream);
    this.sessions.add(upstream);
    const close = (): void => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', () => undefined);
    upstream.on('error', () => undefined);
    downstream.once('close', () => {
      this.sessions.delete(downstream);
      upstream.close();
    });
    upstream.once('close', () => {
      this.sessions.delete(upstream);
      close();
    });
    downstream.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => this.relay(stream, headers, upstream));
  }

  private relay(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, upstream: ClientHttp2Session): void {
    const exchange: RecordedExchange = { request: { headers, body: [] }, response: { headers: {}, body: [] } };
    this.exchanges.push(exchange);
    stream.on('error', () => undefined);
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined && name !== ':scheme') out[name] = value;
    let next;
    try {
      next = upstream.request(out, { endStream: stream.endAfterHeaders });
    } catch {
      stream.close();
      return;
    }
    next.on('error', () => stream.close());
    stream.on('data', (chunk: Buffer) => {
      exchange.request.body.push(chunk);
      next.write(chunk);
    });
    stream.on('end', () => {
      if (!stream.endAfterHeaders) next.end();
    });
    next.on('response', (responseHeaders) => {
      exchange.response.headers = responseHeaders;
      const { ':status': status, ...rest } = responseHeaders;
      const back: OutgoingHttpHeaders = { ':status': status };
      for (const [name, value] of Object.entries(rest)) if (value !== undefined) back[name] = value;
      if (!stream.destroyed) stream.respond(back, { endStream: next.endAfterHeaders });
    });
    next.on('data', (chunk: Buffer) => {
      exchange.response.body.push(chunk);
      if (!stream.destroyed) stream.write(chunk);
    });
    next.on('end', () => {
      if (!stream.destroyed && !next.endAfterHeaders) stream.end();
    });
  }

  /** Every plaintext byte the responder sent back through the relay (answer headers and bodies). */
  answerText(): string {
    return this.exchanges.map(({ response }) => `${headerText(response.headers)}\n${Buffer.concat(response.body).toString('latin1')}`).join('\n');
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

function headerText(headers: IncomingHttpHeaders): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('\n');
}
