import { Global, Module } from '@nestjs/common';
import { HiddenNameTable } from '@sepp/protocol';
import { BorderChecks } from './border-checks';
import { HIDDEN_NAMES } from './border.constants';
import { BorderService } from './border.service';

/**
 * Border protection for both apps: the per-peer gates (`BorderService`), the registry other teams
 * add their checks to (`BorderChecks`) and the hidden-name table (`HIDDEN_NAMES`). Global, so a
 * team's module injects `BorderChecks` without importing this one.
 */
@Global()
@Module({
  providers: [BorderService, BorderChecks, { provide: HIDDEN_NAMES, useFactory: () => new HiddenNameTable() }],
  exports: [BorderService, BorderChecks, HIDDEN_NAMES],
})
export class BorderModule {}
