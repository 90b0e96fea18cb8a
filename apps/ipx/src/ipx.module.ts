import { Global, Module, type DynamicModule } from '@nestjs/common';
import { HealthController, MetricsController, ReadinessService, SeppMetrics, STATUS_SOURCE, StatusPageController } from '@sepp/server';
import { SecInfoController } from './admin/sec-info.controller';
import type { IpxConfig } from './config/ipx-config';
import { IPX_CONFIG, IPX_LOGGER, type IpxLogger } from './ipx.constants';
import { NextHopClient } from './relay/next-hop.client';
import { RelayService } from './relay/relay.service';
import { IpxStatusService } from './status/ipx-status.service';

/**
 * The IPX's root module, served on the admin listener: the configuration, logger, readiness and
 * metrics (created before Nest starts), the relay and its next-hop client, the status page
 * (`GET /`) and `GET /metrics`. The N32-f listener mounts only its controller and borrows
 * RelayService from here.
 */
@Global()
@Module({})
export class IpxModule {
  static forRoot(config: IpxConfig, logger: IpxLogger, readiness: ReadinessService, metrics: SeppMetrics): DynamicModule {
    const runtime = [
      { provide: IPX_CONFIG, useValue: config },
      { provide: IPX_LOGGER, useValue: logger },
      { provide: ReadinessService, useValue: readiness },
      { provide: SeppMetrics, useValue: metrics },
    ];
    return {
      module: IpxModule,
      providers: [...runtime, NextHopClient, RelayService, IpxStatusService, { provide: STATUS_SOURCE, useExisting: IpxStatusService }],
      controllers: [HealthController, SecInfoController, StatusPageController, MetricsController],
      exports: [...runtime.map((p) => p.provide), RelayService, IpxStatusService],
    };
  }
}
