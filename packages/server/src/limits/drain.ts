import type { SeppLogger } from '../logging/logger';
import type { ListenerGuard } from './protect-listener';

/**
 * The first steps of a graceful stop: every listener stops accepting connections and sends GOAWAY
 * on its sessions (/readyz already says 503), then the requests in flight get up to
 * `drainTimeoutMs` to finish; what is left after that is cut.
 */
export async function drainListeners(guards: ReadonlyMap<string, ListenerGuard>, drainTimeoutMs: number, logger: SeppLogger): Promise<void> {
  for (const guard of guards.values()) guard.stopAccepting();
  const inFlight = Object.fromEntries([...guards.values()].map((guard) => [guard.listener, guard.openStreams]));
  logger.info({ listeners: [...guards.keys()], inFlight, drainTimeoutMs }, 'listeners closed to new connections, draining');
  const started = performance.now();
  const outcomes = await Promise.all([...guards.values()].map((guard) => guard.drained(drainTimeoutMs)));
  const ms = Math.round(performance.now() - started);
  if (outcomes.every(Boolean)) {
    logger.info({ ms }, 'drained');
    return;
  }
  const left = Object.fromEntries([...guards.values()].filter((guard) => guard.openStreams > 0).map((guard) => [guard.listener, guard.openStreams]));
  logger.warn({ ms, left, drainTimeoutMs }, 'drain timed out: closing the connections left');
  for (const guard of guards.values()) guard.destroySessions();
}

/**
 * The last step of a listener's stop: connections the peers keep open after our GOAWAY (nothing in
 * flight on them any more) are closed by us after `closeGraceMs`, so a peer that never reads an
 * idle connection cannot hold the stop up.
 */
export async function closeListenerConnections(guards: ReadonlyMap<string, ListenerGuard>, closeGraceMs: number): Promise<void> {
  await Promise.all([...guards.values()].map((guard) => guard.closeConnections(closeGraceMs)));
}
