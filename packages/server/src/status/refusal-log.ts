/**
 * What kind of refusal: a certificate or TLS fault, malformed or disallowed input, a message that
 * broke the border protection rules (cause: its category and rule), a protected message that
 * failed verification (tampering), a rate or concurrency limit, other abuse (floods, slow peers),
 * or a request we could not serve (no agreement, timeouts, an unreachable NF).
 */
export type RefusalCategory = 'certificate' | 'bad-input' | 'border' | 'tamper' | 'rate-limit' | 'abuse' | 'unavailable';

export const REFUSAL_CATEGORIES: readonly RefusalCategory[] = ['certificate', 'bad-input', 'border', 'tamper', 'rate-limit', 'abuse', 'unavailable'];

export interface Refusal {
  readonly category: RefusalCategory;
  /** Why: an N32ErrorCode, an N32fErrorType, a TLS failure reason, an abuse kind. */
  readonly cause: string;
  /** The peer SEPP (or the name its certificate gives), when known. */
  readonly peer?: string | null | undefined;
  /** The listener it arrived on (`n32`, `n32f`, `sbi`), or `client` for connections we opened. */
  readonly listener?: string | undefined;
  readonly remoteAddress?: string | undefined;
  readonly detail?: string | undefined;
}

/** One entry of the list: equal refusals within {@link COALESCE_MS} of each other are one entry with a count. */
export interface RefusalView {
  first: string;
  last: string;
  count: number;
  category: RefusalCategory;
  cause: string;
  peer: string | null;
  listener: string | null;
  remoteAddress: string | null;
  detail: string | null;
}

interface Entry {
  first: number;
  last: number;
  count: number;
  readonly key: string;
  readonly refusal: Refusal;
}

/** Refusals equal in category, cause, peer and listener this close together count as one entry. */
const COALESCE_MS = 10_000;
const DETAIL_MAX = 300;

/**
 * The refusals of the last minutes, in bounded memory: at most `capacity` entries, the oldest
 * dropped first; entries older than `windowMs` are not shown. A burst of equal refusals (a flood)
 * is one entry with a count, so it neither evicts everything else nor costs an entry each.
 */
export class RefusalLog {
  private readonly entries: Entry[] = [];
  private readonly open = new Map<string, Entry>();

  constructor(
    private readonly capacity = 200,
    readonly windowMs = 15 * 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  record(refusal: Refusal, count = 1): void {
    const now = this.clock();
    const key = `${refusal.category}\n${refusal.cause}\n${refusal.peer ?? ''}\n${refusal.listener ?? ''}`;
    const entry = this.open.get(key);
    if (entry && now - entry.last < COALESCE_MS) {
      entry.count += count;
      entry.last = now;
      return;
    }
    const created: Entry = { first: now, last: now, count, key, refusal };
    this.entries.push(created);
    this.open.set(key, created);
    if (this.entries.length > this.capacity) {
      const dropped = this.entries.shift()!;
      if (this.open.get(dropped.key) === dropped) this.open.delete(dropped.key);
    }
  }

  /** Newest first, those seen within the window. */
  view(): RefusalView[] {
    const since = this.clock() - this.windowMs;
    const out: RefusalView[] = [];
    for (let index = this.entries.length - 1; index >= 0; index -= 1) {
      const { first, last, count, refusal } = this.entries[index]!;
      if (last < since) continue;
      out.push({
        first: new Date(first).toISOString(),
        last: new Date(last).toISOString(),
        count,
        category: refusal.category,
        cause: refusal.cause,
        peer: refusal.peer ?? null,
        listener: refusal.listener ?? null,
        remoteAddress: refusal.remoteAddress ?? null,
        detail: refusal.detail ? refusal.detail.slice(0, DETAIL_MAX) : null,
      });
    }
    return out.sort((a, b) => b.last.localeCompare(a.last));
  }
}
