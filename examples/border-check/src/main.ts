import { Module } from '@nestjs/common';
import { runSeppApp } from '@sepp/server';
import { AppModule, responderApp } from '@sepp/responder/dist/responder-app';
import { BarredSubscribersModule } from './barred-subscribers.module';

@Module({})
class ResponderWithBarredSubscribers {}

/**
 * The responder with the team's module loaded: the SEPP's own modules unchanged, theirs next to
 * them. `EXAMPLE_BARRED_SUPIS` lists the barred SUPIs (comma-separated).
 */
void runSeppApp({
  ...responderApp,
  rootModule: (runtime) => ({
    module: ResponderWithBarredSubscribers,
    imports: [AppModule.forRoot(runtime), BarredSubscribersModule.forRoot((process.env['EXAMPLE_BARRED_SUPIS'] ?? '').split(',').filter(Boolean))],
  }),
});
