import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AdminModule } from '../admin/admin.module';
import { reloadConfiguration } from '../admin/reload';
import { ConfigError, loadConfig, resolveConfigPath } from '../config/load-config';
import type { ListenAddress, SeppConfig } from '../config/sepp-config';
import { createLogger, NestPinoLogger, type SeppLogger } from '../logging/logger';
import { logProcessWarnings } from '../logging/process-warnings';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { PeerRegistry } from '../peers/peer-registry.service';
import { ProblemDetailsFilter } from '../problem/problem-details.filter';
import { answerFrameworkError } from '../problem/framework-errors';
import { ConfigService } from '../runtime/config.service';
import { ReadinessService } from '../runtime/readiness.service';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import type { ListenerDefinition, ListenerProtocol, SeppAppDefinition } from './listener';
import { instrumentListener } from '../metrics/instrument';
import { useListenerLimits } from '../limits/listener-limits';
import { closeListenerConnections, drainListeners } from '../limits/drain';
import { protectListener, type ListenerGuard } from '../limits/protect-listener';
import { watchTlsFiles } from '../tls/watch-tls-files';
import { closeRevokedOnReload } from '../tls/revocation';
import type { SeppHttp2Server } from '../n32f/dispatching-server';
import { swapTlsOnReload } from '../tls/reload-tls';
import { tlsProfileOptions } from '../tls/tls-options';
import { createStateStore } from '../state/create-state-store';
import { refuseCrossSiteActions } from '../admin/same-origin';
import { listenerRefusals } from '../status/listener-refusals';
import { applyRunningHeapPolicy } from '../runtime/heap-policy';
import { installLeanAsyncResourceBind } from '../runtime/async-resource-bind';

/** Exit code for a configuration that cannot be used (CONFIG.md). */
/** The listeners whose peers are SEPPs (N32 TLS, `tls.ca`/`tls.crl`): the N32 one and the responder's dedicated N32-f one. */
const N32_LISTENERS: ReadonlySet<string> = new Set(['n32', 'n32f']);

export const EXIT_CONFIG = 2;
/** Exit code when a valid configuration still cannot be served (a port in use). */
export const EXIT_STARTUP = 1;

@Module({})
class ListenerHostModule {}

export interface RunningSeppApp {
  readonly runtime: SeppRuntime;
  readonly root: NestFastifyApplication;
  readonly listeners: ReadonlyMap<string, NestFastifyApplication>;
  shutdown(reason: string): Promise<void>;
}

/**
 * Starts one SEPP app: configuration first (exit 2 before anything listens if it is unusable),
 * then the root application on the admin listener, then each configured listener. Logs one JSON
 * line per listener once it listens, wires SIGHUP to reload and SIGTERM/SIGINT to a graceful stop.
 */
export async function runSeppApp(definition: SeppAppDefinition, argv: readonly string[] = process.argv.slice(2)): Promise<RunningSeppApp> {
  installLeanAsyncResourceBind();
  const config = loadOrExit(definition, argv);
  const logger = createLogger(definition.role, config.logging.level);
  try {
    return await start(definition, config, logger);
  } catch (error) {
    // A listener that cannot bind (port in use, address not local) and the like: say so in one
    // log line and exit, rather than leave a half-started SEPP behind.
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(EXIT_STARTUP);
  }
}

/** How long start-up waits for a shared state store's first answer before going on without it. */
const STORE_STARTUP_WAIT_MS = 5_000;

