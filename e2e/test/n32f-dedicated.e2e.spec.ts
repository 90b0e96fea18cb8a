import { FQDN_A, FQDN_B, writeYaml } from './support/configs';
import { connections, expectProblemAnswer, n32fInitiatorYaml, n32fResponderYaml, NfClient, type TappedProducer, TARGET_HEADER, udmApiRoot, type ConnectionView, withPkiAndProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';
import { waitFor } from './support/wait-for';

jest.setTimeout(60_000);

const N32F_FQDN_B = 'n32f.sepp.5gc.mnc002.mcc002.3gppnetwork.org';
/** A PLMN (002/003) that the initiator's N32-c certificate does not carry. */
const FOREIGN_PLMN_NAME = 'n32f.sepp.5gc.mnc003.mcc002.3gppnetwork.org';
const LISTEN_N32F = { listen: { host: '127.0.0.1', port: 0 } };

/** A pair with `n32f.connection: dedicated` at the initiator; `initiatorN32f` adds to it. */
async function startPair(
  pki: TestPki,
  certs: { certA: CertFiles; certB: CertFiles },
  producer: TappedProducer,
  name: string,
  { responderN32f, initiatorN32f = {} }: { responderN32f?: Record<string, unknown>; initiatorN32f?: Record<string, unknown> },
): Promise<{ responder: SeppProcess; initiator: SeppProcess }> {
  const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, `responder-${name}`, n32fResponderYaml(certs.certA, pki, producer.port, { responderN32f })));
  const initiator = await SeppProcess.ready(
    'initiator',
    writeYaml(pki.dir, `initiator-${name}`, n32fInitiatorYaml(certs.certB, pki, responder.port('n32'), { initiatorN32f: { connection: 'dedicated', ...initiatorN32f } })),
  );
  await initiator.waitForPeerState(FQDN_A, 'tls-established');
  await responder.waitForPeerState(FQDN_B, 'tls-established');
  return { responder, initiator };
}

/** `count` NF requests through the initiator, all expected to be the producer's 200. */
async function sendThrough(initiator: SeppProcess, producer: TappedProducer, count: number): Promise<void> {
  const nf = await NfClient.connect(initiator.port('sbi'));
  try {
    const answers = await Promise.all(
      Array.from({ length: count }, (_, i) => nf.request({ path: `/nudm-sdm/v2/imsi-00101000000${String(i).padStart(4, '0')}/am-data`, headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } })),
    );
    answers.forEach((answer, i) => {
      expect({ status: answer.status, body: answer.text.slice(0, 200) }).toMatchObject({ status: 200 });
      expect(answer.json).toMatchObject({ supi: `imsi-00101000000${String(i).padStart(4, '0')}`, servedBy: 'udm1' });
    });
  } finally {
    nf.close();
  }
}

const byListener = (views: ConnectionView[], listener: string): ConnectionView[] => views.filter((view) => view.listener === listener);

