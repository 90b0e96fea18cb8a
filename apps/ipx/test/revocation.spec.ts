import { X509Certificate } from 'node:crypto';
import type { ClientHttp2Session } from 'node:http2';
import { createCrl } from '@sepp/infra';
import { N32F_PROCESS_PATH } from '@sepp/protocol';
import { startIpxApp, type RunningIpx } from '../src/bootstrap/run-ipx-app';
import { loadIpxConfig } from '../src/config/load-ipx-config';
import { createIpxLogger } from '../src/logging/logger';
import { h2Request, h2Session } from './support/h2';
import { createRig, IPX_FQDN, LogLines, until, writeConfig, type Rig } from './support/rig';

/** `tls.crl` on the relay's N32-f listener: the SEPPs' CRL check (the revocation e2e runs it through the SEPPs). */
describe('apps/ipx: tls.crl', () => {
  let rig: Rig;

  beforeAll(async () => {
    rig = await createRig();
  });

  /** Opens a session as `cert` and asks one request; what came of it. */
  async function tryAs(ipx: RunningIpx, cert: { certPem: string; keyPem: string }): Promise<string> {
    let session: ClientHttp2Session | undefined;
    try {
      session = await h2Session(ipx.addresses.n32f.port, { ca: rig.pki.ca.certPem, cert: cert.certPem, key: cert.keyPem, servername: IPX_FQDN });
      const answer = await h2Request(session, { ':method': 'POST', ':path': N32F_PROCESS_PATH, 'content-type': 'application/json' }, '{}');
      return `HTTP ${answer.status}`;
    } catch (error) {
      return `refused: ${(error as Error).message}`;
    } finally {
      session?.destroy();
    }
  }

  it('a sending SEPP its CA\'s CRL revokes is refused at the handshake; another of the same CA gets through to the relay', async () => {
    const crl = rig.pki.write('ca.crl', await createCrl({ ca: rig.pki.ca, revoked: [{ serialNumber: new X509Certificate(rig.seppA.leafPem).serialNumber }] }));
    const logs = new LogLines();
    const ipx = await startIpxApp(loadIpxConfig(writeConfig(rig, 9, { tls: { cert: rig.ipxTls.cert, key: rig.ipxTls.key, ca: [rig.pki.caFile], crl: [crl] } }, 'ipx-crl.yaml')), createIpxLogger('info', logs));
    try {
      // TLS 1.3: the client has finished its handshake when the relay refuses its certificate; its request goes nowhere.
      expect(await tryAs(ipx, rig.seppA)).toMatch(/^refused: /);
      await until('the handshake failure logged', () => logs.with('TLS handshake failed').length === 1);
      expect(logs.with('TLS handshake failed')[0]).toMatchObject({ listener: 'n32f', reason: 'CERT_REVOKED' });
      // Past TLS: the relay answers (a bad body here), so the certificate was taken.
      expect(await tryAs(ipx, rig.seppB)).toBe('HTTP 400');
    } finally {
      await ipx.close();
    }
  });

  it('refuses a CRL past its nextUpdate, naming the key', async () => {
    const stale = rig.pki.write('stale.crl', await createCrl({ ca: rig.pki.ca, thisUpdate: new Date(Date.now() - 10 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) }));
    expect(() => loadIpxConfig(writeConfig(rig, 9, { tls: { cert: rig.ipxTls.cert, key: rig.ipxTls.key, ca: [rig.pki.caFile], crl: [stale] } }, 'ipx-stale.yaml'))).toThrow(/tls\.crl\[0\]: the CRL of .* is past its nextUpdate/);
  });
});
