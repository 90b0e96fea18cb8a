import { Module } from '@nestjs/common';
import { ContextsController } from './contexts.controller';
import { HealthController } from './health.controller';
import { PeersController } from './peers.controller';
import { ReloadController } from './reload.controller';

/** The admin API (loopback by default): /healthz, /readyz, /admin/peers, /admin/contexts, POST /admin/reload. */
@Module({ controllers: [HealthController, PeersController, ReloadController, ContextsController] })
export class AdminModule {}
