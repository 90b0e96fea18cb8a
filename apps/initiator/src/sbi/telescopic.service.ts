import { Inject, Injectable } from '@nestjs/common';
import { encodeTelescopicLabel, isOpaqueLabel, N32Error, N32ErrorCode, TelescopicMappingTable } from '@sepp/protocol';
import { ConfigService, SEPP_LOGGER, SEPP_STATE, type N32StateStore, type SeppLogger } from '@sepp/server';

/**
 * The telescopic FQDN table of our SEPP domain (`<label>.<sepp.fqdn>`). Opaque labels (FQDNs too
 * long for one label) are also kept in the state store: they survive restarts and resolve on
 * every replica; `table` is this process's cache.
 */
@Injectable()
export class TelescopicService {
  private current: TelescopicMappingTable;

  constructor(
    config: ConfigService,
    @Inject(SEPP_STATE) private readonly store: N32StateStore,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {
    this.current = new TelescopicMappingTable(config.current.sepp.fqdn);
    config.on('reload', ({ current }) => {
      if (current.sepp.fqdn !== this.current.seppDomain) this.current = new TelescopicMappingTable(current.sepp.fqdn);
    });
  }

  get table(): TelescopicMappingTable {
    return this.current;
  }

  /** The label of a foreign FQDN, stored first when it is opaque (throws StateStoreUnavailable). */
  async labelFor(foreignFqdn: string): Promise<string> {
    const label = this.current.labelFor(foreignFqdn);
    if (isOpaqueLabel(label)) await this.store.putLabel(label, foreignFqdn.toLowerCase().replace(/\.$/, ''));
    return label;
  }

  /**
   * The foreign FQDN of a label: direct labels decode, opaque ones come from this process or the
   * store (handed out by another replica, or before a restart). Null when unknown; an opaque label
   * this process does not hold while the store does not answer is no unknown label: N32Error
   * STATE_STORE_UNAVAILABLE (503), as for a label that cannot be stored.
   */
  async resolve(label: string): Promise<string | null> {
    const lower = label.toLowerCase();
    const known = this.current.fqdnFor(lower);
    if (known || !isOpaqueLabel(lower)) return known;
    let fqdn: string | null;
    try {
      fqdn = await this.store.getLabel(lower);
    } catch (error) {
      this.logger.warn({ label: lower, error: (error as Error).message }, 'telescopic label not looked up: the state store is unreachable');
      throw new N32Error(N32ErrorCode.STATE_STORE_UNAVAILABLE, `the telescopic label ${lower} is opaque and cannot be looked up now: ${(error as Error).message}`);
    }
    // Only what really encodes to this label is taken (the store is not a way to redirect traffic).
    if (!fqdn || encodeTelescopicLabel(fqdn).label !== lower) return null;
    this.current.labelFor(fqdn);
    return fqdn;
  }
}
