/** Thrown by a `waitFor` check to stop waiting at once (the awaited event can no longer happen). */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes (then throws with `what`).
 * A check that throws is tried again (the last error is reported on timeout), unless it throws
 * `GiveUp`: that ends the wait at once.
 */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, intervalMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      if (error instanceof GiveUp) throw new Error(`gave up waiting for ${what}: ${error.message}`);
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
