import type { Logger } from 'pino';

/** The labels warnings are counted under: Node's own warning names, and `other` for a library's own. */
export const PROCESS_WARNING_KINDS = [
  'Warning',
  'DeprecationWarning',
  'ExperimentalWarning',
  'MaxListenersExceededWarning',
  'UnhandledPromiseRejectionWarning',
  'TimeoutOverflowWarning',
  'SecurityWarning',
  'other',
] as const;

const KNOWN_WARNINGS: ReadonlySet<string> = new Set(PROCESS_WARNING_KINDS);

/** The label a warning is counted under. */
export function warningKind(warning: Error): string {
  return KNOWN_WARNINGS.has(warning.name) ? warning.name : 'other';
}

/**
 * Node prints its process warnings (a possible EventEmitter leak, a deprecation, a timer that
 * overflows) as raw `(node:PID) ...` lines on stderr, outside the JSON log that operators
 * collect and search. This takes them into it: Node's own printer is removed, and each warning
 * becomes one `warn` line (`Node.js process warning`, with `warning: {name, code, message}`)
 * and goes to `count` (a metric). Call once, at start-up (`target` is for tests: a test runner's
 * sandbox does not see the process's own warning events).
 */
export function logProcessWarnings(logger: Logger, count: (kind: string) => void = () => undefined, target: NodeJS.EventEmitter = process): void {
  target.removeAllListeners('warning');
  target.on('warning', (warning: Error & { code?: string; detail?: string }) => {
    count(warningKind(warning));
    logger.warn(
      { warning: { name: warning.name, ...(warning.code ? { code: warning.code } : {}), message: warning.message, ...(warning.detail ? { detail: warning.detail } : {}) } },
      'Node.js process warning',
    );
  });
}
