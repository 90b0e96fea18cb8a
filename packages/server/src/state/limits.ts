import { REPLAY_CHUNK_SIZE, REPLAY_MAX_CHUNKS } from '@sepp/protocol';

/** Bounds every adapter applies the same way (the contract tests hold both to them). */
export const STATE_LIMITS = {
  /** Receive replay window per (context, kind): chunks of SEQs, as ChunkedReplayWindow. */
  replayChunkSize: REPLAY_CHUNK_SIZE,
  replayMaxChunks: REPLAY_MAX_CHUNKS,
  /** messageIds remembered per (context, kind); the oldest (lowest SEQ) go first. */
  maxMessageIds: 16_384,
  /**
   * SEQs skipped once per context after the store restarted (a Redis that persists with
   * `appendfsync everysec` may come back without the last second of reservations): reservations
   * then start this far above the restored counter, so a block handed out before the crash is
   * never handed out again.
   */
  restartGap: 2 ** 20,
  /** Telescopic labels kept (an opaque label is 29 characters; FQDNs at most 253). */
  maxLabels: 100_000,
} as const;
