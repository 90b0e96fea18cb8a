import { N32C_PATHS, N32F_PROCESS_PATH } from '@sepp/protocol';
import { createPkiAB, FQDN_A, PLMN_A, writeYaml } from './support/configs';
import { FakePrinsResponder } from './support/fake-prins-responder';
import { n32fInitiatorYaml, NfClient, TARGET_HEADER, UDM1_FQDN } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

const SUPI = 'imsi-001010000000001';
const NF_HEADERS = { accept: 'application/json', 'user-agent': 'AMF-amf1.5gc.mnc002.mcc002.3gppnetwork.org', 'x-e2e-trace': 'custom-header' };

/**
 * TS 33.517 4.2.2.10 TC_HANDLING_CUSTOM_HTTPHEADER_WITH_PRINS (TS 29.500 6.1.4.3.4, TS 33.501
 * 13.1.1.2), SUT = the initiator (SEPP-A). The NF sends its request to the SUT's own apiRoot
 * (`:authority` = the SUT's NF-facing listener) with `3gpp-Sbi-Target-apiRoot` = the remote
 * producer. The peer SEPP is the test (FakePrinsResponder: it holds the N32-f keys), so it sees
 * exactly what the SUT put in the protected message: the request line's scheme and authority are
 * the target's, and the header is gone (from the headers block, the encrypted block, the wire).
 * What the PRODUCER receives through the real responder (`:authority` = the target, no header) is
 * proven by prins-forwarding.e2e.spec.ts ("reaches the producer with the method, path, query,
 * headers and body the NF sent": `received[TARGET_HEADER]` undefined). The TLS-mode companion
 * (13.1.1.2) is the opposite: `:authority` becomes the peer SEPP and the header travels unchanged.
 */
describe('TC_HANDLING_CUSTOM_HTTPHEADER_WITH_PRINS', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
  });

  /** The initiator (PLMN 002/02) with its peer (PLMN 001/01) played by a fake selecting `select`. */
  async function start(name: string, select: 'PRINS' | 'TLS'): Promise<{ peer: FakePrinsResponder; initiator: SeppProcess; nf: NfClient }> {
    const peer = await FakePrinsResponder.start(certA, pki.ca.certPem, { fqdn: FQDN_A, plmn: PLMN_A, select, nfAnswer: { status: 200, body: { servedBy: 'peer-plmn' } } });
    const initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, name, n32fInitiatorYaml(certB, pki, peer.port, { initiatorN32: { capabilities: [select] } })));
    await initiator.waitForPeerState(FQDN_A, select === 'PRINS' ? 'prins-established' : 'tls-established');
    return { peer, initiator, nf: await NfClient.connect(initiator.port('sbi')) };
  }

  describe('PRINS between the SEPPs', () => {
    let peer: FakePrinsResponder;
    let initiator: SeppProcess;
    let nf: NfClient;

    beforeAll(async () => {
      ({ peer, initiator, nf } = await start('prins', 'PRINS'));
    });

    afterAll(async () => {
      nf?.close();
      await initiator?.stop();
      await peer?.close();
    });

    it.each([
      ['http target with port', 'http', `${UDM1_FQDN}:8081`],
      ['https target with port', 'https', `${UDM1_FQDN}:8443`],
      ['https target without port', 'https', UDM1_FQDN],
    ])('%s: at the peer the request line carries the target scheme and authority, and no 3gpp-Sbi-Target-apiRoot', async (_name, scheme, authority) => {
      const index = peer.opened.length;
      const target = `${scheme}://${authority}`;
      const answer = await nf.request({ path: `/nudm-sdm/v2/${SUPI}/am-data?dataset-names=AM`, headers: { ...NF_HEADERS, [TARGET_HEADER]: target } });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ servedBy: 'peer-plmn' });
      expect(peer.opened).toHaveLength(index + 1);
      const opened = peer.opened[index]!;

      // The NF addressed the SUT (its own apiRoot): that authority never reaches the peer.
      const sutAuthority = `127.0.0.1:${initiator.port('sbi')}`;
      expect(opened.wire).not.toContain(sutAuthority);
      // clearTextEncapsulatedMessage / Pseudo_Headers (the aad requestLine).
      expect(opened.aad.requestLine).toMatchObject({ method: 'GET', scheme, authority, protocolVersion: 'HTTP/2' });
      // HTTP_Headers: no target header, neither in clear nor as an encrypted entry.
      const headerNames = (opened.aad.headers ?? []).map((h) => h.header.toLowerCase());
      expect(headerNames).not.toContain(TARGET_HEADER);
      expect(headerNames).toEqual(expect.arrayContaining(['accept', 'user-agent', 'x-e2e-trace']));
      expect(opened.wire.toLowerCase()).not.toContain('3gpp-sbi-target-apiroot');
      expect(JSON.stringify(opened.dataToEncrypt)).not.toContain(target);
      // The request the peer rebuilds (and would send to the producer).
      expect(opened.message).toMatchObject({ method: 'GET', scheme, authority, path: `/nudm-sdm/v2/${SUPI}/am-data`, query: 'dataset-names=AM' });
      expect(opened.message.headers.map(([name]) => name)).not.toContain(TARGET_HEADER);
      // It went to n32f-process on N32, with the peer SEPP as :authority.
      expect(String(opened.request.headers[':authority'])).toMatch(new RegExp(`^${FQDN_A.replace(/\./g, '\\.')}(:\\d+)?$`));
      expect(opened.request.headers[':path']).toBe(N32F_PROCESS_PATH);
    });

    it('nothing was forwarded in TLS-mode form (the header never crossed N32 in clear)', () => {
      expect(peer.forwarded).toEqual([]);
      expect(peer.on(N32C_PATHS.exchangeParams)).toHaveLength(2);
    });
  });

  describe('companion: TLS mode between the SEPPs (TS 33.501 13.1.1.2)', () => {
    let peer: FakePrinsResponder;
    let initiator: SeppProcess;
    let nf: NfClient;

    beforeAll(async () => {
      ({ peer, initiator, nf } = await start('tls', 'TLS'));
    });

    afterAll(async () => {
      nf?.close();
      await initiator?.stop();
      await peer?.close();
    });

    it(':authority becomes the peer SEPP (https) and the header travels unchanged', async () => {
      const target = `http://${UDM1_FQDN}:8081`;
      const answer = await nf.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { ...NF_HEADERS, [TARGET_HEADER]: target } });
      expect(answer.status).toBe(200);
      const [forwarded] = peer.forwarded;
      expect(forwarded).toBeDefined();
      expect(forwarded!.headers[':scheme']).toBe('https');
      expect(String(forwarded!.headers[':authority'])).toMatch(new RegExp(`^${FQDN_A.replace(/\./g, '\\.')}(:\\d+)?$`));
      expect(forwarded!.headers[TARGET_HEADER]).toBe(target);
      expect(forwarded!.headers[':path']).toBe(`/nudm-sdm/v2/${SUPI}/am-data`);
      expect(peer.opened).toEqual([]);
    });
  });
});
