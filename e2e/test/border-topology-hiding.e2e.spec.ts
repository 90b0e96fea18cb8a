import { base64urlDecode } from '@sepp/protocol';
import { BorderPair } from './support/border';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_A, PLMN_B, writeYaml, type SeppYaml } from './support/configs';
import { createIpxCerts, IpxPath } from './support/ipx';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER, type NfAnswer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { freePort } from './support/ports';
import { RecordingRelay } from './support/recording-relay';
import { SeppProcess } from './support/sepp-process';
import { TamperingRelay } from './support/tampering-relay';
import { AUSF1, INTERNAL_IPS, NRF1, SUPI, TopologyNfs, UDM1 } from './support/topology-nfs';

/**
 * Topology hiding through the real processes (TS 33.501 5.9.3.2): the home NFs' answers carry
 * their FQDNs, IP addresses, IP end points, callback URIs, a Location and a `_links` href; what the
 * producer's SEPP (the responder) sends back over N32 holds none of them (every answer crossing N32
 * is recorded by a hop of the test and scanned), and follow-up requests to the hidden names reach
 * the right NF. TLS mode: a recording mutual-TLS relay on the N32 connection (plaintext HTTP/2,
 * headers decoded). PRINS: a relay between the IPX and the responder records each n32f-process
 * answer, whose AAD (the IEs in clear) is decoded and scanned with the rest.
 */
jest.setTimeout(120_000);

const INTERNAL = [UDM1, AUSF1, NRF1, ...INTERNAL_IPS];
const HIDDEN_HOST = /^h-0[a-z2-7]{26}\.sepp\.5gc\.mnc001\.mcc001\.3gppnetwork\.org$/;
const HIDING = { topologyHiding: {} };

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let nfs: TopologyNfs;

beforeAll(async () => {
  ({ pki, certA, certB } = await createPkiAB());
  nfs = await TopologyNfs.start();
});

afterAll(async () => {
  await nfs?.close();
});

/** The responder's NF side: the three NFs of the test as allowed targets, by FQDN. */
function homeNfs(yaml: SeppYaml): void {
  yaml.sbi = { allowedTargets: [nfs.apiRoot('nrf1'), nfs.apiRoot('udm1'), nfs.apiRoot('ausf1')], hosts: { [NRF1]: '127.0.0.1', [UDM1]: '127.0.0.1', [AUSF1]: '127.0.0.1' } };
}

/** Discovery, authentication and the two follow-ups to hidden names, through `nf`. */
async function roamingFlow(nf: NfClient): Promise<{ discovery: NfAnswer; auth: NfAnswer; confirmation: NfAnswer; amData: NfAnswer }> {
  const discovery = await nf.request({ path: '/nnrf-disc/v1/nf-instances?target-nf-type=UDM&requester-nf-type=AMF', headers: { [TARGET_HEADER]: nfs.apiRoot('nrf1') } });
  const auth = await nf.request({
    method: 'POST',
    path: '/nausf-auth/v1/ue-authentications',
    body: JSON.stringify({ supiOrSuci: SUPI, servingNetworkName: '5G:mnc002.mcc002.3gppnetwork.org' }),
    headers: { [TARGET_HEADER]: nfs.apiRoot('ausf1'), 'content-type': 'application/json' },
  });
  // The 5G AKA confirmation goes to the hidden _links href: it must reach the AUSF.
  const href = new URL((auth.json as { _links: { '5g-aka': { href: string } } })._links['5g-aka'].href);
  const confirmation = await nf.request({ method: 'PUT', path: href.pathname, body: JSON.stringify({ resStar: '0123456789abcdef0123456789abcdef' }), headers: { [TARGET_HEADER]: href.origin, 'content-type': 'application/json' } });
  // The UDM found by discovery is addressed by its hidden FQDN and the port of its IP end point.
  const udm = (discovery.json as { nfInstances: { nfType: string; fqdn: string; nfServices: { ipEndPoints: { port: number }[] }[] }[] }).nfInstances.find((p) => p.nfType === 'UDM')!;
  const amData = await nf.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: `http://${udm.fqdn}:${udm.nfServices[0]!.ipEndPoints[0]!.port}` } });
  return { discovery, auth, confirmation, amData };
}

