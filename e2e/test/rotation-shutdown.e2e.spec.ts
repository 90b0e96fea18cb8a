import { X509Certificate } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { FQDN_A, FQDN_B, initiatorYaml, PLMN_A, PLMN_B, writeYaml } from './support/configs';
import { FakeResponder } from './support/fake-responder';
import { connections, expectProblemAnswer, n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer, TARGET_HEADER, udmApiRoot, type NfAnswer, withPkiAndProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { sleep, waitFor } from './support/wait-for';

jest.setTimeout(120_000);

const AM_DATA = '/nudm-sdm/v2/imsi-001010000000001/am-data';

/** The SHA-256 fingerprint of the first certificate of a PEM chain. */
const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;

/** A fresh TLS connection (ALPN h2): the fingerprint of the certificate the server presents. */
function presented(port: number, servername: string, tls: ConnectionOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['h2'], ...tls });
    socket.once('secureConnect', () => {
      const fingerprint = socket.getPeerX509Certificate()?.fingerprint256;
      socket.destroy();
      if (fingerprint) resolve(fingerprint);
      else reject(new Error('no server certificate'));
    });
    socket.once('error', reject);
  });
}

/** Replaces `target`'s content the way renewal tools do: a new file renamed over the old one. */
function replaceFile(target: string, content: string): void {
  writeFileSync(`${target}.tmp`, content, { mode: 0o600 });
  renameSync(`${target}.tmp`, target);
}

