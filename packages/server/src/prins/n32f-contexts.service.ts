import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  contextIntermediaries,
  NonceBlockPending,
  intermediaryIdentities,
  ipxProviderSecInfo,
  N32fContext,
  N32fContextTable,
  normalizeFqdn,
  PrinsError,
  protectionPolicy,
  type InvalidParam,
  type IpxProviderSecInfoData,
  type ModificationPolicy,
  type N32fContextParams,
  type N32fIntermediaries,
  type PrinsProtectionPolicy,
} from '@sepp/protocol';
import type { TLSSocket } from 'node:tls';
import type { SeppLogger } from '../logging/logger';
import { PeerRegistry } from '../peers/peer-registry.service';
import { ConfigService } from '../runtime/config.service';
import { SEPP_LOGGER, SEPP_STATE } from '../runtime/sepp-runtime';
import { SequenceFeeder, ContextGoneError } from '../state/sequence-feeder';
import { peerCertificate } from '../tls/certificate-names';
import { StateStoreUnavailable, StoredContextUnreadable, type ContextEvent, type MessageKind, type N32StateStore, type StoredContext, type StoredIntermediaries } from '../state/state-store';

/** Unreadable stored contexts remembered, so that each is warned about once. */
const UNREADABLE_REMEMBERED = 1_024;

/** A context's keys never change: its key check is computed once (views are built on every peer change). */
const keyChecks = new WeakMap<N32fContext, string>();

function keyCheck(context: N32fContext): string {
  let check = keyChecks.get(context);
  if (check === undefined) {
    check = computeKeyCheck(context);
    keyChecks.set(context, check);
  }
  return check;
}

/** The public key of our own certificates (PEM, a chain's first), parsed once per material read (a reload reads new buffers). */
const certificateKeys = new WeakMap<Buffer, KeyObject>();

function certificateKey(pem: Buffer): KeyObject {
  let key = certificateKeys.get(pem);
  if (!key) {
    key = new X509Certificate(pem).publicKey;
    certificateKeys.set(pem, key);
  }
  return key;
}

function computeKeyCheck(context: N32fContext): string {
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
  /** The replica that holds this view of the context. */
  replica: string;
}

/** The shared replay check could not run (store unreachable): what the receiver relied on instead. */
export type SharedCheck = 'shared' | 'local-only';



/**
 * The N32-f contexts of this SEPP (TS 33.501 13.2.2.4): created by the parameter exchange, found by
 * the ID we allocated when a message arrives, removed by n32f-terminate, a release, or a newer
 * context with the same peer (after `prins.replacedContextGraceMs`, for messages still on the way;
 * at once past `prins.maxContextsPerPeer` contexts with the peer; the removal of a replaced context
 * is logged: `N32-f context retired`).
 *
 * Every context is kept in the state store (the port: in memory, or Redis shared by the replicas
 * of this SEPP, README "Running a cluster"); `table` is this process's cache of them. A context
 * set up by another replica is loaded on first use; its lifecycle (a newer context, a
 * termination) reaches every replica as a store event. Send counters come in SEQ blocks reserved
 * in the store; received messages go through the store's replay check.
 */
@Injectable()
export class N32fContextsService implements OnModuleDestroy {
  readonly table = new N32fContextTable();
  private policyCache: { key: string; policy: PrinsProtectionPolicy } | null = null;
  private readonly feeders = new Map<string, Record<MessageKind, SequenceFeeder>>();
  private readonly loading = new Map<string, Promise<N32fContext | undefined>>();
  /** Stored contexts found unreadable here (warned about once each; the oldest forgotten first). */
  private readonly unreadable = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private degradedSince: number | null = null;
  private readonly onStoreEvent = (event: ContextEvent): void => this.applyStoreEvent(event);
  private readonly onStoreUp = (): void => void this.revalidate();

  constructor(
    private readonly config: ConfigService,
    private readonly peers: PeerRegistry,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
    @Inject(SEPP_STATE) readonly store: N32StateStore,
  ) {
    store.on('context', this.onStoreEvent);
    store.on('up', this.onStoreUp);
  }

