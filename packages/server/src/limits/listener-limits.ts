import type { ServerOptions } from 'node:http2';
import { LIMITS_DEFAULTS, readLimits, type LimitsSettings } from '../config/limits-config';

let current: LimitsSettings = readLimits(undefined);

/**
 * The `limits` every HTTP/2 listener created from now on is built with (`runSeppApp` installs the
 * configuration's before it creates its listeners; without it, the defaults).
 */
export function useListenerLimits(limits: LimitsSettings): void {
  current = limits;
}

export function listenerLimits(): LimitsSettings {
  return current;
}

/**
 * Node's HTTP/2 server options for `limits`: the SETTINGS we announce and nghttp2's per-session
 * protections. `streamResetBurst`/`streamResetRate` are passed on for the Node versions that hand
 * them to nghttp2 (Node 20 ignores them and keeps nghttp2's built-in 1000 / 33 per second); the
 * session guard (`protect-listener.ts`) enforces them on every version.
 */
/** Node's options beyond what @types/node 20 declares. */
export type Http2LimitOptions = ServerOptions & { streamResetBurst: number; streamResetRate: number; maxOutstandingSettings: number };

export function http2ServerLimits(limits: LimitsSettings = current): Http2LimitOptions {
  return {
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams,
      maxHeaderListSize: limits.maxHeaderListSize,
    },
    maxSessionMemory: limits.maxSessionMemory,
    maxSessionInvalidFrames: limits.maxSessionInvalidFrames,
    maxSessionRejectedStreams: limits.maxSessionRejectedStreams,
    maxOutstandingPings: limits.maxOutstandingPings,
    maxOutstandingSettings: limits.maxOutstandingSettings,
    maxSettings: limits.maxSettings,
    streamResetBurst: limits.streamResetBurst,
    streamResetRate: limits.streamResetRate,
  };
}

export { LIMITS_DEFAULTS };
