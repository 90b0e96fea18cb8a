import { Controller, Get, Inject } from '@nestjs/common';
import type { IpxConfig } from '../config/ipx-config';
import { IPX_CONFIG } from '../ipx.constants';
import { ipxSecInfo, type IpxSecInfo } from '../sec-info';

/** `GET /admin/sec-info`: what the SEPPs put in `ipxProviderSecInfoList` for this IPX. */
@Controller('admin')
export class SecInfoController {
  constructor(@Inject(IPX_CONFIG) private readonly config: IpxConfig) {}

  @Get('sec-info')
  secInfo(): IpxSecInfo {
    return ipxSecInfo(this.config);
  }
}