  onModuleDestroy(): void {
    this.store.off('context', this.onStoreEvent);
    this.store.off('up', this.onStoreUp);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Our protection policy (TS 33.501 13.2.3): what we encrypt, and what we expect the peer to. */
  policy(): PrinsProtectionPolicy {
    const configured = this.config.current.prins.dataTypeEncPolicy;
    const key = JSON.stringify(configured);
    if (this.policyCache?.key !== key) {
      this.policyCache = { key, policy: protectionPolicy(configured ? { dataTypeEncPolicy: configured } : {}) };
    }
    return this.policyCache.policy;
  }

  /**
   * Sets up a context agreed in exchange-params and stores it (every replica can then use it);
   * older contexts with the peer are retired after a grace. Rejects with StateStoreUnavailable
   * when the store cannot take it (nothing is kept then).
   */
  async establish(params: Omit<N32fContextParams, 'policy' | 'maxMessages' | 'nonces'>): Promise<N32fContext> {
    const maxMessages = this.config.current.prins.maxMessagesPerContext;
    const context = this.build({ ...params, maxMessages });
    try {
      await this.store.saveContext(toStored(context, maxMessages));
    } catch (error) {
      // Nothing is kept of a context the store did not take (its SEQ feeders hold its keys).
      this.feeders.delete(context.localContextId);
      throw error;
    }
    this.table.add(context);
    this.prefetch(context);
    // Newest first (the table lists in the order added: the later of two made in one millisecond first).
    const older = this.table
      .list()
      .filter((other) => other.params.peer === params.peer && other !== context)
      .reverse()
      .sort((a, b) => b.createdAt - a.createdAt);
    const { maxContextsPerPeer } = this.config.current.prins;
    // A peer setting up contexts in quick succession keeps at most maxContextsPerPeer: past that
    // the oldest end now instead of after their grace (their keys, windows and store entries too).
    for (const gone of older.slice(maxContextsPerPeer - 1)) {
      this.forget(gone.localContextId, `more than prins.maxContextsPerPeer (${maxContextsPerPeer}) contexts with the peer`, 'N32-f context retired', {
        replacedBy: context.localContextId,
        graceMs: 0,
      });
    }
    this.retireLater(older.slice(0, maxContextsPerPeer - 1), 'replaced by a newer context', undefined, context);
    void this.retireOlderInStore(context);
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

  /**
   * The context a message addressed to us names: from this process, or loaded from the store
   * (set up by another replica). Undefined when nobody has it.
   */
  async lookup(localContextId: string): Promise<N32fContext | undefined> {
    const id = localContextId.toLowerCase();
    const local = this.table.find(id);
    if (local || !this.store.shared || !/^[0-9a-f]{16}$/.test(id)) return local;
    let loading = this.loading.get(id);
    if (!loading) {
      loading = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, loading);
    }
    return loading;
  }

  /**
   * The peer's current context in the store, loaded (another replica set it up): used instead of a
   * new parameter exchange. Undefined when there is none, or it is nearly used up.
   */
  async adoptCurrent(peer: string, margin: number): Promise<N32fContext | undefined> {
    if (!this.store.shared) return undefined;
    const id = await this.store.currentContext(peer);
    if (!id) return undefined;
    const context = await this.lookup(id);
    if (!context || context.params.peer !== peer) return undefined;
    await this.ready(context, context.params.role === 'initiator' ? 'request' : 'response').catch(() => undefined);
    return context.nearlyExhausted(margin) ? undefined : context;
  }

  /** Protects a message, waiting for a SEQ block when none is in hand (never a store round trip per message). */
  async protect<T>(context: N32fContext, kind: MessageKind, seal: () => T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return seal();
      } catch (error) {
        if (!(error instanceof NonceBlockPending) || attempt >= 3) throw error;
        await this.ready(context, kind);
      }
    }
  }

  /**
   * The store's replay check of a received message (one atomic operation): a SEQ or messageId
   * another replica already accepted is refused, and so is a message on a context that was
   * terminated or retired meanwhile. With the store unreachable the local check (already passed)
   * stands: `local-only`. Throws PrinsError (CONTEXT_NOT_FOUND, INTEGRITY_CHECK_FAILED) otherwise.
   */
  async acceptShared(context: N32fContext, kind: MessageKind, seq: number, messageId: string): Promise<SharedCheck> {
    let verdict;
    try {
      verdict = await this.store.acceptReceived(context.localContextId, kind, seq, messageId);
    } catch (error) {
      if (!(error instanceof StateStoreUnavailable)) throw error;
      if (this.degradedSince === null || Date.now() - this.degradedSince > 10_000) {
        this.degradedSince = Date.now();
        this.logger.warn({ peer: context.params.peer, detail: error.message }, 'replay check of this replica only: the state store is unreachable');
      }
      return 'local-only';
    }
    this.degradedSince = null;
    switch (verdict) {
      case 'fresh':
        return 'shared';
      case 'unknown-context':
        this.forget(context.localContextId, 'no longer in the state store');
        throw new PrinsError('CONTEXT_NOT_FOUND', `no N32-f context ${context.localContextId} (terminated or replaced)`);
      case 'duplicate-message-id':
        throw new PrinsError('INTEGRITY_CHECK_FAILED', `messageId ${messageId} was already received on this context`);
      default:
        throw new PrinsError('INTEGRITY_CHECK_FAILED', `SEQ ${seq} is ${verdict === 'replayed' ? 'a replay' : 'below the replay window'} (seen by a replica of this SEPP)`);
    }
  }

  /** Resolves once a SEQ of `kind` is in hand for the context. */
  async ready(context: N32fContext, kind: MessageKind): Promise<void> {
    const feeder = this.feeders.get(context.localContextId)?.[kind];
    if (!feeder) return;
    try {
      await feeder.ready();
    } catch (error) {
      if (error instanceof ContextGoneError) {
        this.forget(context.localContextId, 'no longer in the state store');
        throw new PrinsError('CONTEXT_NOT_FOUND', error.message);
      }
      throw error;
    }
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
    input: { received?: readonly IpxProviderSecInfoData[]; receivedAt?: string; peerPolicy?: ModificationPolicy; peerSocket?: TLSSocket },
  ): { intermediaries: N32fIntermediaries | undefined; invalid: InvalidParam[] } {
    const config = this.config.current;
    const ipx = config.n32.peers.find((candidate) => candidate.fqdn === peer)?.ipx;
    // No RI at all (no IPX of ours toward the peer, none received): there is nothing to hold the
    // SEPPs' keys against, and no intermediaries, so the certificates need not be read.
    if (!ipx && !input.received?.length) return { intermediaries: undefined, invalid: [] };
    const seppKeys: KeyObject[] = [certificateKey(config.tls.material.cert), certificateKey(config.n32f.tls.cert)];
    const peerCertificateKey = peerCertificate(input.peerSocket)?.publicKey;
    if (peerCertificateKey) seppKeys.push(peerCertificateKey);
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
  async setIntermediaries(context: N32fContext, intermediaries: N32fIntermediaries | undefined): Promise<void> {
    await this.store.updateIntermediaries(context.localContextId, intermediaries ? storedIntermediaries(intermediaries) : null);
    context.setIntermediaries(intermediaries);
    this.logger.info({ peer: context.params.peer, localContextId: context.localContextId, ...describeIntermediaries(intermediaries) }, 'N32-f context intermediaries set');
  }

  /** The peer whose context names one of these RI identities (an N32-f connection from an IPX). */
  async peerOfIntermediary(contextId: string, dnsNames: readonly string[]): Promise<string | undefined> {
    const context = await this.lookup(contextId);
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

  /**
   * Removes one context, here and in the store (every replica drops it); when it was the peer's
   * last here, the peer goes back to prins-selected.
   */
  terminate(localContextId: string, reason: string): N32fContext | undefined {
    const context = this.forget(localContextId, reason);
    if (context) void this.retireInStore(context, 0);
    return context;
  }

  /** Drops every context with a peer, here and in the store (release, renegotiation). */
  dropPeer(peer: string, reason: string): void {
    const removed = this.table.removePeer(peer);
    for (const context of removed) {
      this.feeders.delete(context.localContextId);
      void this.retireInStore(context, 0);
    }
    if (removed.length > 0) this.logger.info({ peer, contexts: removed.map((c) => c.localContextId), reason }, 'N32-f contexts dropped');
  }

  /** Forgets the peer's contexts in this process only (a replica going away; the others keep them). */
  forgetPeerLocally(peer: string, reason: string): void {
    const removed = this.table.removePeer(peer);
    for (const context of removed) this.feeders.delete(context.localContextId);
    if (removed.length > 0) this.logger.info({ peer, contexts: removed.map((c) => c.localContextId), reason }, 'N32-f contexts forgotten by this replica');
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
      replica: this.store.replicaId,
    }));
  }

  /** Builds a context whose send counters come in SEQ blocks reserved in the store. */
  private build(params: Omit<N32fContextParams, 'policy' | 'nonces'> & { maxMessages: number }): N32fContext {
    const id = params.localContextId.toLowerCase();
    const feeders = {} as Record<MessageKind, SequenceFeeder>;
    const blockSize = this.config.current.state.sequenceBlockSize;
    const context = new N32fContext({
      ...params,
      policy: this.policy(),
      nonces: (kind, salt, start) => {
        const feeder = new SequenceFeeder(this.store, id, kind, blockSize, salt, start, (error) =>
          this.logger.warn({ peer: params.peer, localContextId: id, kind, error: error.message }, 'SEQ block not reserved'),
        );
        feeders[kind] = feeder;
        return feeder;
      },
    });
    this.feeders.set(context.localContextId, feeders);
    return context;
  }

  /** The direction this SEPP sends NF traffic on gets its first block ahead of the first message. */
  private prefetch(context: N32fContext): void {
    void this.ready(context, context.params.role === 'initiator' ? 'request' : 'response').catch(() => undefined);
  }

  private async load(id: string): Promise<N32fContext | undefined> {
    let stored: StoredContext | null;
    try {
      stored = await this.store.loadContext(id);
    } catch (error) {
      if (!(error instanceof StoredContextUnreadable)) throw error;
      // Not this replica's to use (another key-wrap key): as if it did not exist (a message on it
      // is refused as on an unknown context, a negotiation sets up a new one), said once per context.
      if (!this.unreadable.has(id)) {
        if (this.unreadable.size >= UNREADABLE_REMEMBERED) this.unreadable.delete(this.unreadable.values().next().value!);
        this.unreadable.add(id);
        this.logger.warn({ localContextId: id, detail: error.message }, 'N32-f context in the state store not usable by this replica (key-wrap keys): ignored');
      }
      return undefined;
    }
    if (!stored) return undefined;
    const existing = this.table.find(id);
    if (existing) return existing;
    const context = this.build({
      role: stored.role,
      peer: stored.peer,
      localContextId: stored.localContextId,
      remoteContextId: stored.remoteContextId,
      keys: stored.keys,
      enc: stored.enc,
      createdAt: stored.createdAt,
      maxMessages: stored.maxMessages,
      ...(stored.intermediaries ? { intermediaries: fromStoredIntermediaries(stored.intermediaries) } : {}),
    });
    this.table.add(context);
    this.prefetch(context);
    const older = this.table.list().filter((other) => other.params.peer === stored.peer && other.createdAt < stored.createdAt);
    this.retireLater(older, 'replaced by a newer context');
    this.logger.info({ peer: stored.peer, role: stored.role, localContextId: id, remoteContextId: stored.remoteContextId, enc: stored.enc }, 'N32-f context loaded from the state store');
    return context;
  }

  /** Another replica changed a context: follow it here. */
  private applyStoreEvent(event: ContextEvent): void {
    if (event.replica === this.store.replicaId) return;
    const local = this.table.find(event.localContextId);
    switch (event.kind) {
      case 'established':
        // The initiator side sends on the peer's newest context: load it now. The responder loads
        // on the first message.
        if (this.table.list().some((context) => context.params.peer === event.peer)) void this.lookup(event.localContextId).catch(() => undefined);
        return;
      case 'intermediaries':
        if (local) {
          this.table.remove(local.localContextId);
          this.feeders.delete(local.localContextId);
          void this.lookup(event.localContextId).catch(() => undefined);
        }
        return;
      case 'retired':
        if (!local) return;
        if (event.afterMs <= 0) this.forget(local.localContextId, 'terminated by another replica');
        else this.retireLater([local], 'retired by another replica', event.afterMs);
        return;
    }
  }

  /** After a store outage: drop what the store no longer has (terminated meanwhile). */
  private async revalidate(): Promise<void> {
    for (const context of this.table.list()) {
      try {
        if (!(await this.store.loadContext(context.localContextId))) this.forget(context.localContextId, 'no longer in the state store');
      } catch {
        return;
      }
    }
  }

  private retireLater(contexts: readonly N32fContext[], reason: string, afterMs = this.config.current.prins.replacedContextGraceMs, replacedBy?: N32fContext): void {
    if (contexts.length === 0) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      for (const context of contexts) {
        if (this.table.find(context.localContextId) !== context) continue;
        if (replacedBy) this.forget(context.localContextId, reason, 'N32-f context retired', { replacedBy: replacedBy.localContextId, graceMs: afterMs });
        else this.forget(context.localContextId, reason);
      }
    }, afterMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Removes a context from this process; the peer goes back to prins-selected if it was its last. */
  private forget(localContextId: string, reason: string, message = 'N32-f context terminated', extra: Record<string, unknown> = {}): N32fContext | undefined {
    const context = this.table.remove(localContextId);
    if (!context) return undefined;
    this.feeders.delete(context.localContextId);
    this.logger.info({ peer: context.params.peer, localContextId, reason, ...extra }, message);
    if (!this.table.ofPeer(context.params.peer)) this.peers.apply(context.params.peer, { type: 'CONTEXT_TERMINATED' });
    return context;
  }

  /** Every older context with the peer in the store (set up by any replica) goes after the grace. */
  private async retireOlderInStore(context: N32fContext): Promise<void> {
    try {
      const stored = await this.store.listContexts();
      const older = stored
        .filter((other) => other.peer === context.params.peer && other.localContextId !== context.localContextId.toLowerCase() && other.createdAt <= context.createdAt)
        .sort((a, b) => b.createdAt - a.createdAt);
      const { replacedContextGraceMs, maxContextsPerPeer } = this.config.current.prins;
      // Past maxContextsPerPeer (with this one), the oldest end now on every replica.
      await Promise.all(older.map((other, i) => this.store.retireContext(other.peer, other.localContextId, i < maxContextsPerPeer - 1 ? replacedContextGraceMs : 0)));
    } catch (error) {
      this.logger.warn({ peer: context.params.peer, error: (error as Error).message }, 'older N32-f contexts not retired in the state store (unreachable)');
    }
  }

  private async retireInStore(context: N32fContext, afterMs: number): Promise<void> {
    try {
      await this.store.retireContext(context.params.peer, context.localContextId, afterMs);
    } catch (error) {
      this.logger.warn({ peer: context.params.peer, localContextId: context.localContextId, error: (error as Error).message }, 'N32-f context not removed from the state store (unreachable)');
    }
  }
}

