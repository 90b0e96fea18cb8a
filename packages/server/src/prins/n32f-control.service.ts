import { EventEmitter } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import {
  N32C_PATHS,
  N32Error,
  N32ErrorCode,
  N32fContextInfo,
  N32fErrorInfo,
  N32fErrorType,
  normalizeFqdn,
  parseBody,
  type N32fErrorInfoData,
} from '@sepp/protocol';
import type { SeppLogger } from '../logging/logger';
import type { N32Connection } from '../n32c/n32-connection';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { ProblemException } from '../problem/problem.exception';
import { ConfigService } from '../runtime/config.service';
import { SEPP_LOGGER } from '../runtime/sepp-runtime';
import { N32fContextsService } from './n32f-contexts.service';
import type { PeerChannel } from './peer-channel';

const SEND_TIMEOUT_MS = 3_000;

export interface ReceivedErrorReport {
  readonly peer: string;
  readonly info: N32fErrorInfo;
}

/**
 * The N32-c procedures around an N32-f context (TS 29.573 n32f-error, n32f-terminate), both ways:
 * received reports are logged as security events and announced; refused messages are reported to
 * their sender; contexts are torn down on both sides. Sending never throws: a report that cannot
 * be delivered is logged.
 */
@Injectable()
export class N32fControlService extends EventEmitter<{ errorReport: [ReceivedErrorReport] }> {
  private channel: PeerChannel | null = null;

  constructor(
    private readonly config: ConfigService,
    private readonly contexts: N32fContextsService,
    private readonly metrics: SeppMetrics,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    super();
  }

  /** How this app reaches a peer on N32-c (set once by the app's N32-c service). */
  useChannel(channel: PeerChannel): void {
    this.channel = channel;
  }

  private connectionTo(peer: string): Promise<N32Connection> {
    if (!this.channel) return Promise.reject(new Error('no N32-c channel to peers in this app'));
    return this.channel.connectionTo(peer);
  }

  /** The configured peer a client certificate names (N32-c requests outside the negotiation). */
  peerOfCertificate(dnsNames: readonly string[]): string {
    const names = dnsNames.map(normalizeFqdn);
    const peer = this.config.current.n32.peers.find((candidate) => names.includes(candidate.fqdn));
    if (!peer) {
      throw new N32Error(N32ErrorCode.UNKNOWN_PEER, `the client certificate (${names.join(', ') || 'no dNSName'}) names no configured peer`);
    }
    return peer.fqdn;
  }

  /** POST n32f-error received: log, announce, 204. */
  receiveErrorReport(peer: string, body: unknown): void {
    const info = parseBody(N32fErrorInfo, body);
    this.logger.warn(
      {
        peer,
        n32fErrorType: info.n32fErrorType,
        n32fMessageId: info.n32fMessageId,
        n32fContextId: info.n32fContextId,
        errorDetails: info.errorDetailsList,
        failedModifications: info.failedModificationList,
        policyMismatches: info.policyMismatchList,
      },
      'N32-f error reported by the peer',
    );
    // The type is the peer's string: only known values become label values.
    const known = (Object.values(N32fErrorType) as string[]).includes(info.n32fErrorType) ? info.n32fErrorType : 'OTHER';
    this.metrics.prinsRefused(known, 'peer', peer, info.n32fContextId ? `context ${info.n32fContextId}` : undefined);
    this.emit('errorReport', { peer, info });
  }

  /** POST n32f-terminate received: the context named by the ID we allocated goes on both sides. */
  async receiveTerminate(peer: string, body: unknown): Promise<{ n32fContextId: string }> {
    const { n32fContextId } = parseBody(N32fContextInfo, body);
    // Set up by this replica or another one: every replica drops it (the store says so).
    const context = await this.contexts.lookup(n32fContextId);
    if (!context || context.params.peer !== peer) {
      throw new ProblemException({ status: 404, cause: 'CONTEXT_NOT_FOUND', detail: `no N32-f context ${n32fContextId} with ${peer}` });
    }
    this.contexts.terminate(n32fContextId, 'n32f-terminate from the peer');
    return { n32fContextId: context.remoteContextId };
  }

  /** Reports a refused N32-f message to the peer that sent it. */
  async reportError(peer: string, info: N32fErrorInfoData): Promise<boolean> {
    try {
      return await this.reportErrorOn(await this.connectionTo(peer), info);
    } catch (error) {
      this.logger.warn({ peer, n32fErrorType: info.n32fErrorType, error: (error as Error).message }, 'N32-f error report not delivered');
      return false;
    }
  }

  /** Reports on a given N32-c connection (the parameter exchange's own, for POLICY_MISMATCH). */
  async reportErrorOn(connection: N32Connection, info: N32fErrorInfoData): Promise<boolean> {
    const peer = connection.peer.fqdn;
    try {
      const response = await connection.post(N32C_PATHS.n32fError, info, SEND_TIMEOUT_MS);
      this.logger.info({ peer, n32fErrorType: info.n32fErrorType, n32fMessageId: info.n32fMessageId, status: response.status }, 'N32-f error reported to the peer');
      return response.status === 204;
    } catch (error) {
      this.logger.warn({ peer, n32fErrorType: info.n32fErrorType, error: (error as Error).message }, 'N32-f error report not delivered');
      return false;
    }
  }

  /** Tears a context down on both sides: n32f-terminate to the peer, then locally. */
  async terminate(peer: string, localContextId: string, reason: string): Promise<boolean> {
    const context = this.contexts.table.find(localContextId);
    if (!context) return false;
    let acknowledged = false;
    try {
      const connection = await this.connectionTo(peer);
      const response = await connection.post(N32C_PATHS.n32fTerminate, { n32fContextId: context.remoteContextId }, SEND_TIMEOUT_MS);
      acknowledged = response.status === 200;
    } catch (error) {
      this.logger.warn({ peer, error: (error as Error).message }, 'n32f-terminate not delivered');
    }
    this.contexts.terminate(localContextId, reason);
    return acknowledged;
  }
}
