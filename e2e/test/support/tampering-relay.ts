import { createHmac, sign as cryptoSign, constants as cryptoConstants, type KeyObject } from 'node:crypto';
import {
  connect,
  createSecureServer,
  type ClientHttp2Session,
  type Http2SecureServer,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, createSecureContext, type TLSSocket } from 'node:tls';
import { base64urlDecode, base64urlEncode, N32F_PROCESS_PATH, signModifications, type PatchItem, type PrivateKeyInput } from '@sepp/protocol';
import { parseJson } from './h2-client';
import type { CertFiles } from './pki';

/** A FlatJwsJson as it travels in `modificationsBlock` (members kept loose: tests break them on purpose). */
export interface FlatJws {
  protected?: string;
  payload: string;
  signature: string;
  header?: Record<string, unknown>;
  [member: string]: unknown;
}

/** An n32f-process body (N32fReformattedReqMsg / RspMsg) as the relay reads and rewrites it. */
export interface N32fMessage {
  reformattedData: { aad?: string; tag?: string; [member: string]: unknown };
  modificationsBlock?: FlatJws[];
  [member: string]: unknown;
}

/** The DataToIntegrityProtectBlock (the JWE `aad`), decoded. */
export interface AadView {
  metaData: { n32fContextId: string; messageId: string; authorizedIpxId: string };
  requestLine?: { method: string; path: string; [member: string]: unknown };
  statusLine?: unknown;
  headers?: { header: string; value: unknown }[];
  payload?: { iePath: string; ieValueLocation: string; value: unknown }[];
  [member: string]: unknown;
}

export type Direction = 'request' | 'response';

/** What a tamper function gets to know about the message in hand. */
export interface HopView {
  readonly direction: Direction;
  /** The decoded AAD of the message (never changed by the relay: it is authenticated by the JWE tag). */
  readonly aad: AadView;
  /** The JWE tag, as every JWS must copy it. */
  readonly tag: string;
  /** SAN dNSNames of the client certificate of the hop the request came from. */
  readonly from: readonly string[];
  /** The exchange this message belongs to (for an answer: its request's). */
  readonly exchange: RelayedExchange;
}

/** Rewrites one message; returns the message to send on (a copy or the same object). */
export type Tamper = (message: N32fMessage, hop: HopView) => N32fMessage;

/** One n32f-process exchange as the relay saw it and passed it on. */
export interface RelayedExchange {
  readonly index: number;
  readonly from: readonly string[];
  /** The request as the relay received it. */
  received: N32fMessage;
  /** The request as the relay sent it on. */
  forwarded?: N32fMessage;
  aad?: AadView;
  /** The next hop's answer: status and body (parsed JSON when it is JSON). */
  status?: number;
  answer?: unknown;
  /** The answer as the relay returned it (200 answers may be rewritten). */
  returned?: unknown;
  /** Set when the relay could not forward (no answer from the next hop). */
  error?: string;
  readonly done: Promise<void>;
}

export interface TamperingRelayOptions {
  /** The certificate presented to the hop before the relay (the IPX app checks that it names the responder). */
  serverCert: CertFiles;
  /** Other server certificates, by SNI servername (e.g. acting as an initiator's IPX, which dials it by the IPX FQDN). */
  sniCerts?: Readonly<Record<string, CertFiles>>;
  /** The certificate presented to the next hop: the responder accepts an RI connection when its SAN names an RI of the context. */
  clientCert: CertFiles;
  /** PEM roots trusted on both sides. */
  ca: string;
  /** The next hop: the responder's N32 listener. */
  forward: { port: number; servername: string; host?: string };
}

// ---------------------------------------------------------------------------------------------
// JWS helpers
// ---------------------------------------------------------------------------------------------

/** The decoded payload of a JWS (whatever it holds). */
export function jwsPayloadOf(jws: FlatJws): { identity?: unknown; operations?: unknown; tag?: unknown } {
  return JSON.parse(base64urlDecode(jws.payload).toString('utf8')) as { identity?: unknown; operations?: unknown; tag?: unknown };
}

/** The decoded protected header of a JWS. */
export function jwsHeaderOf(jws: FlatJws): Record<string, unknown> {
  return JSON.parse(base64urlDecode(jws.protected ?? '').toString('utf8')) as Record<string, unknown>;
}

/** A proper N32 RI JWS (ES256, raw R||S) by `identity` with `key` over this message's tag. */
export function es256Jws(identity: string, key: PrivateKeyInput, tag: string, operations: readonly PatchItem[] | null = null, kid?: string): FlatJws {
  return signModifications({ identity, operations, tag, privateKey: key, ...(kid !== undefined ? { kid } : {}) }) as FlatJws;
}

/** Signs `protected.payload` bytes (ASCII): returns the raw signature. */
export type JwsSigner = (signingInput: Buffer) => Buffer;

/**
 * A JWS with any protected header, payload and signer: for the algorithms and headers N32 refuses
 * (ES384, RS256, PS256, EdDSA, HS256, none, embedded `jwk`, DER signatures...).
 */
