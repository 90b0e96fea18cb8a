export * from './state-store';
export { MemoryStateStore } from './memory-store';
export type { RedisStateStore, RedisStateStoreOptions } from './redis-store';
export { kekOf, unwrapSecret, wrapSecret, type Kek, type WrappedSecret } from './key-wrap';
export { STATE_LIMITS } from './limits';
export { createStateStore, redactUrl } from './create-state-store';
export { SequenceFeeder } from './sequence-feeder';
