import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Inject, Injectable } from '@nestjs/common';
import { endToEndHeaders, formatApiRoot, N32Error, N32ErrorCode, routeNfRequest, SBI_HEADERS, telescopicLabelOf, type N32fContext, type NfRoute } from '@sepp/protocol';
import {
  BORDER_REFUSAL,
  BorderService,
  ConfigService,
  forwardStream,
  guardedForward,
  PeerInFlight,
  perPeerBound,
  ProblemException,
  refusalOfError,
  respondWithProblem,
  SEPP_LOGGER,
  SeppMetrics,
  splitPath,
  toProblem,
  type ForwardOptions,
  type ForwardOutcome,
  type N32Connection,
  type NegotiationDetails,
  type SeppLogger,
} from '@sepp/server';
import { NegotiatorService } from '../n32c/negotiator.service';
import type { N32fTransport } from '../n32c/peer-link';
import { forwardTimeoutMs } from './forward-timeout';
import { PrinsSenderService } from './prins-sender.service';
import { TelescopicService } from './telescopic.service';

const MAPPING_API = '/nsepp-telescopic/';
/** Routes remembered per (target, authority, scheme); cleared on reload and when full. */
const ROUTE_CACHE_SIZE = 4_096;

type Transport = { readonly connection: N32Connection; readonly negotiation: NegotiationDetails | null };

/**
 * The cSEPP's NF-facing forwarding (N32-f in TLS mode, TS 33.501 13.1.1.2): an NF request
 * addressed by `3gpp-Sbi-Target-apiRoot` or by a telescopic FQDN is routed to the peer SEPP of the
 * target PLMN and relayed on the N32 connection negotiated with it, as its own HTTP/2 stream:
 * same method, path, query, body and end-to-end headers, `:authority` = the peer SEPP,
 * `3gpp-Sbi-Target-apiRoot` unchanged. The answer streams back unchanged. Every request ends with
 * the peer's answer or one problem+json of ours, never silence.
 */
@Injectable()
export class SbiForwarderService {
  private readonly routes = new Map<string, NfRoute>();
  /** NF requests in flight toward each peer (`n32f.maxConcurrentPerPeer`). */
  private readonly inFlight = new PeerInFlight();

  constructor(
    private readonly config: ConfigService,
    private readonly negotiator: NegotiatorService,
    private readonly telescopic: TelescopicService,
    private readonly prins: PrinsSenderService,
    private readonly metrics: SeppMetrics,
    private readonly border: BorderService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    config.on('reload', () => this.routes.clear());
    metrics.traffic.followInFlight('outbound', () => this.inFlight.counts);
  }

  /** The SBI listener's fast path: every stream except the mapping API's. */
  readonly handle = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean => {
    const path = headers[':path'];
    if (path?.startsWith(MAPPING_API)) return false;
    const startedAt = process.hrtime.bigint();
    let route: NfRoute | undefined;
    try {
      try {
        route = this.route(headers);
      } catch (error) {
        if (!(error instanceof N32Error) || error.code !== N32ErrorCode.UNKNOWN_TELESCOPIC_LABEL) throw error;
        // An opaque label another replica handed out (or one from before a restart): ask the store.
        void this.routeByStoredLabel(stream, headers, error, startedAt);
        return true;
      }
      const routed = route;
      const link = this.negotiator.link(routed.peer);
      if (!link) throw new N32Error(N32ErrorCode.NO_PEER_FOR_PLMN, `no link to ${routed.peer}`);
      this.holdSlot(stream, headers, routed.peer);
      const ready = link.readyTransport();
      if (ready) {
        this.relay(stream, headers, routed, ready, startedAt);
      } else {
        // No agreed mechanism yet: negotiate (bounded wait), then relay if the NF is still there.
        link
          .n32fTransport(this.config.current.n32f.establishTimeoutMs)
          .then((transport) => (stream.destroyed ? undefined : this.dispatch(stream, headers, routed, transport, startedAt)))
          .catch((error: unknown) => this.refuse(stream, headers, error, startedAt, routed.peer));
      }
    } catch (error) {
      this.refuse(stream, headers, error, startedAt, route?.peer);
    }
    return true;
  };

