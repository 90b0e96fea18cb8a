export { recordAbuse, type AbuseEvent, type AbuseKind } from './abuse';
export { http2ServerLimits, listenerLimits, useListenerLimits } from './listener-limits';
export { certificatePeer, N32C_RATE_BUDGET, N32F_RATE_BUDGET, n32cRateLimitOnly, PeerRateLimiter, type RateBudget } from './peer-rate-limit';
export { protectListener, sessionErrorKind, type ListenerGuard } from './protect-listener';
export { claimsPriority, perPeerBound } from './requests-in-flight';
export { TokenBucket } from './token-bucket';
export { LIMITS_DEFAULTS } from '../config/limits-config';
export { swapTlsOnReload } from '../tls/reload-tls';
export { watchTlsFiles, TLS_WATCH_DEBOUNCE_MS, type TlsFileWatcher } from '../tls/watch-tls-files';
