import { connect, type ClientHttp2Session, type ClientSessionOptions } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { AppProcess } from './app-process';

/** One sample of a Prometheus text exposition: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** The samples of metric `name` in a Prometheus text exposition. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    out.push({ labels, value: Number(match[2]) });
  }
  return out;
}

/** `sepp_abuse_events_total{listener,kind}` of an app (0 when the series does not exist yet). */
export async function abuseCount(app: AppProcess, listener: string, kind: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${app.port('admin')}/metrics`);
  const text = await response.text();
  return samples(text, 'sepp_abuse_events_total')
    .filter((s) => s.labels['listener'] === listener && s.labels['kind'] === kind)
    .reduce((sum, s) => sum + s.value, 0);
}

/** A mutual-TLS HTTP/2 client with full control of its session options (flood limits of its own). */
export interface RawH2 {
  readonly session: ClientHttp2Session;
  readonly socket: TLSSocket;
  /** GOAWAY frames received (code, last stream id). */
  readonly goaways: { code: number; lastStreamId: number }[];
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

export function openRawH2(port: number, servername: string, tls: ConnectionOptions, options: ClientSessionOptions = {}): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    let socket: TLSSocket | undefined;
    const session = connect(`https://${servername}:${port}`, {
      ...options,
      createConnection: () => {
        socket = tlsConnect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], ...tls });
        return socket;
      },
    });
    const goaways: RawH2['goaways'] = [];
    let closed = false;
    session.on('goaway', (code, lastStreamId) => goaways.push({ code, lastStreamId }));
    session.on('error', () => undefined);
    const closedPromise = new Promise<void>((done) =>
      session.once('close', () => {
        closed = true;
        done();
      }),
    );
    session.once('connect', () => resolve({ session, socket: socket!, goaways, closed: closedPromise, isClosed: () => closed || session.destroyed }));
    session.once('error', reject);
  });
}

/** A plain TCP connection; resolves once connected. `closed` settles when the server ends it. */
export function openTcp(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.on('data', () => undefined);
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - started)));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** A TLS connection (handshake done, ALPN h2), reading and dropping whatever the server sends. */
export function openTls(port: number, servername: string, tls: ConnectionOptions): Promise<{ socket: TLSSocket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], ...tls });
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - started)));
    socket.once('secureConnect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** The HTTP/2 client connection preface and an empty SETTINGS frame. */
export const H2_PREFACE = Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]);

export const FRAME = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7 } as const;
export const FLAG = { END_STREAM: 0x1, END_HEADERS: 0x4, ACK: 0x1 } as const;

/** The 9-byte header of an HTTP/2 frame. */
export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return header;
}

export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([frameHeader(payload.length, type, flags, streamId), payload]);
}

/** HPACK of a request: `:method GET`, `:scheme https`, then `:authority` and `:path` (literals, not indexed). */
export function requestBlock(authority: string, path: string): Buffer {
  const literal = (index: number, text: string): Buffer => {
    const value = Buffer.from(text, 'latin1');
    if (value.length > 126) throw new Error('value too long for this encoder');
    return Buffer.concat([Buffer.from([index, value.length]), value]);
  };
  return Buffer.concat([Buffer.from([0x82, 0x87]), literal(0x01, authority), literal(0x04, path)]);
}

/**
 * A client speaking HTTP/2 frame by frame on a mutual-TLS (or h2c) connection, as an attacker does
 * (no nghttp2 on our side to pace, merge or refuse anything): it writes whatever frames it is given
 * and reads every frame of the server, noting GOAWAYs and the streams whose answer ended, until the
 * server closes the connection or the test stops reading.
 */
export class RawH2Socket {
  readonly goaways: { code: number; lastStreamId: number }[] = [];
  /** Streams whose answer has ended (a HEADERS or DATA frame with END_STREAM). */
  readonly answered = new Set<number>();
  readonly closed: Promise<void>;
  private buffer = Buffer.alloc(0);
  private isDone = false;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isDone = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
  }

  static open(port: number, servername: string, tls: ConnectionOptions): Promise<RawH2Socket> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], ...tls });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        socket.write(H2_PREFACE);
        resolve(new RawH2Socket(socket));
      });
    });
  }

  /** The same over a plain TCP connection (h2c, prior knowledge). */
  static openH2c(port: number): Promise<RawH2Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.write(H2_PREFACE);
        resolve(new RawH2Socket(socket));
      });
    });
  }

  /**
   * Reads nothing more: what the server sends (its GOAWAY, its FIN) stays unread, and with unread
   * data the socket never sees its end, so it never closes its side either (an HTTP client's idle
   * pooled connection that it does not read).
   */
  stopReading(): void {
    this.socket.pause();
  }

  /** The server has closed the connection (or it broke). */
  get isClosed(): boolean {
    return this.isDone || this.socket.destroyed;
  }

  /** Writes frames; false once the connection is gone. */
  send(data: Buffer): boolean {
    if (this.isClosed) return false;
    this.socket.write(data);
    return true;
  }

  close(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 9) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < 9 + length) return;
      const type = this.buffer.readUInt8(3);
      const payload = this.buffer.subarray(9, 9 + length);
      if (type === FRAME.GOAWAY && payload.length >= 8) this.goaways.push({ lastStreamId: payload.readUInt32BE(0) & 0x7fffffff, code: payload.readUInt32BE(4) });
      if ((type === FRAME.HEADERS || type === FRAME.DATA) && (this.buffer.readUInt8(4) & FLAG.END_STREAM) !== 0) this.answered.add(this.buffer.readUInt32BE(5) & 0x7fffffff);
      this.buffer = this.buffer.subarray(9 + length);
    }
  }
}

/** Resolves with the value once `promise` settles, or `undefined` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
