import { box, wrap } from './box';
import { sleep, type PeerView, type SeppChild } from './sepp-child';

const AGREED_STATES = ['tls-established', 'prins-selected'];

export interface Outcome {
  /** Both sides hold the same agreed mechanism. */
  agreed: boolean;
  timedOut: boolean;
  /** The responder as the initiator sees it, and the initiator as the responder sees it. */
  atInitiator: PeerView | undefined;
  atResponder: PeerView | undefined;
}

/**
 * Polls both admin APIs until the negotiation settles: both sides in the same agreed state, or
 * the initiator in `failed` (it would retry with back-off; the first failure is the answer).
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

export interface OutcomeContext {
  initiator: { fqdn: string; plmns: string; offered: string[] };
  responder: { fqdn: string; plmns: string; address: string; capabilities: string[]; policy: string };
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
  if (outcome.agreed) {
    const reason = r?.negotiation?.selectionReason;
    rows.push(`selected   ${i?.mechanism}${reason ? `  (reason ${reason})` : ''}`);
  } else {
    rows.push(outcome.timedOut ? 'selected   nothing yet: the negotiation did not settle in time' : 'selected   nothing: the negotiation FAILED');
    for (const [side, view] of [['initiator', i], ['responder', r]] as const) {
      if (view?.lastError) rows.push(`reason     ${view.lastError.reason} (${side}): ${view.lastError.detail}`);
    }
  }
  rows.push(`states     initiator: ${state(i)}   responder: ${state(r)}`);
  if (outcome.agreed) {
    const f = i?.mechanism === 'TLS' ? 'N32-f runs in TLS mode' : `N32-f would run in ${i?.mechanism} mode (a later step)`;
    rows.push(`N32 connection kept open (handshake ${i?.negotiation?.handshakeId ?? '?'}); ${f}`);
  }
  return box('N32-c security capability negotiation (TS 33.501 13.5)', rows.flatMap((row) => wrap(row, 110)));
}
