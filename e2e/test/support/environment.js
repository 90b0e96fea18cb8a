'use strict';
// The e2e test environment: jest's node environment, plus a teardown that runs after every hook
// of a test file (also when a test or a hook failed) and stops the child processes the file
// started and left running (support/children.ts records them). SIGTERM first (an app stops
// gracefully, the demo runner stops its own children), SIGKILL after 5 s. Each one is named on
// stderr: a leftover is a bug of the test file that left it.
const { TestEnvironment } = require('jest-environment-node');

const CHILDREN_KEY = '__seppChildProcesses';
const TERM_GRACE_MS = 5_000;

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

function stop(child) {
  return new Promise((resolve) => {
    if (exited(child)) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  }).then(() => {
    // Pipes still open would keep the event loop (and jest) alive.
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
  });
}

class E2eEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async teardown() {
    const children = this.global[CHILDREN_KEY];
    const left = children ? [...children].filter((child) => !exited(child)) : [];
    if (left.length > 0) {
      process.stderr.write(`e2e: ${this.testPath} left ${left.length} process(es) running (pid ${left.map((c) => c.pid).join(', ')}: ${left.map((c) => c.spawnargs.slice(1, 2).join(' ')).join(', ')}); stopping them\n`);
      await Promise.all(left.map(stop));
    }
    await super.teardown();
  }
}

module.exports = E2eEnvironment;
