import { box, SEPARATOR, wrap } from './box';
import { sleep, type ContextView, type PeerView, type SeppChild } from './sepp-child';

/**
 * Where a negotiation ends when it succeeds. `prins-selected` is not one: the PRINS parameter
 * exchange follows on the same connection and ends in `prins-established`.
 */
const AGREED_STATES = ['tls-established', 'prins-established'];

export interface Outcome {
  /** Both sides hold the same agreed mechanism. */
  agreed: boolean;
  timedOut: boolean;
  /** The responder as the initiator sees it, and the initiator as the responder sees it. */
  atInitiator: PeerView | undefined;
  atResponder: PeerView | undefined;
}

/**
 * Polls both admin APIs until the negotiation settles: both sides in the same agreed state
 * (`tls-established`, or `prins-established` after the parameter exchange), or the initiator in
 * `failed` (it would retry with back-off; the first failure is the answer).
 */
export async function waitForOutcome(
  initiator: SeppChild,
  responder: SeppChild,
  fqdns: { initiator: string; responder: string },
  timeoutMs: number,
): Promise<Outcome> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [atInitiator, atResponder] = await Promise.all([initiator.peer(fqdns.responder), responder.peer(fqdns.initiator)]);
    const state = atInitiator?.state ?? 'unknown';
    if (AGREED_STATES.includes(state) && atResponder?.state === state) {
      return { agreed: true, timedOut: false, atInitiator, atResponder };
    }
    if (state === 'failed') return { agreed: false, timedOut: false, atInitiator, atResponder };
    if (Date.now() > deadline) return { agreed: false, timedOut: true, atInitiator, atResponder };
    await sleep(150);
  }
}

/** PRINS: both sides' N32-f contexts (GET /admin/contexts) and where the responder reaches the initiator. */
export interface PrinsOutcome {
  /** The initiator's context with the responder, and the responder's with the initiator. */
  atInitiator: ContextView | undefined;
  atResponder: ContextView | undefined;
  /** Why a view is missing (the admin API did not answer). */
  error?: string;
  /** The responder's peer `address` for the initiator: the initiator's own N32 listener (n32.listen). */
  returnAddress: string;
}

export interface OutcomeContext {
  initiator: { fqdn: string; plmns: string; offered: string[] };
  responder: { fqdn: string; plmns: string; address: string; capabilities: string[]; policy: string };
  /** Set when PRINS was agreed. */
  prins?: PrinsOutcome;
}

/** Both sides hold one N32-f context with each other whose IDs cross-match and whose keys agree. */
export function contextsAgree(prins: PrinsOutcome | undefined): boolean {
  const i = prins?.atInitiator;
  const r = prins?.atResponder;
  return !!i && !!r && i.localContextId === r.remoteContextId && i.remoteContextId === r.localContextId && i.enc === r.enc && i.keyCheck === r.keyCheck;
}

/** The PRINS rows of the outcome: contexts, suite, key check, the way back. */
function prinsRows(prins: PrinsOutcome): string[] {
  const { atInitiator: i, atResponder: r } = prins;
  if (!i || !r) {
    const missing = [!i && 'the initiator', !r && 'the responder'].filter(Boolean).join(' and ');
    return [`contexts   GET /admin/contexts: no N32-f context at ${missing}${prins.error ? ` (${prins.error})` : ''}`];
  }
  const ids = i.localContextId === r.remoteContextId && i.remoteContextId === r.localContextId;
  const keys = i.keyCheck === r.keyCheck;
  return [
    'PRINS      exchange-params on the same connection (TS 33.501 13.2.2.2)',
    `contexts   N32-f context IDs: initiator ${i.localContextId}, responder ${r.localContextId}` +
      (ids ? ' (cross-matched)' : `, NOT cross-matched (remote IDs ${i.remoteContextId}, ${r.remoteContextId})`),
    `enc        ${i.enc === r.enc ? i.enc : `initiator ${i.enc}, responder ${r.enc} (DIFFERENT)`}, JWE alg dir (keys: N32-KDF over the TLS exporter of the session)`,
    `keyCheck   initiator ${i.keyCheck} ${keys ? '=' : '≠'} responder ${r.keyCheck}${keys ? ' (both derived the same keys)' : ' (DIFFERENT keys)'}`,
    `back       responder → initiator N32-c at ${prins.returnAddress} (initiator n32.listen): n32f-error, n32f-terminate`,
  ];
}

/** The outcome in a small box, for people. */
export function renderOutcome(outcome: Outcome, ctx: OutcomeContext): string {
  const { atInitiator: i, atResponder: r } = outcome;
  const state = (view: PeerView | undefined): string =>
    view ? `${view.state}${view.mechanism ? ` (${view.mechanism})` : ''}` : 'no record of the peer';
  const rows: string[] = [
    `initiator ${ctx.initiator.fqdn} → responder ${ctx.responder.fqdn}`,
    `PLMNs      ${ctx.initiator.plmns} → ${ctx.responder.plmns}, N32-c to ${ctx.responder.address} (HTTP/2, mutual TLS)`,
    `offered    [${ctx.initiator.offered.join(', ')}]  (responder supports [${ctx.responder.capabilities.join(', ')}], intermediaries: ${ctx.responder.policy})`,
  ];
  const reason = r?.negotiation?.selectionReason;
  // PRINS selected, the parameter exchange still open when the time ran out.
  const prinsPending = !outcome.agreed && outcome.timedOut && i?.state === 'prins-selected';
  if (outcome.agreed || prinsPending) {
    rows.push(`selected   ${i?.mechanism}${reason ? `  (reason ${reason})` : ''}${prinsPending ? ', but the PRINS parameter exchange did not complete in time' : ''}`);
  } else {
    rows.push(outcome.timedOut ? 'selected   nothing yet: the negotiation did not settle in time' : 'selected   nothing: the negotiation FAILED');
  }
  if (!outcome.agreed) {
    for (const [side, view] of [['initiator', i], ['responder', r]] as const) {
      if (view?.lastError) rows.push(`reason     ${view.lastError.reason} (${side}): ${view.lastError.detail}`);
    }
  }
  rows.push(`states     initiator: ${state(i)}   responder: ${state(r)}`);
  if (outcome.agreed) {
    rows.push(`N32 connection kept open (handshake ${i?.negotiation?.handshakeId ?? '?'}); N32-f runs in ${i?.mechanism} mode`);
  }
  const all: Array<string | typeof SEPARATOR> = rows.flatMap((row) => wrap(row, 110));
  if (outcome.agreed && ctx.prins) all.push(SEPARATOR, ...prinsRows(ctx.prins).flatMap((row) => wrap(row, 110)));
  return box('N32-c security capability negotiation (TS 33.501 13.5)', all);
}