function toStored(context: N32fContext, maxMessages: number): StoredContext {
  return {
    localContextId: context.localContextId.toLowerCase(),
    remoteContextId: context.remoteContextId.toLowerCase(),
    peer: context.params.peer,
    role: context.params.role,
    enc: context.params.enc,
    createdAt: context.createdAt,
    kekId: null,
    maxMessages,
    keys: context.keys,
    intermediaries: context.intermediaries ? storedIntermediaries(context.intermediaries) : null,
  };
}

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function storedIntermediaries(ris: N32fIntermediaries): StoredIntermediaries {
  return {
    authorizedIpxId: ris.authorizedIpxId,
    keysByIdentity: Object.fromEntries([...ris.keysByIdentity].map(([identity, keys]) => [identity, keys.map(pem)])),
    seppKeys: ris.seppKeys.map(pem),
    policy: ris.policy,
    ...(ris.ownRiId !== undefined ? { ownRiId: ris.ownRiId } : {}),
    ...(ris.ownPolicy !== undefined ? { ownPolicy: ris.ownPolicy } : {}),
  };
}

function fromStoredIntermediaries(stored: StoredIntermediaries): N32fIntermediaries {
  return {
    authorizedIpxId: stored.authorizedIpxId,
    keysByIdentity: new Map(Object.entries(stored.keysByIdentity).map(([identity, keys]) => [identity, keys.map((key) => createPublicKey(key))])),
    seppKeys: stored.seppKeys.map((key) => createPublicKey(key)),
    policy: stored.policy as ModificationPolicy,
    ...(stored.ownRiId !== undefined ? { ownRiId: stored.ownRiId } : {}),
    ...(stored.ownPolicy !== undefined ? { ownPolicy: stored.ownPolicy as ModificationPolicy } : {}),
  };
}

function describeIntermediaries(intermediaries: N32fIntermediaries | undefined): { authorizedIpxId?: string | null; intermediaries?: string[] } {
  return intermediaries ? { authorizedIpxId: intermediaries.authorizedIpxId, intermediaries: intermediaryIdentities(intermediaries) } : {};
}
