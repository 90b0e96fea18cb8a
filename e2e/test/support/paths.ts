import { resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../../..');
export const RESPONDER_MAIN = resolve(REPO_ROOT, 'apps/responder/dist/main.js');
export const INITIATOR_MAIN = resolve(REPO_ROOT, 'apps/initiator/dist/main.js');
