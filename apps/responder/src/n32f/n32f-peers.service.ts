import type { Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { Injectable } from '@nestjs/common';
import { certificatePlmnKeys, N32Error, N32ErrorCode, normalizeFqdn, plmnKeysNotCovered } from '@sepp/protocol';
import { ConfigService, peerDnsNames, PeerRegistry } from '@sepp/server';
import { N32SessionsService } from '../n32c/n32-sessions.service';

/**
 * Who sends N32-f on a connection. On the connection the peer negotiated on (shared mode,
 * DECISIONS.md §2) it is that peer. On any other connection (dedicated mode) the client
 * certificate must name a peer with an agreed mechanism, and must not carry a PLMN ID that the
 * peer's N32-c certificate lacks (TS 33.501 13.1.2). A peer found is remembered per connection
 * (a refusal is not: the agreement may come while the connection lasts); the peer's state is
 * checked on every request.
 */
@Injectable()
export class N32fPeersService {
  private readonly identified = new WeakMap<Http2Session, string>();

  constructor(
    private readonly sessions: N32SessionsService,
    private readonly peers: PeerRegistry,
    private readonly config: ConfigService,
  ) {}

  /**
   * The configured peer this connection speaks for, agreed or not: the peer bound to it, else the
   * configured peer its client certificate names. Undefined for anyone else.
   */
  claimedPeer(session: Http2Session): string | undefined {
    const bound = this.sessions.boundPeerOf(session);
    if (bound) return bound;
    const names = peerDnsNames(session.socket as TLSSocket).map(normalizeFqdn);
    return this.config.current.n32.peers.find((peer) => names.includes(peer.fqdn))?.fqdn;
  }

  /** The peer allowed to send N32-f on this connection right now; throws a 403 N32Error otherwise. */
  senderOf(session: Http2Session): string {
    const peer = this.sessions.boundPeerOf(session) ?? this.identify(session);
    const record = this.peers.get(peer);
    if (record?.status.state !== 'tls-established') {
      throw new N32Error(N32ErrorCode.N32F_NOT_AGREED, `${peer} has no agreed TLS mechanism with us (state ${record?.status.state ?? 'unknown'})`);
    }
    return peer;
  }

  private identify(session: Http2Session): string {
    const known = this.identified.get(session);
    if (known !== undefined) return known;
    const found = this.identifyByCertificate(peerDnsNames(session.socket as TLSSocket));
    if (found instanceof N32Error) throw found;
    this.identified.set(session, found);
    return found;
  }

  private identifyByCertificate(dnsNames: readonly string[]): string | N32Error {
    const agreed = this.peers.list().filter((record) => record.status.state === 'tls-established');
    const byName = agreed.find((record) => dnsNames.includes(record.fqdn));
    const keys = certificatePlmnKeys(dnsNames);
    const byPlmn = keys.size > 0 ? agreed.filter((record) => [...keys].every((key) => certificatePlmnKeys(record.negotiation?.peerN32cDnsNames ?? []).has(key))) : [];
    const record = byName ?? (byPlmn.length === 1 ? byPlmn[0] : undefined);
    if (!record) {
      return new N32Error(N32ErrorCode.N32F_NOT_AGREED, `no peer with an agreed mechanism matches the certificate (${dnsNames.join(', ') || 'no dNSName'})`);
    }
    const extra = plmnKeysNotCovered(dnsNames, record.negotiation?.peerN32cDnsNames ?? []);
    if (extra.length > 0) {
      return new N32Error(
        N32ErrorCode.N32F_CERTIFICATE_MISMATCH,
        `the N32-f certificate of ${record.fqdn} carries PLMNs its N32-c certificate lacks (${extra.join(', ')})`,
      );
    }
    return record.fqdn;
  }
}
