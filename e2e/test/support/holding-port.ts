import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A loopback port that takes TCP connections but passes no byte until `forwardTo` names where the
 * real server listens: what a SEPP sees when its peer's host is reachable and the peer's SEPP is
 * still starting (the connection attempt neither fails nor completes). From then on every held and
 * new connection is spliced to that port.
 */
export class HoldingPort {
  private readonly held = new Set<Socket>();
  private readonly sockets = new Set<Socket>();
  private target: number | null = null;

  private constructor(private readonly server: Server) {}

  static listen(port: number, host = '127.0.0.1'): Promise<HoldingPort> {
    return new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true });
      const gate = new HoldingPort(server);
      server.on('connection', (socket) => gate.accept(socket));
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(gate);
      });
    });
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections accepted so far and not yet passed on. */
  get waiting(): number {
    return this.held.size;
  }

  forwardTo(port: number): void {
    this.target = port;
    for (const socket of this.held) this.splice(socket, port);
    this.held.clear();
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.held.delete(socket);
    });
    if (this.target === null) this.held.add(socket);
    else this.splice(socket, this.target);
  }

  private splice(socket: Socket, port: number): void {
    const upstream = connect(port, '127.0.0.1');
    this.sockets.add(upstream);
    upstream.on('error', () => socket.destroy());
    upstream.once('close', () => {
      this.sockets.delete(upstream);
      socket.destroy();
    });
    socket.once('close', () => upstream.destroy());
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.resume();
  }
}
