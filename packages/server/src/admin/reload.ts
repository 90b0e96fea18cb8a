import { ConfigError } from '../config/load-config';
import type { SeppLogger } from '../logging/logger';
import type { ConfigService } from '../runtime/config.service';

/** Reloads and logs the outcome; the one path for SIGHUP, POST /admin/reload and `tls.watchFiles`. */
export function reloadConfiguration(config: ConfigService, logger: SeppLogger, trigger: 'SIGHUP' | 'admin' | 'file-watch'): readonly string[] {
  try {
    const { changed } = config.reload();
    logger.info({ trigger, changed, file: config.current.source }, 'configuration reloaded');
    return changed;
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error({ trigger, problems: error.problems, file: config.current.source }, 'configuration not reloaded: invalid file');
    }
    throw error;
  }
}
