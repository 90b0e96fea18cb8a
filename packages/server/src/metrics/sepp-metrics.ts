import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PEER_N32_STATES, type PeerN32State } from '@sepp/protocol';
import type { PeerChange, PeerRegistry } from '../peers/peer-registry.service';

/** Why a TLS handshake failed, in the few classes operators alert on. */
export type TlsFailureReason = 'no_certificate' | 'unknown_ca' | 'expired' | 'not_yet_valid' | 'san_mismatch' | 'protocol_version' | 'alpn' | 'timeout' | 'trust_anchor' | 'other';

/** Maps Node/OpenSSL error codes and certificate verdicts to a {@link TlsFailureReason}. */
export function classifyTlsFailure(code: string | undefined, message = ''): TlsFailureReason {
  const text = `${code ?? ''} ${message}`.toUpperCase();
  // Not OpenSSL's: the per-PLMN trust anchor check after the handshake (tls/trust-anchors.ts).
  if (code === 'TRUST_ANCHOR') return 'trust_anchor';
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(text)) return 'no_certificate';
  if (/CERT_HAS_EXPIRED/.test(text)) return 'expired';
  if (/CERT_NOT_YET_VALID/.test(text)) return 'not_yet_valid';
  if (/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT|CERT_SIGNATURE_FAILURE|UNKNOWN_CA|CERT_UNTRUSTED/.test(text)) return 'unknown_ca';
  if (/ERR_TLS_CERT_ALTNAME_INVALID|HOSTNAME|ALTNAME/.test(text)) return 'san_mismatch';
  if (/UNSUPPORTED_PROTOCOL|VERSION_TOO_LOW|NO_PROTOCOLS_AVAILABLE|PROTOCOL_VERSION|WRONG_VERSION/.test(text)) return 'protocol_version';
  if (/NO_APPLICATION_PROTOCOL|ALPN|NO_APP_PROTO/.test(text)) return 'alpn';
  if (/TIMEOUT|ETIMEDOUT/.test(text)) return 'timeout';
  return 'other';
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The SEPP's Prometheus metrics (GET /metrics on the admin listener). One registry per process;
 * names are `sepp_*`, labels are bounded (peer FQDNs come from configuration or certificates that
 * passed TLS, states and outcomes from fixed lists).
 */
export class SeppMetrics {
  readonly registry = new Registry();

