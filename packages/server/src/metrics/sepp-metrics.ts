import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PEER_N32_STATES, type PeerN32State } from '@sepp/protocol';
import type { SeppConfig } from '../config/sepp-config';
import type { PeerChange, PeerRegistry } from '../peers/peer-registry.service';
import type { ListenerLoadView } from '../status/listener-load';
import type { CertificatesStatusView } from '../status/certificates-view';
import { N32fTraffic, UNIDENTIFIED, type TrafficDirection } from '../status/n32f-traffic';
import { RefusalLog, type Refusal } from '../status/refusal-log';
import type { N32StateStore } from '../state/state-store';
import { certificateExpiries } from './certificate-expiry';
import { PROCESS_WARNING_KINDS } from '../logging/process-warnings';

/** Why a TLS handshake failed, in the few classes operators alert on. */
export type TlsFailureReason =
  | 'no_certificate'
  | 'unknown_ca'
  | 'expired'
  | 'not_yet_valid'
  | 'revoked'
  | 'crl'
  | 'san_mismatch'
  | 'protocol_version'
  | 'alpn'
  | 'timeout'
  | 'trust_anchor'
  | 'other';

/** Maps Node/OpenSSL error codes and certificate verdicts to a {@link TlsFailureReason}. */
export function classifyTlsFailure(code: string | undefined, message = ''): TlsFailureReason {
  const text = `${code ?? ''} ${message}`.toUpperCase();
  // Not OpenSSL's: the per-PLMN trust anchor check after the handshake (tls/trust-anchors.ts).
  if (code === 'TRUST_ANCHOR') return 'trust_anchor';
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(text)) return 'no_certificate';
  // `tls.crl`: a certificate its issuer's CRL lists; an issuer without a current CRL (none, stale, badly signed).
  if (/CERT_REVOKED|CERTIFICATE REVOKED/.test(text)) return 'revoked';
  if (/CRL/.test(text)) return 'crl';
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
const LATENCY_QUANTILES = [0.5, 0.99] as const;

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

  /** Live N32-f figures per peer (the status page; the two per-peer metrics below are read from it at scrape time). */
  readonly traffic = new N32fTraffic();
  /** The refusals of the last minutes (the status page). */
  readonly refusals = new RefusalLog();

  readonly refused = new Counter({
    name: 'sepp_refusals_total',
    help: 'Refusals by category (certificate, bad-input, tamper, rate-limit, abuse, unavailable) and cause, as the status page lists them',
    labelNames: ['category', 'cause'] as const,
    registers: [this.registry],
  });

  readonly overloadPriorityAdmitted = new Counter({
    name: 'sepp_overload_priority_admitted_total',
    help: 'Requests taken past limits.maxRequestsInFlight into limits.priorityReserve (N32-c, or a 3gpp-Sbi-Message-Priority of limits.priorityReserveUpTo or higher), per listener',
    labelNames: ['listener'] as const,
    registers: [this.registry],
  });

  readonly overloadOciAnswers = new Counter({
    name: 'sepp_overload_oci_answers_total',
    help: 'Answers that carried the SEPP\'s 3gpp-Sbi-Oci (TS 29.500 6.4) because the listener had more than limits.ociFromPercent of limits.maxRequestsInFlight in flight (refusals not counted), per listener',
    labelNames: ['listener'] as const,
    registers: [this.registry],
  });

  readonly peerRequests: Counter<'peer' | 'direction' | 'outcome' | 'cause'>;
  readonly peerLatency: Gauge<'peer' | 'direction' | 'quantile'>;
  readonly peerInFlight: Gauge<'peer' | 'direction'>;

  readonly certificateExpiry = new Gauge({
    name: 'sepp_tls_certificate_expiry_timestamp_seconds',
    help: 'notAfter (seconds since the epoch) of each certificate of the configuration, by usage (n32, n32f, sbi, admin, ca, ipx-signing) and subject',
    labelNames: ['usage', 'subject'] as const,
    registers: [this.registry],
  });

  readonly processWarnings = new Counter({
    name: 'sepp_process_warnings_total',
    help: "Node.js process warnings by name (MaxListenersExceededWarning, DeprecationWarning, ...; a library's own: other), each also logged; every name from 0",
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  readonly crlNextUpdate = new Gauge({
    name: 'sepp_tls_crl_next_update_timestamp_seconds',
    help: 'nextUpdate (seconds since the epoch) of each CRL of tls.crl, by issuer: past it TLS refuses every certificate of that issuer',
    labelNames: ['issuer'] as const,
    registers: [this.registry],
  });

  private certificates: CertificatesStatusView = { certificates: [], crls: [] };

  /** The N32 state store `followStateStore` reads at each scrape. */
  private stateStore: N32StateStore | null = null;

  readonly stateStoreUp = new Gauge({
    name: 'sepp_state_store_up',
    help: 'The N32 state store (store: memory or redis) answers: 1, or 0 while the SEPP goes on from what it holds (new PRINS contexts wait)',
    labelNames: ['store'] as const,
    registers: [this.registry],
    collect: () => {
      const health = this.stateStore?.health();
      this.stateStoreUp.reset();
      if (health) this.stateStoreUp.set({ store: health.name }, health.up ? 1 : 0);
    },
  });

  readonly stateStoreFailures = new Counter({
    name: 'sepp_state_store_failures_total',
    help: 'Commands the shared N32 state store did not answer, by operation (receive: a replay check that fell back on this replica alone)',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  /** Commands the state store did not answer since start (the status page's figure). */
  stateStoreFailureCount = 0;

  /** `sepp_state_store_up` and `sepp_state_store_failures_total` follow the store. */
  followStateStore(store: N32StateStore): void {
    this.stateStore = store;
    store.on('failed', (operation) => {
      this.stateStoreFailures.inc({ operation });
      this.stateStoreFailureCount += 1;
    });
  }

  /** Where each listener's load against its overload bound is read (the status page). */
  private readonly loads = new Map<string, () => ListenerLoadView>();

  /** A listener's load against its overload bound (limits/requests-in-flight.ts). */
  followLoad(listener: string, view: () => ListenerLoadView): void {
    this.loads.set(listener, view);
  }

  /** Every bounded listener's load, now. */
  loadView(): Record<string, ListenerLoadView> {
    const out: Record<string, ListenerLoadView> = {};
    for (const [listener, view] of this.loads) out[listener] = view();
    return out;
  }

  /** The open streams of a listener, counted by its guard (limits/protect-listener.ts). */
  countStreams(listener: string, count: () => number): void {
    this.streamCounts.set(listener, count);
  }

  /** `app` labels every series (`sepp-<role>` for a SEPP). */
  constructor(role: string, app = `sepp-${role}`) {
    const traffic = this.traffic;
    const peerLabel = (peer: string): string => (peer === UNIDENTIFIED ? 'unidentified' : peer);
    this.peerRequests = new Counter({
      name: 'sepp_n32f_peer_requests_total',
      help: 'N32-f requests per peer and direction by outcome (answered: the far end answered; refused: we answered with a problem, by cause; abandoned)',
      labelNames: ['peer', 'direction', 'outcome', 'cause'] as const,
      registers: [this.registry],
      collect(this: Counter<'peer' | 'direction' | 'outcome' | 'cause'>) {
        this.reset();
        for (const totals of traffic.totals()) {
          const base = { peer: peerLabel(totals.peer), direction: totals.direction };
          this.inc({ ...base, outcome: 'answered', cause: '' }, totals.answered);
          this.inc({ ...base, outcome: 'abandoned', cause: '' }, totals.abandoned);
          for (const [cause, count] of totals.refused) this.inc({ ...base, outcome: 'refused', cause }, count);
        }
      },
    });
    this.peerLatency = new Gauge({
      name: 'sepp_n32f_peer_latency_seconds',
      help: 'Latency of the N32-f requests answered in the last 60 s per peer and direction, p50 and p99 (quantile label)',
      labelNames: ['peer', 'direction', 'quantile'] as const,
      registers: [this.registry],
      collect(this: Gauge<'peer' | 'direction' | 'quantile'>) {
        this.reset();
        for (const { peer, direction, seconds } of traffic.latency(LATENCY_QUANTILES)) {
          LATENCY_QUANTILES.forEach((q, index) => this.set({ peer: peerLabel(peer), direction, quantile: String(q) }, seconds[index]!));
        }
      },
    });
    this.peerInFlight = new Gauge({
      name: 'sepp_n32f_peer_in_flight',
      help: 'N32-f requests in flight per peer and direction now (the n32f.maxConcurrentPerPeer count: outbound at the initiator, inbound at the responder)',
      labelNames: ['peer', 'direction'] as const,
      registers: [this.registry],
      collect(this: Gauge<'peer' | 'direction'>) {
        this.reset();
        for (const direction of ['inbound', 'outbound'] as const) {
          for (const [peer, count] of traffic.inFlight(direction) ?? []) this.set({ peer: peerLabel(peer), direction }, count);
        }
      },
    });
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry, prefix: 'sepp_' });
    // Every series from 0, so that `increase()` sees the first warning of a kind (a series born at 1 has none).
    for (const name of PROCESS_WARNING_KINDS) this.processWarnings.inc({ name }, 0);
  }

  /** Registers a source of `sepp_border_checks_total` counts, drained into the counter at each scrape. */
  collectBorderChecks(collect: (counter: Counter<'category' | 'peer' | 'direction' | 'outcome'>) => void): void {
    this.borderCollectors.push(collect);
  }

  /** Negotiation outcomes and the state gauge follow the peer registry. */
  followPeers(peers: PeerRegistry): void {
    // The state each peer's series show: a change sets the two series that move (a gauge set hashes its labels).
    const shown = new Map<string, PeerN32State>();
    const set = (peer: string, current: PeerN32State): void => {
      const before = shown.get(peer);
      if (before === current) return;
      if (before === undefined) {
        for (const state of PEER_N32_STATES) this.peerState.set({ peer, state }, state === current ? 1 : 0);
      } else {
        this.peerState.set({ peer, state: before }, 0);
        this.peerState.set({ peer, state: current }, 1);
      }
      shown.set(peer, current);
    };
    for (const record of peers.list()) set(record.fqdn, record.status.state);
    peers.on('change', ({ after, event }: PeerChange) => {
      set(after.fqdn, after.status.state);
      if (event.type === 'MECHANISM_SELECTED') this.negotiations.inc({ peer: after.fqdn, outcome: event.mechanism });
      else if (event.type === 'NEGOTIATION_FAILED') this.negotiations.inc({ peer: after.fqdn, outcome: event.reason });
    });
  }

  /**
   * Records one N32-f request that started at `startedAt` (`process.hrtime.bigint()`): the histogram,
   * and the peer's live figures. `refusedFor`: the cause when we answered it ourselves (a refusal or
   * a failure of ours), undefined when the far end's answer was relayed. O(1), no allocation once
   * the peer's series exist.
   */
  observeN32f(
    mechanism: 'TLS' | 'PRINS' | 'none',
    direction: TrafficDirection,
    status: number | string,
    startedAt: bigint,
    peer?: string,
    refusedFor?: string,
  ): void {
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    this.n32fRequests.observe({ mechanism, direction, status: String(status) }, seconds);
    this.traffic.record(peer, direction, refusedFor !== undefined ? 'refused' : status === 'abandoned' ? 'abandoned' : 'answered', refusedFor, seconds * 1000);
  }

  /** One refusal (or `count` alike) for the status page's list and `sepp_refusals_total`. */
  refuse(refusal: Refusal, count = 1): void {
    this.refused.inc({ category: refusal.category, cause: refusal.cause }, count);
    this.refusals.record(refusal, count);
  }

  /** A failed TLS handshake: `sepp_tls_handshake_failures_total` and a certificate refusal. */
  tlsHandshakeFailed(side: string, reason: TlsFailureReason, where: { remoteAddress?: string | undefined; peer?: string | undefined; detail?: string | undefined } = {}): void {
    this.tlsHandshakeFailures.inc({ side, reason });
    this.refuse({ category: 'certificate', cause: reason, listener: side, ...where });
  }

  /** A protected N32-f message refused (by us, or by the peer that reported it): the counter and a tamper refusal. */
  prinsRefused(type: string, detectedBy: 'us' | 'peer', peer: string | undefined, detail?: string): void {
    this.prinsFailures.inc({ type, detected_by: detectedBy });
    this.refuse({ category: 'tamper', cause: type, peer, detail: detectedBy === 'peer' ? `reported by the peer${detail ? `: ${detail}` : ''}` : detail });
  }

  /** The notAfter of every certificate of the configuration and the nextUpdate of every CRL; call again after a reload. */
  followCertificates(config: SeppConfig): void {
    const certificates = certificateExpiries(config);
    this.certificateExpiry.reset();
    for (const { usage, subject, notAfter } of certificates) this.certificateExpiry.set({ usage, subject }, notAfter);
    this.crlNextUpdate.reset();
    for (const { issuer, nextUpdate } of config.tls.crls) if (nextUpdate) this.crlNextUpdate.set({ issuer }, nextUpdate.getTime() / 1000);
    this.certificates = {
      certificates: [...certificates].sort((a, b) => a.notAfter - b.notAfter).map(({ usage, subject, notAfter }) => ({ usage, subject, notAfter: new Date(notAfter * 1000).toISOString() })),
      crls: config.tls.crls.map(({ issuer, nextUpdate }) => ({ issuer, nextUpdate: nextUpdate ? nextUpdate.toISOString() : null })),
    };
  }

  /** What `followCertificates` last read, soonest to expire first (the status page). */
  certificatesView(): CertificatesStatusView {
    return this.certificates;
  }

  /** Times one request; call the returned function with its status when it is over. */
  startTimer<L extends string>(histogram: Histogram<L>, labels: Partial<Record<L, string>>): (status: number | string) => void {
    const end = histogram.startTimer(labels);
    return (status) => end({ status: String(status) } as Partial<Record<L, string>>);
  }
}