function expectHidden({ discovery, auth, confirmation, amData }: Awaited<ReturnType<typeof roamingFlow>>, seenFrom: number): void {
  expect([discovery.status, auth.status, confirmation.status, amData.status]).toEqual([200, 201, 200, 200]);
  const profiles = (discovery.json as { nfInstances: Record<string, any>[] }).nfInstances;
  for (const profile of profiles) {
    expect(profile['fqdn']).toMatch(HIDDEN_HOST);
    expect(profile['ipv4Addresses']).toBeUndefined();
    expect(profile['ipv6Addresses']).toBeUndefined();
    expect(profile['nfServices'][0].ipEndPoints).toEqual([{ port: expect.any(Number) }]);
    expect(new URL(profile['nfServices'][0].defaultNotificationSubscriptions[0].callbackUri).hostname).toMatch(HIDDEN_HOST);
  }
  expect(new URL(String(auth.headers['location'])).hostname).toMatch(HIDDEN_HOST);
  // What the consumer got: nothing of the home topology.
  const consumerSaw = [discovery, auth, confirmation, amData].map((a) => `${JSON.stringify(a.headers)}${a.text}`).join('\n');
  for (const name of INTERNAL) expect({ name, found: consumerSaw.includes(name) }).toEqual({ name, found: false });
  // The follow-ups reached the right NFs, at their real names.
  const seen = nfs.seen.slice(seenFrom).map((s) => `${s.nf} ${String(s.headers[':method'])} ${String(s.headers[':path']).split('?')[0]} ${String(s.headers[':authority'])}`);
  expect(seen).toEqual([
    `nrf1 GET /nnrf-disc/v1/nf-instances ${NRF1}:${nfs.ports.nrf1}`,
    `ausf1 POST /nausf-auth/v1/ue-authentications ${AUSF1}:${nfs.ports.ausf1}`,
    `ausf1 PUT /nausf-auth/v1/ue-authentications/ctx1/5g-aka-confirmation ${AUSF1}:${nfs.ports.ausf1}`,
    `udm1 GET /nudm-sdm/v2/${SUPI}/am-data ${UDM1}:${nfs.ports.udm1}`,
  ]);
}

function expectNoneOf(text: string, names: readonly string[]): void {
  for (const name of names) expect({ name, found: text.includes(name) }).toEqual({ name, found: false });
}

describe('TLS mode: every answer crossing N32 is recorded in plaintext and scanned', () => {
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let relay: RecordingRelay;
  let nf: NfClient;
  let responderFile: string;
  const responderYaml = (): ReturnType<typeof n32fResponderYaml> => n32fResponderYaml(certA, pki, 0);

  beforeAll(async () => {
    const yaml = responderYaml();
    homeNfs(yaml);
    yaml.border = HIDING;
    responderFile = writeYaml(pki.dir, 'hiding-tls-responder', yaml);
    responder = await SeppProcess.ready('responder', responderFile);
    relay = await RecordingRelay.start({ serverCert: certA, clientCert: certB, ca: pki.ca.certPem, forward: { port: responder.port('n32'), servername: FQDN_A } });
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'hiding-tls-initiator', n32fInitiatorYaml(certB, pki, relay.port)));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
  });

  afterAll(async () => {
    nf?.close();
    await initiator?.stop();
    await relay?.close();
    await responder?.stop();
  });

  it('the home NFs\' FQDNs, IP addresses and callback URIs never cross N32; follow-ups to the hidden names reach the right NFs', async () => {
    const from = { seen: nfs.seen.length, relay: relay.exchanges.length };
    expectHidden(await roamingFlow(nf), from.seen);
    const n32f = relay.exchanges.slice(from.relay);
    expect(n32f.map((e) => String(e.request.headers[':path']).split('?')[0])).toEqual([
      '/nnrf-disc/v1/nf-instances',
      '/nausf-auth/v1/ue-authentications',
      '/nausf-auth/v1/ue-authentications/ctx1/5g-aka-confirmation',
      `/nudm-sdm/v2/${SUPI}/am-data`,
    ]);
    const answers = relay.answerText();
    expect(answers).toContain('h-0'); // the scan sees the answers: they carry the hidden names
    expectNoneOf(answers, INTERNAL);
  });

  it('control: with topology hiding off, the same answers carry the home topology across N32 (the scan would see it)', async () => {
    const yaml = responderYaml();
    homeNfs(yaml);
    writeYaml(pki.dir, 'hiding-tls-responder', yaml);
    expect((await responder.admin('/admin/reload', { method: 'POST' })).status).toBe(200);
    const from = relay.exchanges.length;
    const discovery = await nf.request({ path: '/nnrf-disc/v1/nf-instances?target-nf-type=UDM&requester-nf-type=AMF', headers: { [TARGET_HEADER]: nfs.apiRoot('nrf1') } });
    expect(discovery.status).toBe(200);
    const answers = relay.exchanges.slice(from).map((e) => Buffer.concat(e.response.body).toString()).join('');
    expect(answers).toContain(UDM1);
    expect(answers).toContain(INTERNAL_IPS[0]);
  });
});

