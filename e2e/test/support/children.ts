import type { ChildProcess } from 'node:child_process';

/** The key of the set of child processes a test file started, on the test file's global object. */
export const CHILDREN_KEY = '__seppChildProcesses';

/**
 * Records a child process of the test file until it has exited. The test environment
 * (`environment.js`) stops whatever is still running when the file is done, hooks included, even
 * after a failure: a failing test never leaves a process (or the pipes that keep jest alive) behind.
 */
export function track<C extends ChildProcess>(child: C): C {
  const registry = globalThis as unknown as Record<string, Set<ChildProcess> | undefined>;
  const children = (registry[CHILDREN_KEY] ??= new Set<ChildProcess>());
  children.add(child);
  child.once('close', () => children.delete(child));
  return child;
}