export function craftJws(header: Record<string, unknown>, payload: Record<string, unknown>, signer: JwsSigner): FlatJws {
  const protectedHeader = base64urlEncode(JSON.stringify(header));
  const body = base64urlEncode(JSON.stringify(payload));
  return { protected: protectedHeader, payload: body, signature: base64urlEncode(signer(Buffer.from(`${protectedHeader}.${body}`, 'ascii'))) };
}

/** Signers of the JWS algorithms, keyed as RFC 7518 names them. */
export const signers = {
  ecdsa: (hash: 'sha256' | 'sha384' | 'sha512', key: KeyObject, dsaEncoding: 'ieee-p1363' | 'der' = 'ieee-p1363'): JwsSigner => (data) => cryptoSign(hash, data, { key, dsaEncoding }),
  rs256: (key: KeyObject): JwsSigner => (data) => cryptoSign('sha256', data, key),
  ps256: (key: KeyObject): JwsSigner => (data) => cryptoSign('sha256', data, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
  eddsa: (key: KeyObject): JwsSigner => (data) => cryptoSign(null, data, key),
  hs256: (secret: Buffer | string): JwsSigner => (data) => createHmac('sha256', secret).update(data).digest(),
  none: (): JwsSigner => () => Buffer.alloc(0),
};

/** A deep copy of a message (tamper functions change copies, so the record of what came in stays). */
export function copyMessage(message: N32fMessage): N32fMessage {
  return JSON.parse(JSON.stringify(message)) as N32fMessage;
}

/** Appends a JWS to a message's modificationsBlock. */
export function appendJws(message: N32fMessage, jws: FlatJws): N32fMessage {
  return { ...message, modificationsBlock: [...(message.modificationsBlock ?? []), jws] };
}

/** Replaces the JWS at `index` (negative: from the end). */
export function replaceJws(message: N32fMessage, index: number, jws: FlatJws): N32fMessage {
  const block = [...(message.modificationsBlock ?? [])];
  block.splice(index < 0 ? block.length + index : index, 1, jws);
  return { ...message, modificationsBlock: block };
}

/** Where a header sits in the AAD's header list (case-insensitive), or -1. */
export function headerIndex(aad: AadView, name: string): number {
  return (aad.headers ?? []).findIndex((entry) => entry.header.toLowerCase() === name.toLowerCase());
}

function sanNames(socket: TLSSocket): string[] {
  const san = socket.getPeerCertificate()?.subjectaltname ?? '';
  return san
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('DNS:'))
    .map((part) => part.slice(4).toLowerCase());
}

// ---------------------------------------------------------------------------------------------
// The relay
// ---------------------------------------------------------------------------------------------

/**
 * An N32-f hop of the test, on loopback: an HTTP/2 server with mutual TLS (client certificate
 * required, verified against `ca`) that takes `POST /n32f-forward/v1/n32f-process`, lets the test
 * rewrite the body (`requestHooks`, then a one-shot `onceRequest`), sends it on to the next hop over
 * one mutual-TLS HTTP/2 session, and does the same to a 200 answer (`answerHooks`, `onceAnswer`)
 * before returning it. Any other answer (a 403 ProblemDetailsMsgForwarding...) is returned as it
 * came. Every exchange is recorded (`exchanges`): what came in, what went on, what came back.
 *
 * It sits where an RI sits: between the IPX app and the responder (presenting the responder's
 * certificate to the IPX app, an RI certificate to the responder), or in place of an initiator's
 * IPX (dialled by SNI = the IPX FQDN, see `sniCerts`). The hooks may append, replace, drop or
 * reorder JWS, signed with whatever keys the test holds.
 */
export class TamperingRelay {
  readonly exchanges: RelayedExchange[] = [];
  /** Applied to every request, in order, before a one-shot tamper. */
  readonly requestHooks: Tamper[] = [];
  /** Applied to every 200 answer, in order, before a one-shot tamper. */
  readonly answerHooks: Tamper[] = [];
  private readonly onceRequests: Tamper[] = [];
  private readonly onceAnswers: Tamper[] = [];
  private readonly serverSessions = new Set<ServerHttp2Session>();
  private client: ClientHttp2Session | null = null;

  private constructor(
    private readonly server: Http2SecureServer,
    private readonly options: TamperingRelayOptions,
  ) {
    server.on('session', (session: ServerHttp2Session) => {
      this.serverSessions.add(session);
      session.on('error', () => undefined);
      session.once('close', () => this.serverSessions.delete(session));
    });
    server.on('stream', (stream, headers) => this.handle(stream, headers));
  }

