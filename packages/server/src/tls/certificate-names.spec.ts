import type { TLSSocket } from 'node:tls';
import { certificateDnsNames, peerDnsNames } from './certificate-names';

/** A socket whose peer certificate is `cert`, counting how often it is read. */
function socketWith(cert: { subjectaltname?: string; raw?: Buffer } | (() => never)): { socket: TLSSocket; reads: () => number } {
  let reads = 0;
  const socket = {
    getPeerCertificate: () => {
      reads++;
      return typeof cert === 'function' ? cert() : cert;
    },
  } as unknown as TLSSocket;
  return { socket, reads: () => reads };
}

describe('certificateDnsNames', () => {
  it('reads only the DNS entries of the SAN, lower-cased', () => {
    expect(certificateDnsNames({ subjectaltname: 'DNS:SEPP.5gc.mnc001.mcc001.3gppnetwork.org, IP Address:127.0.0.1, DNS:b.example' })).toEqual([
      'sepp.5gc.mnc001.mcc001.3gppnetwork.org',
      'b.example',
    ]);
    expect(certificateDnsNames({})).toEqual([]);
  });
});

describe('peerDnsNames', () => {
  it('reads and parses the peer certificate once per connection', () => {
    const { socket, reads } = socketWith({ subjectaltname: 'DNS:sepp.example', raw: Buffer.from([1]) });
    expect(peerDnsNames(socket)).toEqual(['sepp.example']);
    expect(peerDnsNames(socket)).toEqual(['sepp.example']);
    expect(reads()).toBe(1);
  });

  it('keeps each connection apart', () => {
    const a = socketWith({ subjectaltname: 'DNS:a.example', raw: Buffer.from([1]) });
    const b = socketWith({ subjectaltname: 'DNS:b.example', raw: Buffer.from([2]) });
    expect(peerDnsNames(a.socket)).toEqual(['a.example']);
    expect(peerDnsNames(b.socket)).toEqual(['b.example']);
  });

  it('answers no names, and caches nothing, while no certificate is there', () => {
    const { socket, reads } = socketWith({});
    expect(peerDnsNames(socket)).toEqual([]);
    expect(peerDnsNames(socket)).toEqual([]);
    expect(reads()).toBe(2);
  });

  it('answers no names for a socket that is gone or throws', () => {
    expect(peerDnsNames(undefined)).toEqual([]);
    expect(
      peerDnsNames(
        socketWith(() => {
          throw new Error('socket destroyed');
        }).socket,
      ),
    ).toEqual([]);
  });
});
