import { runSeppApp } from '@sepp/server';
import { AppModule } from './app.module';
import { n32Listener, sbiListener } from './listeners';

void runSeppApp({
  role: 'initiator',
  rootModule: (runtime) => AppModule.forRoot(runtime),
  listeners: [sbiListener, n32Listener],
});
