// First: V8 must not grow its young generation for start-up's garbage (packages/server/src/runtime/heap-policy.ts).
import '@sepp/server/dist/runtime/start-up-heap';
import { runSeppApp } from '@sepp/server';
import { responderApp } from './responder-app';

void runSeppApp(responderApp);
