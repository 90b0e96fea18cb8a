import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LimitsSettings } from '../config/limits-config';
import { ANY_STREAM, REQUEST_REFUSED, type RefusedRequest, type SeppHttp2Server } from '../n32f/dispatching-server';
import { streamsResetByUs } from '../n32f/raw-problem';
import type { ListenerRuntime } from './listener-runtime';
import { peerDnsNames } from '../tls/certificate-names';
import { recordAbuse, type AbuseEvent, type AbuseKind } from './abuse';
import { boundRequestsInFlight } from './requests-in-flight';
import { limitConnections } from './connection-limit';
import { TokenBucket } from './token-bucket';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_NO_ERROR } = constants;

/** Grace for a session closed for idleness to finish before it is destroyed. */
const IDLE_CLOSE_GRACE_MS = 2_000;
/** Two liveness timer firings count as back to back (no frame in between) within this slack. */
const QUIET_SLACK_MS = 250;
/** Socket errors that end a session without anybody misbehaving (a peer going away). */
const TRANSPORT_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

/** What a listener exposes for a graceful stop. */
export interface ListenerGuard {
  readonly listener: string;
  /** Streams open right now (requests in flight, N32-c included). */
  readonly openStreams: number;
  /** Stops accepting connections and sends GOAWAY on every session; streams in flight go on. */
  stopAccepting(): void;
  /** Resolves true once no stream is open, false if some still are after `timeoutMs`. */
  drained(timeoutMs: number): Promise<boolean>;
  /** Destroys every session still open (after a drain that timed out). */
  destroySessions(): void;
  /**
   * After the drain: the connections still open (GOAWAY sent, nothing in flight) get `graceMs` for
   * the peer to close them, then we close them (TCP close, whatever the peer still has unread).
   * Resolves once every connection of the listener is gone, with how many we had to close.
   */
  closeConnections(graceMs: number): Promise<number>;
}

interface SessionState {
  readonly resets: TokenBucket;
  readonly control: TokenBucket;
  readonly who: Pick<AbuseEvent, 'remoteAddress' | 'remotePort' | 'peer'>;
  open: number;
  /** When the liveness timer last fired, and how long the session has had no frame. */
  lastQuietAt: number | null;
  quietForMs: number;
  /** Our unanswered PING: when it went out and the bytes read by then. */
  ping: { sentAt: number; bytesRead: number } | null;
  /** We closed it (its 'error' is ours, not the peer's). */
  closedByUs: boolean;
}

/**
 * Holds a listener up under abuse and faults (`limits`), on top of what its server was built with
 * (SETTINGS, nghttp2's limits, the TLS handshake timeout: dispatching-server.ts):
 *
 * - connections past `maxConnections` on the listener or `maxConnectionsPerAddress` from one
 *   address, or over `connectionRatePerAddress` new ones a second from one address, are closed as
 *   they arrive, before TLS (connection-limit.ts, connection-rate.ts);
 * - a request past `maxRequestsInFlight` open on the listener is answered 503 `NF_CONGESTION`
 *   with `retry-after` at once, before any handler (overload: requests-in-flight.ts);
 * - per session, RST_STREAM from the peer (rapid reset) and SETTINGS/PING frames (floods) go
 *   through token buckets; over them the session gets GOAWAY(ENHANCE_YOUR_CALM) and is closed;
 * - a session without a complete frame for `headersTimeoutMs` is PINGed; no ACK within that time
 *   again and it is closed (slow headers: a header block trickled byte by byte never completes a
 *   frame; a silent or vanished peer neither). Idle sessions (no frame, no stream) are closed after
 *   the listener's idle bound, PINGs of the peer counting as activity;
 * - a stream whose request body makes no progress for `streamIdleMs` is reset (CANCEL), and so is
 *   an answer the client stopped reading;
 * - sessions nghttp2 or Node end for a protocol error, frames that cannot be sent and TLS
 *   handshakes that time out are recorded.
 *
 * Every such event is one warn line and one `sepp_abuse_events_total{listener,kind}`; every other
 * connection goes on being served. It also counts the open streams of the listener, for the drain
 * of a graceful stop. Called once per listener, before it listens.
 */
