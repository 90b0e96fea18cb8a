import { EventEmitter } from 'node:events';
import { loadConfig } from '../config/load-config';
import type { SeppConfig } from '../config/sepp-config';

export interface ConfigReload {
  readonly previous: SeppConfig;
  readonly current: SeppConfig;
  /** Top-level areas that differ: `capabilities`, `peers`, `tls`, ... */
  readonly changed: readonly string[];
}

/** More `reload` listeners than this is a leak (Node warns then). */
export const RELOAD_LISTENERS_BOUND = 64;

/**
 * Holds the running configuration and swaps it atomically on reload (SIGHUP or
 * POST /admin/reload). A file that does not validate leaves the running configuration untouched.
 */
export class ConfigService extends EventEmitter<{ reload: [ConfigReload] }> {
  private config: SeppConfig;

  constructor(
    initial: SeppConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
    // One `reload` listener per component and listener, each added once at start-up (about a dozen
    // with every feature on). Node's default of 10 would print a memory-leak warning for that; a
    // count past this bound would be one.
    this.setMaxListeners(RELOAD_LISTENERS_BOUND);
    this.config = initial;
  }

  get current(): SeppConfig {
    return this.config;
  }

  /** Re-reads the file; throws ConfigError (and keeps the old configuration) if it is invalid. */
  reload(): ConfigReload {
    const previous = this.config;
    const current = loadConfig(previous.source, this.env);
    this.config = current;
    const reload: ConfigReload = { previous, current, changed: diffAreas(previous, current) };
    this.emit('reload', reload);
    return reload;
  }
}

function diffAreas(a: SeppConfig, b: SeppConfig): string[] {
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);
  const areas: [string, unknown, unknown][] = [
    ['identity', [a.sepp.fqdn, a.sepp.plmns, a.sepp.supportedFeatures, a.sepp.targetApiRootSupported], [b.sepp.fqdn, b.sepp.plmns, b.sepp.supportedFeatures, b.sepp.targetApiRootSupported]],
    ['capabilities', a.sepp.capabilities, b.sepp.capabilities],
    ['peers', [a.n32.peers, a.n32.acceptUnknownPeers, a.n32.purposes], [b.n32.peers, b.n32.acceptUnknownPeers, b.n32.purposes]],
    ['tls', n32TlsKey(a), n32TlsKey(b)],
    ['timers', [a.n32.retry, a.n32.renegotiation, a.n32.requestTimeoutMs, a.n32.keepaliveMs, a.n32.idleTimeoutMs], [b.n32.retry, b.n32.renegotiation, b.n32.requestTimeoutMs, b.n32.keepaliveMs, b.n32.idleTimeoutMs]],
    ['listeners', [a.n32.listen, a.admin.listen, a.sbi.listen, a.n32f.listen], [b.n32.listen, b.admin.listen, b.sbi.listen, b.n32f.listen]],
    ['n32f', [a.n32f.connection, a.n32f.fqdn, a.n32f.tls.cert.toString('base64'), a.n32f.requestTimeoutMs, a.n32f.establishTimeoutMs, a.n32f.maxConcurrentPerPeer, a.n32f.bodyLimit], [b.n32f.connection, b.n32f.fqdn, b.n32f.tls.cert.toString('base64'), b.n32f.requestTimeoutMs, b.n32f.establishTimeoutMs, b.n32f.maxConcurrentPerPeer, b.n32f.bodyLimit]],
    ['prins', [a.prins], [b.prins]],
    ['sbi', [a.sbi.allowedTargets, a.sbi.hosts, sbiTlsKey(a), a.sbi.keepaliveMs], [b.sbi.allowedTargets, b.sbi.hosts, sbiTlsKey(b), b.sbi.keepaliveMs]],
    ['admin', tlsKey(a.admin.tls), tlsKey(b.admin.tls)],
    ['limits', [a.limits, a.tls.watchFiles, a.tls.files], [b.limits, b.tls.watchFiles, b.tls.files]],
    ['border', a.border, b.border],
  ];
  return areas.filter(([, x, y]) => !same(x, y)).map(([name]) => name);
}

/** The N32 TLS material (certificate, key, trusted roots, CRLs) and profile, to notice a rotation or a new CRL. */
function n32TlsKey(config: SeppConfig): unknown[] {
  const { material, minVersion } = config.tls;
  return [material.cert.toString('base64'), material.key.toString('base64'), material.ca.map((c) => c.toString('base64')), material.crl.map((c) => c.toString('base64')), minVersion];
}

/** The NF-facing TLS material (certificate, key and trusted roots), to notice a rotation. */
function sbiTlsKey(config: SeppConfig): string[] | null {
  return tlsKey(config.sbi.tls);
}

function tlsKey(tls: { cert: Buffer; key: Buffer; ca: readonly Buffer[] } | null): string[] | null {
  return tls ? [tls.cert, tls.key, ...tls.ca].map((pem) => pem.toString('base64')) : null;
}
