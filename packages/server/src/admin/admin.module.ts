import { Module } from '@nestjs/common';
import { MetricsController } from '../metrics/metrics.controller';
import { OpenApiController } from '../openapi/openapi.controller';
import { SeppStatusModule } from '../status/status.module';
import { ContextsController } from './contexts.controller';
import { HealthController } from './health.controller';
import { PeersController } from './peers.controller';
import { ReloadController } from './reload.controller';

/** The admin API (loopback by default): /healthz, /readyz, /admin/peers, /admin/contexts, POST /admin/reload, /metrics, the status page (/, /admin/status), /docs. */
@Module({ imports: [SeppStatusModule], controllers: [HealthController, PeersController, ReloadController, ContextsController, MetricsController, OpenApiController] })
export class AdminModule {}