export function protectListener(app: NestFastifyApplication, listener: string, runtime: ListenerRuntime, options: { servesN32c?: boolean } = {}): ListenerGuard {
  const server = app.getHttpServer() as unknown as SeppHttp2Server;
  limitConnections(server, listener, runtime);
  const states = new WeakMap<ServerHttp2Session, SessionState>();
  const limits = (): LimitsSettings => runtime.config.current.limits;
  /** Streams we reset or closed ourselves (their 'aborted' is not the peer's doing). */
  const closedByUs = new WeakSet<ServerHttp2Stream>();
  let openStreams = 0;
  let onIdle: (() => void) | null = null;
  boundRequestsInFlight(server, listener, runtime, () => openStreams, { servesN32c: options.servesN32c === true });

  const record = (kind: AbuseKind, action: AbuseEvent['action'], who: SessionState['who'], detail?: string): void =>
    recordAbuse(runtime, { listener, kind, action, ...who, ...(detail ? { detail } : {}) });

  /** GOAWAY(ENHANCE_YOUR_CALM), then the connection is closed. */
  const closeAbusive = (session: ServerHttp2Session, state: SessionState, kind: AbuseKind, detail: string): void => {
    if (session.destroyed || state.closedByUs) return;
    state.closedByUs = true;
    record(kind, 'connection closed', state.who, detail);
    // The error only travels to our own 'sessionError' listener (skipped: closedByUs).
    session.destroy(Object.assign(new Error(`${kind}: ${detail}`), { code: 'ERR_SEPP_ABUSE' }), NGHTTP2_ENHANCE_YOUR_CALM);
  };

  server.guardSession = (session) => {
    const current = limits();
    const socket = session.socket as Socket & Partial<TLSSocket>;
    const state: SessionState = {
      resets: new TokenBucket(current.streamResetBurst, current.streamResetRate),
      control: new TokenBucket(current.controlFrameBurst, current.controlFrameRate),
      who: { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, peer: certificateName(socket) },
      open: 0,
      lastQuietAt: null,
      quietForMs: 0,
      ping: null,
      closedByUs: false,
    };
    states.set(session, state);

    const controlFrame = (kind: 'settings-flood' | 'ping-flood'): void => {
      const { controlFrameBurst, controlFrameRate } = limits();
      state.control.reconfigure(controlFrameBurst, controlFrameRate);
      if (!state.control.take()) closeAbusive(session, state, kind, `more than ${controlFrameBurst} SETTINGS/PING frames, then ${controlFrameRate}/s`);
    };
    session.on('remoteSettings', () => controlFrame('settings-flood'));
    session.on('ping', () => controlFrame('ping-flood'));
    session.on('frameError', (type: number, code: number, id: number) => {
      if (!state.closedByUs) record('frame-error', 'connection closed', state.who, `frame type ${type} on stream ${id} could not be sent (code ${code})`);
      state.closedByUs = true;
    });

    // Node's session timer runs only on complete frames (headers, data, settings, ping...): a
    // trickled header block never restarts it. Our PING's ACK does not restart it either.
    session.on('timeout', () => onQuiet(session, state));
    session.setTimeout(current.headersTimeoutMs);
  };

  const onQuiet = (session: ServerHttp2Session, state: SessionState): void => {
    if (session.destroyed) return;
    const { headersTimeoutMs } = limits();
    const now = performance.now();
    const backToBack = state.lastQuietAt !== null && now - state.lastQuietAt < headersTimeoutMs + QUIET_SLACK_MS;
    state.quietForMs = backToBack ? state.quietForMs + (now - state.lastQuietAt!) : headersTimeoutMs;
    state.lastQuietAt = now;
    if (state.ping && now - state.ping.sentAt >= headersTimeoutMs - QUIET_SLACK_MS) {
      const trickled = bytesRead(session) > state.ping.bytesRead;
      closeAbusive(
        session,
        state,
        trickled ? 'slow-headers' : 'unresponsive',
        trickled
          ? `bytes but no complete HTTP/2 frame, and no PING ACK, for ${Math.round(state.quietForMs)} ms`
          : `no frame and no PING ACK for ${Math.round(state.quietForMs)} ms`,
      );
      return;
    }
    session.setTimeout(headersTimeoutMs);
    const idleMs = server.sessionIdleMs;
    if (idleMs > 0 && state.open === 0 && state.quietForMs >= idleMs) {
      runtime.logger.debug({ listener, ...state.who, idleMs }, 'idle HTTP/2 session closed');
      closeGracefully(session);
      return;
    }
    if (state.ping) return;
    const ping = { sentAt: now, bytesRead: bytesRead(session) };
    try {
      const sent = session.ping((error) => {
        if (!error && state.ping === ping) state.ping = null;
      });
      if (sent) state.ping = ping;
    } catch {
      // the session is going away
    }
  };

  // Per stream, shared handlers (`this` is the stream) rather than closures: this runs for every
  // request of the listener.
  /** Resets and closes of ours (the problem writers, the forwarder, Fastify) are not the peer's. */
  function closeMarked(this: ServerHttp2Stream, code?: number, callback?: () => void): void {
    closedByUs.add(this);
    (Object.getPrototypeOf(this) as ServerHttp2Stream).close.call(this, code, callback);
  }
  /** Streams reset by the peer, counted once each. */
  const resetByPeer = new WeakSet<ServerHttp2Stream>();
  /**
   * A reset by the peer shows as 'aborted' while our answer is unfinished, and as a close with
   * an error code once it is written (a cheap refusal answered before the RST_STREAM arrived).
   */
  const peerReset = (stream: ServerHttp2Stream, session: ServerHttp2Session | undefined, state: SessionState | undefined): void => {
    if (resetByPeer.has(stream) || !state || !session || session.destroyed || closedByUs.has(stream) || streamsResetByUs.has(stream)) return;
    resetByPeer.add(stream);
    const { streamResetBurst, streamResetRate } = limits();
    state.resets.reconfigure(streamResetBurst, streamResetRate);
    if (!state.resets.take()) closeAbusive(session, state, 'rst-flood', `more than ${streamResetBurst} streams reset by the peer, then ${streamResetRate}/s`);
  };
  function onAborted(this: ServerHttp2Stream): void {
    const session = this.session as ServerHttp2Session | undefined;
    peerReset(this, session, session ? states.get(session) : undefined);
  }
  // The stream no longer knows its session when it closes: the handler is given both.
  const onClose = (stream: ServerHttp2Stream, session: ServerHttp2Session | undefined, state: SessionState | undefined): void => {
    if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) peerReset(stream, session, state);
    openStreams -= 1;
    if (state) state.open -= 1;
    if (openStreams === 0) onIdle?.();
  };
  function onTimeout(this: ServerHttp2Stream): void {
    const session = this.session as ServerHttp2Session | undefined;
    onStreamIdle(this, session ? states.get(session) : undefined);
  }

  server.on(ANY_STREAM, (stream: ServerHttp2Stream) => {
    const session = stream.session as ServerHttp2Session | undefined;
    const state = session ? states.get(session) : undefined;
    openStreams += 1;
    if (state) state.open += 1;
    stream.close = closeMarked;
    stream.once('aborted', onAborted);
    stream.once('close', () => onClose(stream, session, state));
    stream.setTimeout(limits().streamIdleMs, onTimeout);
  });

  const onStreamIdle = (stream: ServerHttp2Stream, state: SessionState | undefined): void => {
    if (stream.destroyed || stream.closed) return;
    const who = state?.who ?? {};
    const { streamIdleMs } = limits();
    if (!requestEnded(stream)) {
      // Data we have not read yet: the hold-up is ours (backpressure), not the peer's.
      if (stream.readableLength > 0) return;
      record('stream-idle', 'stream reset', who, `no request data for ${streamIdleMs} ms (${stream.headersSent ? 'answer started' : 'no answer yet'})`);
      stream.close(NGHTTP2_CANCEL);
      return;
    }
    if (stream.headersSent && stream.bufferSize > 0) {
      record('slow-read', 'stream reset', who, `the answer was not read for ${streamIdleMs} ms`);
      stream.close(NGHTTP2_CANCEL);
    }
    // Otherwise the request is complete and the answer is ours to give: the forwarding timeouts apply.
  };

  // A request the server refuses itself (an unsupported `expect`): logged like the framework's refusals.
  server.on(REQUEST_REFUSED, (refused: RefusedRequest) => runtime.logger.info({ listener, ...refused }, 'request refused'));

  server.on('sessionError', (error: Error & { code?: string }, session: ServerHttp2Session) => {
    const state = states.get(session);
    if (!state || state.closedByUs) return;
    const kind = sessionErrorKind(error);
    if (kind === null) {
      runtime.logger.debug({ listener, ...state.who, code: error.code, error: error.message }, 'HTTP/2 session ended by a transport error');
      return;
    }
    state.closedByUs = true;
    record(kind, 'connection closed', state.who, `${error.code ?? 'error'}: ${error.message}`);
  });

  // A reload applies the SETTINGS we announce to new connections (the other Node options of the
  // server stay as it was built: they take a restart).
  runtime.config.on('reload', ({ current, changed }) => {
    if (!changed.includes('limits')) return;
    const { maxConcurrentStreams, maxHeaderListSize } = current.limits;
    server.updateSettings({ maxConcurrentStreams, maxHeaderListSize });
  });

  // TLS: Node ends a handshake that takes longer than `handshakeTimeout` (the server was built
  // with limits.handshakeTimeoutMs); the TLS socket no longer knows its peer by then.
  const clients = new WeakMap<Socket, { remoteAddress?: string; remotePort?: number }>();
  /** Every TCP connection of the listener until it is closed (TLS handshakes in progress too). */
  const sockets = new Set<Socket>();
  server.on('connection', (raw: Socket) => {
    clients.set(raw, { remoteAddress: raw.remoteAddress, remotePort: raw.remotePort });
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
  });
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    if (error.code !== 'ERR_TLS_HANDSHAKE_TIMEOUT') return;
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const who = (raw && clients.get(raw)) ?? { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    record('tls-handshake-timeout', 'connection closed', who, `no TLS handshake within ${limits().handshakeTimeoutMs} ms`);
  });

  return {
    listener,
    get openStreams() {
      return openStreams;
    },
    stopAccepting() {
      if (server.listening) server.close();
      server.closeHttp2Sessions?.();
    },
    drained(timeoutMs) {
      if (openStreams === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          onIdle = null;
          resolve(false);
        }, timeoutMs);
        onIdle = () => {
          clearTimeout(timer);
          onIdle = null;
          resolve(true);
        };
      });
    },
    destroySessions() {
      for (const session of server.http2Sessions) session.destroy();
    },
    closeConnections(graceMs) {
      // A session with no stream left ends itself after our GOAWAY (Node's session.close()) and
      // ends its socket: our FIN is out, and the connection closes when the peer's FIN comes. A
      // peer that does not read (an idle pooled connection of an HTTP client) never sends it.
      if (sockets.size === 0) return Promise.resolve(0);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          const left = [...sockets];
          for (const socket of left) socket.destroy();
          if (left.length > 0) runtime.logger.info({ listener, connections: left.length, graceMs }, 'closed the connections the peers left open after GOAWAY');
          resolve(left.length);
        }, graceMs);
        const check = (): void => {
          if (sockets.size > 0) return;
          clearTimeout(timer);
          resolve(0);
        };
        for (const socket of sockets) socket.once('close', () => setImmediate(check));
      });
    },
  };
}

