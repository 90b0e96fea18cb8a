import type { SeppLogger } from '../logging/logger';
import type { SeppMetrics } from '../metrics/sepp-metrics';
import type { Refusal } from '../status/refusal-log';

/**
 * What a peer did that made us close its connection, reset its stream or refuse its request
 * (the `kind` label of `sepp_abuse_events_total`; a fixed list, so the label stays bounded).
 */
export type AbuseKind =
  /** RST_STREAM over `limits.streamResetBurst`/`streamResetRate` (rapid reset). */
  | 'rst-flood'
  /** SETTINGS frames over `limits.controlFrameBurst`/`controlFrameRate`. */
  | 'settings-flood'
  /** PING frames over `limits.controlFrameBurst`/`controlFrameRate`. */
  | 'ping-flood'
  /** nghttp2 closed the session: too many invalid frames (`limits.maxSessionInvalidFrames`). */
  | 'invalid-frames'
  /** nghttp2 closed the session for flooding (e.g. frames we must answer, never read). */
  | 'flood'
  /** Any other HTTP/2 protocol error that ended the session. */
  | 'session-error'
  /** Node could not send a frame on the session and closed it. */
  | 'frame-error'
  /** A new connection past `limits.maxConnections` on the listener or `limits.maxConnectionsPerAddress` from its address. */
  | 'connection-limit'
  /** A new connection from an address past `limits.connectionRatePerAddress`/`connectionRateBurst`. */
  | 'connection-rate-limited'
  /** No TLS handshake within `limits.handshakeTimeoutMs`. */
  | 'tls-handshake-timeout'
  /** Bytes, but no complete frame and no PING ACK, for `limits.headersTimeoutMs` twice. */
  | 'slow-headers'
  /** Nothing at all, not even a PING ACK, for `limits.headersTimeoutMs` twice. */
  | 'unresponsive'
  /** A request body without progress for `limits.streamIdleMs`. */
  | 'stream-idle'
  /** An answer the peer stopped reading for `limits.streamIdleMs`. */
  | 'slow-read'
  /** An N32-f request over `limits.rateLimitPerPeer`/`rateLimitBurst`. */
  | 'rate-limited'
  /** An N32-c request over `limits.n32cRateLimitPerPeer`/`n32cRateLimitBurst`. */
  | 'n32c-rate-limited';

export interface AbuseEvent {
  readonly listener: string;
  readonly kind: AbuseKind;
  /** What we did about it. */
  readonly action: 'connection closed' | 'stream reset' | 'request refused';
  readonly remoteAddress?: string | undefined;
  readonly remotePort?: number | undefined;
  /** The peer SEPP (or the client certificate's first name) when known. */
  readonly peer?: string | null | undefined;
  readonly detail?: string;
}

/**
 * Records one abuse event: one warn line (`"msg":"abuse"`, listener, remote address, peer, kind,
 * action), `sepp_abuse_events_total{listener,kind}` + 1, and an entry of the status page's refusal
 * list. `count` > 1 records several events of one peer in one line (the rate limiter aggregates
 * its refusals: it counts each with `log` false, and logs them together).
 */
export function recordAbuse(runtime: { readonly logger: SeppLogger; readonly metrics: SeppMetrics }, event: AbuseEvent, count = 1, log = true): void {
  runtime.metrics.abuse.inc({ listener: event.listener, kind: event.kind }, count);
  if (!log) return;
  runtime.metrics.refuse(abuseRefusal(event), count);
  runtime.logger.warn(
    {
      listener: event.listener,
      kind: event.kind,
      action: event.action,
      remoteAddress: event.remoteAddress,
      remotePort: event.remotePort,
      peer: event.peer ?? undefined,
      ...(event.detail ? { detail: event.detail } : {}),
      ...(count !== 1 ? { count } : {}),
    },
    'abuse',
  );
}

/**
 * Logs refusals counted one by one with `recordAbuse(..., false)` (rate limits, connection bounds:
 * their `OnceASecond` calls it): `refused` entries of the refusal list, and one warn line
 * (`"msg":"abuse"`) with the event, `refused` and `fields` (the limits that refused them).
 */
export function logAbuseRefusals(runtime: { readonly logger: SeppLogger; readonly metrics: SeppMetrics }, event: AbuseEvent, refused: number, fields: Readonly<Record<string, unknown>>): void {
  runtime.metrics.refuse(abuseRefusal(event), refused);
  const { listener, kind, action, peer, remoteAddress, detail } = event;
  runtime.logger.warn({ listener, kind, action, ...(peer ? { peer } : {}), remoteAddress, refused, ...fields, ...(detail ? { detail } : {}) }, 'abuse');
}

/** The kinds the refusal list files as rate limiting rather than abuse. */
const RATE_LIMIT_KINDS: ReadonlySet<AbuseKind> = new Set<AbuseKind>(['rate-limited', 'n32c-rate-limited', 'connection-rate-limited']);

/** How an abuse event reads in the refusal list. */
export function abuseRefusal(event: AbuseEvent): Refusal {
  return {
    category: RATE_LIMIT_KINDS.has(event.kind) ? 'rate-limit' : 'abuse',
    cause: event.kind,
    peer: event.peer,
    listener: event.listener,
    remoteAddress: event.remoteAddress,
    detail: event.detail ?? event.action,
  };
}
