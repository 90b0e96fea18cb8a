import { n32ServerAdapter, wireN32Server, type ListenerDefinition } from '@sepp/server';
import { HandshakeController } from './n32c/handshake.controller';
import { HandshakeService } from './n32c/handshake.service';
import { N32SessionsService } from './n32c/n32-sessions.service';

/** N32: HTTP/2 over mutual TLS on `n32.listen`. */
export const n32Listener: ListenerDefinition = {
  name: 'n32',
  protocol: 'h2',
  address: (config) => config.n32.listen,
  adapter: n32ServerAdapter,
  controllers: [HandshakeController],
  shared: [HandshakeService, N32SessionsService],
  bodyLimit: (config) => config.n32.bodyLimit,
  onListening: wireN32Server,
};
