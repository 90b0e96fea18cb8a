import { STATUS_CODES } from 'node:http';
import { connectSepp, sendViaSepp, TARGET_API_ROOT_HEADER, type SeppResponse } from '../nf/consumer';
import { box, SEPARATOR, wrap } from './box';
import type { SeppChild } from './sepp-child';

export const DEMO_NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
const MAPPING_PATH = '/nsepp-telescopic/v1/mapping';
const REQUEST_TIMEOUT_MS = 15_000;
/** Widest row of the box (as wide as the negotiation's). */
const WIDTH = 99;
const BODY_EXCERPT = WIDTH - 11;

/** One request of the consumer NF and what came back (an HTTP answer, or why there was none). */
export interface NfCall {
  path: string;
  /** `3gpp-sbi-target-apiroot`, if sent. */
  target?: string;
  /** The telescopic `:authority`, if sent. */
  authority?: string;
  response?: SeppResponse;
  error?: string;
}

/** An entry of the responder's GET /admin/connections. */
export interface ConnectionView {
  id: number;
  listener: string;
  remoteAddress?: string;
  remotePort?: number;
  certificate: string[];
  peer: string | null;
  n32cRequests: number;
  n32fRequests: number;
}

export interface NfExchange {
  direct: NfCall;
  mapping: NfCall;
  label?: string;
  telescopic?: NfCall;
  /** The responder's N32 connections from the initiator, after the requests. */
  connections: ConnectionView[] | undefined;
  /** Both NF requests were answered 2xx. */
  ok: boolean;
}

export interface NfExchangeSetup {
  /** The initiator's NF-facing listener, `http://127.0.0.1:7777`. */
  sbi: string;
  /** The producer's apiRoot, `http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081`. */
  target: string;
  initiatorFqdn: string;
}

const ok = (call: NfCall | undefined): boolean => call?.response !== undefined && call.response.status >= 200 && call.response.status < 300;

/**
 * The demo as a consumer NF of the initiator's PLMN, on one h2c connection to the initiator's
 * NF-facing listener: the request with `3gpp-sbi-target-apiroot`, then the telescopic label of
 * the producer's FQDN and the same request by that label. Then the responder's view of its N32
 * connections says which one carried what.
 */
export async function runNfExchange(setup: NfExchangeSetup, responder: SeppChild): Promise<NfExchange> {
  const call = async (request: NfCall, session: Awaited<ReturnType<typeof connectSepp>> | undefined): Promise<NfCall> => {
    if (!session) return request;
    try {
      const response = await sendViaSepp({ sepp: setup.sbi, session, path: request.path, target: request.target, telescopic: request.authority, timeoutMs: REQUEST_TIMEOUT_MS });
      return { ...request, response };
    } catch (error) {
      return { ...request, error: (error as Error).message };
    }
  };
  const targetUrl = new URL(setup.target);
  let session: Awaited<ReturnType<typeof connectSepp>> | undefined;
  let noSession: string | undefined;
  try {
    session = await connectSepp(setup.sbi, { timeoutMs: REQUEST_TIMEOUT_MS });
  } catch (error) {
    noSession = (error as Error).message;
  }
  try {
    const direct = await call({ path: DEMO_NF_PATH, target: setup.target, error: noSession }, session);
    const mapping = await call({ path: `${MAPPING_PATH}?foreign-fqdn=${targetUrl.hostname}`, error: noSession }, session);
    const answer = mapping.response?.json as { telescopicLabel?: unknown; seppDomain?: unknown } | undefined;
    let label: string | undefined;
    let telescopic: NfCall | undefined;
    if (ok(mapping) && typeof answer?.telescopicLabel === 'string' && typeof answer.seppDomain === 'string') {
      label = answer.telescopicLabel;
      const authority = `${label}.${answer.seppDomain}${targetUrl.port ? `:${targetUrl.port}` : ''}`;
      telescopic = await call({ path: DEMO_NF_PATH, authority }, session);
    }
    const connections = await responder
      .admin<{ connections: ConnectionView[] }>('/admin/connections')
      .then((view) => view.connections.filter((c) => c.peer === setup.initiatorFqdn))
      .catch(() => undefined);
    return { direct, mapping, label, telescopic, connections, ok: ok(direct) && ok(telescopic) };
  } finally {
    session?.close();
  }
}

export interface NfExchangeContext {
  /** Where the initiator's NF-facing listener is (`127.0.0.1:7777`). */
  sbi: string;
  initiator: { fqdn: string; plmns: string };
  responder: { fqdn: string; n32: string };
  nf: { name: string; address: string };
  /** The initiator's `n32f.connection`. */
  connection: 'shared' | 'dedicated';
}

function statusText(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim();
}

function excerpt(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > BODY_EXCERPT ? `${flat.slice(0, BODY_EXCERPT - 1)}…` : flat;
}

