import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  contextIntermediaries,
  intermediaryIdentities,
  ipxProviderSecInfo,
  N32fContext,
  N32fContextTable,
  normalizeFqdn,
  protectionPolicy,
  type InvalidParam,
  type IpxProviderSecInfoData,
  type ModificationPolicy,
  type N32fContextParams,
  type N32fIntermediaries,
  type PrinsProtectionPolicy,
} from '@sepp/protocol';
import type { SeppLogger } from '../logging/logger';
import { PeerRegistry } from '../peers/peer-registry.service';
import { ConfigService } from '../runtime/config.service';
import { SEPP_LOGGER } from '../runtime/sepp-runtime';

function keyCheck(context: N32fContext): string {
  const { parallelRequest, parallelResponse, reverseRequest, reverseResponse } = context.keys;
  const hash = createHash('sha256');
  for (const direction of [parallelRequest, parallelResponse, reverseRequest, reverseResponse]) hash.update(direction.key).update(direction.salt);
  return hash.digest('hex').slice(0, 16);
}

export interface N32fContextView {
  peer: string;
  role: 'initiator' | 'responder';
  localContextId: string;
  remoteContextId: string;
  enc: string;
  messagesSent: number;
  since: string;
  /**
   * The first 8 bytes of SHA-256 over the four derived keys: equal on both SEPPs when both derived
   * the same keys from their own end of the TLS session. Reveals nothing usable about the keys.
   */
  keyCheck: string;
  /** Who may modify what we send (`authorizedIpxId`), and the RIs whose signatures we verify. */
  intermediaries: { authorizedIpxId: string | null; verified: string[] } | null;
}

/**
 * The N32-f contexts of this SEPP (TS 33.501 13.2.2.4): created by the parameter exchange, found by
 * the ID we allocated when a message arrives, removed by n32f-terminate, a release, or a newer
 * context with the same peer (after `prins.replacedContextGraceMs`, for messages still on the way).
 * The removal of a replaced context is logged (`N32-f context retired`).
 */
@Injectable()
export class N32fContextsService {
  readonly table = new N32fContextTable();
  private policyCache: { key: string; policy: PrinsProtectionPolicy } | null = null;

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  /** Our protection policy (TS 33.501 13.2.3): what we encrypt, and what we expect the peer to. */
  policy(): PrinsProtectionPolicy {
    const configured = this.config.current.prins.dataTypeEncPolicy;
    const key = JSON.stringify(configured);
    if (this.policyCache?.key !== key) {
      this.policyCache = { key, policy: protectionPolicy(configured ? { dataTypeEncPolicy: configured } : {}) };
    }
    return this.policyCache.policy;
  }

  establish(params: Omit<N32fContextParams, 'policy' | 'maxMessages'>): N32fContext {
    const context = new N32fContext({ ...params, policy: this.policy(), maxMessages: this.config.current.prins.maxMessagesPerContext });
    this.table.add(context);
    const older = this.table.list().filter((other) => other.params.peer === params.peer && other !== context);
    if (older.length > 0) {
      const graceMs = this.config.current.prins.replacedContextGraceMs;
      setTimeout(() => older.forEach((old) => this.retire(old, context, graceMs)), graceMs).unref();
    }
    this.logger.info(
      {
        peer: params.peer,
        role: params.role,
        localContextId: params.localContextId,
        remoteContextId: params.remoteContextId,
        enc: params.enc,
        replaces: older.map((o) => o.localContextId),
        ...describeIntermediaries(params.intermediaries),
      },
      'N32-f context established',
    );
    return context;
  }

  /** Removes a context a newer one replaced, once its grace is over (unless something removed it already). */
  private retire(old: N32fContext, replacedBy: N32fContext, graceMs: number): void {
    if (this.table.find(old.localContextId) !== old) return;
    this.table.remove(old.localContextId);
    this.logger.info({ peer: old.params.peer, localContextId: old.localContextId, replacedBy: replacedBy.localContextId, graceMs }, 'N32-f context retired');
  }

  /** The RI security information we send the peer (TS 29.573 IpxProviderSecInfo): our IPX toward it. */
  ownSecInfo(peer: string): IpxProviderSecInfoData[] | undefined {
    const ipx = this.config.current.n32.peers.find((candidate) => candidate.fqdn === peer)?.ipx;
    if (!ipx) return undefined;
    // Certificates when we have them (they say more); otherwise the raw keys.
    return [ipxProviderSecInfo({ ipxProviderId: ipx.fqdn, ...(ipx.certificates.length > 0 ? { certificates: ipx.certificates } : { publicKeys: ipx.publicKeys }) })];
  }

