import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { N32F_FORWARD_API } from '@sepp/protocol';
import { http2Adapter, N32fControlController, N32fControlService, n32fServerTlsOptions, n32ServerAdapter, wireN32Server, type ListenerDefinition, type SeppHttp2Server, type SeppRuntime } from '@sepp/server';
import { HandshakeController } from './n32c/handshake.controller';
import { HandshakeService } from './n32c/handshake.service';
import { N32SessionsService } from './n32c/n32-sessions.service';
import { N32fForwarderService } from './n32f/n32f-forwarder.service';
import { PrinsReceiverService } from './n32f/prins-receiver.service';
import { ParamsService } from './n32c/params.service';
import { rateLimitN32f } from './limits/n32f-rate-limit';

const PRINS_PREFIX = `${N32F_FORWARD_API}/`;

/**
 * Installs N32-f and connection tracking on an N32 listener's server: n32f-process (PRINS) to
 * the PRINS receiver, every other path outside the N32-c API to TLS-mode forwarding, both behind
 * the per-peer rate limit (`limits.rateLimitPerPeer`).
 */
function prepareN32(name: string) {
  return (app: NestFastifyApplication, runtime: SeppRuntime): void => {
    const server = app.getHttpServer() as unknown as SeppHttp2Server;
    const sessions = app.get(N32SessionsService);
    const tls = app.get(N32fForwarderService);
    const prins = app.get(PrinsReceiverService);
    server.on('session', (session) => sessions.track(session, name));
    server.fastPath = rateLimitN32f(runtime, name, sessions, (stream, headers) => {
      if (headers[':path']?.startsWith(PRINS_PREFIX)) {
        prins.handle(stream, headers);
        return true;
      }
      return tls.handle(stream, headers);
    });
  };
}

/** N32: HTTP/2 over mutual TLS on `n32.listen`: N32-c, and N32-f on the same connection (shared mode). */
export const n32Listener: ListenerDefinition = {
  name: 'n32',
  protocol: () => 'h2',
  address: (config) => config.n32.listen,
  adapter: n32ServerAdapter,
  controllers: [HandshakeController, N32fControlController],
  shared: [HandshakeService, ParamsService, N32SessionsService, N32fForwarderService, PrinsReceiverService, N32fControlService],
  bodyLimit: (config) => config.n32.bodyLimit,
  prepare: prepareN32('n32'),
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
  prepare: prepareN32('n32f'),
  onListening: (app: NestFastifyApplication, runtime: SeppRuntime) => wireN32Server(app, runtime, n32fServerTlsOptions, 'n32f'),
};
