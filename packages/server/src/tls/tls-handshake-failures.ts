import type { Http2SecureServer } from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';

/** Why a TLS handshake on a listener failed. */
export interface TlsHandshakeFailure {
  /** The client certificate's verdict (`CERT_HAS_EXPIRED`, ...) when that is what failed. */
  readonly certificateError: string | undefined;
  readonly error: Error & { code?: string };
  /** Who tried, when known. */
  readonly remoteAddress: string | undefined;
}

/**
 * A refused TLS handshake is a security event: one `TLS handshake failed` line per failure, naming
 * the listener, who tried (address, port) and why; `onFailure` then sees it too (a metric).
 *
 * A client certificate that fails verification (expired, unknown CA) makes Node destroy the socket
 * first and then report a bare ECONNRESET "socket hang up": the verdict is in
 * `authorizationError`, and the destroyed socket no longer knows its peer, so the address is
 * taken when the TCP connection arrives (the TLS socket's `_parent` is that connection).
 */
export function logTlsHandshakeFailures(server: Http2SecureServer, listener: string, logger: Logger, onFailure?: (failure: TlsHandshakeFailure) => void): void {
  const clients = new WeakMap<Socket, { address?: string; port?: number }>();
  server.on('connection', (raw: Socket) => clients.set(raw, { address: raw.remoteAddress, port: raw.remotePort }));
  server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    const client = (raw && clients.get(raw)) ?? {};
    const verdict: unknown = socket.authorizationError;
    const certificateError = typeof verdict === 'string' ? verdict : verdict instanceof Error ? verdict.message : undefined;
    const remoteAddress = socket.remoteAddress ?? client.address;
    onFailure?.({ certificateError, error, remoteAddress });
    logger.warn(
      {
        listener,
        remoteAddress,
        remotePort: socket.remotePort ?? client.port,
        reason: certificateError ?? error.code ?? 'UNKNOWN',
        error: certificateError ? `client certificate refused: ${certificateError}` : error.message,
      },
      'TLS handshake failed',
    );
  });
}
