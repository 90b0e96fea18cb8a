import 'reflect-metadata';
import type { Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Module, UnsupportedMediaTypeException, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  applyRunningHeapPolicy,
  installLeanAsyncResourceBind,
  classifyTlsFailure,
  clientCertificateName,
  closeListenerConnections,
  ConfigError,
  drainListeners,
  http2Adapter,
  logTlsHandshakeFailures,
  logProcessWarnings,
  NestPinoLogger,
  ProblemDetailsFilter,
  protectListener,
  ReadinessService,
  refusalOfError,
  SeppMetrics,
  useListenerLimits,
  type ListenerGuard,
  type ListenerRuntime,
  type OnRefused,
  type SeppHttp2Server,
  mediaTypeOf,
} from '@sepp/server';
import type { IpxConfig, ListenAddress } from '../config/ipx-config';
import { loadIpxConfig, resolveIpxConfigPath } from '../config/load-ipx-config';
import { relayServerTlsOptions } from '../config/tls';
import type { IpxLogger } from '../ipx.constants';
import { IpxModule } from '../ipx.module';
import { createIpxLogger } from '../logging/logger';
import { N32fRelayController } from '../relay/n32f-relay.controller';
import { relayFastPath } from '../relay/relay-fast-path';
import { RelayService } from '../relay/relay.service';
import { senderBounds } from '../relay/sender-bounds';
import { IpxStatusService } from '../status/ipx-status.service';

/** Exit code for a configuration that cannot be used (as the SEPPs, CONFIG.md). */
export const EXIT_CONFIG = 2;
/** Exit code when a valid configuration still cannot be served (a port in use). */
export const EXIT_STARTUP = 1;
/** An idle N32-f session is closed after this long. */
const SESSION_IDLE_MS = 120_000;

@Module({})
class ListenerHostModule {}

export interface RunningIpx {
  readonly config: IpxConfig;
  readonly readiness: ReadinessService;
  /** The root application, on the admin listener. */
  readonly root: NestFastifyApplication;
  /** The N32-f listener. */
  readonly relay: NestFastifyApplication;
  /** Where each listener really listens (port 0 in the file means "any"). */
  readonly addresses: Readonly<Record<'admin' | 'n32f', ListenAddress>>;
  readonly metrics: SeppMetrics;
  /**
   * The graceful stop (SIGTERM/SIGINT), as the SEPPs': /readyz 503, the N32-f listener stops
   * accepting and sends GOAWAY, the messages in flight get `limits.drainTimeoutMs` to be answered,
   * connections left open get `limits.closeGraceMs`, then both listeners close.
   */
  close(): Promise<void>;
}

/**
 * The process entry point: `--config FILE` or `IPX_CONFIG`; an unusable configuration exits 2 with
 * a message naming the key, a listener that cannot bind exits 1. SIGTERM/SIGINT stop gracefully.
 */
export async function runIpxApp(argv: readonly string[] = process.argv.slice(2)): Promise<RunningIpx> {
  installLeanAsyncResourceBind();
  let file = '(none)';
  let config: IpxConfig;
  try {
    file = resolveIpxConfigPath(argv, process.env);
    config = loadIpxConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`ipx: invalid configuration ${file}\n${error.message.replace(/^/gm, '  ')}\n`);
    process.exit(EXIT_CONFIG);
  }
  const logger = createIpxLogger(config.logging.level);
  // The handlers are in place before `ready` is logged: a supervisor (or a test) that sends SIGTERM
  // as soon as it reads that line must get the graceful stop, never the default action (killed).
  // A signal during start-up stops once the start is done.
  let starting: Promise<RunningIpx> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const { drainTimeoutMs, closeGraceMs, stopGraceMs } = config.limits;
      const graceMs = drainTimeoutMs + closeGraceMs + stopGraceMs;
      const timer = setTimeout(() => {
        logger.error({ graceMs }, 'shutdown took too long, exiting');
        process.exit(1);
      }, graceMs);
      timer.unref();
      logger.info({ reason: signal }, 'shutting down');
      void starting?.then((running) => running.close()).then(
        () => process.exit(0),
        () => undefined, // a start that failed exits by itself (EXIT_STARTUP, below)
      );
    });
  }
  try {
    starting = startIpxApp(config, logger);
    return await starting;
  } catch (error) {
    logger.fatal({ err: error }, 'start-up failed');
    process.exit(EXIT_STARTUP);
  }
}

/**
 * Starts the IPX in this process (tests call it directly): the root application on the admin
 * listener, then the N32-f listener. Logs one `listening` line per listener and `ready` at the end.
 */