describe('hidden names outlive the process that handed them out', () => {
  let responder: SeppProcess | undefined;
  let initiator: SeppProcess;
  let nf: NfClient;
  let responderFile: string;

  beforeAll(async () => {
    const port = await freePort();
    const yaml = n32fResponderYaml(certA, pki, 0, { responderN32: { listen: { host: '127.0.0.1', port } } });
    homeNfs(yaml);
    yaml.border = HIDING;
    responderFile = writeYaml(pki.dir, 'hiding-restart-responder', yaml);
    responder = await SeppProcess.ready('responder', responderFile);
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'hiding-restart-initiator', n32fInitiatorYaml(certB, pki, port)));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
  });

  afterAll(async () => {
    nf?.close();
    await initiator?.stop();
    await responder?.stop();
  });

  // Every process of the SEPP keys its labels from the N32 TLS key and knows the names of its NFs
  // (sbi.allowedTargets): the responder started again (as a replica, or the other app, would be)
  // recovers what the one before handed out. Before, each process drew its own key: 404.
  it('follow-ups to names hidden before a restart of the responder reach the right NFs', async () => {
    const seenFrom = nfs.seen.length;
    const { discovery, auth } = await roamingFlow(nf);
    const href = new URL((auth.json as { _links: { '5g-aka': { href: string } } })._links['5g-aka'].href);
    const udm = (discovery.json as { nfInstances: { nfType: string; fqdn: string; nfServices: { ipEndPoints: { port: number }[] }[] }[] }).nfInstances.find((p) => p.nfType === 'UDM')!;
    expect(href.hostname).toMatch(HIDDEN_HOST);
    expect(udm.fqdn).toMatch(HIDDEN_HOST);

    await responder!.stop();
    responder = undefined;
    const restartedAt = Date.now();
    responder = await SeppProcess.ready('responder', responderFile);
    await responder.waitForPeerState(FQDN_B, 'tls-established');
    // The initiator's side of the new agreement, not the one before the restart.
    await initiator.waitForPeer(FQDN_A, 'tls-established again', (peer) => peer.state === 'tls-established' && Date.parse(peer.since) >= restartedAt);

    const confirmation = await nf.request({ method: 'PUT', path: href.pathname, body: JSON.stringify({ resStar: '0123456789abcdef0123456789abcdef' }), headers: { [TARGET_HEADER]: href.origin, 'content-type': 'application/json' } });
    const amData = await nf.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: `http://${udm.fqdn}:${udm.nfServices[0]!.ipEndPoints[0]!.port}` } });
    expect([confirmation.status, amData.status]).toEqual([200, 200]);
    const seen = nfs.seen.slice(seenFrom).map((s) => `${s.nf} ${String(s.headers[':method'])} ${String(s.headers[':path']).split('?')[0]} ${String(s.headers[':authority'])}`);
    expect(seen.slice(-2)).toEqual([
      `ausf1 PUT /nausf-auth/v1/ue-authentications/ctx1/5g-aka-confirmation ${AUSF1}:${nfs.ports.ausf1}`,
      `udm1 GET /nudm-sdm/v2/${SUPI}/am-data ${UDM1}:${nfs.ports.udm1}`,
    ]);
    // A label no process of ours handed out is still refused.
    const unknown = await nf.request({ path: `/nudm-sdm/v2/${SUPI}/am-data`, headers: { [TARGET_HEADER]: `http://h-0aaaaaaaaaaaaaaaaaaaaaaaaaa.${FQDN_A}:${nfs.ports.udm1}` } });
    expect(unknown.status).toBe(404);
    expect((unknown.json as { cause?: string }).cause).toBe('UNKNOWN_HIDDEN_NAME');
  });
});

