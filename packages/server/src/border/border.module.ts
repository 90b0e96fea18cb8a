import { Global, Module } from '@nestjs/common';
import { HiddenNameTable, hiddenNameKeysOf } from '@sepp/protocol';
import { ConfigService } from '../runtime/config.service';
import { BorderChecks } from './border-checks';
import { HIDDEN_NAMES } from './border.constants';
import { BorderService } from './border.service';
import { hiddenNameKeyOf } from './hidden-name-key';

/**
 * The hidden-name table of this process: keyed from the N32 TLS key (hidden-name-key.ts), and
 * primed with the names of `sbi.allowedTargets` (again at each reload), so a request to a label
 * another process of this SEPP handed out for one of our NFs (the other app, a replica, this one
 * before a restart) is recovered here too. What no process of the SEPP can deliver to is not primed.
 */
export function hiddenNamesOf(config: ConfigService): HiddenNameTable {
  const table = new HiddenNameTable(hiddenNameKeyOf(config.current.tls.material.key));
  const prime = (): void => void table.prime(config.current.sbi.allowedTargets.flatMap(hiddenNameKeysOf));
  prime();
  config.on('reload', ({ changed }) => {
    if (changed.includes('sbi')) prime();
  });
  return table;
}

/**
 * Border protection for both apps: the per-peer gates (`BorderService`), the registry other teams
 * add their checks to (`BorderChecks`) and the hidden-name table (`HIDDEN_NAMES`,
 * {@link hiddenNamesOf}). Global, so a team's module injects `BorderChecks` without importing this
 * one.
 */
@Global()
@Module({
  providers: [BorderService, BorderChecks, { provide: HIDDEN_NAMES, useFactory: hiddenNamesOf, inject: [ConfigService] }],
  exports: [BorderService, BorderChecks, HIDDEN_NAMES],
})
export class BorderModule {}
