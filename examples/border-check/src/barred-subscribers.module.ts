import { Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { BorderChecks } from '@sepp/server';
import { BarredSubscribersCheck } from './barred-subscribers.check';
import { BARRED_SUBSCRIBERS } from './barred-subscribers.constants';

/**
 * How a team adds a border check: its own module, which registers its check with the SEPP's
 * `BorderChecks` registry (global: injectable without importing BorderModule) when the app starts.
 */
@Module({})
export class BarredSubscribersModule implements OnModuleInit {
  constructor(
    private readonly checks: BorderChecks,
    private readonly check: BarredSubscribersCheck,
  ) {}

  static forRoot(supis: readonly string[]): DynamicModule {
    return {
      module: BarredSubscribersModule,
      providers: [{ provide: BARRED_SUBSCRIBERS, useValue: new Set(supis) }, BarredSubscribersCheck],
    };
  }

  onModuleInit(): void {
    this.checks.register(this.check);
  }
}
