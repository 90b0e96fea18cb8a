// The resilience suite (`pnpm test:resilience`): fuzzing, 50 simulated peers, faults, abuse and a
// soak against the built apps on loopback. Separate from `pnpm test` (its own testMatch); one file
// at a time (the cases measure CPU-bound recovery and memory on a 2-core machine), and a reporter
// that prints the summary table the cases record.
const base = require('../jest.base')(__dirname);

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testEnvironment: '<rootDir>/test/support/environment.js',
  testMatch: ['<rootDir>/resilience/**/*.resilience.ts'],
  maxWorkers: 1,
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/resilience/summary-reporter.js'],
};