/** `answer` and `body`/`problem` rows of one call (`body` only if `withBody` or it is no 2xx). */
function answerRows(call: NfCall, withBody = true): string[] {
  const response = call.response;
  if (!response) return [`answer     none: ${call.error ?? 'not sent'}`];
  const json = response.json as Record<string, unknown> | undefined;
  const type = String(response.headers['content-type'] ?? 'no content-type');
  const servedBy = typeof json?.['servedBy'] === 'string' ? `, servedBy ${json['servedBy']}` : '';
  const rows = [`answer     ${statusText(response.status)}, ${type}${servedBy}`];
  if (response.status >= 300 && typeof json?.['cause'] === 'string') rows.push(`problem    ${json['cause']}${typeof json['detail'] === 'string' ? `: ${json['detail']}` : ''}`);
  else if (response.body.length > 0 && (withBody || !ok(call))) rows.push(`body       ${excerpt(json === undefined ? response.text : JSON.stringify(json))}`);
  return rows;
}

/** How the NF traffic travelled on N32, from the responder's connection view. */
function n32Rows(exchange: NfExchange, ctx: NfExchangeContext): { hop: string; rows: string[] } {
  const connections = exchange.connections;
  if (!connections) return { hop: `N32 to ${ctx.responder.n32} (mutual TLS)`, rows: ['N32        the responder did not show its connections (GET /admin/connections)'] };
  const carrying = connections.filter((c) => c.n32fRequests > 0);
  const describe = (c: ConnectionView): string => `connection #${c.id}, ${c.listener} listener, from ${c.remoteAddress}:${c.remotePort}`;
  const certificate = (c: ConnectionView): string => `client certificate ${c.certificate.join(', ') || 'none'}`;
  const rows: string[] = [];
  let hop: string;
  if (carrying.length === 1 && carrying[0]!.n32cRequests > 0) {
    const c = carrying[0]!;
    hop = `N32 to ${ctx.responder.n32}: the TLS connection of the handshake (n32f.connection: ${ctx.connection})`;
    rows.push(
      `N32        GET /admin/connections (responder): ${describe(c)}`,
      `           ${certificate(c)}`,
      `           carried ${c.n32cRequests} N32-c request${c.n32cRequests === 1 ? '' : 's'} (the handshake) and ${c.n32fRequests} N32-f requests (the NF requests)`,
    );
  } else if (carrying.length > 0) {
    hop = `N32 to ${ctx.responder.n32}: a TLS connection of its own (n32f.connection: ${ctx.connection})`;
    rows.push('N32        GET /admin/connections (responder):');
    for (const c of connections) rows.push(`           ${describe(c)}, ${certificate(c)}: ${c.n32cRequests} N32-c, ${c.n32fRequests} N32-f requests`);
  } else {
    hop = `N32 to ${ctx.responder.n32} (mutual TLS)`;
    rows.push(`N32        the responder counts no N32-f request from ${ctx.initiator.fqdn}`);
  }
  return { hop, rows };
}

/** The NF requests in a box, for people. */
export function renderNfExchange(exchange: NfExchange, ctx: NfExchangeContext): string {
  const { direct, mapping, telescopic } = exchange;
  const n32 = n32Rows(exchange, ctx);
  const rows: Array<string | typeof SEPARATOR> = [
    `request    GET ${direct.path}  (as a consumer NF of PLMN ${ctx.initiator.plmns})`,
    `target     ${TARGET_API_ROOT_HEADER}: ${direct.target}`,
    // "crossed" only once udm1's answer proves it; otherwise the way it was meant to take.
    `${ok(direct) ? 'crossed' : 'route  '}    initiator ${ctx.initiator.fqdn} (NF-facing ${ctx.sbi}, h2c)`,
    `           → ${n32.hop}`,
    `           → responder ${ctx.responder.fqdn} (target in sbi.allowedTargets)`,
    `           → ${ctx.nf.name} at ${ctx.nf.address} (h2c)`,
    ...answerRows(direct),
    SEPARATOR,
    `telescopic GET ${mapping.path}`,
  ];
  if (!mapping.response || mapping.response.status !== 200 || !exchange.label) {
    rows.push(...answerRows(mapping).map((row) => row.replace(/^answer {5}/, '           → ')));
  } else {
    rows.push(`           → ${mapping.response.status}, label ${exchange.label}`);
  }
  if (telescopic) {
    rows.push(`request    GET ${telescopic.path}  (no target header)`, `authority  ${telescopic.authority}`, ...answerRows(telescopic, false));
  }
  rows.push(SEPARATOR, ...n32.rows);
  return box('N32-f: an NF request through both SEPPs (TLS mode)', rows.flatMap((row): Array<string | typeof SEPARATOR> => (row === SEPARATOR ? [row] : wrap(row, WIDTH))));
}
