import type { SeppAppDefinition } from '@sepp/server';
import { AppModule } from './app.module';
import { n32fListener, n32Listener } from './listeners';

/**
 * The responder as `runSeppApp` runs it. A team's own build of the responder starts the same
 * definition with its modules next to `AppModule` (see examples/border-check):
 * `runSeppApp({ ...responderApp, rootModule: (runtime) => ({ module: X, imports: [AppModule.forRoot(runtime), TheirModule] }) })`.
 */
export const responderApp: SeppAppDefinition = {
  role: 'responder',
  rootModule: (runtime) => AppModule.forRoot(runtime),
  listeners: [n32Listener, n32fListener],
  checkConfig: (config) => (config.n32.listen ? [] : [{ key: 'n32.listen', problem: 'is required for the responder' }]),
};

export { AppModule };
