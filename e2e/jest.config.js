// The e2e suite: the built apps as processes. Its test environment stops any process a test file
// left running once the file is done (test/support/environment.js), so a failing test cannot keep
// jest from exiting.
/** @type {import('jest').Config} */
module.exports = { ...require('../jest.base')(__dirname), testEnvironment: '<rootDir>/test/support/environment.js' };