describe('PRINS: every n32f-process answer crossing N32 is recorded and scanned, AAD decoded', () => {
  let path: IpxPath;
  let relay: TamperingRelay;
  let producer: TappedProducer;

  beforeAll(async () => {
    producer = await TappedProducer.start('udm1');
    const ipx = await createIpxCerts(pki);
    path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'hiding-prins',
      ipxCerts: ipx,
      between: async (responder) => {
        relay = await TamperingRelay.start({ serverCert: certA, clientCert: ipx.tls, ca: pki.ca.certPem, forward: { port: responder.port('n32'), servername: FQDN_A } });
        return relay;
      },
    });
    await path.reloadResponder((yaml) => {
      homeNfs(yaml);
      yaml.border = HIDING;
    });
  });

  afterAll(async () => {
    await path?.stop();
    await relay?.close();
    await producer?.close();
  });

  it('the home NFs\' FQDNs, IP addresses and callback URIs never cross N32 in clear; follow-ups reach the right NFs', async () => {
    const from = { seen: nfs.seen.length, relay: relay.exchanges.length };
    expectHidden(await roamingFlow(path.nf!), from.seen);
    const exchanges = relay.exchanges.slice(from.relay);
    expect(exchanges).toHaveLength(4);
    await Promise.all(exchanges.map((e) => e.done));
    const crossed = exchanges
      .map((e) => {
        const answer = e.answer as { reformattedData?: { aad?: string } };
        const aad = answer.reformattedData?.aad ? base64urlDecode(answer.reformattedData.aad).toString('utf8') : '';
        return `${JSON.stringify(e.answer)}\n${aad}`;
      })
      .join('\n');
    expect(crossed).toContain('h-0');
    expectNoneOf(crossed, INTERNAL);
  });
});

// The same hiding works when both sides run every category (the defaults allow this roaming flow).
describe('with every category on at both SEPPs', () => {
  let pair: BorderPair;
  const all = { serviceAllowList: {}, networkId: {}, schemaValidation: {}, topologyHiding: {} };

  beforeAll(async () => {
    pair = await BorderPair.start(pki, certA, certB, {
      name: 'hiding-all',
      mechanism: 'TLS',
      responderBorder: all,
      initiatorBorder: all,
      producers: [],
      responderYaml: (yaml) => homeNfs(yaml),
    });
  });

  afterAll(async () => {
    await pair?.stop();
  });

  it('discovery, authentication and both follow-ups pass and stay hidden', async () => {
    const from = nfs.seen.length;
    expectHidden(await roamingFlow(pair.nf), from);
    expect([...pair.responder.lines, ...pair.initiator.lines].filter((line) => line.msg === 'border refusal')).toEqual([]);
  });
});

