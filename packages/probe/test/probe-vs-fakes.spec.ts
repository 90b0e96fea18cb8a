import { FakeInitiator, FakeResponder, type ResponderFaults } from './support/fake-seps';
import { FQDN_A, FQDN_B, PLMN_A, PLMN_B, runProbe, startProbe, TestPki, verdicts, type Material, type ProbeRun } from './support/probe-cli';

jest.setTimeout(60_000);

/**
 * The probe finds what it should: it runs (as the built CLI) against small fake SEPPs, each with
 * one deliberate fault, and reports exactly that case as failed; the same fake without the fault
 * passes it (so the failure is the fault's, not the fake's).
 */
describe('the probe against deliberately broken SEPPs', () => {
  let pki: TestPki;
  let a: Material;
  let b: Material;
  const fakes: { close(): Promise<void> | void }[] = [];

  beforeAll(async () => {
    pki = await TestPki.create();
    [a, b] = await Promise.all([pki.sepp(PLMN_A), pki.sepp(PLMN_B)]);
  });

  afterEach(async () => {
    for (const fake of fakes.splice(0)) await fake.close();
  });

  async function responder(faults: ResponderFaults = {}, policy: 'none' | 'ip-routing' = 'none'): Promise<FakeResponder> {
    const fake = await FakeResponder.start({ certPem: a.certPem, keyPem: a.keyPem, caPem: pki.ca.certPem, fqdn: FQDN_A, plmns: [PLMN_A], policy, faults });
    fakes.push(fake);
    return fake;
  }

  function probeResponder(fake: FakeResponder, only: string, extra: string[] = []): Promise<ProbeRun> {
    return runProbe(
      ['responder', '--url', `https://127.0.0.1:${fake.port}`, '--peer-fqdn', FQDN_A, '--cert', b.certFile, '--key', b.keyFile, '--ca', pki.caFile, '--ca-key', pki.caKeyFile, '--only', only, '--close-wait', '1500', ...extra],
      pki.dir,
    );
  }

  const RELEASE = ['release.no-common', 'release.close-after-no-common', 'release.none', 'release.close-after-none'];
  const BINDING = ['id.forged-sender', 'id.forged-plmn'];
  const ORDER = ['neg.order-prins-tls', 'neg.order-tls-prins'];

  it('a conformant fake passes the cases the faults break (control)', async () => {
    const run = await probeResponder(await responder(), 'release,id.forged-sender,id.forged-plmn,cert.expired,neg');
    expect(verdicts(run, [...RELEASE, ...BINDING, 'cert.expired', ...ORDER, 'neg.offer-tls'])).toEqual(Object.fromEntries([...RELEASE, ...BINDING, 'cert.expired', ...ORDER, 'neg.offer-tls'].map((id) => [id, 'pass'])));
    expect(run.cases.get('release.close-after-none')?.observed).toMatch(/GOAWAY\(code 0.*connection closed/);
    expect(run.cases.get('cert.expired')?.observed).toMatch(/refused/);
    expect(run.code).toBe(0);
  });

  it('a responder that keeps the connection after NONE fails release.close-after-*', async () => {
    const run = await probeResponder(await responder({ keepAfterNone: true }), 'release');
    expect(verdicts(run, RELEASE)).toEqual({ 'release.no-common': 'pass', 'release.close-after-no-common': 'fail', 'release.none': 'pass', 'release.close-after-none': 'fail' });
    expect(run.cases.get('release.close-after-none')?.observed).toMatch(/no GOAWAY, connection still open after 15\d\d ms/);
    expect(run.code).toBe(1);
  });

  it('a responder that ignores sender fails id.forged-sender and id.forged-plmn', async () => {
    const run = await probeResponder(await responder({ ignoreSender: true }), 'id.forged-sender,id.forged-plmn');
    expect(verdicts(run, BINDING)).toEqual({ 'id.forged-sender': 'fail', 'id.forged-plmn': 'fail' });
    expect(run.cases.get('id.forged-sender')?.observed).toMatch(/sender sepp\.5gc\.mnc099\.mcc999\.3gppnetwork\.org: HTTP 200.*accepted/);
    expect(run.code).toBe(1);
  });

  it('a responder that accepts expired client certificates fails cert.expired (and only that certificate case)', async () => {
    const run = await probeResponder(await responder({ acceptExpired: true }), 'cert');
    expect(verdicts(run, ['cert.expired', 'cert.none', 'cert.untrusted-ca', 'cert.not-yet-valid'])).toEqual({ 'cert.expired': 'fail', 'cert.none': 'pass', 'cert.untrusted-ca': 'pass', 'cert.not-yet-valid': 'pass' });
    expect(run.cases.get('cert.expired')?.observed).toMatch(/handshake completed, request answered: HTTP 200/);
  });

  it('without --ca-key the cases that need the CA key are skipped, saying why', async () => {
    const fake = await responder();
    const run = await runProbe(['responder', '--url', `https://127.0.0.1:${fake.port}`, '--peer-fqdn', FQDN_A, '--cert', b.certFile, '--key', b.keyFile, '--ca', pki.caFile, '--only', 'cert'], pki.dir);
    expect(verdicts(run, ['cert.none', 'cert.expired', 'cert.wrong-eku'])).toEqual({ 'cert.none': 'pass', 'cert.expired': 'skip', 'cert.wrong-eku': 'skip' });
    expect(run.cases.get('cert.expired')?.observed).toMatch(/needs --ca-key/);
    expect(run.code).toBe(0);
  });

  it('a responder that ignores the initiator priority (ip-routing) fails neg.order-prins-tls', async () => {
    const control = await probeResponder(await responder({}, 'ip-routing'), 'neg', ['--policy', 'ip-routing']);
    expect(verdicts(control, ORDER)).toEqual({ 'neg.order-prins-tls': 'pass', 'neg.order-tls-prins': 'pass' });
    const run = await probeResponder(await responder({ ignorePriority: true }, 'ip-routing'), 'neg', ['--policy', 'ip-routing']);
    expect(verdicts(run, ORDER)).toEqual({ 'neg.order-prins-tls': 'fail', 'neg.order-tls-prins': 'fail' });
    expect(run.cases.get('neg.order-prins-tls')?.details).toContain('selected TLS, the policy gives PRINS');
  });

  describe('initiators', () => {
    async function probeAgainst(resendOnUnoffered: boolean): Promise<ProbeRun> {
      const probe = startProbe(['initiator', '--listen', '127.0.0.1:0', '--cert', a.certFile, '--key', a.keyFile, '--ca', pki.caFile, '--observe', '500', '--wait', '10000'], pki.dir);
      const port = await probe.listening;
      const initiator = new FakeInitiator({ port, servername: FQDN_A, certPem: b.certPem, keyPem: b.keyPem, caPem: pki.ca.certPem, fqdn: FQDN_B, plmns: [PLMN_B], offered: ['TLS'], faults: { resendOnUnoffered } });
      fakes.push({ close: () => initiator.stop() });
      initiator.start();
      return probe.done;
    }

    it('a conformant initiator passes every case it can be checked for (control)', async () => {
      const run = await probeAgainst(false);
      expect(run.report?.summary.fail).toBe(0);
      expect(run.cases.get('init.unoffered-selected')?.verdict).toBe('pass');
      expect(run.code).toBe(0);
    });

    it('an initiator that re-sends after an unoffered selection fails init.unoffered-selected', async () => {
      const run = await probeAgainst(true);
      expect(run.cases.get('init.unoffered-selected')).toMatchObject({ verdict: 'fail', observed: expect.stringMatching(/probe answered PRINS.*re-sent exchange-capability on the same connection/) });
      expect(run.cases.get('init.none-selected')?.verdict).toBe('pass');
      expect(run.code).toBe(1);
    });
  });

  describe('exit codes', () => {
    it('3 when the responder cannot be reached', async () => {
      const fake = await responder();
      const port = fake.port;
      await fake.close();
      fakes.pop();
      const run = await runProbe(['responder', '--url', `https://127.0.0.1:${port}`, '--peer-fqdn', FQDN_A, '--cert', b.certFile, '--key', b.keyFile, '--ca', pki.caFile], pki.dir);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/could not reach the target: .*ECONNREFUSED/);
    });

    it('3 when no initiator comes within --wait', async () => {
      const run = await runProbe(['initiator', '--listen', '127.0.0.1:0', '--cert', a.certFile, '--key', a.keyFile, '--ca', pki.caFile, '--wait', '300'], pki.dir);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/no initiator negotiated with the probe/);
    });

    it.each([
      [['responder', '--cert', 'x'], /--key|--cert/],
      [['responder', '--url', 'http://x', '--cert', 'CERT', '--key', 'KEY', '--ca', 'CA'], /https/],
      [['bogus'], /unknown command/],
      [['responder', '--nope'], /Unknown option/],
    ])('2 for a usage error %j', async (args, message) => {
      const resolved = args.map((arg) => (arg === 'CERT' ? b.certFile : arg === 'KEY' ? b.keyFile : arg === 'CA' ? pki.caFile : arg));
      const run = await runProbe(resolved, pki.dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    });
  });
});
