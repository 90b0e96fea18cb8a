import { connect, createSecureServer, type ClientHttp2Session, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { N32C_PATHS, normalizeFqdn, plmnFqdnKey, plmnKeyFromFqdn, selectSecurityCapability, type IntermediaryPolicy, type PlmnIdValue } from '@sepp/protocol';
import { certificateDnsNames } from '../../src/net/certificates';

/** The deliberate faults a fake responding SEPP can have. */
export interface ResponderFaults {
  /** Keeps the connection after answering NONE (Open5GS). */
  readonly keepAfterNone?: boolean;
  /** Does not bind sender / plmnIdList to the client certificate. */
  readonly ignoreSender?: boolean;
  /** Accepts an expired client certificate (its chain is otherwise checked). */
  readonly acceptExpired?: boolean;
  /** Picks the last mechanism of the offered list it supports, whatever its policy says. */
  readonly ignorePriority?: boolean;
}

export interface FakeResponderOptions {
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
  readonly policy?: IntermediaryPolicy;
  readonly faults?: ResponderFaults;
}

const problem = (status: number, cause: string, detail: string): { status: number; type: string; body: string } => ({
  status,
  type: 'application/problem+json',
  body: JSON.stringify({ status, cause, detail }),
});

/**
 * A small responding SEPP for the probe's own tests: N32-c exchange-capability over mutual-TLS
 * HTTP/2, TLS selection by policy, sender binding, NONE then GOAWAY + close; each fault switches
 * one of those off. Everything else is answered 404 problem+json.
 */
export class FakeResponder {
  private constructor(
    private readonly server: Http2SecureServer,
    private readonly sessions: Set<ServerHttp2Session>,
  ) {}

  static async start(options: FakeResponderOptions): Promise<FakeResponder> {
    const faults = options.faults ?? {};
    const server = createSecureServer({
      cert: options.certPem,
      key: options.keyPem,
      ca: [options.caPem],
      requestCert: true,
      // With acceptExpired the verdict is ours (below), otherwise OpenSSL's.
      rejectUnauthorized: !faults.acceptExpired,
      allowHTTP1: false,
      ALPNProtocols: ['h2'],
      minVersion: 'TLSv1.2',
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      if (faults.acceptExpired && !socket.authorized && !String(socket.authorizationError).includes('CERT_HAS_EXPIRED')) socket.destroy();
    });
    const sessions = new Set<ServerHttp2Session>();
    server.on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
      session.on('error', () => undefined);
      session.on('stream', (stream, headers) => {
        stream.on('error', () => undefined);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const answer = FakeResponder.answer(options, faults, session, String(headers[':method']), String(headers[':path']), Buffer.concat(chunks).toString('utf8'));
          if (stream.destroyed) return;
          stream.respond({ ':status': answer.status, 'content-type': answer.type });
          stream.end(answer.body);
          if (answer.closeAfter) {
            session.close();
            setTimeout(() => session.destroy(), 500).unref();
          }
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new FakeResponder(server, sessions);
  }

  private static answer(
    options: FakeResponderOptions,
    faults: ResponderFaults,
    session: ServerHttp2Session,
    method: string,
    path: string,
    text: string,
  ): { status: number; type: string; body: string; closeAfter?: boolean } {
    if (path !== N32C_PATHS.exchangeCapability) return problem(404, 'RESOURCE_URI_STRUCTURE_NOT_FOUND', path);
    if (method !== 'POST') return problem(405, 'UNSPECIFIED', method);
    let body: { sender?: unknown; supportedSecCapabilityList?: unknown; plmnIdList?: PlmnIdValue[]; n32HandshakeId?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return problem(400, 'INVALID_MSG_FORMAT', 'not JSON');
    }
    if (!body || typeof body.sender !== 'string' || !Array.isArray(body.supportedSecCapabilityList)) return problem(400, 'MANDATORY_IE_MISSING', 'sender, supportedSecCapabilityList');
    if (!faults.ignoreSender) {
      if (session.destroyed) return problem(503, 'UNSPECIFIED', 'closing');
      const raw = (session.socket as TLSSocket).getPeerCertificate()?.raw;
      const names = raw ? certificateDnsNames(raw) : [];
      const proved = new Set(names.map(plmnKeyFromFqdn));
      if (!names.includes(normalizeFqdn(body.sender)) || (body.plmnIdList ?? []).some((p) => !proved.has(plmnFqdnKey(p)))) return problem(403, 'UNSPECIFIED', 'sender not proved by the certificate');
    }
    const offered = body.supportedSecCapabilityList.map(String);
    let selected: string = selectSecurityCapability(offered, ['TLS', 'PRINS'], options.policy ?? 'none').selected;
    if (faults.ignorePriority && selected !== 'NONE') selected = [...offered].reverse().find((m) => m === 'TLS' || m === 'PRINS') ?? 'NONE';
    const rsp = {
      sender: options.fqdn,
      selectedSecCapability: selected,
      ...(typeof body.n32HandshakeId === 'string' ? { n32HandshakeId: body.n32HandshakeId } : {}),
      plmnIdList: options.plmns,
      supportedFeatures: '0',
    };
    return { status: 200, type: 'application/json', body: JSON.stringify(rsp), closeAfter: selected === 'NONE' && !faults.keepAfterNone };
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    for (const session of this.sessions) session.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** The deliberate faults a fake initiating SEPP can have. */
export interface InitiatorFaults {
  /** Re-sends exchange-capability on the same connection when the answer names a mechanism it did not offer (Open5GS). */
  readonly resendOnUnoffered?: boolean;
}

export interface FakeInitiatorOptions {
  readonly port: number;
  readonly servername: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: string;
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
  readonly offered: readonly string[];
  readonly faults?: InitiatorFaults;
}

/**
 * A small initiating SEPP: connects, offers its mechanisms, keeps a TLS agreement, closes
 * (GOAWAY) and retries on a new connection after anything it did not offer, and reconnects
 * whenever the connection is lost, until stopped.
 */
export class FakeInitiator {
  private stopped = false;
  private session: ClientHttp2Session | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: FakeInitiatorOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.session?.destroy();
  }

  private later(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.connect(), 100);
  }

  private connect(): void {
    if (this.stopped) return;
    const { options } = this;
    const session = connect(`https://${options.servername}:${options.port}`, {
      createConnection: () =>
        tlsConnect({ host: '127.0.0.1', port: options.port, servername: options.servername, ALPNProtocols: ['h2'], cert: options.certPem, key: options.keyPem, ca: [options.caPem] }),
    });
    this.session = session;
    let retried = false;
    const retry = (): void => {
      if (retried) return;
      retried = true;
      this.later();
    };
    session.on('error', () => undefined);
    session.once('close', retry);
    session.once('connect', () => this.negotiate(session, 0));
  }

  private negotiate(session: ClientHttp2Session, resends: number): void {
    const { options } = this;
    if (session.closed || session.destroyed) return;
    const stream = session.request({ ':method': 'POST', ':path': N32C_PATHS.exchangeCapability, 'content-type': 'application/json' });
    const chunks: Buffer[] = [];
    stream.on('error', () => undefined);
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      let selected: unknown;
      let sender: unknown;
      try {
        ({ selectedSecCapability: selected, sender } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { selectedSecCapability?: unknown; sender?: unknown });
      } catch {
        selected = undefined;
      }
      const offered = options.offered.includes(String(selected));
      if (offered && sender === options.servername) return; // agreed: keep the connection
      if (this.options.faults?.resendOnUnoffered && (selected === 'TLS' || selected === 'PRINS') && resends < 3) {
        setTimeout(() => this.negotiate(session, resends + 1), 50);
        return;
      }
      session.close(); // GOAWAY, then the close; 'close' schedules the retry
    });
    stream.end(JSON.stringify({ sender: options.fqdn, supportedSecCapabilityList: options.offered, plmnIdList: options.plmns, supportedFeatures: '0' }));
  }
}
