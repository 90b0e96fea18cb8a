import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP hop between the IPX and its next hop that can go silent on the connections it carries, as
 * a peer gone without a FIN or a middlebox that dropped the flow: no FIN, no RST, bytes simply stop
 * passing both ways. Connections opened after `freeze()` pass again.
 */
export class FreezingProxy {
  /** Connections carried so far. */
  connections = 0;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly frozen = new Set<[Socket, Socket]>();

  private constructor(private readonly server: Server) {}

  /** Carries connections to 127.0.0.1:`targetPort`; listens on `listen` (default: a free port of 127.0.0.1). */
  static async start(targetPort: number, listen: { host: string; port: number } = { host: '127.0.0.1', port: 0 }): Promise<FreezingProxy> {
    const server = createServer();
    const proxy = new FreezingProxy(server);
    server.on('connection', (inbound: Socket) => {
      proxy.connections += 1;
      const outbound = connect(targetPort, '127.0.0.1');
      const pair: [Socket, Socket] = [inbound, outbound];
      proxy.pairs.add(pair);
      for (const [from, to] of [pair, [outbound, inbound] as const]) {
        from.on('data', (chunk: Buffer) => to.write(chunk));
        from.on('error', () => to.destroy());
        from.on('close', () => {
          to.destroy();
          proxy.pairs.delete(pair);
        });
      }
    });
    await new Promise<void>((resolve) => server.listen(listen.port, listen.host, resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Every connection carried now goes silent (read no more, in either direction). */
  freeze(): void {
    for (const pair of this.pairs) {
      pair[0].pause();
      pair[1].pause();
      this.frozen.add(pair);
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const [inbound, outbound] of [...this.pairs, ...this.frozen]) {
        inbound.destroy();
        outbound.destroy();
      }
    });
  }
}