  /**
   * `n32f.maxConcurrentPerPeer` toward one peer (a bulkhead): a peer that answers slowly holds at
   * most that many of the listener's requests in flight, and the NFs' traffic toward every other
   * peer goes on (a priority request may go `limits.priorityReserve` beyond: `perPeerBound`). Past
   * it the NF gets 429 NF_CONGESTION_RISK with retry-after at once (thrown);
   * the count drops when the NF's stream closes, however it ends.
   */
  private holdSlot(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, peer: string): void {
    if (stream.closed) return;
    const config = this.config.current;
    const max = perPeerBound(config.n32f.maxConcurrentPerPeer, headers, config.limits);
    if (!this.inFlight.tryTake(peer, max)) throw new N32Error(N32ErrorCode.PEER_CONCURRENCY_EXCEEDED, `${this.inFlight.count(peer)} NF requests in flight toward ${peer} (limit ${max})`);
    stream.once('close', () => this.inFlight.release(peer));
  }

  private async routeByStoredLabel(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, unknown: N32Error, startedAt: bigint): Promise<void> {
    const host = String(headers[':authority'] ?? '').replace(/:\d+$/, '');
    const label = telescopicLabelOf(host, this.config.current.sepp.fqdn);
    let fqdn: string | null;
    try {
      fqdn = label ? await this.telescopic.resolve(label) : null;
    } catch (error) {
      this.refuse(stream, headers, error, startedAt, undefined); // the store did not answer: 503
      return;
    }
    if (!fqdn) {
      this.refuse(stream, headers, unknown, startedAt, undefined);
      return;
    }
    if (!stream.destroyed) this.handle(stream, headers);
  }

  private route(headers: IncomingHttpHeaders): NfRoute {
    const target = headers[SBI_HEADERS.targetApiRoot];
    const authority = headers[':authority'] ?? '';
    const scheme = headers[':scheme'] === 'https' ? 'https' : 'http';
    const key = `${String(target)}\n${authority}\n${scheme}`;
    const cached = this.routes.get(key);
    if (cached) return cached;
    const config = this.config.current;
    const route = routeNfRequest(
      { targetApiRoot: typeof target === 'string' ? target : undefined, authority, scheme },
      { seppFqdn: config.sepp.fqdn, ownPlmns: config.sepp.plmns, peers: config.n32.peers, telescopic: this.telescopic.table },
    );
    if (this.routes.size >= ROUTE_CACHE_SIZE) this.routes.clear();
    this.routes.set(key, route);
    return route;
  }

  private async dispatch(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, route: NfRoute, transport: N32fTransport, startedAt: bigint): Promise<void> {
    if (transport.mechanism === 'TLS') {
      this.relay(stream, headers, route, transport, startedAt);
      return;
    }
    try {
      const renew = async (spent: N32fContext): Promise<{ connection: N32Connection; context: N32fContext }> => {
        const next = await this.negotiator.link(route.peer)!.renewedPrinsTransport(spent, this.config.current.n32f.establishTimeoutMs);
        return { connection: next.connection, context: next.context };
      };
      const refresh = async (): Promise<{ connection: N32Connection; context: N32fContext }> => {
        const next = await this.negotiator.link(route.peer)!.n32fTransport(this.config.current.n32f.establishTimeoutMs);
        if (next.mechanism !== 'PRINS') throw new N32Error(N32ErrorCode.N32_NOT_ESTABLISHED, `${route.peer} no longer has PRINS agreed`);
        return { connection: next.connection, context: next.context };
      };
      const status = await this.prins.forward(stream, headers, route, transport, renew, refresh);
      this.metrics.observeN32f('PRINS', 'outbound', status, startedAt, route.peer);
    } catch (error) {
      this.refuse(stream, headers, error, startedAt, route.peer, 'PRINS');
    }
  }

