import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { createCa, createLeaf, type MintedCa } from '@sepp/infra';
import { loadConfig } from '../config/load-config';
import type { SeppConfig } from '../config/sepp-config';
import { n32ClientSecureContext, n32ClientTlsOptions } from './tls-options';

const OURS = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
const PEER = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';
const N32F = 'n32f.sepp.5gc.mnc001.mcc001.3gppnetwork.org';

let ca: MintedCa;
let dir: string;
let server: Http2SecureServer;
let port: number;
const load = (): SeppConfig => loadConfig(join(dir, 'sepp.yaml'));

beforeAll(async () => {
  ca = await createCa({ commonName: 'RCA' });
  dir = mkdtempSync(join(tmpdir(), 'sepp-client-tls-'));
  const [own, peer] = await Promise.all([createLeaf({ ca, dnsNames: [OURS] }), createLeaf({ ca, dnsNames: [PEER] })]);
  writeFileSync(join(dir, 'sepp.crt'), own.chainPem);
  writeFileSync(join(dir, 'sepp.key'), own.keyPem);
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(
    join(dir, 'sepp.yaml'),
    stringify({
      sepp: { fqdn: OURS, plmns: [{ mcc: '001', mnc: '01' }], capabilities: ['TLS'] },
      tls: { cert: 'sepp.crt', key: 'sepp.key', ca: ['ca.crt'] },
      n32: { peers: [] },
      admin: { listen: { host: '127.0.0.1', port: 0 } },
    }),
  );
  // The peer: mutual TLS, h2, as a responder listens.
  server = createSecureServer({ cert: peer.chainPem, key: peer.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A TLS connection to the peer with our client options; what each side saw of the other. */
async function dial(options: ReturnType<typeof n32ClientTlsOptions>): Promise<{ authorized: boolean; alpn: string | false | null; serverName: string; clientName: string }> {
  const accepted = once(server, 'secureConnection') as Promise<[TLSSocket]>;
  const socket = connect({ ...options, host: '127.0.0.1', port });
  await once(socket, 'secureConnect');
  const [peerSide] = await accepted;
  const result = {
    authorized: socket.authorized,
    alpn: socket.alpnProtocol,
    serverName: String(socket.getPeerCertificate().subjectaltname),
    clientName: String(peerSide.getPeerCertificate().subjectaltname),
  };
  socket.destroy();
  return result;
}

describe('the N32 client TLS context', () => {
  it('is built once per configuration and identity, and again for a reloaded configuration', async () => {
    const config = load();
    const identity = await createLeaf({ ca, dnsNames: [N32F] });
    const n32f = { cert: Buffer.from(identity.chainPem), key: Buffer.from(identity.keyPem) };
    const context = n32ClientSecureContext(config);
    expect(n32ClientSecureContext(config)).toBe(context);
    expect(n32ClientTlsOptions(config, PEER).secureContext).toBe(context);
    const other = n32ClientSecureContext(config, n32f);
    expect(other).not.toBe(context);
    expect(n32ClientSecureContext(config, n32f)).toBe(other);
    expect(n32ClientSecureContext(load())).not.toBe(context);
  });

  it('presents our certificate (or the identity given), verifies the peer against our roots and its name, and asks for h2', async () => {
    const config = load();
    expect(await dial(n32ClientTlsOptions(config, PEER))).toEqual({ authorized: true, alpn: 'h2', serverName: `DNS:${PEER}`, clientName: `DNS:${OURS}` });
    // Again with the same context: the same result.
    expect(await dial(n32ClientTlsOptions(config, PEER))).toEqual({ authorized: true, alpn: 'h2', serverName: `DNS:${PEER}`, clientName: `DNS:${OURS}` });
    const identity = await createLeaf({ ca, dnsNames: [N32F] });
    expect((await dial(n32ClientTlsOptions(config, PEER, { cert: Buffer.from(identity.chainPem), key: Buffer.from(identity.keyPem) }))).clientName).toBe(`DNS:${N32F}`);
  });

  it('refuses a peer whose certificate does not name the FQDN dialled', async () => {
    const socket = connect({ ...n32ClientTlsOptions(load(), 'sepp.5gc.mnc003.mcc003.3gppnetwork.org'), host: '127.0.0.1', port });
    const [error] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});
