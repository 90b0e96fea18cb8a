import { Module, type DynamicModule } from '@nestjs/common';
import { BorderModule, PrinsModule, SeppRuntimeModule, type SeppRuntime } from '@sepp/server';
import { N32cModule } from './n32c/n32c.module';
import { SbiModule } from './sbi/sbi.module';

/**
 * The initiator's root module: every service of the app. Teams extend the initiator by adding
 * their modules here.
 */
@Module({})
export class AppModule {
  static forRoot(runtime: SeppRuntime): DynamicModule {
    return { module: AppModule, imports: [SeppRuntimeModule.forRoot(runtime), BorderModule, PrinsModule, N32cModule, SbiModule] };
  }
}
