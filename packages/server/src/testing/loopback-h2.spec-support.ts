import { once } from 'node:events';
import { connect, createServer, type ClientHttp2Session, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** A cleartext HTTP/2 server on 127.0.0.1 (any port) and a client session to it, for unit specs. */
export interface LoopbackH2 {
  readonly server: Http2Server;
  readonly client: ClientHttp2Session;
  close(): Promise<void>;
}

/** Starts one; every stream goes to `onStream` (its errors are ignored: the spec checks outcomes). */
export async function loopbackH2(onStream: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void): Promise<LoopbackH2> {
  const server = createServer();
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    onStream(stream, headers);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  client.on('error', () => undefined);
  return {
    server,
    client,
    close: async () => {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Node's `Http2Session#setNextStreamID` (not in @types/node): the ID the session's next stream
 * gets, to bring a session to the end of its stream IDs without a billion requests.
 */
export function setNextStreamID(session: ClientHttp2Session, id: number): void {
  (session as ClientHttp2Session & { setNextStreamID(id: number): void }).setNextStreamID(id);
}
