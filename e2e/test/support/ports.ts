import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * A loopback port nothing listens on, for a process started afterwards: the demo's and bench's
 * (drawn below the kernel's ephemeral range, so nothing takes it while the process starts).
 */
export { freePort } from '@sepp/infra';

/** Holds a loopback port open (so nobody else can listen on it) until `server` is closed. */
export function holdPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, server }));
  });
}
