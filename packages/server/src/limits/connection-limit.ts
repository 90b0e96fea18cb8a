import type { Socket } from 'node:net';
import type { SeppHttp2Server } from '../n32f/dispatching-server';
import type { ListenerRuntime } from './listener-runtime';
import { logAbuseRefusals, recordAbuse } from './abuse';
import { ConnectionRateLimiter } from './connection-rate';
import { OnceASecond } from './once-a-second';

interface Refused {
  readonly connections: number;
  readonly fromAddress: number;
  readonly bound: 'maxConnections' | 'maxConnectionsPerAddress';
  readonly max: number;
}

/**
 * Bounds the connections open at once on a listener (`limits.maxConnections`) and from one remote
 * address (`limits.maxConnectionsPerAddress`), TLS handshakes in progress included: past either, a
 * new TCP connection is closed as it arrives, before any TLS (`admitConnection` of the server: the
 * TLS layer never sees it). A flood of connections that never handshake, or of idle ones, then
 * holds at most the bound's worth of sockets and memory, and one address cannot take them all.
 *
 * Each refusal counts in `sepp_abuse_events_total{kind="connection-limit"}`; the log gets one warn
 * line per address and second at most, with the number refused, the listener's and the address's
 * connections then, and the bound that refused them. A reload applies to the next connection.
 *
 * A connection within both bounds then takes a token of its address's rate
 * (`limits.connectionRatePerAddress`, {@link ConnectionRateLimiter}); without one it is closed the
 * same way (`connection-rate-limited`).
 */
export function limitConnections(server: SeppHttp2Server, listener: string, runtime: ListenerRuntime): void {
  const byAddress = new Map<string, number>();
  let open = 0;
  const rate = new ConnectionRateLimiter(runtime, listener);
  const log = new OnceASecond<Refused>((remoteAddress, refused, { connections, fromAddress, bound, max }) => {
    const detail = `${bound === 'maxConnections' ? `${connections} connections open on the listener` : `${fromAddress} connections open from ${remoteAddress}`} (limits.${bound} ${max})`;
    logAbuseRefusals(runtime, { listener, kind: 'connection-limit', action: 'connection closed', remoteAddress, detail }, refused, { connections, fromAddress, [bound]: max });
  });

  server.admitConnection = (socket: Socket): boolean => {
    const { maxConnections, maxConnectionsPerAddress } = runtime.config.current.limits;
    const address = socket.remoteAddress ?? 'unknown';
    const fromAddress = byAddress.get(address) ?? 0;
    if (open >= maxConnections || fromAddress >= maxConnectionsPerAddress) {
      const bound = open >= maxConnections ? 'maxConnections' : 'maxConnectionsPerAddress';
      recordAbuse(runtime, { listener, kind: 'connection-limit', action: 'connection closed', remoteAddress: address }, 1, false);
      log.note(address, { connections: open, fromAddress, bound, max: bound === 'maxConnections' ? maxConnections : maxConnectionsPerAddress });
      return false;
    }
    if (!rate.admit(address)) return false;
    open += 1;
    byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      open -= 1;
      const left = (byAddress.get(address) ?? 1) - 1;
      if (left > 0) byAddress.set(address, left);
      else byAddress.delete(address);
    });
    return true;
  };
}