  private relay(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, route: NfRoute, { connection, negotiation }: Transport, startedAt: bigint): void {
    if (negotiation?.targetApiRootSupported !== true) {
      this.refuse(
        stream,
        headers,
        new N32Error(N32ErrorCode.N32F_MECHANISM_UNAVAILABLE, `${route.peer} did not declare 3GppSbiTargetApiRootSupported: TLS-mode forwarding needs the header on both sides`),
        startedAt,
        route.peer,
        'TLS',
      );
      return;
    }
    const config = this.config.current;
    const out: OutgoingHttpHeaders = endToEndHeaders(headers);
    out[':method'] = headers[':method'];
    out[':path'] = headers[':path'];
    out[':scheme'] = 'https';
    out[':authority'] = connection.authority;
    if (route.via === 'telescopic') out[SBI_HEADERS.targetApiRoot] = formatApiRoot(route.target);
    const options: ForwardOptions = {
      timeoutMs: forwardTimeoutMs(headers, config.n32f.requestTimeoutMs),
      bodyLimit: config.n32f.bodyLimit,
      upstreamFailure: N32ErrorCode.N32_CONNECTION_LOST,
      // A request the peer did not process (a replica of the peer stopping refuses the streams that
      // crossed its GOAWAY) goes out again on the connection the link has, or negotiates, now.
      reroute: async () => {
        const next = await this.negotiator.link(route.peer)!.n32fTransport(this.config.current.n32f.establishTimeoutMs);
        if (next.mechanism !== 'TLS') throw new N32Error(N32ErrorCode.N32_NOT_ESTABLISHED, `${route.peer} no longer has TLS agreed`);
        return next.connection.session;
      },
      onDone: (outcome: ForwardOutcome) => {
        this.metrics.observeN32f('TLS', 'outbound', outcome.kind === 'abandoned' ? 'abandoned' : outcome.status, startedAt, route.peer, outcome.kind === 'refused' ? outcome.code : undefined);
        // (A border rule's refusal is logged by the border as a `border refusal`.)
        if (outcome.kind === 'refused' && outcome.code !== BORDER_REFUSAL) this.logRefusal(stream, headers, outcome);
        else if (outcome.kind === 'abandoned' && outcome.by === 'upstream') this.logger.warn({ peer: route.peer, path: headers[':path'], detail: outcome.detail }, 'N32-f answer broke off: NF stream reset');
      },
    };
    // Border protection (TS 33.501 5.9.3.2): only toward peers it applies to; the others stream as before.
    const gate = this.border.gate(route.peer, 'cSEPP');
    if (!gate) {
      forwardStream(stream, connection.session, out, options);
      return;
    }
    const { path, query } = splitPath(String(headers[':path']));
    const target = out[SBI_HEADERS.targetApiRoot];
    guardedForward({
      stream,
      gate,
      request: { method: String(headers[':method']), path, query, target: typeof target === 'string' ? target : undefined, contentType: headers['content-type'] },
      out,
      upstream: () => connection.session,
      options,
    });
  }

  private refuse(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, error: unknown, startedAt: bigint, peer: string | undefined, mechanism: 'TLS' | 'PRINS' | 'none' = 'none'): void {
    const bodyLimit = this.config.current.n32f.bodyLimit;
    const status = respondWithProblem(stream, error, bodyLimit);
    const { category, cause, detail } = refusalOfError(error, toProblem(error, bodyLimit));
    this.metrics.observeN32f(mechanism, 'outbound', status, startedAt, peer, cause);
    // A border refusal (ProblemException) is listed by the border gate itself, with its rule.
    if (!(error instanceof ProblemException)) this.metrics.refuse({ category, cause, peer, listener: 'sbi', remoteAddress: stream.session?.socket?.remoteAddress, detail });
    if (error instanceof N32Error) this.logRefusal(stream, headers, { status, code: error.code, cause: error.cause, detail: error.detail });
    else if (error instanceof ProblemException) this.logger.debug({ status, cause: error.problem.cause }, 'NF request refused (border protection, logged as border refusal)');
    else this.logger.error({ err: error, path: headers[':path'] }, 'N32-f forwarding failed');
  }

  /** One line per NF request we answered with a problem of ours: info for a refused request, warn for a failure (5xx). */
  private logRefusal(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, refusal: { status: number; code: string; cause: string; detail: string }): void {
    const { status, code, cause, detail } = refusal;
    this.logger[status >= 500 ? 'warn' : 'info']({ status, cause, code, detail, path: headers[':path'], remoteAddress: stream.session?.socket?.remoteAddress }, 'NF request refused');
  }
}
