// First: V8 must not grow its young generation for start-up's garbage (packages/server/src/runtime/heap-policy.ts).
import '@sepp/server/dist/runtime/start-up-heap';
import { runSeppApp } from '@sepp/server';
import { AppModule } from './app.module';
import { n32fListener, n32Listener } from './listeners';

void runSeppApp({
  role: 'responder',
  rootModule: (runtime) => AppModule.forRoot(runtime),
  listeners: [n32Listener, n32fListener],
  checkConfig: (config) => (config.n32.listen ? [] : [{ key: 'n32.listen', problem: 'is required for the responder' }]),
});
