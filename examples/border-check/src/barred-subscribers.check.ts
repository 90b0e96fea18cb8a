import { Inject, Injectable } from '@nestjs/common';
import type { BorderCheck, BorderCheckMessage, BorderCheckRefusal } from '@sepp/server';
import { BARRED_SUBSCRIBERS } from './barred-subscribers.constants';

/**
 * Refuses requests from roaming partners about subscribers the operator has barred from roaming:
 * the SUPI in the path of Nudm_SDM / Nudm_UECM, or `supiOrSuci` in a Nausf_UEAuthentication body.
 * A check of "our team", not of the SEPP: it lives in this module only.
 */
@Injectable()
export class BarredSubscribersCheck implements BorderCheck {
  readonly name = 'barred-subscribers';
  readonly kinds = ['request'] as const;
  /** Only what comes in from the peer. */
  readonly directions = ['inbound'] as const;
  readonly apis = ['nudm-sdm', 'nudm-uecm', 'nausf-auth'];
  /** The AUSF body is read (in TLS mode the SEPP then reads these requests whole). */
  readonly needsBody = true;

  constructor(@Inject(BARRED_SUBSCRIBERS) private readonly barred: ReadonlySet<string>) {}

  check(message: BorderCheckMessage): BorderCheckRefusal | null {
    const supi = message.api === 'nausf-auth' ? (message.json() as { supiOrSuci?: unknown } | undefined)?.supiOrSuci : decodeURIComponent(message.path.split('/')[3] ?? '');
    if (typeof supi !== 'string' || !this.barred.has(supi)) return null;
    return { status: 403, cause: 'ROAMING_NOT_ALLOWED', detail: 'the subscriber may not roam in this network', invalidParams: [{ param: message.api === 'nausf-auth' ? '/supiOrSuci' : 'path {supi}', reason: 'barred from roaming' }] };
  }
}
