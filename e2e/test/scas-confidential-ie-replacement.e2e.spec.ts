import { createPkiAB, FQDN_A, PLMN_A, writeYaml } from './support/configs';
import { FakePrinsResponder, type OpenedN32f } from './support/fake-prins-responder';
import { n32fInitiatorYaml, NfClient, TARGET_HEADER, UDM1_FQDN } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

jest.setTimeout(60_000);

const SUPI = 'imsi-001010000000001';
const TOKEN = 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbWYxIiwic2NvcGUiOiJudWRtLXVlY20ifQ.c2lnbmF0dXJl';
const TARGET = `http://${UDM1_FQDN}:8081`;
const AUSF_TARGET = 'http://ausf1.5gc.mnc001.mcc001.3gppnetwork.org:8081';
/** Only the placeholder TS 29.573 IndexToEncryptedValue, nothing else. */
const INDEX = { encBlockIndex: expect.any(Number) as number };

/**
 * TS 33.517 4.2.2.5 (no TC name in the R16-R18 text), TS 33.501 13.2.4.3.1.1: every IE the
 * data-type encryption policy says to encrypt is moved into the encrypted block and replaced in the
 * N32-f message by its index, `{"encBlockIndex": n}` (the 29.573 spelling, DECISIONS.md §1).
 * SUT = the initiator (SEPP-A); the peer SEPP is the test, which holds the N32-f keys
 * (FakePrinsResponder), captures each n32f-process message and decrypts it. The policy is the
 * built-in one (README, PRINS): the `authorization` header (AUTHORIZATION_TOKEN), a SUPI in the
 * path (the path goes whole), `supi` and callback URIs in nudm-uecm bodies (UEID), `supiOrSuci`
 * (UEID) and `resynchronizationInfo` (AUTHENTICATION_MATERIAL) in nausf-auth bodies.
 */
