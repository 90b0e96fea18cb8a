export { isRetiring, MAX_STREAM_ID, NOT_SENT, OUT_OF_STREAMS, RETIRE_FROM_STREAM_ID, retireSession, requestOn, SESSION_RETIRING, wasNotSent } from './stream-ids';