  /**
   * The RIs of a new context with `peer` (TS 33.501 13.2.2.2 step 3, 13.2.4.7): our configured IPX
   * toward it and the RIs of the `ipxProviderSecInfoList` it sent in this exchange; both SEPPs'
   * certificate keys are never accepted for an RI. `invalid` lists entries the peer got wrong.
   */
  intermediariesFor(
    peer: string,
    input: { received?: readonly IpxProviderSecInfoData[]; receivedAt?: string; peerPolicy?: ModificationPolicy; peerCertificate?: Buffer },
  ): { intermediaries: N32fIntermediaries | undefined; invalid: InvalidParam[] } {
    const config = this.config.current;
    const ipx = config.n32.peers.find((candidate) => candidate.fqdn === peer)?.ipx;
    const seppKeys: KeyObject[] = [new X509Certificate(config.tls.material.cert).publicKey, new X509Certificate(config.n32f.tls.cert).publicKey];
    if (input.peerCertificate && input.peerCertificate.length > 0) seppKeys.push(new X509Certificate(input.peerCertificate).publicKey);
    const own = this.policy();
    return contextIntermediaries({
      own: ipx ? { identity: ipx.fqdn, keys: ipx.publicKeys.map((pem) => createPublicKey(pem)) } : null,
      ...(input.received ? { received: input.received } : {}),
      ...(input.receivedAt ? { receivedAt: input.receivedAt } : {}),
      seppKeys,
      peerPolicy: input.peerPolicy ?? own,
      ownPolicy: own,
    });
  }

  /** Sets the RIs of a context after the separate RI exchange (exchange-params step 3). */
  setIntermediaries(context: N32fContext, intermediaries: N32fIntermediaries | undefined): void {
    context.setIntermediaries(intermediaries);
    this.logger.info({ peer: context.params.peer, localContextId: context.localContextId, ...describeIntermediaries(intermediaries) }, 'N32-f context intermediaries set');
  }

  /** The peer whose context names one of these RI identities (an N32-f connection from an IPX). */
  peerOfIntermediary(contextId: string, dnsNames: readonly string[]): string | undefined {
    const context = this.table.find(contextId);
    if (!context) return undefined;
    const names = dnsNames.map(normalizeFqdn);
    return intermediaryIdentities(context.intermediaries).some((identity) => names.includes(identity)) ? context.params.peer : undefined;
  }

  /** True when these names are an RI we know (configured toward a peer, or in a live context). */
  isIntermediary(dnsNames: readonly string[]): boolean {
    const names = dnsNames.map(normalizeFqdn);
    if (this.config.current.n32.peers.some((peer) => peer.ipx && names.includes(peer.ipx.fqdn))) return true;
    return this.table.list().some((context) => intermediaryIdentities(context.intermediaries).some((identity) => names.includes(identity)));
  }

  /** Removes one context; when it was the peer's last, the peer goes back to prins-selected. */
  terminate(localContextId: string, reason: string): N32fContext | undefined {
    const context = this.table.remove(localContextId);
    if (!context) return undefined;
    this.logger.info({ peer: context.params.peer, localContextId, reason }, 'N32-f context terminated');
    if (!this.table.ofPeer(context.params.peer)) this.peers.apply(context.params.peer, { type: 'CONTEXT_TERMINATED' });
    return context;
  }

  /** Drops every context with a peer (release, renegotiation). */
  dropPeer(peer: string, reason: string): void {
    const removed = this.table.removePeer(peer);
    if (removed.length > 0) this.logger.info({ peer, contexts: removed.map((c) => c.localContextId), reason }, 'N32-f contexts dropped');
  }

  view(): N32fContextView[] {
    return this.table.list().map((context) => ({
      peer: context.params.peer,
      role: context.params.role,
      localContextId: context.localContextId,
      remoteContextId: context.remoteContextId,
      enc: context.params.enc,
      messagesSent: context.messagesSent,
      since: new Date(context.createdAt).toISOString(),
      keyCheck: keyCheck(context),
      intermediaries: context.intermediaries
        ? { authorizedIpxId: context.intermediaries.authorizedIpxId, verified: intermediaryIdentities(context.intermediaries) }
        : null,
    }));
  }
}

function describeIntermediaries(intermediaries: N32fIntermediaries | undefined): { authorizedIpxId?: string | null; intermediaries?: string[] } {
  return intermediaries ? { authorizedIpxId: intermediaries.authorizedIpxId, intermediaries: intermediaryIdentities(intermediaries) } : {};
}
