import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { stringify } from 'yaml';
import { Browser, screenshot } from './support/browser';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml, type SeppYaml } from './support/configs';
import { tlsHandshake } from './support/h2-client';
import { amDataRequest, IPX_FQDN, IpxPath } from './support/ipx';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { SeppProcess } from './support/sepp-process';

/**
 * The status page of each SEPP (GET / on the admin listener) in Debian's Chromium, driven by
 * playwright-core, against the built apps as processes: what it shows comes from the real state
 * machine, the real N32-f path and the real refusals, and it changes without a reload. Its admin
 * buttons act on the real initiator. Screenshots go to e2e/artifacts/.
 */
jest.setTimeout(120_000);

const NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
/** Page updates are polled every second; a machine under load may take a few. */
const SEEN_WITHIN_MS = 20_000;

const peerCell = (fqdn: string, field: string): string => `#peers tr[data-peer="${fqdn}"] [data-field="${field}"]`;
const trafficCell = (fqdn: string, direction: string, field: string): string => `#traffic tr[data-peer="${fqdn}"][data-direction="${direction}"] [data-field="${field}"]`;
const timelineRows = (fqdn: string, kind: string): string => `#timelines .timeline[data-peer="${fqdn}"] tr[data-kind="${kind}"]`;

/** Waits until the text of `selector` satisfies `expected` (a string: equal; a RegExp: matches); returns it. */
async function textOf(page: Page, selector: string, expected: string | RegExp, timeoutMs = SEEN_WITHIN_MS): Promise<string> {
  const pattern = typeof expected === 'string' ? { source: `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, flags: '' } : { source: expected.source, flags: expected.flags };
  try {
    await page.waitForFunction(
      ({ selector, source, flags }) => {
        const node = document.querySelector(selector);
        return node !== null && new RegExp(source, flags).test(node.textContent ?? '');
      },
      { selector, ...pattern },
      { timeout: timeoutMs, polling: 200 },
    );
  } catch (error) {
    const now = await page.locator(selector).first().textContent({ timeout: 1_000 }).catch(() => '(not on the page)');
    throw new Error(`${page.url()}: ${selector} never became ${String(expected)} (it shows ${JSON.stringify(now)}): ${(error as Error).message.split('\n')[0]}`);
  }
  return (await page.locator(selector).first().textContent()) ?? '';
}

/** Waits until `selector` matches at least `count` elements. */
async function present(page: Page, selector: string, count = 1, timeoutMs = SEEN_WITHIN_MS): Promise<void> {
  await page.waitForFunction(({ selector, count }) => document.querySelectorAll(selector).length >= count, { selector, count }, { timeout: timeoutMs, polling: 200 });
}

/** Marks the page's window: `stillSame` is true only if the page was never reloaded or replaced since. */
async function mark(page: Page): Promise<() => Promise<boolean>> {
  const token = `${Date.now()}-${Math.random()}`;
  await page.evaluate((value) => ((window as unknown as { __mark: string }).__mark = value), token);
  return async () => (await page.evaluate(() => (window as unknown as { __mark?: string }).__mark)) === token;
}

describe('the status page in Chromium, SEPP pair in TLS mode', () => {
  let pki: TestPki;
  let certA: CertFiles;
  let producer: TappedProducer;
  let responder: SeppProcess;
  let initiator: SeppProcess;
  let nf: NfClient;
  let browser: Browser;
  let atInitiator: Page;
  let atResponder: Page;
  let responderConfig: SeppYaml;
  let responderFile: string;
  let sameInitiatorPage: () => Promise<boolean>;
  let sameResponderPage: () => Promise<boolean>;

  const admin = (proc: SeppProcess): string => `http://127.0.0.1:${proc.port('admin')}`;
  const nfRequest = () => nf.request({ path: NF_PATH, headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' } });
  const reloadResponder = async (change: (yaml: SeppYaml) => void): Promise<void> => {
    change(responderConfig);
    writeFileSync(responderFile, stringify(responderConfig));
    const answer = await responder.admin('/admin/reload', { method: 'POST' });
    expect(answer.status).toBe(200);
  };

  beforeAll(async () => {
    const created = await createPkiAB();
    pki = created.pki;
    certA = created.certA;
    producer = await TappedProducer.start('udm1');
    responderConfig = n32fResponderYaml(certA, pki, producer.port);
    responderConfig.logging = { level: 'info' };
    responderFile = writeYaml(pki.dir, 'responder', responderConfig);
    responder = await SeppProcess.ready('responder', responderFile);
    const initiatorConfig = n32fInitiatorYaml(created.certB, pki, responder.port('n32'));
    initiatorConfig.logging = { level: 'info' };
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', initiatorConfig));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    await responder.waitForPeerState(FQDN_B, 'tls-established');
    nf = await NfClient.connect(initiator.port('sbi'));
    browser = await Browser.launch();
    atInitiator = await browser.open(`${admin(initiator)}/`);
    atResponder = await browser.open(`${admin(responder)}/`);
    sameInitiatorPage = await mark(atInitiator);
    sameResponderPage = await mark(atResponder);
  });

  afterAll(async () => {
    await browser?.close();
    nf?.close();
    await initiator?.stop();
    await responder?.stop();
    await producer?.close();
  });

  it('names its state store in the identity line (in memory here: always up), with what it says in the title', async () => {
    await textOf(atInitiator, '#identity', /· ready \([^)]*\) · state store memory up · up since /);
    await textOf(atResponder, '#identity', /· state store memory up · /);
    expect(await atResponder.locator('#identity').getAttribute('title')).toBe('N32 state store: in memory (this process only)');
    const document = (await responder.admin<{ store: unknown }>('/admin/status')).body;
    expect(document.store).toEqual({ name: 'memory', up: true, detail: 'in memory (this process only)', failures: 0 });
  });

  it('shows both peers tls-established over TLS: PLMNs, selection reason, connection, handshake ID, timeline', async () => {
    await textOf(atInitiator, peerCell(FQDN_A, 'state'), 'tls-established');
    await textOf(atInitiator, peerCell(FQDN_A, 'mechanism'), 'TLS');
    await textOf(atInitiator, peerCell(FQDN_A, 'plmns'), '001/01');
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'tls-established');
    await textOf(atResponder, peerCell(FQDN_B, 'mechanism'), 'TLS');
    await textOf(atResponder, peerCell(FQDN_B, 'plmns'), '002/02');
    await textOf(atResponder, peerCell(FQDN_B, 'reason'), 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES');
    // The handshake ID is the one both sides' admin APIs name.
    const [atA, atB] = [await initiator.peer(FQDN_A), await responder.peer(FQDN_B)];
    expect(atB!.negotiation!['handshakeId']).toEqual(expect.stringMatching(/^[0-9a-f]{16}$/));
    await textOf(atResponder, peerCell(FQDN_B, 'handshake'), String(atB!.negotiation!['handshakeId']));
    expect(atA!.negotiation!['handshakeId']).toBe(atB!.negotiation!['handshakeId']);
    await textOf(atInitiator, peerCell(FQDN_A, 'handshake'), String(atB!.negotiation!['handshakeId']));
    // The N32 connection: the initiator dialled the responder's N32 listener; the responder saw it arrive there.
    await textOf(atInitiator, peerCell(FQDN_A, 'connections'), new RegExp(`n32c → 127\\.0\\.0\\.1:${responder.port('n32')}`));
    await textOf(atResponder, peerCell(FQDN_B, 'connections'), /n32c n32 ← 127\.0\.0\.1:\d+, 1 N32-c \/ \d+ N32-f/);
    // The timeline: what was offered, and what was selected for which reason.
    await textOf(atResponder, `${timelineRows(FQDN_B, 'offered')} [data-field="detail"]`, /offered \[TLS, PRINS\]/);
    await textOf(atResponder, `${timelineRows(FQDN_B, 'selected')} [data-field="reason"]`, 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES');
    await textOf(atInitiator, `${timelineRows(FQDN_A, 'selected')} [data-field="transition"]`, 'negotiating → tls-established');
    // TLS mode: no PRINS context; the initiator has the admin buttons, the responder none.
    await textOf(atResponder, peerCell(FQDN_B, 'context'), '—');
    expect(await atInitiator.locator('#renegotiate').isVisible()).toBe(true);
    expect(await atResponder.locator('#renegotiate').isVisible()).toBe(false);
    expect(await atResponder.locator('button[data-action="release"]').count()).toBeLessThanOrEqual(1);
    expect(await atResponder.locator('button[data-action="release"]:visible').count()).toBe(0);
    await screenshot(atInitiator, 'status-initiator-tls');
    await screenshot(atResponder, 'status-responder-tls');
  });

  it('an NF request increments the N32-f figures of both pages, without a reload', async () => {
    const answeredOut = Number(await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'answered'), /^\d+$/));
    const answeredIn = Number(await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'answered'), /^\d+$/));
    const answer = await nfRequest();
    expect(answer.status).toBe(200);
    await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'answered'), String(answeredOut + 1));
    await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'answered'), String(answeredIn + 1));
    // A rate over the last seconds, and a latency.
    await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'rate'), /^(?!0\.00)\d+\.\d\d$/);
    await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'p50'), /^\d+(\.\d+)?$/);
    await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'p99'), /^\d+(\.\d+)?$/);
    expect(await sameInitiatorPage()).toBe(true);
    expect(await sameResponderPage()).toBe(true);
  });

  it('lists a refused TLS handshake under refusals, with its category and cause', async () => {
    const rogue = await pki.rogue('rogue-sepp', [FQDN_B]);
    const handshake = await tlsHandshake(responder.port('n32'), FQDN_A, { ca: pki.ca.certPem, cert: rogue.certPem, key: rogue.keyPem });
    expect(handshake.ok).toBe(false);
    await textOf(atResponder, '#refusals tr[data-category="certificate"] [data-field="cause"]', 'unknown_ca');
    await textOf(atResponder, '#refusals tr[data-category="certificate"] [data-field="count"]', /^[1-9]\d*$/);
  });

  it("shows each listener's load against its overload bound (in flight, peak, bound and reserve, refused, priority taken and slow-downs asked, as a reload sets them) and the requests in flight per peer", async () => {
    const row = (listener: string, field: string): string => `#load tr[data-listener="${listener}"] [data-field="${field}"]`;
    /** The in-flight badge's tone: red at the bound, amber when the minute's peak went above the OCI threshold (80 % of it), green below. */
    const tone = (listener: string, level: 'ok' | 'warn' | 'bad'): string => `#load tr[data-listener="${listener}"] .badge.${level}[data-field="in-flight-value"]`;
    await textOf(atResponder, row('n32', 'bound'), '4096');
    await textOf(atResponder, row('n32', 'reserve'), '256');
    await textOf(atResponder, row('n32', 'signalled'), '0');
    await present(atResponder, tone('n32', 'ok'));
    await textOf(atInitiator, row('sbi', 'bound'), '4096');
    await reloadResponder((yaml) => (yaml.limits = { maxRequestsInFlight: 1, priorityReserve: 1 }));
    try {
      await textOf(atResponder, row('n32', 'bound'), '1');
      await textOf(atResponder, row('n32', 'reserve'), '1');
      const held = nf.request({ path: '/nudm-sdm/v2/slow/4000?load', headers: { [TARGET_HEADER]: producer.apiRoot }, timeoutMs: 15_000 });
      await textOf(atResponder, row('n32', 'in-flight'), '1');
      await present(atResponder, tone('n32', 'bad'));
      // The same request in flight per peer: outbound at the initiator, inbound at the responder.
      await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'in-flight'), '1');
      await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'in-flight'), '1');
      const urgent = await nf.request({ path: NF_PATH, headers: { [TARGET_HEADER]: producer.apiRoot, '3gpp-sbi-message-priority': '1' } });
      expect(urgent.status).toBe(200);
      // Taken above the overload control threshold (80 % of 1): the responder's answer asks for
      // half the load away, and in TLS mode the NF gets it with the answer's other headers.
      expect(String(urgent.headers['3gpp-sbi-oci'])).toMatch(new RegExp(`; Overload-Reduction-Metric: 50%; SEPP-FQDN: ${FQDN_A.replace(/\./g, '\\.')}$`));
      expect((await nfRequest()).status).toBe(503);
      await textOf(atResponder, row('n32', 'peak'), '2');
      await textOf(atResponder, row('n32', 'refused'), '1');
      await textOf(atResponder, row('n32', 'priority-taken'), '1');
      await textOf(atResponder, row('n32', 'signalled'), '1');
      await screenshot(atResponder, 'status-responder-load');
      expect((await held).status).toBe(200);
      await textOf(atResponder, row('n32', 'in-flight'), '0');
      await present(atResponder, tone('n32', 'warn'));
      await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'in-flight'), '0');
      await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'in-flight'), '0');
    } finally {
      await reloadResponder((yaml) => delete yaml.limits);
    }
    await textOf(atResponder, row('n32', 'bound'), '4096');
    expect(await sameResponderPage()).toBe(true);
  });

  it('lists the certificates of the configuration with the time each has left (ours, the root), soonest first; none on the relay\'s page', async () => {
    const row = (usage: string): string => `#certificates tr[data-usage="${usage}"]`;
    await present(atResponder, `${row('n32')} .badge.ok[data-field="left"]`);
    await present(atResponder, `${row('ca')} .badge.ok[data-field="left"]`);
    // Minted for a year (the leaf) and ten (the root): the leaf first.
    const left = await textOf(atResponder, `${row('n32')} [data-field="left"]`, /^\d+ d$/);
    expect(Number.parseInt(left, 10)).toBeGreaterThan(300);
    expect(await atResponder.$eval('#certificates tbody tr', (tr) => tr.getAttribute('data-usage'))).not.toBe('ca');
    await present(atInitiator, `${row('n32')} .badge.ok[data-field="left"]`);
    await screenshot(atResponder, 'status-responder-certificates');
  });

  it('the renegotiate button negotiates again: a new handshake ID on both pages, "renegotiated" on their timelines', async () => {
    const before = await textOf(atResponder, peerCell(FQDN_B, 'handshake'), /^[0-9a-f]{16}$/);
    await atInitiator.click('#renegotiate');
    await textOf(atInitiator, '#action-result', /renegotiate all peers: done \(202/);
    await textOf(atResponder, peerCell(FQDN_B, 'handshake'), new RegExp(`^(?!${before})[0-9a-f]{16}$`));
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'tls-established');
    await present(atResponder, timelineRows(FQDN_B, 'renegotiated'));
    await present(atInitiator, timelineRows(FQDN_A, 'renegotiated'));
    await textOf(atInitiator, `${timelineRows(FQDN_A, 'renegotiated')} [data-field="transition"]`, 'tls-established → negotiating');
  });

  it('after the initiator releases (its Release button), the responder page shows terminated without a reload', async () => {
    atInitiator.once('dialog', (dialog) => void dialog.accept());
    await atInitiator.click(`#peers tr[data-peer="${FQDN_A}"] button[data-action="release"]`);
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'terminated');
    await textOf(atResponder, peerCell(FQDN_B, 'mechanism'), '—');
    await textOf(atResponder, `${timelineRows(FQDN_B, 'released')} [data-field="transition"]`, 'tls-established → terminated');
    await textOf(atInitiator, peerCell(FQDN_A, 'state'), 'terminated');
    await textOf(atInitiator, '#action-result', /release .*: done \(200 \{"released":"[^"]+","acknowledged":true\}\)/);
    expect(await sameResponderPage()).toBe(true);
    expect(await sameInitiatorPage()).toBe(true);
    await screenshot(atResponder, 'status-responder-released');
    // Held released: an NF request does not bring N32 back, it is refused and listed.
    const answer = await nfRequest();
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({ cause: 'N32_NOT_ESTABLISHED', detail: expect.stringContaining('released by an operator') });
    await textOf(atInitiator, '#refusals tr[data-category="unavailable"] [data-field="cause"]', 'N32_NOT_ESTABLISHED');
    await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'refused'), /N32_NOT_ESTABLISHED 1/);
    expect((await initiator.peer(FQDN_A))!.state).toBe('terminated');
  });

  it('renegotiate lifts the release: both pages back to tls-established', async () => {
    await atInitiator.click('#renegotiate');
    await textOf(atInitiator, peerCell(FQDN_A, 'state'), 'tls-established');
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'tls-established');
    expect((await nfRequest()).status).toBe(200);
  });

  it('a forced NONE negotiation shows its reason on both timelines', async () => {
    // The responder now requires PRINS of this peer (intermediaries: modifying) but supports TLS only: NONE.
    await reloadResponder((yaml) => {
      yaml.sepp.capabilities = ['TLS'];
      yaml.n32.peers = yaml.n32.peers.map((peer) => ({ ...peer, intermediaries: 'modifying' }));
    });
    await atInitiator.click('#renegotiate');
    await textOf(atResponder, `${timelineRows(FQDN_B, 'refused')} [data-field="reason"]`, 'NO_COMMON_MECHANISM');
    await textOf(atResponder, `${timelineRows(FQDN_B, 'refused')} [data-field="detail"]`, /PRINS_REQUIRED_BUT_NOT_COMMON/);
    await textOf(atInitiator, `${timelineRows(FQDN_A, 'refused')} [data-field="reason"]`, 'NO_COMMON_MECHANISM');
    await textOf(atInitiator, `${timelineRows(FQDN_A, 'refused')} [data-field="detail"]`, /the responder selected NONE/);
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'failed');
    await textOf(atInitiator, peerCell(FQDN_A, 'reason'), 'NO_COMMON_MECHANISM');
    await screenshot(atInitiator, 'status-initiator-none');
    await screenshot(atResponder, 'status-responder-none');
    // Back to the first configuration: the initiator's retries agree again.
    await reloadResponder((yaml) => {
      yaml.sepp.capabilities = ['TLS', 'PRINS'];
      yaml.n32.peers = yaml.n32.peers.map((peer) => ({ ...peer, intermediaries: 'none' }));
    });
    await textOf(atInitiator, peerCell(FQDN_A, 'state'), 'tls-established', 30_000);
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'tls-established');
    expect(await sameResponderPage()).toBe(true);
  });

  it('refuses an admin action a browser sends cross-site, accepts it from the page and from scripts', async () => {
    const url = `${admin(initiator)}/admin/peers/renegotiate`;
    const crossOrigin = await fetch(url, { method: 'POST', headers: { origin: 'http://attacker.example' } });
    expect(crossOrigin.status).toBe(403);
    expect(await crossOrigin.json()).toMatchObject({ status: 403, detail: 'cross-site request to an admin action refused' });
    expect((await fetch(url, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(url, { method: 'POST', headers: { origin: admin(initiator), 'sec-fetch-site': 'same-origin' } })).status).toBe(202);
    expect((await fetch(url, { method: 'POST' })).status).toBe(202);
    await textOf(atInitiator, peerCell(FQDN_A, 'state'), 'tls-established');
  });

  it('runs under a strict Content-Security-Policy without a violation or an error, and shows nothing that is not in admin/status (no key)', async () => {
    for (const proc of [initiator, responder]) {
      const page = await fetch(`${admin(proc)}/`);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/style-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-|https?:|\*/);
      const html = await page.text();
      expect([...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)].map((m) => [m[1]!.trim(), m[2]!.trim()])).toEqual([['type="module" src="status/status.js"', '']]);
      expect(html).not.toMatch(/style=|\b(src|href)="(https?:)?\/\//);
      const status = await fetch(`${admin(proc)}/admin/status`);
      expect(status.headers.get('content-type')).toMatch(/^application\/json/);
      const text = await status.text();
      expect(text).not.toMatch(/BEGIN|PRIVATE|"key"\s*:/);
    }
    expect(await browser.cspViolations(atInitiator)).toEqual([]);
    expect(await browser.cspViolations(atResponder)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  it('/docs renders the N32 operations with Swagger UI, from this SEPP, under its CSP', async () => {
    const page = await browser.open(`${admin(responder)}/docs`);
    await present(page, '.opblock-summary-path', 6);
    const paths = await page.locator('.opblock-summary-path').allTextContents();
    expect(paths.map((p) => p.replace(/\u200b/g, '').trim())).toEqual(
      expect.arrayContaining([
        '/n32c-handshake/v1/exchange-capability',
        '/n32c-handshake/v1/exchange-params',
        '/n32c-handshake/v1/n32f-terminate',
        '/n32c-handshake/v1/n32f-error',
        '/n32f-forward/v1/n32f-process',
      ]),
    );
    await textOf(page, '.info .title', /SEPP responder: N32 APIs/);
    await screenshot(page, 'docs-responder');
    // Every request of the page stayed on this origin.
    const origins = await page.evaluate(() => [...new Set(performance.getEntriesByType('resource').map((entry) => new URL(entry.name).origin))]);
    expect(origins).toEqual([admin(responder)]);
    const atInitiatorDocs = await browser.open(`${admin(initiator)}/docs`);
    await present(atInitiatorDocs, '.opblock-summary-path', 3);
    expect((await atInitiatorDocs.locator('.opblock-summary-path').allTextContents()).map((p) => p.replace(/\u200b/g, '').trim())).toContain('/nsepp-telescopic/v1/mapping');
    expect(await browser.cspViolations(page)).toEqual([]);
    expect(await browser.cspViolations(atInitiatorDocs)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});

describe('the status pages in Chromium, PRINS through the IPX relay', () => {
  let producer: TappedProducer;
  let path: IpxPath;
  let browser: Browser;

  beforeAll(async () => {
    const { pki, certA, certB } = await createPkiAB();
    producer = await TappedProducer.start('udm1');
    path = await IpxPath.start(pki, certA, certB, producer, { name: 'status' });
    browser = await Browser.launch();
  });

  afterAll(async () => {
    await browser?.close();
    await path?.stop();
    await producer?.close();
  });

  it('shows prins-established with the N32-f context of both sides (IDs swapped, same keyCheck, the relay among the RIs), and the relay page counts what it relayed', async () => {
    const atInitiator = await browser.open(`http://127.0.0.1:${path.initiator.port('admin')}/`);
    const atResponder = await browser.open(`http://127.0.0.1:${path.responder.port('admin')}/`);
    const atRelay = await browser.open(`http://127.0.0.1:${path.ipx.port('admin')}/`);
    await textOf(atInitiator, peerCell(FQDN_A, 'state'), 'prins-established');
    await textOf(atResponder, peerCell(FQDN_B, 'state'), 'prins-established');
    await textOf(atResponder, peerCell(FQDN_B, 'mechanism'), 'PRINS');
    const [mine] = (await path.initiator.admin<{ contexts: { localContextId: string; remoteContextId: string; keyCheck: string; enc: string }[] }>('/admin/contexts')).body.contexts;
    const context = new RegExp(`local ${mine!.localContextId} · remote ${mine!.remoteContextId} · ${mine!.enc} · keyCheck ${mine!.keyCheck} · \\d+ sent, RIs ${IPX_FQDN.replace(/\./g, '\\.')}`);
    await textOf(atInitiator, peerCell(FQDN_A, 'context'), context);
    await textOf(atResponder, peerCell(FQDN_B, 'context'), new RegExp(`local ${mine!.remoteContextId} · remote ${mine!.localContextId} · ${mine!.enc} · keyCheck ${mine!.keyCheck}`));
    expect(await atInitiator.locator(`#peers tr[data-peer="${FQDN_A}"] button[data-action="terminate"]`).isVisible()).toBe(true);
    await present(atResponder, timelineRows(FQDN_B, 'context-established'));

    await textOf(atRelay, '#title', `IPX relay ${IPX_FQDN}`);
    await textOf(atRelay, '#relay-next', new RegExp(`forwards N32-f to ${FQDN_A.replace(/\./g, '\\.')} at 127\\.0\\.0\\.1:${path.responder.port('n32')}`));
    const answer = await path.nf!.request(amDataRequest(producer));
    expect(answer.status).toBe(200);
    await textOf(atRelay, trafficCell(FQDN_B, 'inbound', 'answered'), '1');
    // The relay's N32-f listener under its own overload bound: the message counted in its peak.
    const relayLoad = (field: string): string => `#load tr[data-listener="n32f"] [data-field="${field}"]`;
    await textOf(atRelay, relayLoad('bound'), '4096');
    await textOf(atRelay, relayLoad('peak'), '1');
    await textOf(atRelay, relayLoad('in-flight'), '0');
    // The relay lists no certificates of a SEPP configuration: the section stays hidden.
    expect(await atRelay.$eval('#certificates-section', (section) => (section as HTMLElement).hidden)).toBe(true);
    await textOf(atInitiator, trafficCell(FQDN_A, 'outbound', 'answered'), '1');
    await textOf(atResponder, trafficCell(FQDN_B, 'inbound', 'answered'), '1');
    await textOf(atInitiator, peerCell(FQDN_A, 'context'), / · 1 sent, /);
    await screenshot(atInitiator, 'status-initiator-prins-ipx');
    await screenshot(atRelay, 'status-ipx');

    // The terminate button tears the context down on both sides.
    atInitiator.once('dialog', (dialog) => void dialog.accept());
    await atInitiator.click(`#peers tr[data-peer="${FQDN_A}"] button[data-action="terminate"]`);
    await textOf(atInitiator, '#action-result', /terminate the N32-f context .*: done \(200/);
    await present(atResponder, timelineRows(FQDN_B, 'context-terminated'));
    for (const page of [atInitiator, atResponder, atRelay]) expect(await browser.cspViolations(page)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
