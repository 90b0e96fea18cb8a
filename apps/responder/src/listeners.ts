import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isN32fProcessPath, isSeppApiPath, N32C_PATHS } from '@sepp/protocol';
import { http2Adapter, listenerRefusals, n32cFastPath, N32fControlController, N32fControlService, n32fServerTlsOptions, n32ServerAdapter, wireN32Server, type FastPath, type ListenerDefinition, type SeppHttp2Server, type SeppRuntime } from '@sepp/server';
import { HandshakeController } from './n32c/handshake.controller';
import { HandshakeService } from './n32c/handshake.service';
import { N32SessionsService } from './n32c/n32-sessions.service';
import { N32fForwarderService } from './n32f/n32f-forwarder.service';
import { PrinsReceiverService } from './n32f/prins-receiver.service';
import { ParamsService } from './n32c/params.service';
import { rateLimitN32 } from './limits/rate-limit';

/**
 * Installs N32-f and connection tracking on an N32 listener's server: n32f-process (PRINS) to
 * the PRINS receiver, every path outside the SEPP's own APIs (`SEPP_API_PREFIXES`) to TLS-mode
 * forwarding, both behind the per-peer N32-f rate limit (`limits.rateLimitPerPeer`). The SEPP's own API
 * paths go to Nest: its N32-c routes (behind the per-peer N32-c rate limit,
 * `limits.n32cRateLimitPerPeer`), and a 404 problem+json for any other resource or version.
 */
function prepareN32(name: string, withN32c: boolean) {
  return (app: NestFastifyApplication, runtime: SeppRuntime): void => {
    const server = app.getHttpServer() as unknown as SeppHttp2Server;
    const sessions = app.get(N32SessionsService);
    const tls = app.get(N32fForwarderService);
    const prins = app.get(PrinsReceiverService);
    server.on('session', (session) => sessions.track(session, name));
    const n32c = withN32c ? n32cRoutes(app, runtime, name) : () => false;
    server.fastPath = rateLimitN32(runtime, name, sessions, (stream, headers) => {
      const path = headers[':path'] ?? '';
      if (isN32fProcessPath(path)) {
        prins.handle(stream, headers);
        return true;
      }
      if (isSeppApiPath(path)) return n32c(stream, headers);
      return tls.handle(stream, headers);
    });
  };
}

/**
 * `exchange-capability`, the request of every cold negotiation, without the framework
 * (`n32cFastPath`: same service, same answers); whatever it does not take goes on to Nest.
 */
function n32cRoutes(app: NestFastifyApplication, runtime: SeppRuntime, name: string): FastPath {
  const handshake = app.get(HandshakeController);
  return n32cFastPath(app, { listener: name, logger: runtime.logger, metrics: runtime.metrics, onRefused: listenerRefusals(runtime.metrics, name) }, [
    { path: N32C_PATHS.exchangeCapability, answer: (body, stream) => handshake.answerCapability(body, stream, (then) => stream.once('close', then)) },
  ]);
}

/** N32: HTTP/2 over mutual TLS on `n32.listen`: N32-c, and N32-f on the same connection (shared mode). */
export const n32Listener: ListenerDefinition = {
  name: 'n32',
  servesN32c: true,
  protocol: () => 'h2',
  address: (config) => config.n32.listen,
  adapter: n32ServerAdapter,
  controllers: [HandshakeController, N32fControlController],
  shared: [HandshakeService, ParamsService, N32SessionsService, N32fForwarderService, PrinsReceiverService, N32fControlService],
  bodyLimit: (config) => config.n32.bodyLimit,
  prepare: prepareN32('n32', true),
  onListening: wireN32Server,
};

/** Optional dedicated N32-f listener on `n32f.listen`, with the N32-f certificate; N32-f only. */
export const n32fListener: ListenerDefinition = {
  name: 'n32f',
  protocol: () => 'h2',
  address: (config) => config.n32f.listen,
  adapter: (config) => http2Adapter(n32fServerTlsOptions(config), config.n32f.bodyLimit, config.n32.idleTimeoutMs),
  controllers: [],
  shared: [N32SessionsService, N32fForwarderService, PrinsReceiverService],
  bodyLimit: (config) => config.n32f.bodyLimit,
  prepare: prepareN32('n32f', false),
  onListening: (app: NestFastifyApplication, runtime: SeppRuntime) => wireN32Server(app, runtime, n32fServerTlsOptions, 'n32f'),
};
