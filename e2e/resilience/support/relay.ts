import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

interface Pair {
  readonly client: Socket;
  upstream: Socket | null;
}

/**
 * A TCP relay on loopback between an initiator and a responder (the initiator's peer `address`
 * points at it), which the test can make misbehave: `stall()` stops forwarding in both directions
 * (bytes stay queued, connections stay open, new connections are accepted and held), `resume()`
 * forwards again, `cut()` destroys every connection at once (both sides see a reset). TLS passes
 * through untouched: the relay never sees plaintext.
 */
export class TcpRelay {
  private readonly pairs = new Set<Pair>();
  private stalled = false;
  /** Connections accepted since start. */
  accepted = 0;
  /** Connections destroyed by `cut()`. */
  cutCount = 0;

  private constructor(
    private readonly server: Server,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpRelay> {
    const server = createServer();
    const relay = new TcpRelay(server, targetPort);
    server.on('connection', (client) => relay.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return relay;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Connections currently relayed (or held). */
  get open(): number {
    return this.pairs.size;
  }

  private accept(client: Socket): void {
    this.accepted += 1;
    const pair: Pair = { client, upstream: null };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.once('close', () => this.drop(pair));
    client.pause();
    if (!this.stalled) this.link(pair);
  }

  private link(pair: Pair): void {
    if (pair.upstream || pair.client.destroyed) return;
    const upstream = connect(this.targetPort, '127.0.0.1');
    pair.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.once('close', () => this.drop(pair));
    // Forwarded by hand rather than with pipe(): a pipe resumes its source on 'drain', which
    // would undo a stall.
    this.forward(pair.client, upstream);
    this.forward(upstream, pair.client);
    if (!this.stalled) pair.client.resume();
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (to.destroyed) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!this.stalled) from.resume();
        });
      }
    });
    from.once('end', () => to.end());
  }

  private drop(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  /** Stops forwarding: nothing moves either way until `resume()`. */
  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      client.pause();
      upstream?.pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const pair of this.pairs) {
      if (!pair.upstream) this.link(pair);
      pair.client.resume();
      pair.upstream?.resume();
    }
  }

  /** Destroys every relayed connection (with a TCP RST to both ends). */
  cut(): number {
    const pairs = [...this.pairs];
    for (const pair of pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
      this.pairs.delete(pair);
    }
    this.cutCount += pairs.length;
    return pairs.length;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