describe('a callback our initiator hid reaches our NF through our responder (both apps hold one TLS key)', () => {
  const AMF1 = 'amf1.5gc.mnc001.mcc001.3gppnetwork.org';
  const UDM_B = 'udm1.5gc.mnc002.mcc002.3gppnetwork.org';
  const started: SeppProcess[] = [];
  let amf: TappedProducer;
  let udmB: TappedProducer;
  let ourNf: NfClient;
  let theirNf: NfClient;

  beforeAll(async () => {
    amf = await TappedProducer.start('amf1');
    udmB = await TappedProducer.start('udm1');
    const start = async (role: 'initiator' | 'responder', name: string, yaml: SeppYaml): Promise<SeppProcess> => {
      const app = await SeppProcess.ready(role, writeYaml(pki.dir, name, yaml));
      started.push(app);
      return app;
    };
    // Our SEPP (PLMN A): its responder delivers to our AMF, its initiator hides what leaves; one key.
    const ourResponderYaml = n32fResponderYaml(certA, pki, 0, { allowedTargets: [`http://${AMF1}:${amf.port}`], hosts: { [AMF1]: '127.0.0.1' } });
    ourResponderYaml.border = HIDING;
    const ourResponder = await start('responder', 'callback-our-responder', ourResponderYaml);
    // Their SEPP (PLMN B): a responder toward their UDM, an initiator toward us.
    const theirResponderYaml = n32fResponderYaml(certB, pki, 0, { allowedTargets: [`http://${UDM_B}:${udmB.port}`], hosts: { [UDM_B]: '127.0.0.1' } });
    theirResponderYaml.sepp = { fqdn: FQDN_B, plmns: [PLMN_B], capabilities: ['TLS', 'PRINS'] };
    theirResponderYaml.n32 = { ...theirResponderYaml.n32, peers: [{ fqdn: FQDN_A, plmns: [PLMN_A], intermediaries: 'none' }] };
    const theirResponder = await start('responder', 'callback-their-responder', theirResponderYaml);
    const ourInitiatorYaml = n32fInitiatorYaml(certA, pki, theirResponder.port('n32'));
    ourInitiatorYaml.sepp = { fqdn: FQDN_A, plmns: [PLMN_A], capabilities: ['TLS', 'PRINS'] };
    ourInitiatorYaml.n32 = { ...ourInitiatorYaml.n32, peers: [{ fqdn: FQDN_B, plmns: [PLMN_B], address: `127.0.0.1:${theirResponder.port('n32')}`, intermediaries: 'none' }] };
    ourInitiatorYaml.border = HIDING;
    const ourInitiator = await start('initiator', 'callback-our-initiator', ourInitiatorYaml);
    const theirInitiator = await start('initiator', 'callback-their-initiator', n32fInitiatorYaml(certB, pki, ourResponder.port('n32')));
    await ourInitiator.waitForPeerState(FQDN_B, 'tls-established');
    await theirInitiator.waitForPeerState(FQDN_A, 'tls-established');
    ourNf = await NfClient.connect(ourInitiator.port('sbi'));
    theirNf = await NfClient.connect(theirInitiator.port('sbi'));
  });

  afterAll(async () => {
    ourNf?.close();
    theirNf?.close();
    for (const app of started.reverse()) await app.stop();
    await amf?.close();
    await udmB?.close();
  });

  it('the SdmSubscription leaves with a hidden callbackReference; the notification to it reaches the AMF at its real name', async () => {
    const callback = `http://${AMF1}:${amf.port}/namf-callback/v1/sdm-change`;
    const subscribed = await ourNf.request({
      method: 'POST',
      path: '/nudm-sdm/v2/imsi-002020000000001/sdm-subscriptions',
      body: JSON.stringify({ nfInstanceId: '7b1d5f2c-0000-4000-8000-000000000001', callbackReference: callback, monitoredResourceUris: ['/nudm-sdm/v2/imsi-002020000000001/am-data'] }),
      headers: { [TARGET_HEADER]: `http://${UDM_B}:${udmB.port}`, 'content-type': 'application/json' },
    });
    expect(subscribed.status).toBe(201);
    const atUdm = udmB.seen.find((seen) => String(seen.headers[':path']).endsWith('/sdm-subscriptions'))!;
    const hidden = new URL((JSON.parse(udmB.body(atUdm).toString('utf8')) as { callbackReference: string }).callbackReference);
    expect(hidden.hostname).toMatch(HIDDEN_HOST);
    expect(udmB.body(atUdm).toString('utf8')).not.toContain(AMF1);

    // Their UDM notifies the callback it was given: through their initiator to our responder.
    const notified = await theirNf.request({
      method: 'POST',
      path: hidden.pathname,
      body: JSON.stringify({ notifyItems: [{ resourceId: '/nudm-sdm/v2/imsi-002020000000001/am-data', changes: [] }] }),
      headers: { [TARGET_HEADER]: hidden.origin, 'content-type': 'application/json' },
    });
    expect(notified.status).toBe(201);
    expect(amf.seen.map((seen) => `${String(seen.headers[':method'])} ${String(seen.headers[':path'])} ${String(seen.headers[':authority'])}`)).toEqual([
      `POST /namf-callback/v1/sdm-change ${AMF1}:${amf.port}`,
    ]);
  });
});
