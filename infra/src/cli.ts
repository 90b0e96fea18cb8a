/** What every command-line entry point of infra shares. */

/** Runs a CLI's main and exits with its code (1 and the error on stderr if it throws). */
export function exitWith(main: Promise<number>): void {
  main.then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** Resolves on the first SIGTERM or SIGINT: a long-running CLI stops then. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
}