/** How a TCP connection attempt to `port` ends: 'connected' or the error code (ECONNREFUSED...). */
function tcpAttempt(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * Certificates replaced while the SEPPs run (tls.watchFiles, SIGHUP): established peers keep their
 * connections, new connections get the new material, as servers and as clients. And the graceful
 * stop: SIGTERM closes every listener to new connections, /readyz says 503, requests in flight
 * finish (up to limits.drainTimeoutMs), then peers are released and the process exits 0.
 */
describe('certificate rotation without restart, graceful shutdown', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;

  withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

  const send = (nf: NfClient, query: string, path = AM_DATA): Promise<NfAnswer> =>
    nf.request({ path: `${path}?${query}`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: 10_000 });

  /** NF requests one after the other until `done()`; the statuses (or failures) in order. */
  async function traffic(nf: NfClient, done: () => boolean): Promise<string[]> {
    const outcomes: string[] = [];
    for (let i = 0; !done(); i++) {
      try {
        outcomes.push(String((await send(nf, `rotation=${i}`)).status));
      } catch (error) {
        outcomes.push((error as Error).message);
      }
      await sleep(20);
    }
    return outcomes;
  }

  it('tls.watchFiles: the responder certificate is renewed (new key, same FQDN) under traffic; the established N32 connection carries on, a new TLS connection gets the new certificate', async () => {
    // Its own copy of the responder's files, rotated in place.
    const files = { cert: `${pki.dir}/watched-a.crt`, key: `${pki.dir}/watched-a.key` };
    writeFileSync(files.cert, certA.certPem);
    writeFileSync(files.key, certA.keyPem, { mode: 0o600 });
    const responderConfig = n32fResponderYaml({ ...certA, ...files }, pki, producer.port);
    Object.assign(responderConfig.tls, { watchFiles: true });
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-watch', responderConfig));
    const n32Port = responder.port('n32');
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-watch', n32fInitiatorYaml(certB, pki, n32Port)));
    const nf = await NfClient.connect(initiator.port('sbi'));
    let stop = false;
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      await responder.waitForLog('watching TLS files', (l) => l.msg === 'watching TLS files');
      const asPeerB = pki.clientTls(certB);
      expect(await presented(n32Port, FQDN_A, asPeerB)).toBe(fingerprintOf(certA.certPem));
      const [connection] = (await connections(responder)).filter((c) => c.peer === FQDN_B);
      expect(connection).toBeDefined();

      const flowing = traffic(nf, () => stop);
      await sleep(300);
      const renewed = await pki.sepp(PLMN_A, 'sepp-001-01-renewed');
      expect(fingerprintOf(renewed.certPem)).not.toBe(fingerprintOf(certA.certPem));
      const fromLine = responder.lines.length;
      const rotatedAt = performance.now();
      replaceFile(files.key, renewed.keyPem);
      replaceFile(files.cert, renewed.certPem);
      const replaced = await responder.waitForLog('TLS material replaced', (l) => l.msg === 'TLS material replaced for new connections' && l['listener'] === 'n32', 10_000, fromLine);
      const pickedUpMs = performance.now() - rotatedAt;
      // The reload's own line comes after the listeners swapped their material: wait for it too.
      const reloaded = await responder.waitForLog('configuration reloaded', (l) => l.msg === 'configuration reloaded', 10_000, fromLine);
      expect(reloaded).toMatchObject({ trigger: 'file-watch', changed: expect.arrayContaining(['tls']) });
      expect(replaced).toBeDefined();

      // A new connection: the renewed certificate.
      expect(await presented(n32Port, FQDN_A, asPeerB)).toBe(fingerprintOf(renewed.certPem));
      await sleep(300);
      stop = true;
      const outcomes = await flowing;

      // The established connection: untouched, and it carried every request before, during and after.
      expect(outcomes.length).toBeGreaterThanOrEqual(10);
      expect(outcomes.filter((o) => o !== '200')).toEqual([]);
      const after = (await connections(responder)).filter((c) => c.peer === FQDN_B);
      expect(after.map((c) => c.id)).toEqual([connection!.id]);
      expect(after[0]!.n32fRequests).toBeGreaterThanOrEqual(outcomes.length);
      expect(initiator.lines.filter((l) => l.msg === 'N32 connection up')).toHaveLength(1);
      expect((await send(nf, 'after-rotation')).status).toBe(200);
      console.log(`rotation picked up ${Math.round(pickedUpMs)} ms after the files were replaced; ${outcomes.length} requests on the established connection meanwhile, all 200`);
    } finally {
      stop = true;
      nf.close();
      await initiator.stop();
      await responder.stop();
    }
  });

  it('SIGHUP: the dedicated N32-f listener and the NF-facing TLS listener present their new certificates; the initiator dials with its new one', async () => {
    // Responder: a separate N32-f listener with its own certificate. Initiator: TLS on the NF side.
    const n32fCert = await pki.sepp(PLMN_A, 'n32f-a');
    const sbiCert = await pki.leaf('sbi-b', ['sepp.5gc.mnc002.mcc002.3gppnetwork.org']);
    const responderConfig = n32fResponderYaml(certA, pki, producer.port, { responderN32f: { listen: { host: '127.0.0.1', port: 0 }, tls: { cert: n32fCert.cert, key: n32fCert.key } } });
    const responderFile = writeYaml(pki.dir, 'responder-hup', responderConfig);
    let responder = await SeppProcess.ready('responder', responderFile);
    const n32Port = responder.port('n32');
    const n32fPort = responder.port('n32f');
    const initiatorCert = { cert: `${pki.dir}/initiator-hup.crt`, key: `${pki.dir}/initiator-hup.key` };
    writeFileSync(initiatorCert.cert, certB.certPem);
    writeFileSync(initiatorCert.key, certB.keyPem, { mode: 0o600 });
    const initiatorConfig = n32fInitiatorYaml({ ...certB, ...initiatorCert }, pki, n32Port, { initiatorN32f: { connection: 'dedicated' } });
    (initiatorConfig['sbi'] as Record<string, unknown>)['tls'] = { cert: sbiCert.cert, key: sbiCert.key };
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-hup', initiatorConfig));
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      const sbiPort = initiator.port('sbi');
      const asPeerB = pki.clientTls(certB);
      const nfTls = { ca: pki.ca.certPem };
      expect(await presented(n32fPort, FQDN_A, asPeerB)).toBe(fingerprintOf(n32fCert.certPem));
      expect(await presented(sbiPort, FQDN_B, nfTls)).toBe(fingerprintOf(sbiCert.certPem));

      // New certificates in the same files, then SIGHUP to both.
      const n32fRenewed = await pki.sepp(PLMN_A, 'n32f-a-renewed');
      const sbiRenewed = await pki.leaf('sbi-b-renewed', ['sepp.5gc.mnc002.mcc002.3gppnetwork.org']);
      // The initiator's N32 certificate gets one more name: the responder will see it on the next connection.
      const extraName = 'sepp-rotated.5gc.mnc002.mcc002.3gppnetwork.org';
      const initiatorRenewed = await pki.sepp(PLMN_B, 'initiator-hup-renewed', [extraName]);
      replaceFile(n32fCert.key, n32fRenewed.keyPem);
      replaceFile(n32fCert.cert, n32fRenewed.certPem);
      replaceFile(sbiCert.key, sbiRenewed.keyPem);
      replaceFile(sbiCert.cert, sbiRenewed.certPem);
      replaceFile(initiatorCert.key, initiatorRenewed.keyPem);
      replaceFile(initiatorCert.cert, initiatorRenewed.certPem);
      const [responderFrom, initiatorFrom] = [responder.lines.length, initiator.lines.length];
      responder.child.kill('SIGHUP');
      initiator.child.kill('SIGHUP');
      await responder.waitForLog('n32f TLS replaced', (l) => l.msg === 'TLS material replaced for new connections' && l['listener'] === 'n32f', 10_000, responderFrom);
      await initiator.waitForLog('sbi TLS replaced', (l) => l.msg === 'TLS material replaced for new connections' && l['listener'] === 'sbi', 10_000, initiatorFrom);
      expect(await presented(n32fPort, FQDN_A, asPeerB)).toBe(fingerprintOf(n32fRenewed.certPem));
      expect(await presented(sbiPort, FQDN_B, nfTls)).toBe(fingerprintOf(sbiRenewed.certPem));
      // The N32 listener was not part of it: its certificate is the same.
      expect(await presented(n32Port, FQDN_A, asPeerB)).toBe(fingerprintOf(certA.certPem));

      // As a client: the responder goes away and comes back on the same ports; the initiator's new
      // connections present the renewed certificate (its extra name).
      responderConfig.n32.listen = { host: '127.0.0.1', port: n32Port };
      (responderConfig['n32f'] as Record<string, unknown>)['listen'] = { host: '127.0.0.1', port: n32fPort };
      writeYaml(pki.dir, 'responder-hup', responderConfig);
      expect(await responder.stop()).toBe(0);
      await initiator.waitForPeer(FQDN_A, 'without its agreement', (p) => p.state !== 'tls-established', 10_000);
      responder = await SeppProcess.ready('responder', responderFile);
      await initiator.waitForPeer(FQDN_A, 'agreed again', (p) => p.state === 'tls-established', 20_000);
      const seen = await waitFor('the initiator connections on the restarted responder', async () => {
        const mine = (await connections(responder)).filter((c) => c.certificate.includes(FQDN_B));
        return mine.length >= 2 ? mine : undefined;
      });
      for (const connection of seen) expect(connection.certificate).toContain(extraName);
      expect(seen.map((c) => c.listener).sort()).toEqual(['n32', 'n32f']);
    } finally {
      await initiator.stop();
      await responder.stop();
    }
  });

  it('SIGTERM on the initiator with a slow request in flight: new connections refused, /readyz 503, the request completes 2xx, then N32 is released and the process exits 0', async () => {
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-term', n32fResponderYaml(certA, pki, producer.port)));
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-term', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      await responder.waitForPeerState(FQDN_B, 'tls-established');
      const sbiPort = initiator.port('sbi');
      const adminPort = initiator.port('admin');
      expect((await initiator.admin('/readyz')).status).toBe(200);
      const slowPath = '/nudm-sdm/v2/slow/1500';
      const started = performance.now();
      const pending = send(nf, 'term=1', slowPath);
      await waitFor('the slow request at the producer', () => producer.byPath(`${slowPath}?term=1`).length === 1, 5_000, 5);

      const exited = initiator.exitCodeWithin(20_000);
      initiator.child.kill('SIGTERM');
      const termAt = performance.now();
      await initiator.waitForLog('draining', (l) => l.msg === 'listeners closed to new connections, draining', 5_000);
      // While the request is in flight: no new connection on the NF-facing listener, not ready.
      expect(await tcpAttempt(sbiPort)).toBe('ECONNREFUSED');
      const readyz = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      expect(readyz.status).toBe(503);
      expect(await readyz.json()).toMatchObject({ status: 503, detail: 'shutting down' });

      const answer = await pending;
      const answeredAt = performance.now();
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ servedBy: 'udm1', path: slowPath });
      expect(answeredAt - started).toBeGreaterThanOrEqual(1_400);
      // Within the drain (limits.drainTimeoutMs, 10 s by default), not cut.
      expect(answeredAt - termAt).toBeLessThan(10_000);

      expect(await exited).toBe(0);
      const exitedAt = performance.now();
      // In this order: stop accepting, drain, release N32 (["NONE"]), stopped.
      const steps = ['listeners closed to new connections, draining', 'drained', 'released N32 with ["NONE"]', 'stopped'];
      expect(initiator.lines.map((l) => l.msg).filter((msg) => steps.includes(msg))).toEqual(steps);
      expect(initiator.lines.find((l) => l.msg === 'listeners closed to new connections, draining')).toMatchObject({ inFlight: { sbi: 1 } });
      await responder.waitForPeerState(FQDN_B, 'terminated');
      console.log(
        `SIGTERM with a 1500 ms request in flight: answered 200 ${Math.round(answeredAt - termAt)} ms after the signal, process exited 0 ${Math.round(exitedAt - termAt)} ms after it`,
      );
    } finally {
      nf.close();
      await initiator.stop();
      await responder.stop();
    }
  });

  it('SIGTERM on the responder: a request in flight completes 2xx; one longer than limits.drainTimeoutMs is cut at the bound; exit 0 either way', async () => {
    const LONG_MS = 30_000;
    const config = n32fResponderYaml(certA, pki, producer.port);
    config.limits = { drainTimeoutMs: 1_000 };
    const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder-drain', config));
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-drain', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      const short = send(nf, 'drain=short', '/nudm-sdm/v2/slow/600');
      const long = nf.request({ path: `/nudm-sdm/v2/slow/${LONG_MS}?drain=long`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) }, timeoutMs: LONG_MS });
      await waitFor('both requests at the producer', () => producer.byPath('/nudm-sdm/v2/slow/600?drain=short').length + producer.byPath(`/nudm-sdm/v2/slow/${LONG_MS}?drain=long`).length === 2, 5_000, 5);
      const exited = responder.exitCodeWithin(LONG_MS);
      responder.child.kill('SIGTERM');
      const termAt = performance.now();
      expect((await short).status).toBe(200);
      expect(await exited).toBe(0);
      const exitMs = performance.now() - termAt;
      // Cut at the drain bound (1 s, as the app measured it), long before the 30 s request would end.
      const cut = await responder.waitForLog('the drain bound', (l) => l.msg === 'drain timed out: closing the connections left');
      expect(cut).toMatchObject({ left: { n32: 1 }, drainTimeoutMs: 1_000 });
      // Node's timers count from the event loop's cached millisecond clock, the app's `ms` from
      // performance.now(): a 1,000 ms timer can end 999.x ms after it was started.
      expect(cut['ms']).toBeGreaterThanOrEqual(999);
      expect(exitMs).toBeLessThan(LONG_MS / 2);
      // The cut request ends with a problem of the initiator's, never a hang.
      expectProblemAnswer(await long, 502, 'N32_CONNECTION_LOST');
      console.log(`responder SIGTERM: the 600 ms request answered 200, the ${LONG_MS} ms one cut at the 1000 ms drain bound (${String(cut['ms'])} ms), exit 0 after ${Math.round(exitMs)} ms`);
    } finally {
      nf.close();
      await initiator.stop();
      await responder.stop();
    }
  });

  it('a stop that takes longer than limits.drainTimeoutMs + limits.stopGraceMs exits 1: here a peer that never answers the ["NONE"] release', async () => {
    // A responder of the test: it agrees on TLS, then leaves the release unanswered (n32.requestTimeoutMs: 60 s).
    const fake = await FakeResponder.start(certA, pki.ca.certPem, (request) => {
      const offered = (request.json as { supportedSecCapabilityList?: string[] } | undefined)?.supportedSecCapabilityList;
      // An answer that never comes.
      if (offered?.length === 1 && offered[0] === 'NONE') return new Promise<never>(() => undefined);
      return { body: { sender: FQDN_A, selectedSecCapability: 'TLS', plmnIdList: [PLMN_A], supportedFeatures: '0' } };
    });
    const config = initiatorYaml(certB, pki, fake.port, { requestTimeoutMs: 60_000 });
    config.limits = { drainTimeoutMs: 200, stopGraceMs: 1_000 };
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator-stuck-stop', config));
    try {
      await initiator.waitForPeerState(FQDN_A, 'tls-established');
      const exited = initiator.exitCodeWithin(30_000);
      initiator.child.kill('SIGTERM');
      expect(await exited).toBe(1);
      // The bound: limits.drainTimeoutMs (200) + limits.closeGraceMs (default 250) + limits.stopGraceMs (1000).
      expect(initiator.lines.find((l) => l.msg === 'shutdown took too long, exiting')).toMatchObject({ level: 'error', graceMs: 1_450 });
      expect(initiator.lines.some((l) => l.msg === 'stopped')).toBe(false);
      // It was the release it waited for.
      expect(fake.requests.map((r) => (r.json as { supportedSecCapabilityList?: string[] }).supportedSecCapabilityList)).toContainEqual(['NONE']);
    } finally {
      await initiator.stop();
      await fake.close();
    }
  });
});
