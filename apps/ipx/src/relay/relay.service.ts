import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { Inject, Injectable } from '@nestjs/common';
import {
  endToEndHeaders,
  modifyAsIntermediary,
  N32Error,
  N32ErrorCode,
  parseReformattedRequest,
  type IntermediaryApi,
  type IntermediaryOutcome,
  type N32fReformattedReqMsgData,
  type N32fReformattedRspMsgData,
} from '@sepp/protocol';
import type { IpxConfig } from '../config/ipx-config';
import { IPX_CONFIG, IPX_LOGGER, type IpxLogger } from '../ipx.constants';
import { NextHopClient } from './next-hop.client';

/** What goes back to the sending hop. */
export interface RelayAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
}

/** Request headers that travel on to the next hop (TS 29.573 5.1: the optional n32f-process headers we can keep). */
const RELAYED_REQUEST_HEADER = /^3gpp-sbi-/;
/** Answer headers of the next hop that are ours to set (the body may change length). */
const OWN_ANSWER_HEADERS = new Set(['content-length', 'date', 'server']);

/**
 * The IPX's work on one `n32f-process` exchange (TS 33.501 13.2.4.5): apply the request rules and
 * append our JWS (`modifyAsIntermediary`: `reformattedData` is never touched), relay to the next
 * hop, then do the same to its protected answer. An answer other than 200 (a 403
 * ProblemDetailsMsgForwarding, a 5xx) is relayed as it came: it is the next hop's verdict, not a
 * protected message. Our own refusals are N32Error (problem+json from the filter).
 */
@Injectable()
export class RelayService {
  constructor(
    @Inject(IPX_CONFIG) private readonly config: IpxConfig,
    @Inject(IPX_LOGGER) private readonly logger: IpxLogger,
    private readonly nextHop: NextHopClient,
  ) {}

  async relay(path: string, headers: IncomingHttpHeaders, body: unknown): Promise<RelayAnswer> {
    // Checked for shape; the JSON itself (not the validated copy) is what travels on, so members
    // we do not know reach the next hop unchanged.
    parseReformattedRequest(body);
    const request = this.modify(body as N32fReformattedReqMsgData, 'request');

    const out: OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      ':scheme': 'https',
      ':authority': this.nextHop.authority,
      'content-type': 'application/json',
      'user-agent': `IPX-${this.config.ipx.fqdn}`,
    };
    for (const [name, value] of Object.entries(headers)) if (RELAYED_REQUEST_HEADER.test(name) && value !== undefined) out[name] = value;
    const answer = await this.nextHop.exchange(out, Buffer.from(JSON.stringify(request.message), 'utf8'));

    const relayed: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(endToEndHeaders(answer.headers))) if (!OWN_ANSWER_HEADERS.has(name)) relayed[name] = value;
    if (answer.status !== 200) {
      this.logger.info({ direction: 'response', messageId: request.messageId, status: answer.status, identity: this.config.ipx.fqdn }, 'next hop refused: answer relayed as is');
      return { status: answer.status, headers: relayed, body: answer.body };
    }
    if (relayed['content-encoding'] !== undefined) throw notProtected('a content-coded answer');
    let json: unknown;
    try {
      json = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw notProtected('an answer that is not JSON');
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw notProtected('an answer that is not an N32fReformattedRspMsg');
    let response: IntermediaryOutcome<N32fReformattedRspMsgData>;
    try {
      response = this.modify(json as N32fReformattedRspMsgData, 'response', request.api);
    } catch (error) {
      if (error instanceof N32Error) throw notProtected(`an answer we cannot sign for (${error.detail})`);
      throw error;
    }
    return { status: 200, headers: { ...relayed, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(response.message), 'utf8') };
  }

  /** Our rules and our JWS on one message; one log line per message. */
  private modify<M extends N32fReformattedReqMsgData | N32fReformattedRspMsgData>(message: M, direction: 'request' | 'response', request?: IntermediaryApi): IntermediaryOutcome<M> {
    const { ipx, rules } = this.config;
    const outcome = modifyAsIntermediary({
      message,
      rules,
      identity: ipx.fqdn,
      privateKey: ipx.signingKey,
      direction,
      ...(ipx.kid !== null ? { kid: ipx.kid } : {}),
      ...(request ? { request } : {}),
    });
    this.logger.info(
      {
        direction,
        messageId: outcome.messageId,
        api: `${outcome.api.method ?? '?'} ${outcome.api.path ?? '(encrypted path)'}`,
        rules: outcome.applied,
        skipped: outcome.skipped,
        operations: outcome.operations.length,
        identity: ipx.fqdn,
        modificationsBlock: outcome.message.modificationsBlock?.length,
      },
      'modifications signed',
    );
    return outcome;
  }
}

function notProtected(what: string): N32Error {
  return new N32Error(N32ErrorCode.N32F_PROTECTION_FAILED, `the next hop sent ${what}: no protected answer to relay`);
}
