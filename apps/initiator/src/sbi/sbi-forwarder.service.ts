import type { Http2ServerRequest, IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { Inject, Injectable } from '@nestjs/common';
import { endToEndHeaders, formatApiRoot, N32Error, N32ErrorCode, routeNfRequest, SBI_HEADERS } from '@sepp/protocol';
import { ConfigService, forwardStream, respondWithProblem, SEPP_LOGGER, type SeppLogger } from '@sepp/server';
import { NegotiatorService } from '../n32c/negotiator.service';
import { TelescopicService } from './telescopic.service';

const MAPPING_API = '/nsepp-telescopic/';

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
  constructor(
    private readonly config: ConfigService,
    private readonly negotiator: NegotiatorService,
    private readonly telescopic: TelescopicService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  /** The SBI listener's fast path: every request except the mapping API. */
  readonly handle = (request: Http2ServerRequest): boolean => {
    const headers = request.headers;
    if (String(headers[':path'] ?? '').startsWith(MAPPING_API)) return false;
    const stream = request.stream;
    this.forward(stream, headers).catch((error: unknown) => {
      const status = respondWithProblem(stream, error, this.config.current.n32f.bodyLimit);
      if (!(error instanceof N32Error)) this.logger.error({ err: error, path: headers[':path'] }, 'N32-f forwarding failed');
      else this.logger.debug({ status, code: error.code, path: headers[':path'] }, 'NF request refused');
    });
    return true;
  };

  private async forward(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const config = this.config.current;
    const targetHeader = headers[SBI_HEADERS.targetApiRoot];
    const route = routeNfRequest(
      {
        targetApiRoot: typeof targetHeader === 'string' ? targetHeader : undefined,
        authority: String(headers[':authority'] ?? ''),
        scheme: headers[':scheme'] === 'https' ? 'https' : 'http',
      },
      { seppFqdn: config.sepp.fqdn, ownPlmns: config.sepp.plmns, peers: config.n32.peers, telescopic: this.telescopic.table },
    );
    const link = this.negotiator.link(route.peer);
    if (!link) throw new N32Error(N32ErrorCode.NO_PEER_FOR_PLMN, `no link to ${route.peer}`);
    const { connection, negotiation } = await link.n32fTransport(config.n32f.establishTimeoutMs);
    if (negotiation?.targetApiRootSupported !== true) {
      throw new N32Error(
        N32ErrorCode.N32F_MECHANISM_UNAVAILABLE,
        `${route.peer} did not declare 3GppSbiTargetApiRootSupported: TLS-mode forwarding needs the header on both sides`,
      );
    }
    if (stream.destroyed) return; // the NF gave up while the negotiation ran

    const out: OutgoingHttpHeaders = endToEndHeaders(headers);
    out[':method'] = headers[':method'];
    out[':path'] = headers[':path'];
    out[':scheme'] = 'https';
    out[':authority'] = connection.authority;
    out[SBI_HEADERS.targetApiRoot] = route.via === 'target-api-root' ? targetHeader : formatApiRoot(route.target);
    const maxRspTime = Number(headers[SBI_HEADERS.maxRspTime]);
    forwardStream(stream, connection.session, out, {
      timeoutMs: maxRspTime > 0 ? Math.min(maxRspTime, config.n32f.requestTimeoutMs) : config.n32f.requestTimeoutMs,
      bodyLimit: config.n32f.bodyLimit,
      upstreamFailure: N32ErrorCode.N32_CONNECTION_LOST,
    });
  }
}
