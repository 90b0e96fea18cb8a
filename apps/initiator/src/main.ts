// First: V8 must not grow its young generation for start-up's garbage (packages/server/src/runtime/heap-policy.ts).
import '@sepp/server/dist/runtime/start-up-heap';
import { runSeppApp } from '@sepp/server';
import { AppModule } from './app.module';
import { n32Listener, sbiListener } from './listeners';

void runSeppApp({
  role: 'initiator',
  rootModule: (runtime) => AppModule.forRoot(runtime),
  listeners: [sbiListener, n32Listener],
});
