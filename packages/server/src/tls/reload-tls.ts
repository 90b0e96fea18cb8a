import type { Http2SecureServer, SecureServerOptions } from 'node:http2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SeppConfig } from '../config/sepp-config';
import type { SeppRuntime } from '../runtime/sepp-runtime';

/**
 * Certificate rotation without a restart for a TLS listener that is not an N32 one (those are
 * wired by `wireN32Server`): when a reload (SIGHUP, POST /admin/reload, `tls.watchFiles`) changes
 * one of `areas`, the server's secure context is replaced. New connections get the new material,
 * established ones keep theirs. A listener that was started without TLS stays without.
 */
export function swapTlsOnReload(
  app: NestFastifyApplication,
  runtime: SeppRuntime,
  listener: string,
  options: (config: SeppConfig) => SecureServerOptions | null,
  areas: readonly string[],
): void {
  const server = app.getHttpServer() as unknown as Partial<Http2SecureServer>;
  if (typeof server.setSecureContext !== 'function') return;
  runtime.config.on('reload', ({ current, changed }) => {
    if (!areas.some((area) => changed.includes(area))) return;
    const next = options(current);
    if (!next) {
      runtime.logger.warn({ listener }, 'TLS cannot be turned off on a running listener: restart to apply');
      return;
    }
    server.setSecureContext!(next);
    runtime.logger.info({ listener }, 'TLS material replaced for new connections');
  });
}
