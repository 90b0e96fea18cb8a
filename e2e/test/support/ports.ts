import { createServer, type AddressInfo, type Server } from 'node:net';

/** Holds a loopback port open (so nobody else can listen on it) until `server` is closed. */
export function holdPort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, server }));
  });
}

/** A loopback port nothing listens on (taken from the OS, then released). */
export async function freePort(): Promise<number> {
  const { port, server } = await holdPort();
  await new Promise((closed) => server.close(closed));
  return port;
}
