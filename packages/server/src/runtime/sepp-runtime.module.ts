import { Global, Module, type DynamicModule } from '@nestjs/common';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { PeerRegistry } from '../peers/peer-registry.service';
import { ConfigService } from './config.service';
import { ReadinessService } from './readiness.service';
import { SEPP_LOGGER, SEPP_ROLE, SEPP_STATE, type SeppRuntime } from './sepp-runtime';

/**
 * Makes the process-wide runtime injectable everywhere: `ConfigService`, `PeerRegistry`,
 * `ReadinessService`, `SeppMetrics`, the logger (`@Inject(SEPP_LOGGER)`), the role (`@Inject(SEPP_ROLE)`) and the state store (`@Inject(SEPP_STATE)`).
 */
@Global()
@Module({})
export class SeppRuntimeModule {
  static forRoot(runtime: SeppRuntime): DynamicModule {
    const providers = [
      { provide: ConfigService, useValue: runtime.config },
      { provide: PeerRegistry, useValue: runtime.peers },
      { provide: ReadinessService, useValue: runtime.readiness },
      { provide: SeppMetrics, useValue: runtime.metrics },
      { provide: SEPP_LOGGER, useValue: runtime.logger },
      { provide: SEPP_ROLE, useValue: runtime.role },
      { provide: SEPP_STATE, useValue: runtime.state },
    ];
    return { module: SeppRuntimeModule, providers, exports: providers.map((p) => p.provide) };
  }
}
