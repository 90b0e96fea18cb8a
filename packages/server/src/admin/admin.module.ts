import { Module } from '@nestjs/common';
import { MetricsController } from '../metrics/metrics.controller';
import { OpenApiController } from '../openapi/openapi.controller';
import { ContextsController } from './contexts.controller';
import { HealthController } from './health.controller';
import { PeersController } from './peers.controller';
import { ReloadController } from './reload.controller';

/** The admin API (loopback by default): /healthz, /readyz, /admin/peers, /admin/contexts, POST /admin/reload, /metrics. */
@Module({ controllers: [HealthController, PeersController, ReloadController, ContextsController, MetricsController, OpenApiController] })
export class AdminModule {}
