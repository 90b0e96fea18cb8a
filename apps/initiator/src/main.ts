import { runSeppApp } from '@sepp/server';
import { AppModule } from './app.module';

void runSeppApp({
  role: 'initiator',
  rootModule: (runtime) => AppModule.forRoot(runtime),
  listeners: [],
});