describe('N32-f on a dedicated connection (n32f.connection: dedicated)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let producer: TappedProducer;

  withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

  describe('to the N32-f listener the responder advertises (n32f.listen)', () => {
    let responder: SeppProcess;
    let initiator: SeppProcess;

    beforeAll(async () => {
      ({ responder, initiator } = await startPair(pki, { certA, certB }, producer, 'listen', { responderN32f: LISTEN_N32F }));
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
    });

    it('the responder advertises its N32-f endpoint (senderN32fFqdn / senderN32fPort) and the initiator dials it', async () => {
      const n32fPort = responder.port('n32f');
      expect(n32fPort).not.toBe(responder.port('n32'));
      expect((await initiator.peer(FQDN_A))?.negotiation?.['peerN32f']).toEqual({ fqdn: FQDN_A, port: n32fPort });
      expect(await initiator.waitForLog('dedicated N32-f connection up', (l) => l.msg === 'dedicated N32-f connection up')).toMatchObject({ peer: FQDN_A, n32f: `${FQDN_A}:${n32fPort}` });
    });

    it('requests succeed, all on the N32-f connection; the N32-c connection carries none of them', async () => {
      const before = producer.seen.length;
      await sendThrough(initiator, producer, 20);
      expect(producer.seen.length - before).toBe(20);

      const open = await connections(responder);
      expect(open).toHaveLength(2);
      const [n32c] = byListener(open, 'n32');
      const [n32f] = byListener(open, 'n32f');
      expect(n32c).toMatchObject({ peer: FQDN_B, n32cRequests: 1, n32fRequests: 0 });
      expect(n32f).toMatchObject({ peer: FQDN_B, n32cRequests: 0, n32fRequests: 20, certificate: [FQDN_B] });
      expect(n32f!.remotePort).not.toBe(n32c!.remotePort);
    });
  });

  describe('with a separate N32-f certificate at the initiator (n32f.tls)', () => {
    let responder: SeppProcess;
    let initiator: SeppProcess;

    beforeAll(async () => {
      const n32fCert = await pki.leaf('n32f-002-02', [N32F_FQDN_B]);
      ({ responder, initiator } = await startPair(pki, { certA, certB }, producer, 'n32f-cert', {
        responderN32f: LISTEN_N32F,
        initiatorN32f: { tls: { cert: n32fCert.cert, key: n32fCert.key }, fqdn: N32F_FQDN_B },
      }));
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
    });

    it('requests succeed on a connection authenticated with the N32-f certificate (same PLMN, bound to the peer)', async () => {
      await sendThrough(initiator, producer, 5);
      const open = await connections(responder);
      expect(byListener(open, 'n32')).toEqual([expect.objectContaining({ certificate: [FQDN_B], n32cRequests: 1, n32fRequests: 0 })]);
      expect(byListener(open, 'n32f')).toEqual([expect.objectContaining({ certificate: [N32F_FQDN_B], peer: FQDN_B, n32fRequests: 5 })]);
    });
  });

  describe('an N32-f certificate with a PLMN the N32-c certificate lacks', () => {
    it.each([
      // The certificate names the peer SEPP (it is matched by name) and also PLMN 002/003.
      ['names the peer SEPP', [FQDN_B, FOREIGN_PLMN_NAME], FQDN_B, 'N32F_CERTIFICATE_MISMATCH', /^the N32-f certificate of sepp\.5gc\.mnc002\.mcc002\.3gppnetwork\.org carries PLMNs its N32-c certificate lacks \(002-003\)$/],
      // The certificate is matched by its PLMNs: 002/002 and 002/003 are no subset of the peer's.
      ['names PLMN 002/002 and 002/003 only', [N32F_FQDN_B, FOREIGN_PLMN_NAME], N32F_FQDN_B, 'N32F_NOT_AGREED', /^no peer with an agreed mechanism matches the certificate \(/],
    ] as const)('that %s is refused by the responder: 403 at the NF, nothing reaches the producer', async (name, dnsNames, n32fFqdn, code, detail) => {
      const cert = await pki.leaf(`n32f-extra-${dnsNames.length}-${n32fFqdn}`, [...dnsNames]);
      const { responder, initiator } = await startPair(pki, { certA, certB }, producer, `extra-${name.length}`, {
        responderN32f: LISTEN_N32F,
        initiatorN32f: { tls: { cert: cert.cert, key: cert.key }, fqdn: n32fFqdn },
      });
      try {
        const before = producer.seen.length;
        const nf = await NfClient.connect(initiator.port('sbi'));
        try {
          for (let i = 0; i < 2; i++) {
            const answer = await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: udmApiRoot(producer.port) } });
            expect(expectProblemAnswer(answer, 403, 'UNSPECIFIED').detail).toMatch(detail);
          }
        } finally {
          nf.close();
        }
        expect(producer.seen.length).toBe(before);
        const refused = await waitFor('two refusals logged', () => {
          const lines = responder.lines.filter((l) => l.msg === 'N32-f request refused');
          return lines.length >= 2 ? lines : undefined;
        });
        expect(refused.map((l) => [l['status'], l['code']])).toEqual([
          [403, code],
          [403, code],
        ]);
        const [n32f] = byListener(await connections(responder), 'n32f');
        expect(n32f).toMatchObject({ certificate: [...dnsNames], n32fRequests: 0 });
      } finally {
        await initiator.stop();
        await responder.stop();
      }
    });
  });

  describe('against a responder without n32f.listen', () => {
    let responder: SeppProcess;
    let initiator: SeppProcess;

    beforeAll(async () => {
      ({ responder, initiator } = await startPair(pki, { certA, certB }, producer, 'fallback', {}));
    });

    afterAll(async () => {
      await initiator?.stop();
      await responder?.stop();
    });

    it('nothing is advertised, and the initiator opens a second connection to the N32-c endpoint for N32-f', async () => {
      expect((await initiator.peer(FQDN_A))?.negotiation?.['peerN32f']).toBeUndefined();
      expect(await initiator.waitForLog('dedicated N32-f connection up', (l) => l.msg === 'dedicated N32-f connection up')).toMatchObject({ n32f: `${FQDN_A}:${responder.port('n32')}` });
      await sendThrough(initiator, producer, 10);

      const open = await connections(responder);
      expect(open).toHaveLength(2);
      expect(open.every((view) => view.listener === 'n32' && view.peer === FQDN_B)).toBe(true);
      const n32c = open.filter((view) => view.n32cRequests > 0);
      const n32f = open.filter((view) => view.n32fRequests > 0);
      expect(n32c).toEqual([expect.objectContaining({ n32cRequests: 1, n32fRequests: 0 })]);
      expect(n32f).toEqual([expect.objectContaining({ n32cRequests: 0, n32fRequests: 10 })]);
    });
  });
});
