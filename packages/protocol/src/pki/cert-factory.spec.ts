import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import {
  createCa,
  createLeaf,
  loadCa,
  MAX_LEAF_VALIDITY_DAYS,
  type MintedCa,
  type MintedLeaf,
  mintExpired,
  mintNotYetValid,
  mintSeppCertificate,
  seppFqdn,
} from './cert-factory';

const SERVER_PLMN = { mcc: '001', mnc: '01' };
const CLIENT_PLMN = { mcc: '002', mnc: '02' };
const SERVER_FQDN = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const CLIENT_FQDN = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';
const HANDSHAKE_TIMEOUT_MS = 5000;

interface Side {
  authorized: boolean;
  error?: string;
  peerSan?: string;
}

interface Handshake {
  client: Side;
  server: Side;
}

function errorCode(err: unknown): string {
  const { code, message } = err as { code?: string; message?: string };
  return code ?? message ?? String(err);
}

/** One mutual-TLS handshake over loopback; always tears down both ends before resolving. */
async function handshake(opts: {
  serverLeaf: MintedLeaf;
  clientLeaf: MintedLeaf;
  trusted: MintedCa[];
  servername?: string;
  maxVersion?: tls.SecureVersion;
}): Promise<Handshake> {
  const ca = opts.trusted.map((c) => c.certPem);
  const server = tls.createServer({
    key: opts.serverLeaf.keyPem,
    cert: opts.serverLeaf.chainPem,
    ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    maxVersion: opts.maxVersion,
  });
  const serverSide = new Promise<Side>((resolve) => {
    server.once('secureConnection', (socket: tls.TLSSocket) => {
      resolve({ authorized: socket.authorized, peerSan: socket.getPeerCertificate().subjectaltname });
      socket.end();
    });
    server.once('tlsClientError', (err) => resolve({ authorized: false, error: errorCode(err) }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    servername: opts.servername ?? SERVER_FQDN,
    ca,
    key: opts.clientLeaf.keyPem,
    cert: opts.clientLeaf.chainPem,
    minVersion: 'TLSv1.2',
  });
  const clientSide = new Promise<Side>((resolve) => {
    socket.once('secureConnect', () => {
      resolve({ authorized: socket.authorized, peerSan: socket.getPeerCertificate().subjectaltname });
    });
    socket.once('error', (err) => resolve({ authorized: false, error: errorCode(err) }));
  });
  // The client may finish before a TLS 1.3 server has judged its certificate, so wait for the
  // server too, but bounded: a refused client never produces a server-side secureConnection.
  const timeout = new Promise<Side>((resolve) =>
    setTimeout(() => resolve({ authorized: false, error: 'TIMEOUT' }), HANDSHAKE_TIMEOUT_MS).unref(),
  );
  try {
    const client = await Promise.race([clientSide, timeout]);
    const serverResult = await Promise.race([serverSide, timeout]);
    return { client, server: serverResult };
  } finally {
    socket.destroy();
    server.close();
  }
}

describe('cert-factory', () => {
  let ca: MintedCa;
  let serverLeaf: MintedLeaf;
  let clientLeaf: MintedLeaf;

  beforeAll(async () => {
    ca = await createCa({ commonName: 'Test Interconnect CA' });
    serverLeaf = await mintSeppCertificate({ ca, plmn: SERVER_PLMN });
    clientLeaf = await mintSeppCertificate({ ca, plmn: CLIENT_PLMN });
  });

  it('builds TS 23.003 SEPP FQDNs with a 3-digit MNC', () => {
    expect(seppFqdn({ mcc: '001', mnc: '01' })).toBe(SERVER_FQDN);
    expect(seppFqdn({ mcc: '310', mnc: '410' })).toBe('sepp.5gc.mnc410.mcc310.3gppnetwork.org');
    expect(() => seppFqdn({ mcc: '01', mnc: '01' })).toThrow(RangeError);
  });

  it('completes mutual TLS with both peers authorised and the SEPP FQDN in the SAN', async () => {
    const result = await handshake({ serverLeaf, clientLeaf, trusted: [ca] });
    expect(result.client).toEqual({ authorized: true, peerSan: expect.stringContaining(`DNS:${SERVER_FQDN}`) });
    expect(result.server).toEqual({ authorized: true, peerSan: expect.stringContaining(`DNS:${CLIENT_FQDN}`) });
  });

  it('also completes mutual TLS when capped at TLS 1.2', async () => {
    const result = await handshake({ serverLeaf, clientLeaf, trusted: [ca], maxVersion: 'TLSv1.2' });
    expect(result.client.authorized).toBe(true);
    expect(result.server.authorized).toBe(true);
  });

  it('adds iPAddress SAN entries, which a client dialling the address accepts without a servername', async () => {
    const byAddress = await createLeaf({ ca, dnsNames: ['redis.test'], ipAddresses: ['127.0.0.1', '::1'] });
    expect(new X509Certificate(byAddress.certPem).subjectAltName).toBe('DNS:redis.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(new X509Certificate(byAddress.certPem).checkIP('127.0.0.1')).toBe('127.0.0.1');
    const server = tls.createServer({ key: byAddress.keyPem, cert: byAddress.chainPem });
    server.on('secureConnection', (socket: tls.TLSSocket) => socket.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const outcome = await new Promise<string>((resolve) => {
        const socket = tls.connect({ host: '127.0.0.1', port, ca: [ca.certPem] });
        socket.once('secureConnect', () => resolve(socket.authorized ? 'authorized' : 'unauthorized'));
        socket.once('error', (err) => resolve(errorCode(err)));
        socket.once('close', () => socket.destroy());
      });
      expect(outcome).toBe('authorized');
      // Without the IP entry, the same dial is refused for the name.
      const nameOnly = await createLeaf({ ca, dnsNames: ['redis.test'] });
      expect(new X509Certificate(nameOnly.certPem).checkIP('127.0.0.1')).toBeUndefined();
    } finally {
      server.close();
    }
  });

  it('issues from a CA reloaded from PEM with a matching key identifier chain', async () => {
    const reloaded = await loadCa(ca.certPem, ca.keyPem);
    const leaf = await mintSeppCertificate({ ca: reloaded, plmn: CLIENT_PLMN });
    expect(new X509Certificate(leaf.certPem).verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    const result = await handshake({ serverLeaf, clientLeaf: leaf, trusted: [ca] });
    expect(result.server.authorized).toBe(true);
  });

  it('makes the client refuse an expired server certificate', async () => {
    const expired = await mintExpired(ca, [SERVER_FQDN]);
    const { client } = await handshake({ serverLeaf: expired, clientLeaf, trusted: [ca] });
    expect(client).toEqual({ authorized: false, error: 'CERT_HAS_EXPIRED' });
  });

  it('makes the client refuse a not-yet-valid server certificate', async () => {
    const early = await mintNotYetValid(ca, [SERVER_FQDN]);
    const { client } = await handshake({ serverLeaf: early, clientLeaf, trusted: [ca] });
    expect(client).toEqual({ authorized: false, error: 'CERT_NOT_YET_VALID' });
  });

  it('makes the client refuse a server certificate from another CA', async () => {
    const rogueCa = await createCa({ commonName: 'Rogue CA' });
    const rogue = await mintSeppCertificate({ ca: rogueCa, plmn: SERVER_PLMN });
    // Leaf alone: unknown issuer. With the rogue root in the chain: untrusted self-signed root.
    const leafOnly = await handshake({ serverLeaf: { ...rogue, chainPem: rogue.certPem }, clientLeaf, trusted: [ca] });
    expect(leafOnly.client).toEqual({ authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const withChain = await handshake({ serverLeaf: rogue, clientLeaf, trusted: [ca] });
    expect(withChain.client).toEqual({ authorized: false, error: 'SELF_SIGNED_CERT_IN_CHAIN' });
  });

  it('makes the server refuse a client certificate from another CA', async () => {
    const rogueCa = await createCa({ commonName: 'Rogue CA' });
    const rogue = await mintSeppCertificate({ ca: rogueCa, plmn: CLIENT_PLMN });
    const { server } = await handshake({ serverLeaf, clientLeaf: rogue, trusted: [ca] });
    // Node's server drops the socket without a verify code ('socket hang up'), and a TLS 1.3
    // client may already count as connected, so the proof is: no authorised server-side session.
    expect(server).toEqual({ authorized: false, error: expect.any(String) });
  });

  it('makes the client refuse a server whose SAN lacks the expected FQDN', async () => {
    const wrongSan = await createLeaf({ ca, dnsNames: ['sepp.5gc.mnc999.mcc999.3gppnetwork.org'] });
    const { client } = await handshake({ serverLeaf: wrongSan, clientLeaf, trusted: [ca] });
    expect(client).toEqual({ authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('issues leaves with the 33.310 profile', () => {
    const leaf = new X509Certificate(serverLeaf.certPem);
    const root = new X509Certificate(ca.certPem);
    expect(leaf.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(leaf.ca).toBe(false);
    expect(leaf.subject).toBe(`C=ZZ\nO=5gc.mnc001.mcc001.3gppnetwork.org\nCN=${SERVER_FQDN}`);
    expect(leaf.subjectAltName).toBe(`DNS:${SERVER_FQDN}`);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(root.ca).toBe(true);
    expect(root.subject).toBe('C=ZZ\nO=SEPP interconnect\nCN=Test Interconnect CA');
    // RFC 5280 §4.1.2.2: positive, at most 20 octets.
    expect(leaf.serialNumber.length).toBeLessThanOrEqual(40);
    expect(parseInt(leaf.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);
    expect(serverLeaf.chainPem).toBe(serverLeaf.certPem + ca.certPem);
    expect(serverLeaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('uses the PLMN home network domain as the CA organisation', async () => {
    const plmnCa = await createCa({ commonName: 'PLMN 001-01 CA', plmn: SERVER_PLMN });
    expect(new X509Certificate(plmnCa.certPem).subject).toBe('C=ZZ\nO=5gc.mnc001.mcc001.3gppnetwork.org\nCN=PLMN 001-01 CA');
  });

  it('honours a restricted extended key usage', async () => {
    const serverOnly = await createLeaf({ ca, dnsNames: [SERVER_FQDN], extendedKeyUsage: ['serverAuth'] });
    expect(new X509Certificate(serverOnly.certPem).keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('refuses leaf validity beyond three years', async () => {
    await expect(createLeaf({ ca, dnsNames: [SERVER_FQDN], validityDays: MAX_LEAF_VALIDITY_DAYS + 1 })).rejects.toThrow(RangeError);
    const now = Date.now();
    await expect(
      createLeaf({ ca, dnsNames: [SERVER_FQDN], notBefore: new Date(now), notAfter: new Date(now + 4 * 365 * 86_400_000) }),
    ).rejects.toThrow(RangeError);
    await expect(createLeaf({ ca, dnsNames: [SERVER_FQDN], validityDays: MAX_LEAF_VALIDITY_DAYS })).resolves.toBeDefined();
    await expect(createLeaf({ ca, dnsNames: [] })).rejects.toThrow(RangeError);
  });
});
