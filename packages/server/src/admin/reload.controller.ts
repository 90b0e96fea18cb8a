import { Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ConfigError } from '../config/load-config';
import type { SeppLogger } from '../logging/logger';
import { ProblemException } from '../problem/problem.exception';
import { ConfigService } from '../runtime/config.service';
import { SEPP_LOGGER } from '../runtime/sepp-runtime';
import { reloadConfiguration } from './reload';

@Controller('admin')
export class ReloadController {
  constructor(
    private readonly config: ConfigService,
    @Inject(SEPP_LOGGER) private readonly logger: SeppLogger,
  ) {}

  /** Same as SIGHUP: re-read the configuration file; an invalid file changes nothing (400). */
  @Post('reload')
  @HttpCode(200)
  reload(): { reloaded: true; changed: readonly string[] } {
    try {
      return { reloaded: true, changed: reloadConfiguration(this.config, this.logger, 'admin') };
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ProblemException({
        status: 400,
        cause: 'INVALID_MSG_FORMAT',
        detail: `configuration not reloaded: ${error.message}`,
        invalidParams: error.problems.map(({ key, problem }) => ({ param: key || '/', reason: problem })),
      });
    }
  }
}
