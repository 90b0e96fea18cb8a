import { Controller, Get, Query } from '@nestjs/common';
import { FQDN_PATTERN, N32Error, N32ErrorCode } from '@sepp/protocol';
import { ProblemException, StateStoreUnavailable } from '@sepp/server';
import { TelescopicService } from './telescopic.service';

/** TS 29.573 SeppTelescopicFqdnMapping: `TelescopicMapping` either way. */
export interface TelescopicMapping {
  telescopicLabel: string;
  seppDomain: string;
  foreignFqdn: string;
}

/** GET /nsepp-telescopic/v1/mapping?foreign-fqdn=… | ?telescopic-label=… on the NF-facing listener. */
@Controller('nsepp-telescopic/v1')
export class TelescopicController {
  constructor(private readonly telescopic: TelescopicService) {}

  @Get('mapping')
  async mapping(@Query('foreign-fqdn') foreignFqdn?: unknown, @Query('telescopic-label') label?: unknown): Promise<TelescopicMapping> {
    const table = this.telescopic.table;
    if ((foreignFqdn === undefined) === (label === undefined)) {
      throw new N32Error(N32ErrorCode.MANDATORY_IE_MISSING, 'give exactly one of foreign-fqdn and telescopic-label', [
        { param: 'query foreign-fqdn', reason: 'exactly one of foreign-fqdn and telescopic-label' },
      ]);
    }
    if (foreignFqdn !== undefined) {
      if (typeof foreignFqdn !== 'string' || !FQDN_PATTERN.test(foreignFqdn) || foreignFqdn.length > 253) {
        throw new N32Error(N32ErrorCode.MANDATORY_IE_INCORRECT, 'foreign-fqdn must be an FQDN', [{ param: 'query foreign-fqdn', reason: 'must be an FQDN' }]);
      }
      const fqdn = foreignFqdn.toLowerCase().replace(/\.$/, '');
      let telescopicLabel: string;
      try {
        telescopicLabel = await this.telescopic.labelFor(fqdn);
      } catch (error) {
        if (!(error instanceof StateStoreUnavailable)) throw error;
        throw new N32Error(N32ErrorCode.STATE_STORE_UNAVAILABLE, `the label of ${fqdn} is opaque and cannot be stored now: ${error.message}`);
      }
      return { telescopicLabel, seppDomain: table.seppDomain, foreignFqdn: fqdn };
    }
    if (typeof label !== 'string' || label.length === 0 || label.length > 63) {
      throw new N32Error(N32ErrorCode.MANDATORY_IE_INCORRECT, 'telescopic-label must be a DNS label', [{ param: 'query telescopic-label', reason: 'must be a DNS label' }]);
    }
    const fqdn = await this.telescopic.resolve(label);
    if (!fqdn) throw new ProblemException({ status: 404, cause: 'UNKNOWN_TELESCOPIC_LABEL', detail: `no foreign FQDN is known for ${label}` });
    return { telescopicLabel: label.toLowerCase(), seppDomain: table.seppDomain, foreignFqdn: fqdn };
  }
}
