import { Injectable } from '@nestjs/common';
import { TelescopicMappingTable } from '@sepp/protocol';
import { ConfigService } from '@sepp/server';

/** The telescopic FQDN table of our SEPP domain (`<label>.<sepp.fqdn>`). */
@Injectable()
export class TelescopicService {
  private current: TelescopicMappingTable;

  constructor(config: ConfigService) {
    this.current = new TelescopicMappingTable(config.current.sepp.fqdn);
    config.on('reload', ({ current }) => {
      if (current.sepp.fqdn !== this.current.seppDomain) this.current = new TelescopicMappingTable(current.sepp.fqdn);
    });
  }

  get table(): TelescopicMappingTable {
    return this.current;
  }
}
