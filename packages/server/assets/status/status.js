// The status page of a SEPP (or of the IPX relay): polls the JSON document at admin/status, the one
// scripts use too, and renders it. The page is built with DOM calls and textContent only, never
// innerHTML: peer names, reasons and details come from other parties and must never become markup.
// The admin actions are plain POSTs to the admin API, from this origin, behind its protection.

const POLL_MS = 1000;
const STATUS_URL = 'admin/status';
const SVG_NS = 'http://www.w3.org/2000/svg';

const byId = (id) => document.getElementById(id);

/** An element with properties (text, className, data-*, title...) and children. */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'className') node.className = value;
    else node.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function setText(node, text) {
  const value = text === null || text === undefined ? '' : String(text);
  if (node.textContent !== value) node.textContent = value;
}

function setTitle(node, text) {
  if (text) node.setAttribute('title', text);
  else node.removeAttribute('title');
}

const DASH = '—';

function plmnText(plmns) {
  return plmns && plmns.length > 0 ? plmns.map((p) => `${p.mcc}/${p.mnc}`).join(', ') : DASH;
}

/** A latency in ms with about three significant digits. */
function msText(ms) {
  return ms >= 100 ? String(Math.round(ms)) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function timeText(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : DASH;
}

/** "42 s ago", "3 min ago"... measured against the document's own clock. */
function ago(iso, nowIso) {
  if (!iso) return DASH;
  const seconds = Math.max(0, Math.round((Date.parse(nowIso) - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

const STATE_CLASS = {
  'tls-established': 'ok',
  'prins-established': 'ok',
  'prins-selected': 'warn',
  negotiating: 'warn',
  renegotiating: 'warn',
  failed: 'bad',
  terminated: '',
  idle: '',
};

const KIND_CLASS = {
  selected: 'ok',
  'context-established': 'ok',
  offered: '',
  renegotiated: 'warn',
  'context-terminated': 'warn',
  lost: 'warn',
  released: '',
  refused: 'bad',
};

const CATEGORY_CLASS = { certificate: 'bad', tamper: 'bad', border: 'bad', 'bad-input': 'warn', 'rate-limit': 'warn', abuse: 'bad', unavailable: '' };

function badge(text, tone, field) {
  return el('span', { className: `badge ${tone || ''}`.trim(), text, 'data-field': field });
}

// --- live updates ---

let latest = null;
let polling = false;
let timer = null;

async function poll() {
  if (polling) return;
  polling = true;
  clearTimeout(timer);
  try {
    const response = await fetch(STATUS_URL, { headers: { accept: 'application/json' }, cache: 'no-store' });
    if (!response.ok) throw new Error(`${STATUS_URL} answered ${response.status}`);
    latest = await response.json();
    render(latest);
    const live = byId('live');
    live.dataset.state = 'live';
    setText(live, 'live');
    setTitle(live, null);
    setText(byId('updated'), `updated ${timeText(latest.now)}`);
  } catch (error) {
    const live = byId('live');
    live.dataset.state = 'lost';
    setText(live, 'no answer');
    setTitle(live, String(error && error.message ? error.message : error));
  } finally {
    polling = false;
    timer = setTimeout(poll, POLL_MS);
  }
}

// --- rendering ---

/** The state store in the identity line: which, up or down (and why), commands it did not answer since start. */
function storeText(store) {
  if (!store) return '';
  const failures = store.failures > 0 ? `, ${store.failures} command${store.failures === 1 ? '' : 's'} not answered since start` : '';
  return ` · state store ${store.name} ${store.up ? 'up' : `down: ${store.detail}`}${failures}`;
}

function render(doc) {
  document.title = `${doc.role} ${doc.fqdn} · N32 status`;
  setText(byId('title'), `${doc.role === 'ipx' ? 'IPX relay' : `SEPP ${doc.role}`} ${doc.fqdn}`);
  const listeners = Object.entries(doc.listeners)
    .map(([name, state]) => `${name} ${state}`)
    .join(', ');
  setText(byId('identity'), `${doc.app} · PLMN ${plmnText(doc.plmns)} · ${doc.ready ? 'ready' : 'not ready'} (${listeners})${storeText(doc.store)} · up since ${new Date(doc.startedAt).toLocaleString()}`);
  setTitle(byId('identity'), doc.store ? `N32 state store: ${doc.store.detail}` : '');
  document.body.dataset.role = doc.role;

  const hasActions = Boolean(doc.actions.release || doc.actions.terminate);
  byId('actions').hidden = !doc.actions.renegotiate;

  byId('peers-section').hidden = doc.role === 'ipx';
  byId('timeline-section').hidden = doc.role === 'ipx';
  renderLoad(doc);
  renderCertificates(doc);
  renderPeers(doc, hasActions);
  renderRelay(doc);
  renderTraffic(doc);
  renderTimelines(doc);
  renderRefusals(doc);
  for (const link of document.querySelectorAll('footer a:not(#json-link)')) link.hidden = doc.role === 'ipx';
}

const DAY_MS = 86_400_000;

/** Time left until `iso` as the page says it, and its tone: red within `badDays` (or past), amber within `warnDays`. */
function timeLeft(iso, nowIso, warnDays, badDays) {
  const left = Date.parse(iso) - Date.parse(nowIso);
  const tone = left < badDays * DAY_MS ? 'bad' : left < warnDays * DAY_MS ? 'warn' : 'ok';
  if (left <= 0) return { text: 'expired', tone };
  const days = Math.floor(left / DAY_MS);
  return { text: days >= 1 ? `${days} d` : `${Math.max(1, Math.floor(left / 3_600_000))} h`, tone };
}

/**
 * The certificates of the configuration with when each expires (ours and their chains, the
 * trusted roots, the relays' signing certificates), then the CRLs of tls.crl with their
 * nextUpdate (a CRL past it refuses every certificate of its issuer: red within a day, as
 * SeppCrlGoesStale, amber within three).
 */
function renderCertificates(doc) {
  const view = doc.certificates;
  byId('certificates-section').hidden = !view;
  if (!view) return;
  const rows = view.certificates.map((entry) => {
    // As SeppCertificateExpiresSoon (14 days) and SeppCertificateExpiresVerySoon (2).
    const left = timeLeft(entry.notAfter, doc.now, 14, 2);
    return el('tr', { 'data-usage': entry.usage, 'data-subject': entry.subject }, [
      el('td', { className: 'mono', text: entry.usage }),
      el('td', { className: 'mono', text: entry.subject }),
      el('td', { 'data-field': 'expires', text: new Date(entry.notAfter).toLocaleString(), title: entry.notAfter }),
      el('td', { className: 'num' }, [badge(left.text, left.tone, 'left')]),
    ]);
  });
  for (const crl of view.crls) {
    // SeppCrlGoesStale fires within a day; amber two days before that.
    const left = crl.nextUpdate ? timeLeft(crl.nextUpdate, doc.now, 3, 1) : { text: DASH, tone: '' };
    rows.push(
      el('tr', { 'data-usage': 'crl', 'data-subject': crl.issuer }, [
        el('td', { className: 'mono', text: 'crl' }),
        el('td', { className: 'mono', text: crl.issuer }),
        el('td', { 'data-field': 'expires', text: crl.nextUpdate ? `next update ${new Date(crl.nextUpdate).toLocaleString()}` : 'no next update', title: crl.nextUpdate || '' }),
        el('td', { className: 'num' }, [badge(left.text, left.tone, 'left')]),
      ]),
    );
  }
  byId('certificates').tBodies[0].replaceChildren(...rows);
}

/**
 * Each listener with an overload bound: requests in flight now and at most in the last minute
 * against limits.maxRequestsInFlight (and its priority reserve); since start, the requests refused
 * past it (503 NF_CONGESTION), the priority ones taken into the reserve and the answers that asked
 * senders to slow down (3gpp-Sbi-Oci, above limits.ociFromPercent of the bound). The in-flight
 * badge is red at the bound, amber when the minute's peak went above that threshold (80 % of the
 * bound where the listener has none), green below.
 */
function renderLoad(doc) {
  const load = doc.load || {};
  const names = Object.keys(load);
  byId('load-section').hidden = names.length === 0;
  setText(byId('load-window'), '(peak: last 60 s; refused and taken: since start)');
  const rows = names.map((name) => {
    const entry = load[name];
    const busy = entry.ociFrom != null ? entry.peakInFlight > entry.ociFrom : entry.peakInFlight >= 0.8 * entry.maxRequestsInFlight;
    const tone = entry.inFlight >= entry.maxRequestsInFlight ? 'bad' : busy ? 'warn' : 'ok';
    return el('tr', { 'data-listener': name }, [
      el('td', { className: 'mono', text: name }),
      el('td', {}, [badge(doc.listeners[name] || DASH, doc.listeners[name] === 'up' ? 'ok' : 'bad', 'state')]),
      el('td', { className: 'num', 'data-field': 'in-flight' }, [badge(String(entry.inFlight), tone, 'in-flight-value')]),
      el('td', { className: 'num', 'data-field': 'peak', text: entry.peakInFlight }),
      el('td', { className: 'num', 'data-field': 'bound', text: entry.maxRequestsInFlight, title: 'limits.maxRequestsInFlight' }),
      el('td', { className: 'num', 'data-field': 'reserve', text: entry.priorityReserve, title: 'limits.priorityReserve' }),
      el('td', { className: 'num', 'data-field': 'refused', text: entry.refused }),
      el('td', { className: 'num', 'data-field': 'priority-taken', text: entry.priorityTaken }),
      el('td', {
        className: 'num',
        'data-field': 'signalled',
        text: entry.ociFrom != null ? entry.signalled : DASH,
        title: entry.ociFrom != null ? `answers with 3gpp-Sbi-Oci above ${entry.ociFrom} in flight (limits.ociFromPercent)` : 'no overload control information before refusals',
      }),
    ]);
  });
  byId('load').tBodies[0].replaceChildren(...rows);
}

const peerRows = new Map();

function connectionText(connection) {
  const arrow = connection.direction === 'outbound' ? '→' : '←';
  const where = connection.listener ? `${connection.listener} ` : '';
  const counts =
    connection.n32cRequests !== null || connection.n32fRequests !== null ? `, ${connection.n32cRequests ?? 0} N32-c / ${connection.n32fRequests ?? 0} N32-f` : '';
  return `${connection.purpose} ${where}${arrow} ${connection.remote}${counts}`;
}

function contextText(context) {
  if (!context) return DASH;
  const ris = context.intermediaries ? `, RIs ${context.intermediaries.verified.join(', ') || 'none'} (authorized ${context.intermediaries.authorizedIpxId ?? 'none'})` : '';
  return `${context.role} · local ${context.localContextId} · remote ${context.remoteContextId} · ${context.enc} · keyCheck ${context.keyCheck} · ${context.messagesSent} sent${ris}`;
}

function newPeerRow(fqdn, actions) {
  const cells = {};
  const row = el('tr', { 'data-peer': fqdn });
  for (const field of ['fqdn', 'plmns', 'state', 'mechanism', 'reason', 'connections', 'handshake', 'since', 'context']) {
    cells[field] = el('td', { 'data-field': field, className: field === 'context' || field === 'connections' ? 'wrap' : '' });
    row.append(cells[field]);
  }
  cells.handshake.className = 'mono';
  // The FQDN, and under it the peer's actions (no column of their own: the table stays narrow).
  const name = el('div', { className: 'mono', 'data-field': 'name' });
  const actionCell = el('div', { className: 'peer-actions', 'data-field': 'actions' });
  cells.fqdn.append(name, actionCell);
  const release = el('button', { type: 'button', className: 'danger', 'data-action': 'release', text: 'Release' });
  const terminate = el('button', { type: 'button', 'data-action': 'terminate', text: 'Terminate N32-f context' });
  release.addEventListener('click', () =>
    act(release, actionUrl(actions().release, fqdn), `release ${fqdn}`, `Release N32 with ${fqdn}? It stays released until "Renegotiate all peers".`),
  );
  terminate.addEventListener('click', () =>
    act(terminate, actionUrl(actions().terminate, fqdn), `terminate the N32-f context with ${fqdn}`, `Tear the N32-f (PRINS) context with ${fqdn} down on both sides?`),
  );
  actionCell.append(release, terminate);
  return { row, cells, name, release, terminate, actionCell };
}

function renderPeers(doc, hasActions) {
  const body = byId('peers').tBodies[0];
  const seen = new Set();
  for (const peer of doc.peers) {
    seen.add(peer.fqdn);
    let entry = peerRows.get(peer.fqdn);
    if (!entry) {
      entry = newPeerRow(peer.fqdn, () => latest.actions);
      peerRows.set(peer.fqdn, entry);
    }
    const { row, cells, name, release, terminate, actionCell } = entry;
    body.append(row); // keeps the document's order; the same node is moved, not rebuilt
    setText(name, peer.fqdn);
    setTitle(name, peer.configured ? 'configured peer' : 'accepted unknown peer (acceptUnknownPeers)');
    setText(cells.plmns, plmnText(peer.plmns));
    const state = cells.state.firstChild ?? cells.state.appendChild(badge('', '', 'state-badge'));
    setText(state, peer.state);
    state.className = `badge ${STATE_CLASS[peer.state] ?? ''}`.trim();
    setText(cells.mechanism, peer.mechanism ?? DASH);
    const reason = peer.negotiation?.selectionReason ?? peer.lastError?.reason ?? DASH;
    setText(cells.reason, reason);
    setTitle(cells.reason, peer.lastError ? `last error ${peer.lastError.reason}: ${peer.lastError.detail} (${timeText(peer.lastError.at)})` : null);
    const connections = peer.connections.map(connectionText);
    if (cells.connections.dataset.value !== JSON.stringify(connections)) {
      cells.connections.dataset.value = JSON.stringify(connections);
      cells.connections.replaceChildren(connections.length > 0 ? el('ul', { className: 'list' }, connections.map((text) => el('li', { text }))) : DASH);
    }
    setText(cells.handshake, peer.negotiation?.handshakeId ?? DASH);
    setText(cells.since, ago(peer.since, doc.now));
    setTitle(cells.since, new Date(peer.since).toLocaleString());
    setText(cells.context, contextText(peer.context));
    actionCell.hidden = !hasActions;
    release.hidden = !doc.actions.release;
    terminate.hidden = !doc.actions.terminate || !peer.context;
  }
  for (const [fqdn, entry] of peerRows) {
    if (seen.has(fqdn)) continue;
    entry.row.remove();
    peerRows.delete(fqdn);
  }
  byId('no-peers').hidden = doc.peers.length > 0;
}

function renderRelay(doc) {
  const section = byId('relay-section');
  section.hidden = !doc.relay;
  if (!doc.relay) return;
  setText(byId('relay-next'), `identity ${doc.relay.identity} · forwards N32-f to ${doc.relay.next.fqdn} at ${doc.relay.next.address}`);
  const rules = doc.relay.rules.map((rule) => `${rule.name ?? '(unnamed)'} (${rule.direction})`);
  setText(byId('relay-rules'), rules.length > 0 ? `rules: ${rules.join(', ')}` : 'no rules: messages are signed unchanged');
}

function sparkline(values) {
  const width = 120;
  const height = 22;
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  const max = Math.max(1, ...values);
  svg.setAttribute('aria-label', `answered per second, last ${values.length} s, peak ${max}`);
  const bar = width / values.length;
  values.forEach((value, index) => {
    if (value <= 0) return;
    const h = Math.max(1, Math.round((value / max) * height));
    const rect = document.createElementNS(SVG_NS, 'rect');
    rect.setAttribute('x', (index * bar).toFixed(2));
    rect.setAttribute('y', String(height - h));
    rect.setAttribute('width', Math.max(1, bar - 0.5).toFixed(2));
    rect.setAttribute('height', String(h));
    svg.append(rect);
  });
  return svg;
}

function refusedText(refused) {
  const entries = Object.entries(refused).sort((a, b) => b[1] - a[1]);
  return entries.length > 0 ? entries.map(([cause, count]) => `${cause} ${count}`).join(', ') : DASH;
}

function trafficRows(doc) {
  const rows = [];
  const busy = (view) => view.answered + view.abandoned + Object.values(view.refused).reduce((a, b) => a + b, 0) > 0;
  if (doc.relay) {
    for (const sender of doc.relay.senders) rows.push({ peer: sender.peer, direction: 'inbound', view: sender.traffic });
    return rows;
  }
  // The direction this role carries NF traffic in is always shown; the other one when it has any.
  const usual = doc.role === 'initiator' ? 'outbound' : 'inbound';
  for (const peer of doc.peers) {
    for (const direction of ['outbound', 'inbound']) {
      const view = peer.traffic[direction];
      if (direction === usual || busy(view)) rows.push({ peer: peer.fqdn, direction, view });
    }
  }
  if (doc.unidentified) {
    for (const direction of ['outbound', 'inbound']) {
      if (busy(doc.unidentified[direction])) rows.push({ peer: '(unidentified)', direction, view: doc.unidentified[direction] });
    }
  }
  return rows;
}

function renderTraffic(doc) {
  setText(byId('traffic-window'), `(last ${doc.window.trafficSeconds} s; rate over ${doc.window.rateSeconds} s)`);
  const body = byId('traffic').tBodies[0];
  const rows = trafficRows(doc).map(({ peer, direction, view }) =>
    el('tr', { 'data-peer': peer, 'data-direction': direction }, [
      el('td', { className: 'mono', text: peer }),
      el('td', { text: direction }),
      el('td', { className: 'num', 'data-field': 'in-flight', text: view.inFlight === null || view.inFlight === undefined ? DASH : view.inFlight }),
      el('td', { className: 'num', 'data-field': 'rate', text: view.answeredPerSecond.toFixed(2) }),
      el('td', { className: 'num', 'data-field': 'answered', text: view.answered }),
      el('td', { className: 'wrap', 'data-field': 'refused', text: refusedText(view.refused) }),
      el('td', { className: 'num', 'data-field': 'abandoned', text: view.abandoned }),
      el('td', { className: 'num', 'data-field': 'p50', text: view.latencyMs ? msText(view.latencyMs.p50) : DASH }),
      el('td', { className: 'num', 'data-field': 'p99', text: view.latencyMs ? msText(view.latencyMs.p99) : DASH }),
      el('td', { 'data-field': 'spark' }, [sparkline(view.perSecond)]),
    ]),
  );
  body.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, [el('td', { className: 'muted', text: 'No N32-f traffic yet.', colspan: 10 })])]));
}

function transitionText(entry) {
  return entry.from ? `${entry.from} → ${entry.to}` : `→ ${entry.to}`;
}

function entryDetail(entry) {
  const parts = [];
  if (entry.offered) parts.push(`offered [${entry.offered.join(', ')}]`);
  if (entry.mechanism) parts.push(entry.mechanism);
  if (entry.handshakeId) parts.push(`handshake ${entry.handshakeId}`);
  if (entry.detail) parts.push(entry.detail);
  return parts.join(' · ') || DASH;
}

function renderTimelines(doc) {
  const blocks = doc.peers.map((peer) =>
    el('div', { className: 'timeline', 'data-peer': peer.fqdn }, [
      el('h3', { className: 'mono', text: peer.fqdn }),
      peer.timeline.length === 0
        ? el('p', { className: 'muted', text: 'No transition since start.' })
        : el('table', {}, [
            el(
              'tbody',
              {},
              peer.timeline.map((entry) =>
                el('tr', { 'data-kind': entry.kind, 'data-count': entry.count }, [
                  el('td', {
                    text: entry.count > 1 ? `${timeText(entry.first)} – ${timeText(entry.at)} (${ago(entry.at, doc.now)})` : `${timeText(entry.at)} (${ago(entry.at, doc.now)})`,
                    title: entry.count > 1 ? `${entry.count} times, first ${entry.first}, last ${entry.at}` : entry.at,
                  }),
                  el('td', {}, [badge(entry.kind, KIND_CLASS[entry.kind], 'kind'), entry.count > 1 ? el('span', { className: 'muted', 'data-field': 'count', text: ` ×${entry.count}` }) : null]),
                  el('td', { 'data-field': 'transition', text: transitionText(entry) }),
                  el('td', { 'data-field': 'reason', text: entry.reason ?? DASH }),
                  el('td', { className: 'wrap', 'data-field': 'detail', text: entryDetail(entry) }),
                ]),
              ),
            ),
          ]),
    ]),
  );
  byId('timelines').replaceChildren(...(blocks.length > 0 ? blocks : [el('p', { className: 'muted', text: 'No peers.' })]));
}

function renderRefusals(doc) {
  setText(byId('refusal-window'), `(last ${doc.window.refusalMinutes} min)`);
  const rows = doc.refusals.map((refusal) =>
    el('tr', { 'data-category': refusal.category, 'data-cause': refusal.cause }, [
      el('td', { text: timeText(refusal.last), title: `first ${refusal.first}, last ${refusal.last}` }),
      el('td', {}, [badge(refusal.category, CATEGORY_CLASS[refusal.category], 'category')]),
      el('td', { className: 'mono', 'data-field': 'cause', text: refusal.cause }),
      el('td', { className: 'mono', 'data-field': 'peer', text: refusal.peer ?? DASH }),
      el('td', { text: refusal.listener ?? DASH }),
      el('td', { className: 'mono', text: refusal.remoteAddress ?? DASH }),
      el('td', { className: 'num', 'data-field': 'count', text: refusal.count }),
      el('td', { className: 'wrap', text: refusal.detail ?? DASH }),
    ]),
  );
  byId('refusals').tBodies[0].replaceChildren(...rows);
  byId('no-refusals').hidden = rows.length > 0;
}

// --- actions ---

function actionUrl(template, fqdn) {
  return template ? template.replace('{fqdn}', encodeURIComponent(fqdn)) : null;
}

async function act(button, url, what, question) {
  if (!url) return;
  if (question && !window.confirm(question)) return;
  const output = byId('action-result');
  button.disabled = true;
  output.classList.remove('error-text');
  setText(output, `${what}…`);
  try {
    const response = await fetch(url, { method: 'POST', headers: { accept: 'application/json' } });
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (response.ok) {
      setText(output, `${what}: done (${response.status}${body ? ` ${JSON.stringify(body)}` : ''})`);
    } else {
      output.classList.add('error-text');
      setText(output, `${what}: refused (${response.status}${body && body.detail ? ` ${body.detail}` : ''})`);
    }
  } catch (error) {
    output.classList.add('error-text');
    setText(output, `${what}: failed (${error && error.message ? error.message : error})`);
  } finally {
    button.disabled = false;
    void poll();
  }
}

byId('renegotiate').addEventListener('click', (event) => act(event.currentTarget, latest && latest.actions.renegotiate, 'renegotiate all peers', null));

void poll();
