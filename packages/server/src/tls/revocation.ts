import type { Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { LoadedCrl } from '../config/read-tls';
import { N32Connection } from '../n32c/n32-connection';
import type { SeppRuntime } from '../runtime/sepp-runtime';
import { peerDnsNames } from './certificate-names';
import { peerChain } from './trust-anchors';
import { pkiOnDemand } from './pki-on-demand';

/** An N32 connection to check: a session of one of our N32 listeners, or one we dialled. */
interface LiveN32Connection {
  readonly session: Http2Session;
  readonly socket: TLSSocket;
  /** The listener it came in on, or `client` for one we dialled. */
  readonly side: string;
}

/**
 * Certificate revocation (`tls.crl`) for the N32 connections already up. TLS checks a peer's
 * chain against the CRLs at each handshake (tls-options.ts); a connection set up before a CRL
 * listed the peer would go on for as long as it stays open. So when a reload changes `tls` (a new
 * CRL installed: `tls.watchFiles`, SIGHUP, POST /admin/reload), every N32 connection of the
 * process, on our N32 listeners and those we dialled, has its peer's chain checked against the
 * CRLs now in force; one whose certificate is revoked is closed at once, logged (`N32 connection
 * closed: the peer certificate is revoked`, warn) and listed among the refusals (certificate,
 * `revoked`). A reconnection then fails its handshake (`revoked`).
 */
export function closeRevokedOnReload(runtime: SeppRuntime, n32Sessions: () => Iterable<{ listener: string; sessions: Iterable<Http2Session> }>): void {
  runtime.config.on('reload', ({ current, changed }) => {
    if (!changed.includes('tls') || current.tls.crls.length === 0) return;
    const live: LiveN32Connection[] = [];
    for (const { listener, sessions } of n32Sessions()) {
      for (const session of sessions) if (session.socket) live.push({ session, socket: session.socket as TLSSocket, side: listener });
    }
    for (const connection of N32Connection.live()) live.push({ session: connection.session, socket: connection.socket, side: 'client' });
    void closeRevoked(runtime, current.tls.crls, live);
  });
}

async function closeRevoked(runtime: SeppRuntime, crls: readonly LoadedCrl[], live: readonly LiveN32Connection[]): Promise<void> {
  for (const { session, socket, side } of live) {
    if (session.destroyed) continue;
    let revoked: Awaited<ReturnType<ReturnType<typeof pkiOnDemand>['revokedInChain']>>;
    try {
      revoked = await pkiOnDemand().revokedInChain(
        peerChain(socket).map((cert) => new Uint8Array(cert.raw)),
        crls,
      );
    } catch (error) {
      runtime.logger.warn({ side, remoteAddress: socket.remoteAddress, error: (error as Error).message }, 'N32 connection not checked against tls.crl');
      continue;
    }
    if (!revoked || session.destroyed) continue;
    const peer = peerDnsNames(socket)[0];
    const detail = `the peer certificate ${revoked.subject} (serial ${revoked.serialNumber}) is revoked by the CRL of ${revoked.issuer}`;
    runtime.logger.warn({ side, peer, remoteAddress: socket.remoteAddress, serialNumber: revoked.serialNumber, issuer: revoked.issuer }, 'N32 connection closed: the peer certificate is revoked');
    runtime.metrics.refuse({ category: 'certificate', cause: 'revoked', listener: side, peer, remoteAddress: socket.remoteAddress, detail });
    session.destroy();
  }
}
