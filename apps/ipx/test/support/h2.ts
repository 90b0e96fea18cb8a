import { connect, type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { SecureClientSessionOptions } from 'node:http2';

export interface H2Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/** An HTTP/2 client session over TLS (a sending SEPP, for the IPX). */
export function h2Session(port: number, tls: SecureClientSessionOptions): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`https://127.0.0.1:${port}`, { ALPNProtocols: ['h2'], ...tls });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** One request on a session, whole answer back. */
export function h2Request(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string): Promise<H2Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let responseHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (responseHeaders = h));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', reject);
    stream.once('end', () => {
      if (responseHeaders[':status'] === undefined) {
        reject(new Error(`the stream ended without an answer (code ${stream.rstCode ?? 'none'})`));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, text, json });
    });
    if (body !== undefined) stream.end(body);
  });
}
