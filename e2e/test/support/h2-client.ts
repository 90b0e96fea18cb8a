import { connect, constants, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

/** `text` parsed as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface H2Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/**
 * A raw mutual-TLS HTTP/2 client for poking the SEPPs from tests, with full control of the
 * certificate, TLS options and headers, and visibility on GOAWAY and connection close.
 */
export class H2Client {
  goaway: { code: number; lastStreamId: number } | null = null;
  readonly closed: Promise<void>;

  private constructor(
    readonly session: ClientHttp2Session,
    readonly socket: TLSSocket,
  ) {
    session.on('goaway', (code, lastStreamId) => (this.goaway = { code, lastStreamId }));
    session.on('error', () => undefined);
    this.closed = new Promise((resolve) => session.once('close', () => resolve()));
  }

  static open(port: number, servername: string, tls: ConnectionOptions, host = '127.0.0.1'): Promise<H2Client> {
    return new Promise((resolve, reject) => {
      let socket: TLSSocket | undefined;
      const session = connect(`https://${servername}:${port}`, {
        createConnection: () => {
          socket = tlsConnect({ host, port, servername, ALPNProtocols: ['h2'], ...tls });
          return socket;
        },
      });
      session.once('error', reject);
      session.once('connect', () => {
        session.off('error', reject);
        resolve(new H2Client(session, socket!));
      });
    });
  }

  request(method: string, path: string, body?: string | Buffer, headers: OutgoingHttpHeaders = {}): Promise<H2Answer> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({ [constants.HTTP2_HEADER_METHOD]: method, [constants.HTTP2_HEADER_PATH]: path, ...headers });
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (responseHeaders = h));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', reject);
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, text, json: parseJson(text) });
      });
      stream.end(body);
    });
  }

  postJson(path: string, body: unknown, headers: OutgoingHttpHeaders = {}): Promise<H2Answer> {
    return this.request('POST', path, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  close(): void {
    this.session.destroy();
  }
}

/** Tries a TLS handshake only; resolves with how it ended. */
export function tlsHandshake(port: number, servername: string, tls: ConnectionOptions): Promise<{ ok: boolean; error?: string; authorized?: boolean }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], ...tls });
    let settled = false;
    const done = (result: { ok: boolean; error?: string; authorized?: boolean }): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => {
      // Under TLS 1.3 the server's verdict on our certificate arrives after the client's
      // handshake completes: wait for the connection to survive (or not) a round trip.
      socket.once('data', () => done({ ok: true, authorized: socket.authorized }));
      socket.once('close', () => done({ ok: false, error: 'closed by server after handshake' }));
      socket.write(Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00', 'latin1'));
      setTimeout(() => done({ ok: !socket.destroyed, authorized: socket.authorized }), 1_000);
    });
    socket.once('error', (error: Error & { code?: string }) => done({ ok: false, error: error.code ?? error.message }));
  });
}