/** GOAWAY(NO_ERROR); destroyed if it is not closed within the grace. */
function closeGracefully(session: ServerHttp2Session): void {
  const timer = setTimeout(() => session.destroy(), IDLE_CLOSE_GRACE_MS);
  timer.unref();
  session.once('close', () => clearTimeout(timer));
  session.close();
}

function bytesRead(session: ServerHttp2Session): number {
  try {
    return session.socket?.bytesRead ?? 0;
  } catch {
    return 0;
  }
}

/** The first SAN dNSName of the client certificate, if the connection has one. */
function certificateName(socket: Partial<TLSSocket>): string | null {
  return peerDnsNames(socket as TLSSocket)[0] ?? null;
}

/** Whether the peer has sent the whole request (END_STREAM), read or not. */
function requestEnded(stream: ServerHttp2Stream): boolean {
  const state = (stream as unknown as { _readableState?: { ended?: boolean } })._readableState;
  return stream.endAfterHeaders || stream.readableEnded || state?.ended === true;
}

/** The abuse kind of an error that ended a session; null for transport errors (nobody's fault). */
export function sessionErrorKind(error: Error & { code?: string }): AbuseKind | null {
  const code = error.code ?? '';
  if (TRANSPORT_ERRORS.has(code) || !code.startsWith('ERR_HTTP2')) return null;
  if (code === 'ERR_HTTP2_TOO_MANY_INVALID_FRAMES') return 'invalid-frames';
  if (/flood/i.test(error.message)) return 'flood';
  return 'session-error';
}
