import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { PeersController } from './peers.controller';
import { ReloadController } from './reload.controller';

/** The admin API (loopback by default): /healthz, /readyz, /admin/peers, POST /admin/reload. */
@Module({ controllers: [HealthController, PeersController, ReloadController] })
export class AdminModule {}
