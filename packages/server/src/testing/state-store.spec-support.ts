import { randomBytes } from 'node:crypto';
import { deriveN32fKeys, newN32fContextId, type N32fKeySet } from '@sepp/protocol';
import type { StoredContext } from '../state/state-store';

/** A context as a store keeps it: fresh IDs and keys, a responder's with RIs unless `overrides` say otherwise. */
export function storedContext(overrides: Partial<StoredContext> = {}): StoredContext {
  const localContextId = overrides.localContextId ?? newN32fContextId();
  const keys: N32fKeySet = deriveN32fKeys(randomBytes(64), localContextId, 'A128GCM');
  return {
    localContextId,
    remoteContextId: newN32fContextId(),
    peer: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
    role: 'responder',
    enc: 'A128GCM',
    createdAt: Date.now(),
    kekId: null,
    maxMessages: 2 ** 32,
    keys,
    intermediaries: { authorizedIpxId: 'ipx.example.org', keysByIdentity: { 'ipx.example.org': ['-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n'] }, seppKeys: [], policy: { apiIeMappingList: [] } },
    ...overrides,
  };
}

/** Polls `probe` until it gives a truthy value (a rejection counts as not yet when `tolerate` is set). */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 5_000, tolerate = false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await (tolerate ? probe().catch(() => undefined) : probe());
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