export async function startIpxApp(config: IpxConfig, logger: IpxLogger): Promise<RunningIpx> {
  logger.info(
    { file: config.source, identity: config.ipx.fqdn, forward: `${config.forward.host}:${config.forward.port}`, forwardFqdn: config.forward.fqdn, rules: config.rules.length },
    'configuration loaded',
  );
  const readiness = new ReadinessService();
  readiness.expect('admin');
  readiness.expect('n32f');
  const nestLogger = new NestPinoLogger(logger);
  const metrics = new SeppMetrics('ipx', 'ipx');
  logProcessWarnings(logger, (name) => metrics.processWarnings.inc({ name }));
  // What the listener protections read (the SEPPs' runtime has more): the limits never change
  // while it runs (no reload), and the relay is no SEPP (its overload answers carry no OCI).
  const runtime: ListenerRuntime = { logger, metrics, config: { current: { limits: config.limits }, on: () => undefined } };

  const root = await NestFactory.create<NestFastifyApplication>(
    { module: ListenerHostModule, imports: [IpxModule.forRoot(config, logger, readiness, metrics)] } as DynamicModule,
    new FastifyAdapter({ logger: false, bodyLimit: 16_384 }),
    { logger: nestLogger, abortOnError: false },
  );
  root.useGlobalFilters(new ProblemDetailsFilter(logger, 16_384));
  const admin = await listen(root, 'admin', config.admin.listen, 'http/1.1', logger);
  readiness.markUp('admin', admin);

  const status = root.get<IpxStatusService>(IpxStatusService);
  // The relay's HTTP/2 server is built with `limits` (SETTINGS, nghttp2's limits, the TLS handshake bound).
  useListenerLimits(config.limits);
  let relay: NestFastifyApplication;
  let guard: ListenerGuard;
  try {
    relay = await NestFactory.create<NestFastifyApplication>(
      {
        module: ListenerHostModule,
        controllers: [N32fRelayController],
        providers: [
          { provide: RelayService, useValue: root.get<RelayService>(RelayService) },
          { provide: IpxStatusService, useValue: status },
        ],
      } as DynamicModule,
      relayAdapter(config),
      { logger: nestLogger, abortOnError: false },
    );
    const onRefused = relayRefusals(status);
    relay.useGlobalFilters(new ProblemDetailsFilter(logger, config.bodyLimit, onRefused));
    (relay.getHttpServer() as unknown as SeppHttp2Server).fastPath = senderBounds(runtime, config, relayFastPath(relay, logger, onRefused));
    guard = protectListener(relay, 'n32f', runtime);
    metrics.countStreams('n32f', () => guard.openStreams);
    logTlsHandshakeFailures(relay.getHttpServer() as unknown as Http2SecureServer, 'n32f', logger, ({ certificateError, error, remoteAddress }) =>
      status.refuse({
        category: 'certificate',
        cause: classifyTlsFailure(certificateError ?? error.code, error.message),
        listener: 'n32f',
        remoteAddress,
        detail: certificateError ? `client certificate refused: ${certificateError}` : error.message,
      }),
    );
    readiness.markUp('n32f', await listen(relay, 'n32f', config.listen, 'h2', logger));
  } catch (error) {
    await root.close();
    throw error;
  }
  const addresses = { admin, n32f: readiness.addressOf('n32f')! };
  applyRunningHeapPolicy();
  logger.info({ listeners: ['admin', 'n32f'], identity: config.ipx.fqdn }, 'ready');

  let closing: Promise<void> | null = null;
  const guards = new Map([['n32f', guard]]);
  return {
    config,
    readiness,
    root,
    relay,
    addresses,
    metrics,
    close: () =>
      (closing ??= (async () => {
        readiness.markStopping();
        await drainListeners(guards, config.limits.drainTimeoutMs, logger);
        await closeListenerConnections(guards, config.limits.closeGraceMs);
        await closeQuietly(relay, logger);
        await closeQuietly(root, logger);
        logger.info('stopped');
      })()),
  };
}

/** A message the relay refused (bad input, a next hop it could not reach, an answer it could not sign): listed, and counted for its sender. */
function relayRefusals(status: IpxStatusService): OnRefused {
  return (exception, problem, request) => {
    const { category, cause, detail } = refusalOfError(exception, problem);
    const peer = clientCertificateName(request);
    status.refuse({ category, cause, listener: 'n32f', peer, remoteAddress: request.ip, detail });
    status.traffic.record(peer, 'inbound', 'refused', cause, 0);
  };
}

/** HTTP/2 over mutual TLS; n32f-process bodies are application/json only. */
function relayAdapter(config: IpxConfig): FastifyAdapter {
  const adapter = http2Adapter(relayServerTlsOptions(config), config.bodyLimit, SESSION_IDLE_MS);
  adapter.getInstance().addHook('onRequest', (request, _reply, done) => {
    if (request.method !== 'POST') return done();
    const mediaType = mediaTypeOf(request.headers);
    if (mediaType === 'application/json') return done();
    done(new UnsupportedMediaTypeException(`${mediaType || 'no content-type'}: n32f-process bodies are application/json`));
  });
  return adapter;
}

async function listen(app: NestFastifyApplication, name: string, where: ListenAddress, protocol: string, logger: IpxLogger): Promise<ListenAddress> {
  await app.listen(where.port, where.host);
  const address = app.getHttpServer().address() as AddressInfo;
  logger.info({ listener: name, address: address.address, port: address.port, protocol }, 'listening');
  return { host: address.address, port: address.port };
}

async function closeQuietly(app: INestApplication, logger: IpxLogger): Promise<void> {
  try {
    await app.close();
  } catch (error) {
    logger.warn({ err: error }, 'error while closing');
  }
}
