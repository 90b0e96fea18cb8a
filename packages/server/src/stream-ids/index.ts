export { isRetiring, MAX_STREAM_ID, outOfStreamIds, RETIRE_FROM_STREAM_ID, requestOn, SESSION_RETIRING, wasNotSent } from './stream-ids';
