import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createCa, createLeaf } from '@sepp/infra';
import { certificateDnsNames, peerCertificate, peerDnsNames } from './certificate-names';

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

describe('peerCertificate', () => {
  it('parses the certificate of the connection once, from the same read as its names', async () => {
    const ca = await createCa({ commonName: 'Test CA' });
    const leaf = await createLeaf({ ca, dnsNames: ['sepp.example'] });
    const raw = new X509Certificate(leaf.certPem).raw;
    const { socket, reads } = socketWith({ subjectaltname: 'DNS:sepp.example', raw });
    expect(peerDnsNames(socket)).toEqual(['sepp.example']);
    const certificate = peerCertificate(socket);
    expect(certificate?.raw.equals(raw)).toBe(true);
    expect(certificate?.subjectAltName).toBe('DNS:sepp.example');
    expect(peerCertificate(socket)).toBe(certificate);
    expect(reads()).toBe(1);
  });

  it('answers undefined while no certificate is there, or for a socket that is gone', () => {
    expect(peerCertificate(socketWith({}).socket)).toBeUndefined();
    expect(peerCertificate(undefined)).toBeUndefined();
  });
});
