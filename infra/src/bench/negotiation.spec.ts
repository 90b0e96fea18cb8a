import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:http2';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startBareN32c, type RunningProxy } from './bare-proxy';
import { HOME, mintBenchCerts, VISITED, type BenchCerts } from './context';
import { measureNegotiation } from './negotiation';

/** The floor of (n): the bench's own negotiation client against the bare N32-c server, on loopback. */
describe('the bare N32-c server (the floor of scenario n)', () => {
  let dir: string;
  let certs: BenchCerts;
  let floor: RunningProxy;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-floor-'));
    certs = await mintBenchCerts(path.join(dir, 'certs'));
    floor = await startBareN32c({ tls: { cert: readFileSync(certs.home.cert), key: readFileSync(certs.home.key), ca: readFileSync(certs.ca) }, fqdn: HOME.seppFqdn });
  });

  afterAll(async () => {
    await floor?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every cold capability negotiation with TLS selected; no PRINS set-up is attempted when none is asked for', async () => {
    const result = await measureNegotiation({
      host: '127.0.0.1',
      port: floor.port,
      serverName: HOME.seppFqdn,
      tls: { cert: certs.visited.cert, key: certs.visited.key, ca: certs.ca },
      self: { fqdn: VISITED.seppFqdn, plmns: [VISITED.plmn] },
      capabilityRuns: 3,
      prinsRuns: 0,
      warmup: 1,
      warmupMs: 0,
      timeoutMs: 5_000,
    });
    expect(result.errors).toEqual({});
    expect([result.whole.samples, result.requestToAnswer.samples, result.prinsSetup.samples]).toEqual([3, 3, 0]);
    expect([result.warmupWhole.samples, result.warmupRuns]).toEqual([1, 1]);
    expect(result.requestToAnswer.maxMs).toBeLessThanOrEqual(result.whole.maxMs);
  });

  it('refuses anything but exchange-capability with a problem, and a client without a certificate at the handshake', async () => {
    const ca = readFileSync(certs.ca);
    const withCert = connect(`https://127.0.0.1:${floor.port}`, { servername: HOME.seppFqdn, ca, cert: readFileSync(certs.visited.cert), key: readFileSync(certs.visited.key) });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = withCert.request({ ':method': 'GET', ':path': '/n32c-handshake/v1/exchange-capability' }, { endStream: true });
        stream.on('response', (headers) => resolve(Number(headers[':status'])));
        stream.on('error', reject);
        stream.resume();
      });
      expect(status).toBe(400);
    } finally {
      withCert.close();
    }
    const anonymous = connect(`https://127.0.0.1:${floor.port}`, { servername: HOME.seppFqdn, ca });
    const outcome = await new Promise<string>((resolve) => {
      anonymous.on('error', () => resolve('refused'));
      anonymous.on('close', () => resolve('refused'));
      const stream = anonymous.request({ ':method': 'POST', ':path': '/n32c-handshake/v1/exchange-capability' }, { endStream: true });
      stream.on('error', () => resolve('refused'));
      stream.on('close', () => resolve('refused'));
      stream.on('response', (headers) => resolve(`answered ${String(headers[':status'])}`));
    });
    anonymous.destroy();
    expect(outcome).toBe('refused');
  });
});