describe('TS 33.517 4.2.2.5 confidential IEs replaced in the N32-f message (encBlockIndex)', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let certB: CertFiles;
  let peer: FakePrinsResponder;
  let initiator: SeppProcess;
  let nf: NfClient;

  beforeAll(async () => {
    ({ pki, certA, certB } = await createPkiAB());
    peer = await FakePrinsResponder.start(certA, pki.ca.certPem, { fqdn: FQDN_A, plmn: PLMN_A });
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', n32fInitiatorYaml(certB, pki, peer.port, { initiatorN32: { capabilities: ['PRINS'] } })));
    await initiator.waitForPeerState(FQDN_A, 'prins-established');
    nf = await NfClient.connect(initiator.port('sbi'));
  });

  afterAll(async () => {
    nf?.close();
    await initiator?.stop();
    await peer?.close();
  });

  /** Sends one NF request through the SUT and returns what the peer captured. */
  async function capture(method: string, path: string, target: string, headers: Record<string, string>, body?: unknown): Promise<OpenedN32f> {
    const index = peer.opened.length;
    const answer = await nf.request({
      method,
      path,
      headers: { [TARGET_HEADER]: target, ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(answer.status).toBe(200);
    expect(peer.opened).toHaveLength(index + 1);
    return peer.opened[index]!;
  }

  const payloadAt = (opened: OpenedN32f, iePath: string): unknown => opened.aad.payload?.find((p) => p.iePath === iePath)?.value;
  const headerAt = (opened: OpenedN32f, name: string): unknown => opened.aad.headers?.find((h) => h.header === name)?.value;
  /** The index of the placeholder in a request-line field (Release 19 pathQueryProtectInd: `{"encBlockIndex":n}` in place of the IE). */
  const uriIndex = (text: unknown): number => Number(/\{"encBlockIndex":(\d+)\}/.exec(String(text))?.[1] ?? NaN);
  /** The decrypted value an index placeholder points to. */
  const decrypted = (opened: OpenedN32f, placeholder: unknown): unknown => opened.dataToEncrypt[(placeholder as { encBlockIndex: number }).encBlockIndex];

  describe('nudm-uecm PUT /{supi}/registrations/amf-3gpp-access: SUPI in the path and the body, a callback URI, the token', () => {
    const registration = {
      amfInstanceId: '25cf2d3c-5a9e-4c5e-9a9b-3a2b1c0d9e8f',
      supi: SUPI,
      deregCallbackUri: `https://amf1.5gc.mnc002.mcc002.3gppnetwork.org/namf-callback/v1/${SUPI}/dereg`,
      guami: { plmnId: { mcc: '002', mnc: '02' }, amfId: 'cafe00' },
      ratType: 'NR',
    };
    const path = `/nudm-uecm/v1/${SUPI}/registrations/amf-3gpp-access`;
    let opened: OpenedN32f;

    beforeAll(async () => {
      opened = await capture('PUT', path, TARGET, { authorization: TOKEN }, registration);
    });

    it('no plaintext SUPI and no token anywhere in the N32-f message (the wire text, aad included)', () => {
      expect(opened.wire).not.toContain(SUPI);
      expect(opened.wire).not.toContain('001010000000001');
      expect(opened.wire).not.toContain(TOKEN.slice('Bearer '.length));
      expect(JSON.stringify(opened.aad)).not.toContain(SUPI);
    });

    it('each policy IE is {"encBlockIndex": n} at its place: header authorization, the SUPI segment of the path (pathQueryProtectInd URI_PATH), /supi, /deregCallbackUri', () => {
      expect(headerAt(opened, 'authorization')).toEqual(INDEX);
      expect(opened.aad.requestLine).toMatchObject({ path: expect.stringMatching(/^\/nudm-uecm\/v1\/\{"encBlockIndex":\d+\}\/registrations\/amf-3gpp-access$/), pathQueryProtectInd: ['URI_PATH'] });
      expect(payloadAt(opened, '/supi')).toEqual(INDEX);
      expect(payloadAt(opened, '/deregCallbackUri')).toEqual(INDEX);
      const indices = [headerAt(opened, 'authorization'), payloadAt(opened, '/supi'), payloadAt(opened, '/deregCallbackUri')].map((v) => (v as { encBlockIndex: number }).encBlockIndex);
      indices.push(uriIndex(opened.aad.requestLine?.['path']));
      // One block per IE, every block used once.
      expect(new Set(indices).size).toBe(indices.length);
      expect([...indices].sort()).toEqual(opened.dataToEncrypt.map((_, i) => i));
    });

    it('the JWE decrypts to the original values', () => {
      expect(decrypted(opened, headerAt(opened, 'authorization'))).toBe(TOKEN);
      expect(opened.dataToEncrypt[uriIndex(opened.aad.requestLine?.['path'])]).toBe(SUPI);
      expect(decrypted(opened, payloadAt(opened, '/supi'))).toBe(SUPI);
      expect(decrypted(opened, payloadAt(opened, '/deregCallbackUri'))).toBe(registration.deregCallbackUri);
    });

    it('IEs outside the policy stay in clear, and the peer rebuilds the request exactly', () => {
      expect(payloadAt(opened, '/amfInstanceId')).toBe(registration.amfInstanceId);
      expect(payloadAt(opened, '/guami')).toEqual(registration.guami);
      expect(payloadAt(opened, '/ratType')).toBe('NR');
      expect(opened.message).toMatchObject({ method: 'PUT', path });
      expect(JSON.parse(opened.message.body!.toString('utf8'))).toEqual(registration);
      expect(opened.message.headers).toEqual(expect.arrayContaining([['authorization', TOKEN]]));
    });
  });

  describe('nausf-auth POST /ue-authentications: supiOrSuci (UEID) and resynchronizationInfo (AUTHENTICATION_MATERIAL)', () => {
    const authentication = {
      supiOrSuci: SUPI,
      servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org',
      resynchronizationInfo: { rand: '0123456789abcdef0123456789abcdef', auts: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2' },
    };
    let opened: OpenedN32f;

    beforeAll(async () => {
      opened = await capture('POST', '/nausf-auth/v1/ue-authentications', AUSF_TARGET, {}, authentication);
    });

    it('no plaintext SUPI or authentication material in the message', () => {
      expect(opened.wire).not.toContain(SUPI);
      expect(opened.wire).not.toContain(authentication.resynchronizationInfo.rand);
      expect(opened.wire).not.toContain(authentication.resynchronizationInfo.auts);
    });

    it('{"encBlockIndex": n} at /supiOrSuci and /resynchronizationInfo, decrypting to the originals; the serving network name in clear', () => {
      expect(payloadAt(opened, '/supiOrSuci')).toEqual(INDEX);
      expect(payloadAt(opened, '/resynchronizationInfo')).toEqual(INDEX);
      expect(decrypted(opened, payloadAt(opened, '/supiOrSuci'))).toBe(SUPI);
      expect(decrypted(opened, payloadAt(opened, '/resynchronizationInfo'))).toEqual(authentication.resynchronizationInfo);
      expect(payloadAt(opened, '/servingNetworkName')).toBe(authentication.servingNetworkName);
      // Nothing to hide in this path: it stays in clear, and no field is named as protected.
      expect(opened.aad.requestLine?.['path']).toBe('/nausf-auth/v1/ue-authentications');
      expect(opened.aad.requestLine?.['pathQueryProtectInd']).toBeUndefined();
    });
  });

  it('GET /nudm-sdm/v2/{supi}/am-data: the SUPI segment is replaced by its index, the API stays readable; the peer rebuilds path and query', async () => {
    const opened = await capture('GET', `/nudm-sdm/v2/${SUPI}/am-data?dataset-names=AM`, TARGET, { authorization: TOKEN });
    expect(opened.wire).not.toContain(SUPI);
    expect(opened.aad.requestLine).toMatchObject({ path: expect.stringMatching(/^\/nudm-sdm\/v2\/\{"encBlockIndex":\d+\}\/am-data$/), queryFragment: 'dataset-names=AM', pathQueryProtectInd: ['URI_PATH'] });
    expect(opened.dataToEncrypt[uriIndex(opened.aad.requestLine?.['path'])]).toBe(SUPI);
    expect(opened.message).toMatchObject({ path: `/nudm-sdm/v2/${SUPI}/am-data`, query: 'dataset-names=AM' });
  });
});