  readonly negotiations = new Counter({
    name: 'sepp_n32c_negotiations_total',
    help: 'N32-c security capability negotiations by peer and outcome (TLS, PRINS, or the failure reason)',
    labelNames: ['peer', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly peerState = new Gauge({
    name: 'sepp_peer_state',
    help: 'N32 state per peer: 1 for the current state, 0 for the others',
    labelNames: ['peer', 'state'] as const,
    registers: [this.registry],
  });

  readonly tlsHandshakeFailures = new Counter({
    name: 'sepp_tls_handshake_failures_total',
    help: 'Failed TLS handshakes on N32 by side (listener name or "client") and reason',
    labelNames: ['side', 'reason'] as const,
    registers: [this.registry],
  });

  readonly n32cRequests = new Histogram({
    name: 'sepp_n32c_request_duration_seconds',
    help: 'N32-c requests (sent and received) by operation, direction and HTTP status',
    labelNames: ['operation', 'direction', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly n32fRequests = new Histogram({
    name: 'sepp_n32f_request_duration_seconds',
    help: 'N32-f requests by mechanism (TLS, PRINS), direction (outbound: from our NFs; inbound: from the peer) and status answered',
    labelNames: ['mechanism', 'direction', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  readonly prinsFailures = new Counter({
    name: 'sepp_prins_verification_failures_total',
    help: 'Protected N32-f messages refused, by N32fErrorType and by who refused (we, or the peer reporting with n32f-error)',
    labelNames: ['type', 'detected_by'] as const,
    registers: [this.registry],
  });

  readonly abuse = new Counter({
    name: 'sepp_abuse_events_total',
    help: 'Connections closed or requests refused for abuse (floods, slow peers, rate and size limits) by listener and kind',
    labelNames: ['listener', 'kind'] as const,
    registers: [this.registry],
  });

  /** Called when /metrics is read: border protection counts on the forwarding path in plain numbers and hands them over here. */
  private readonly borderCollectors: ((counter: Counter<'category' | 'peer' | 'direction' | 'outcome'>) => void)[] = [];

  readonly borderChecks: Counter<'category' | 'peer' | 'direction' | 'outcome'> = new Counter({
    name: 'sepp_border_checks_total',
    help: 'N32-f messages seen by each border protection category, by peer, direction (outbound: leaving our PLMN) and outcome (passed, rewritten, refused, dry-run)',
    labelNames: ['category', 'peer', 'direction', 'outcome'] as const,
    registers: [this.registry],
    collect: () => {
      for (const collect of this.borderCollectors) collect(this.borderChecks);
    },
  });

  readonly http2Sessions = new Gauge({
    name: 'sepp_http2_sessions',
    help: 'Open HTTP/2 sessions per listener',
    labelNames: ['listener'] as const,
    registers: [this.registry],
  });

  /** Where each listener's open-stream count is read when the gauge is scraped. */
  private readonly streamCounts = new Map<string, () => number>();

  readonly http2Streams = new Gauge({
    name: 'sepp_http2_streams',
    help: 'Open HTTP/2 streams per listener',
    labelNames: ['listener'] as const,
    registers: [this.registry],
    // Read at scrape time rather than counted per stream: nothing per request on the hot path.
    collect: () => {
      for (const [listener, count] of this.streamCounts) this.http2Streams.set({ listener }, count());
    },
  });

  /** The open streams of a listener, counted by its guard (limits/protect-listener.ts). */
  countStreams(listener: string, count: () => number): void {
    this.streamCounts.set(listener, count);
  }

  constructor(role: string) {
    this.registry.setDefaultLabels({ app: `sepp-${role}` });
    collectDefaultMetrics({ register: this.registry, prefix: 'sepp_' });
  }

  /** Registers a source of `sepp_border_checks_total` counts, drained into the counter at each scrape. */
  collectBorderChecks(collect: (counter: Counter<'category' | 'peer' | 'direction' | 'outcome'>) => void): void {
    this.borderCollectors.push(collect);
  }

  /** Negotiation outcomes and the state gauge follow the peer registry. */
  followPeers(peers: PeerRegistry): void {
    const set = (peer: string, current: PeerN32State): void => {
      for (const state of PEER_N32_STATES) this.peerState.set({ peer, state }, state === current ? 1 : 0);
    };
    for (const record of peers.list()) set(record.fqdn, record.status.state);
    peers.on('change', ({ after, event }: PeerChange) => {
      set(after.fqdn, after.status.state);
      if (event.type === 'MECHANISM_SELECTED') this.negotiations.inc({ peer: after.fqdn, outcome: event.mechanism });
      else if (event.type === 'NEGOTIATION_FAILED') this.negotiations.inc({ peer: after.fqdn, outcome: event.reason });
    });
  }

  /** Records one N32-f request that started at `startedAt` (`process.hrtime.bigint()`). */
  observeN32f(mechanism: 'TLS' | 'PRINS' | 'none', direction: 'outbound' | 'inbound', status: number | string, startedAt: bigint): void {
    this.n32fRequests.observe({ mechanism, direction, status: String(status) }, Number(process.hrtime.bigint() - startedAt) / 1e9);
  }

  /** Times one request; call the returned function with its status when it is over. */
  startTimer<L extends string>(histogram: Histogram<L>, labels: Partial<Record<L, string>>): (status: number | string) => void {
    const end = histogram.startTimer(labels);
    return (status) => end({ status: String(status) } as Partial<Record<L, string>>);
  }
}
