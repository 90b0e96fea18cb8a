import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * How the SEPP processes use V8's heap (README, "Memory"). Three of V8's heuristics are changed,
 * through flags V8 reads each time it decides (not only at start):
 *
 * - **Start-up does not grow the young generation.** Loading an app (Nest, Fastify, the
 *   validators: over 1,500 modules) allocates a lot that lives on; V8 takes that for a young
 *   generation too small and doubles it up to 2 x 16 MiB, committed from then on. While the app
 *   starts, the young generation keeps its initial 2 x 1 MiB (`holdYoungGenerationDuringStartUp`,
 *   imported first by each app's main through `start-up-heap.ts`). Idle RSS: about 18 MiB less.
 * - **Once the app serves**, one full, compacting collection clears what start-up left, and the young
 *   generation grows to its full size in one step when traffic needs it (a young generation
 *   doubled step by step under load promotes every message in flight at each small collection).
 * - **The old generation grows by 25% past what is live** (V8's minimum step still applies), not
 *   by V8's up to 4x: that factor is meant for big heaps with fast allocation, which under load is
 *   every SEPP, whose live heap is its code and configuration while what it allocates per message
 *   dies young. A larger old generation would only hold that garbage longer; the cost is a few
 *   more mark-compact collections under load (the framework may cost CPU, not memory).
 */
export const OLD_GENERATION_GROWTH_PERCENT = 25;
/** From 2 x 1 MiB straight to V8's maximum, 2 x 16 MiB (`--semi-space-growth-factor`, default 2). */
const YOUNG_GENERATION_GROWTH_FACTOR = 16;

export function holdYoungGenerationDuringStartUp(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Once the app serves: the old generation bound, one full collection of what start-up left behind
 * (V8's memory reducer does the same after some seconds of idling; done now, the footprint at
 * readiness is the idle one), and the young generation's growth again.
 */
export function applyRunningHeapPolicy(): void {
  // The bound first: the collection below sets the old generation's next limit with it.
  setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
  collectGarbage();
  setFlagsFromString(`--semi-space-growth-factor=${YOUNG_GENERATION_GROWTH_FACTOR}`);
}

/**
 * V8's `gc()`, which --expose-gc puts into contexts created while it is set (only this one), as a
 * compacting collection: start-up leaves the old generation's pages a fifth free, scattered
 * (about 5 MiB of idle RSS); V8 compacts only the most fragmented pages of a regular mark-compact,
 * this one moves what lives into as few pages as it can and releases the rest.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
}
