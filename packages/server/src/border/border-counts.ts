import type { Counter } from 'prom-client';
import { BORDER_CATEGORIES, type BorderCategory, type BorderDirection, type BorderOutcome } from '@sepp/protocol';

const DIRECTIONS: readonly BorderDirection[] = ['outbound', 'inbound'];
const OUTCOMES: readonly BorderOutcome[] = ['passed', 'rewritten', 'refused', 'dry-run'];
const SLOTS = BORDER_CATEGORIES.length * DIRECTIONS.length * OUTCOMES.length;

/**
 * `sepp_border_checks_total` as plain numbers on the forwarding path (a prom-client `inc` hashes
 * its labels on every call, which the hot path cannot afford), drained into the counter when
 * /metrics is read. One slot array per peer, shared by that peer's gates across reloads.
 */
export class BorderCounts {
  private readonly peers = new Map<string, { counts: Float64Array; reported: Float64Array }>();

  /** The slot array of a peer (see {@link slot}). */
  of(peer: string): Float64Array {
    let entry = this.peers.get(peer);
    if (!entry) {
      entry = { counts: new Float64Array(SLOTS), reported: new Float64Array(SLOTS) };
      this.peers.set(peer, entry);
    }
    return entry.counts;
  }

  /** Adds what was counted since the last drain to the counter. */
  drain(counter: Counter<'category' | 'peer' | 'direction' | 'outcome'>): void {
    for (const [peer, { counts, reported }] of this.peers) {
      for (let index = 0; index < SLOTS; index++) {
        const delta = counts[index]! - reported[index]!;
        if (delta === 0) continue;
        reported[index] = counts[index]!;
        const outcome = OUTCOMES[index % OUTCOMES.length]!;
        const direction = DIRECTIONS[Math.floor(index / OUTCOMES.length) % DIRECTIONS.length]!;
        const category = BORDER_CATEGORIES[Math.floor(index / (OUTCOMES.length * DIRECTIONS.length))]!;
        counter.inc({ category, peer, direction, outcome }, delta);
      }
    }
  }
}

/** Index of a (category, direction, outcome) in a peer's slot array. */
export function slot(category: BorderCategory, direction: BorderDirection, outcome: BorderOutcome): number {
  return (BORDER_CATEGORIES.indexOf(category) * DIRECTIONS.length + DIRECTIONS.indexOf(direction)) * OUTCOMES.length + OUTCOMES.indexOf(outcome);
}