  static start(options: TamperingRelayOptions): Promise<TamperingRelay> {
    const contexts = new Map(Object.entries(options.sniCerts ?? {}).map(([name, cert]) => [name.toLowerCase(), createSecureContext({ cert: cert.certPem, key: cert.keyPem, ca: options.ca })]));
    const server = createSecureServer({
      cert: options.serverCert.certPem,
      key: options.serverCert.keyPem,
      ca: options.ca,
      requestCert: true,
      rejectUnauthorized: true,
      allowHTTP1: false,
      minVersion: 'TLSv1.2',
      SNICallback: (servername, callback) => callback(null, contexts.get(servername.toLowerCase())),
    });
    const relay = new TamperingRelay(server, options);
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

  /** Rewrites the next request only (after the request hooks). */
  onceRequest(tamper: Tamper): void {
    this.onceRequests.push(tamper);
  }

  /** Rewrites the next 200 answer only (after the answer hooks). */
  onceAnswer(tamper: Tamper): void {
    this.onceAnswers.push(tamper);
  }

  /** Drops one-shot tampers that did not fire. */
  clearOnce(): void {
    this.onceRequests.length = 0;
    this.onceAnswers.length = 0;
  }

  /** The last exchange (after waiting for it to complete). */
  async last(): Promise<RelayedExchange> {
    const exchange = this.exchanges.at(-1);
    if (!exchange) throw new Error('the relay saw no exchange');
    await exchange.done;
    return exchange;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = null;
    for (const session of this.serverSessions) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    if (headers[':method'] !== 'POST' || String(headers[':path']).split('?')[0] !== N32F_PROCESS_PATH) {
      stream.respond({ ':status': 404 });
      stream.end();
      return;
    }
    const from = sanNames(stream.session!.socket as TLSSocket);
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      let finish!: () => void;
      const exchange: RelayedExchange = {
        index: this.exchanges.length,
        from,
        received: parseJson(Buffer.concat(chunks).toString('utf8')) as N32fMessage,
        done: new Promise<void>((resolve) => (finish = resolve)),
      };
      this.exchanges.push(exchange);
      this.relay(stream, headers, exchange)
        .catch((error: Error) => {
          exchange.error = error.message;
          if (!stream.headersSent && !stream.destroyed) {
            stream.respond({ ':status': 502, 'content-type': 'application/problem+json' });
            stream.end(JSON.stringify({ status: 502, cause: 'RELAY_FAILED', detail: error.message }));
          }
        })
        .finally(finish);
    });
  }

  private async relay(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, exchange: RelayedExchange): Promise<void> {
    let message = exchange.received;
    const aad = JSON.parse(base64urlDecode(message.reformattedData.aad ?? '').toString('utf8')) as AadView;
    exchange.aad = aad;
    const view = (direction: Direction, of: N32fMessage): HopView => ({
      direction,
      aad: direction === 'request' ? aad : (JSON.parse(base64urlDecode(of.reformattedData.aad ?? '').toString('utf8')) as AadView),
      tag: String(of.reformattedData.tag),
      from: exchange.from,
      exchange,
    });
    for (const tamper of [...this.requestHooks, ...this.onceRequests.splice(0, 1)]) message = tamper(copyMessage(message), view('request', message));
    exchange.forwarded = message;

    const out: OutgoingHttpHeaders = { ':method': 'POST', ':path': String(headers[':path']), 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(headers)) if (/^3gpp-sbi-/.test(name) && value !== undefined) out[name] = value;
    const answer = await this.exchange(out, Buffer.from(JSON.stringify(message)));
    exchange.status = answer.status;
    const text = answer.body.toString('utf8');
    exchange.answer = parseJson(text) ?? text;

    let body = answer.body;
    if (answer.status === 200 && exchange.answer !== null && typeof exchange.answer === 'object') {
      let returned = exchange.answer as N32fMessage;
      for (const tamper of [...this.answerHooks, ...this.onceAnswers.splice(0, 1)]) returned = tamper(copyMessage(returned), view('response', returned));
      exchange.returned = returned;
      body = Buffer.from(JSON.stringify(returned));
    } else {
      exchange.returned = exchange.answer;
    }
    const contentType = answer.headers['content-type'];
    stream.respond({ ':status': answer.status, ...(contentType !== undefined ? { 'content-type': contentType } : {}) });
    stream.end(body);
  }

  /** One request on the session to the next hop; the whole answer. */
  private exchange(headers: OutgoingHttpHeaders, body: Buffer, timeoutMs = 10_000): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const session = this.session();
    return new Promise((resolve, reject) => {
      const request = session.request(headers);
      const chunks: Buffer[] = [];
      let responseHeaders: IncomingHttpHeaders = {};
      const timer = setTimeout(() => {
        request.close();
        reject(new Error(`no answer from the next hop within ${timeoutMs} ms`));
      }, timeoutMs);
      request.on('response', (h) => (responseHeaders = h));
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.on('end', () => {
        clearTimeout(timer);
        resolve({ status: Number(responseHeaders[':status']), headers: responseHeaders, body: Buffer.concat(chunks) });
      });
      request.end(body);
    });
  }

  private session(): ClientHttp2Session {
    const existing = this.client;
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const { forward, clientCert, ca } = this.options;
    const host = forward.host ?? '127.0.0.1';
    const session = connect(`https://${forward.servername}:${forward.port}`, {
      createConnection: () => tlsConnect({ host, port: forward.port, servername: forward.servername, ALPNProtocols: ['h2'], cert: clientCert.certPem, key: clientCert.keyPem, ca }),
    });
    session.on('error', () => undefined);
    session.once('close', () => {
      if (this.client === session) this.client = null;
    });
    this.client = session;
    return session;
  }
}
