import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const RESPONDER_MAIN = resolve(REPO_ROOT, 'apps/responder/dist/main.js');
export const INITIATOR_MAIN = resolve(REPO_ROOT, 'apps/initiator/dist/main.js');
export const PROBE_CLI = resolve(REPO_ROOT, 'packages/probe/dist/cli.js');
