import { Module, type DynamicModule } from '@nestjs/common';
import { BorderModule, PrinsModule, SeppRuntimeModule, type SeppRuntime } from '@sepp/server';
import { N32cModule } from './n32c/n32c.module';
import { N32fModule } from './n32f/n32f.module';

/**
 * The responder's root module: every service of the app. Teams extend the responder by adding
 * their modules here (services) and their controllers to a listener in `listeners.ts`.
 */
@Module({})
export class AppModule {
  static forRoot(runtime: SeppRuntime): DynamicModule {
    return { module: AppModule, imports: [SeppRuntimeModule.forRoot(runtime), BorderModule, PrinsModule, N32cModule, N32fModule] };
  }
}