async function start(definition: SeppAppDefinition, config: SeppConfig, logger: SeppLogger): Promise<RunningSeppApp> {
  const runtime: SeppRuntime = {
    role: definition.role,
    logger,
    config: new ConfigService(config),
    peers: new PeerRegistry(logger),
    readiness: new ReadinessService(),
    metrics: new SeppMetrics(definition.role),
    state: createStateStore(config, logger),
  };
  logProcessWarnings(logger, (name) => runtime.metrics.processWarnings.inc({ name }));
  runtime.readiness.dependOn('state', () => runtime.state.health());
  runtime.metrics.followStateStore(runtime.state);
  // The services ask the store from their first moment (the initiator negotiates at once, and a
  // PRINS context is stored before it is used): give a shared store the time to connect (a Redis
  // Cluster client reads the slot map first, a Sentinel client asks for the master), bounded, so
  // that a SEPP whose Redis is down still starts (degraded, `/readyz` names it).
  if (runtime.state.shared && !(await runtime.state.waitUntilUp(STORE_STARTUP_WAIT_MS))) {
    logger.warn({ waitedMs: STORE_STARTUP_WAIT_MS, detail: runtime.state.health().detail }, 'state store not reachable at start-up: starting without it');
  }
  runtime.peers.syncConfigured(config.n32.peers.map((peer) => peer.fqdn));
  runtime.metrics.followPeers(runtime.peers);
  runtime.metrics.followCertificates(config);
  runtime.config.on('reload', ({ current }) => {
    runtime.peers.syncConfigured(current.n32.peers.map((peer) => peer.fqdn));
    runtime.metrics.followCertificates(current);
  });
  logger.info(
    { file: config.source, fqdn: config.sepp.fqdn, capabilities: config.sepp.capabilities, peers: config.n32.peers.map((p) => p.fqdn) },
    'configuration loaded',
  );

  const enabled = definition.listeners.filter((listener) => listener.address(config) !== null);
  runtime.readiness.expect('admin');
  for (const listener of enabled) runtime.readiness.expect(listener.name);

  const nestLogger = new NestPinoLogger(logger);
  const root = await NestFactory.create<NestFastifyApplication>(
    { module: ListenerHostModule, imports: [definition.rootModule(runtime), AdminModule] } as DynamicModule,
    new FastifyAdapter({ logger: false, bodyLimit: 16_384, frameworkErrors: answerFrameworkError, ...(config.admin.tls ? { https: adminTls(config)! } : {}) }),
    { logger: nestLogger, abortOnError: false },
  );
  root.useGlobalFilters(new ProblemDetailsFilter(logger, 16_384));
  refuseCrossSiteActions(root.getHttpAdapter().getInstance());
  runtime.readiness.markUp('admin', await listen(root, 'admin', config.admin.listen, config.admin.tls ? 'https' : 'http/1.1', logger));
  swapTlsOnReload(root, runtime, 'admin', adminTls, ['admin']);

  // Every HTTP/2 listener is built with the configured limits (SETTINGS, nghttp2, TLS handshake).
  useListenerLimits(config.limits);
  const listeners = new Map<string, NestFastifyApplication>();
  const guards = new Map<string, ListenerGuard>();
  for (const listener of enabled) {
    const app = await startListener(listener, root, runtime, nestLogger, guards);
    listeners.set(listener.name, app);
  }
  const tlsWatcher = watchTlsFiles(runtime);
  // tls.crl: a reload that installs a CRL closes the N32 connections whose peer it revokes.
  closeRevokedOnReload(runtime, () =>
    [...listeners]
      .filter(([name]) => N32_LISTENERS.has(name))
      .map(([listener, app]) => ({ listener, sessions: (app.getHttpServer() as unknown as Partial<SeppHttp2Server>).http2Sessions ?? [] })),
  );

  let stopping: Promise<void> | null = null;
  const shutdown = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const { drainTimeoutMs, closeGraceMs, stopGraceMs } = runtime.config.current.limits;
      logger.info({ reason, drainTimeoutMs }, 'shutting down');
      runtime.readiness.markStopping();
      const graceMs = drainTimeoutMs + closeGraceMs + stopGraceMs;
      const timer = setTimeout(() => {
        logger.error({ graceMs }, 'shutdown took too long, exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      tlsWatcher.close();
      await drainListeners(guards, drainTimeoutMs, logger);
      await closeListenerConnections(guards, closeGraceMs);
      // Then the root: its services release the peers (["NONE"], n32f-terminate) on their own
      // connections, once nothing is in flight on them any more.
      await closeQuietly(root, logger);
      for (const app of listeners.values()) await closeQuietly(app, logger);
      await runtime.state.close();
      logger.info('stopped');
    })();
    return stopping;
  };

  process.on('SIGHUP', () => {
    try {
      reloadConfiguration(runtime.config, logger, 'SIGHUP');
    } catch {
      // logged by reloadConfiguration; the running configuration stays
    }
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  applyRunningHeapPolicy();
  logger.info({ listeners: ['admin', ...enabled.map((l) => l.name)] }, 'ready');
  return { runtime, root, listeners, shutdown };
}

function loadOrExit(definition: SeppAppDefinition, argv: readonly string[]): SeppConfig {
  let file = '(none)';
  try {
    file = resolveConfigPath(argv, process.env);
    const config = loadConfig(file);
    const problems = definition.checkConfig?.(config) ?? [];
    if (problems.length > 0) throw new ConfigError(problems);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`sepp-${definition.role}: invalid configuration ${file}\n${error.message.replace(/^/gm, '  ')}\n`);
    process.exit(EXIT_CONFIG);
  }
}

async function startListener(
  listener: ListenerDefinition,
  root: INestApplication,
  runtime: SeppRuntime,
  nestLogger: NestPinoLogger,
  guards: Map<string, ListenerGuard>,
): Promise<NestFastifyApplication> {
  const config = runtime.config.current;
  const module: DynamicModule = {
    module: ListenerHostModule,
    controllers: listener.controllers,
    providers: listener.shared.map((token) => ({ provide: token, useValue: root.get<unknown>(token, { strict: false }) })),
  };
  const app = await NestFactory.create<NestFastifyApplication>(module, listener.adapter(config), {
    logger: nestLogger,
    abortOnError: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter(runtime.logger, listener.bodyLimit(config), listenerRefusals(runtime.metrics, listener.name)));
  instrumentListener(app, listener.name, runtime.metrics);
  const guard = protectListener(app, listener.name, runtime, { servesN32c: listener.servesN32c === true });
  guards.set(listener.name, guard);
  runtime.metrics.countStreams(listener.name, () => guard.openStreams);
  listener.prepare?.(app, runtime);
  const bound = await listen(app, listener.name, listener.address(config)!, listener.protocol(config), runtime.logger);
  listener.onListening?.(app, runtime);
  runtime.readiness.markUp(listener.name, bound);
  return app;
}

/** HTTPS on the admin listener (OAM, TS 33.117 4.2.3.2.4): the N32 TLS profile, client certificates when `admin.tls.ca` is set. */
function adminTls(config: SeppConfig): HttpsServerOptions | null {
  const tls = config.admin.tls;
  if (!tls) return null;
  const mutual = tls.ca.length > 0;
  return { ...tlsProfileOptions(config.tls.minVersion), cert: tls.cert, key: tls.key, ca: mutual ? [...tls.ca] : undefined, requestCert: mutual, rejectUnauthorized: mutual };
}

async function listen(
  app: NestFastifyApplication,
  name: string,
  where: ListenAddress,
  protocol: ListenerProtocol,
  logger: SeppLogger,
): Promise<ListenAddress> {
  await app.listen(where.port, where.host);
  const address = app.getHttpServer().address() as AddressInfo;
  logger.info({ listener: name, address: address.address, port: address.port, protocol }, 'listening');
  return { host: address.address, port: address.port };
}

async function closeQuietly(app: INestApplication, logger: SeppLogger): Promise<void> {
  try {
    await app.close();
  } catch (error) {
    logger.warn({ err: error }, 'error while closing');
  }
}
