import type { SecureServerOptions } from 'node:http2';
import { ALPN_H2, http2Adapter, N32fControlController, N32fControlService, n32cRateLimitOnly, n32ServerAdapter, swapTlsOnReload, tlsProfileOptions, wireN32Server, type ListenerDefinition, type SeppConfig, type SeppHttp2Server } from '@sepp/server';
import { SbiForwarderService } from './sbi/sbi-forwarder.service';
import { TelescopicController } from './sbi/telescopic.controller';
import { TelescopicService } from './sbi/telescopic.service';

/** TLS for the NF-facing listener when `sbi.tls` is set (client certificates when `sbi.tls.ca` is). */
function sbiTls(config: SeppConfig): SecureServerOptions | null {
  const tls = config.sbi.tls;
  if (!tls) return null;
  const mutual = tls.ca.length > 0;
  // The same TLS profile as N32 (TS 33.210 6.2: TLS 1.2/1.3, ECDHE with AEAD suites only).
  return { ...tlsProfileOptions(config.tls.minVersion), cert: tls.cert, key: tls.key, ca: mutual ? [...tls.ca] : undefined, requestCert: mutual, rejectUnauthorized: mutual, ALPNProtocols: ALPN_H2 };
}

/** NF-facing: HTTP/2 on `sbi.listen` (h2c unless `sbi.tls`), forwarding plus the mapping API. */
export const sbiListener: ListenerDefinition = {
  name: 'sbi',
  protocol: (config) => (config.sbi.tls ? 'h2' : 'h2c'),
  address: (config) => config.sbi.listen,
  adapter: (config) => http2Adapter(sbiTls(config), config.n32f.bodyLimit, config.n32.idleTimeoutMs),
  controllers: [TelescopicController],
  shared: [TelescopicService, SbiForwarderService],
  bodyLimit: (config) => config.n32f.bodyLimit,
  prepare: (app) => {
    (app.getHttpServer() as unknown as SeppHttp2Server).fastPath = app.get(SbiForwarderService).handle;
  },
  // Certificate rotation (SIGHUP, POST /admin/reload, tls.watchFiles): new connections get the new material.
  onListening: (app, runtime) => swapTlsOnReload(app, runtime, 'sbi', sbiTls, ['sbi']),
};

/**
 * Optional N32 listener of the initiator (`n32.listen`): where the responder's second N32-c
 * connection brings n32f-error and n32f-terminate (TS 33.501 13.2.2.2 step 5), behind the
 * per-peer N32-c rate limit (`limits.n32cRateLimitPerPeer`).
 */
export const n32Listener: ListenerDefinition = {
  name: 'n32',
  servesN32c: true,
  protocol: () => 'h2',
  address: (config) => config.n32.listen,
  adapter: n32ServerAdapter,
  controllers: [N32fControlController],
  shared: [N32fControlService],
  bodyLimit: (config) => config.n32.bodyLimit,
  prepare: (app, runtime) => {
    (app.getHttpServer() as unknown as SeppHttp2Server).fastPath = n32cRateLimitOnly(runtime, 'n32');
  },
  onListening: wireN32Server,
};
