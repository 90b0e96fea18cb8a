import { STATUS_CODES } from 'node:http';
import { connectSepp, sendViaSepp, TARGET_API_ROOT_HEADER, type SeppResponse } from '../nf/consumer';
import { box, SEPARATOR, wrap } from './box';
import { sleep, type ContextView, type LogLine, type SeppChild } from './sepp-child';

export const DEMO_NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
/** Where the initiator sends a PRINS-protected NF request (TS 29.573 N32F_Forward API). */
export const N32F_PROCESS = 'POST /n32f-forward/v1/n32f-process';
/**
 * The access token the consumer NF presents in PRINS mode (TS 33.501 13.4.1): an authorization
 * token is an IE the protection policy always encrypts (5.9.3.3), so the demo shows it moved
 * into the JWE. Not a real JWT: udm1 does not check it.
 */
export const DEMO_ACCESS_TOKEN = 'Bearer demo-token-of-a-consumer-nf';
/** The apps' debug lines the PRINS view is read from. */
export const PROTECTED_LINE = 'PRINS request protected';
export const VERIFIED_LINE = 'PRINS request verified';
/** How long after its answer a request's log lines may still be on their way through the pipe. */
const LOG_LINE_WAIT_MS = 1_500;
const MAPPING_PATH = '/nsepp-telescopic/v1/mapping';
const REQUEST_TIMEOUT_MS = 15_000;
/** Widest row of the box (as wide as the negotiation's). */
const WIDTH = 99;
/** PRINS mode: as wide as the negotiation's box with its PRINS rows. */
const PRINS_WIDTH = 109;
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
  /** PRINS: what the initiator says it protected, and what the responder says it opened. */
  prins?: PrinsTrace;
}

/** One NF request's PRINS log lines: the initiator's `PRINS request protected`, the responder's `PRINS request verified`. */
export interface PrinsTrace {
  messageId: string;
  /** The IEs moved into the JWE (`header authorization`, `path`, ...). */
  encrypted: string[];
  /** The N32-f context the request was addressed to (the responder's ID). */
  contextId?: string;
  /** Encrypted blocks the responder opened, when it logged them. */
  encryptedBlocks?: number;
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
  /** PRINS: both sides' N32-f contexts after the requests (messagesSent). */
  contexts?: { atInitiator: ContextView | undefined; atResponder: ContextView | undefined };
}

export interface NfExchangeSetup {
  /** The initiator's NF-facing listener, `http://127.0.0.1:7777`. */
  sbi: string;
  /** The producer's apiRoot, `http://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081`. */
  target: string;
  initiatorFqdn: string;
  /** Set in PRINS mode: the requests carry {@link DEMO_ACCESS_TOKEN}, and the apps' debug lines are read. */
  prins?: { initiator: SeppChild; responderFqdn: string };
}

/** The first line of `child` matching `predicate` that is not among `seen`, waiting a little for it. */
export async function nextLine(child: SeppChild, predicate: (line: LogLine) => boolean, seen: number): Promise<LogLine | undefined> {
  const deadline = Date.now() + LOG_LINE_WAIT_MS;
  for (;;) {
    const lines = child.findLogs(predicate);
    if (lines.length > seen) return lines[seen];
    if (!child.running || Date.now() > deadline) return undefined;
    await sleep(25);
  }
}

/**
 * What the apps logged about one PRINS request: the initiator's line that appeared after `seen`
 * earlier ones, and the responder's line with the same messageId. Undefined when the initiator
 * logged nothing (not at level debug, or the request never reached PRINS).
 */
export async function prinsTrace(initiator: SeppChild, responder: SeppChild, seen: number): Promise<PrinsTrace | undefined> {
  const isProtected = (line: LogLine): boolean => line.msg === PROTECTED_LINE;
  const sealed = await nextLine(initiator, isProtected, seen);
  if (!sealed) return undefined;
  const messageId = String(sealed['messageId']);
  const verified = await responder.waitForLog((line) => line.msg === VERIFIED_LINE && line['messageId'] === messageId, LOG_LINE_WAIT_MS);
  return {
    messageId,
    encrypted: Array.isArray(sealed['encrypted']) ? sealed['encrypted'].map(String) : [],
    ...(typeof sealed['contextId'] === 'string' ? { contextId: sealed['contextId'] } : {}),
    ...(typeof verified?.['encryptedBlocks'] === 'number' ? { encryptedBlocks: verified['encryptedBlocks'] } : {}),
  };
}

const ok = (call: NfCall | undefined): boolean => call?.response !== undefined && call.response.status >= 200 && call.response.status < 300;

/**
 * The demo as a consumer NF of the initiator's PLMN, on one h2c connection to the initiator's
 * NF-facing listener: the request with `3gpp-sbi-target-apiroot`, then the telescopic label of
 * the producer's FQDN and the same request by that label. Then the responder's view of its N32
 * connections says which one carried what.
 */
export async function runNfExchange(setup: NfExchangeSetup, responder: SeppChild): Promise<NfExchange> {
  const prins = setup.prins;
  const call = async (request: NfCall, session: Awaited<ReturnType<typeof connectSepp>> | undefined, nf = true): Promise<NfCall> => {
    if (!session) return request;
    const seen = prins ? prins.initiator.findLogs((line) => line.msg === PROTECTED_LINE).length : 0;
    let result: NfCall;
    try {
      const headers = prins && nf ? { authorization: DEMO_ACCESS_TOKEN } : undefined;
      const response = await sendViaSepp({ sepp: setup.sbi, session, path: request.path, target: request.target, telescopic: request.authority, headers, timeoutMs: REQUEST_TIMEOUT_MS });
      result = { ...request, response };
    } catch (error) {
      result = { ...request, error: (error as Error).message };
    }
    if (prins && nf) {
      const trace = await prinsTrace(prins.initiator, responder, seen);
      if (trace) result.prins = trace;
    }
    return result;
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
    // The mapping API is the initiator's own: nothing crosses N32.
    const mapping = await call({ path: `${MAPPING_PATH}?foreign-fqdn=${targetUrl.hostname}`, error: noSession }, session, false);
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
    let contexts: NfExchange['contexts'];
    if (prins) {
      const [atInitiator, atResponder] = await Promise.all([
        prins.initiator.contexts(prins.responderFqdn).catch(() => []),
        responder.contexts(setup.initiatorFqdn).catch(() => []),
      ]);
      contexts = { atInitiator: atInitiator[0], atResponder: atResponder[0] };
    }
    return { direct, mapping, label, telescopic, connections, ok: ok(direct) && ok(telescopic), ...(contexts ? { contexts } : {}) };
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
  /** PRINS mode: the suite agreed and the initiator's log level (which decides whether its debug lines exist). */
  prins?: { enc: string | undefined; initiatorLogLevel: string };
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
  const prins = ctx.prins !== undefined;
  // PRINS: every NF request crosses as one n32f-process POST, whatever its own method and path.
  const as = prins ? `: ${N32F_PROCESS}` : '';
  if (!connections) return { hop: `N32 to ${ctx.responder.n32}${as} (mutual TLS)`, rows: ['N32        the responder did not show its connections (GET /admin/connections)'] };
  const carrying = connections.filter((c) => c.n32fRequests > 0);
  const describe = (c: ConnectionView): string => `connection #${c.id}, ${c.listener} listener, from ${c.remoteAddress}:${c.remotePort}`;
  const certificate = (c: ConnectionView): string => `client certificate ${c.certificate.join(', ') || 'none'}`;
  const rows: string[] = [];
  let hop: string;
  if (carrying.length === 1 && carrying[0]!.n32cRequests > 0) {
    const c = carrying[0]!;
    const n32c = `${c.n32cRequests} N32-c request${c.n32cRequests === 1 ? '' : 's'}`;
    if (prins) {
      hop = `N32 to ${ctx.responder.n32}: ${N32F_PROCESS} on the handshake's TLS connection`;
      rows.push(
        `N32        GET /admin/connections (responder): ${describe(c)}`,
        `           ${certificate(c)}`,
        `           carried ${n32c} (the handshake${c.n32cRequests > 1 ? ' and the parameter exchange' : ''})`,
        `           and ${c.n32fRequests} N32-f requests (the NF requests, as n32f-process)`,
      );
    } else {
      hop = `N32 to ${ctx.responder.n32}: the TLS connection of the handshake (n32f.connection: ${ctx.connection})`;
      rows.push(
        `N32        GET /admin/connections (responder): ${describe(c)}`,
        `           ${certificate(c)}`,
        `           carried ${n32c} (the handshake) and ${c.n32fRequests} N32-f requests (the NF requests)`,
      );
    }
  } else if (carrying.length > 0) {
    hop = `N32 to ${ctx.responder.n32}${as}: a TLS connection of its own (n32f.connection: ${ctx.connection})`;
    rows.push('N32        GET /admin/connections (responder):');
    for (const c of connections) rows.push(`           ${describe(c)}, ${certificate(c)}: ${c.n32cRequests} N32-c, ${c.n32fRequests} N32-f requests`);
  } else {
    hop = `N32 to ${ctx.responder.n32}${as} (mutual TLS)`;
    rows.push(`N32        the responder counts no N32-f request from ${ctx.initiator.fqdn}`);
  }
  return { hop, rows };
}

/** PRINS: what of one request went into the JWE (the initiator's debug line) and what the responder opened. */
function protectionRows(call: NfCall, ctx: NfExchangeContext): string[] {
  const trace = call.prins;
  if (!trace) {
    if (!call.response) return [];
    const level = ctx.prins?.initiatorLogLevel ?? 'info';
    return [
      level === 'debug' || level === 'trace'
        ? `encrypted  unknown: the initiator logged no "${PROTECTED_LINE}" line for this request (it did not reach PRINS)`
        : `encrypted  not shown: the initiator logs "${PROTECTED_LINE}" at level debug, it runs at ${level}`,
    ];
  }
  const rows = [`encrypted  ${trace.encrypted.length > 0 ? trace.encrypted.join(', ') : 'nothing'}  (initiator log "${PROTECTED_LINE}" ${trace.messageId})`];
  if (trace.encryptedBlocks !== undefined) {
    rows.push(`verified   responder opened ${trace.encryptedBlocks} encrypted block${trace.encryptedBlocks === 1 ? '' : 's'}  (log "${VERIFIED_LINE}" ${trace.messageId})`);
  }
  return rows;
}

/** The NF requests in a box, for people. */
export function renderNfExchange(exchange: NfExchange, ctx: NfExchangeContext): string {
  const { direct, mapping, telescopic } = exchange;
  const n32 = n32Rows(exchange, ctx);
  const prins = ctx.prins;
  const contextId = direct.prins?.contextId ?? exchange.contexts?.atResponder?.localContextId;
  const rows: Array<string | typeof SEPARATOR> = [
    `request    GET ${direct.path}  (as a consumer NF of PLMN ${ctx.initiator.plmns})`,
    `target     ${TARGET_API_ROOT_HEADER}: ${direct.target}`,
    ...(prins ? [`token      authorization: ${DEMO_ACCESS_TOKEN}  (an access token: PRINS always encrypts it)`] : []),
    // "crossed" only once udm1's answer proves it; otherwise the way it was meant to take.
    `${ok(direct) ? 'crossed' : 'route  '}    initiator ${ctx.initiator.fqdn} (NF-facing ${ctx.sbi}, h2c)`,
    ...(prins
      ? [
          `           → reformatted, policy IEs encrypted: JWE alg dir, enc ${prins.enc ?? '?'}, N32-f context ${contextId ?? '?'}`,
          `           → ${n32.hop}`,
          `           → responder ${ctx.responder.fqdn}: JWE verified and decrypted, request rebuilt`,
          `           → ${ctx.nf.name} at ${ctx.nf.address} (h2c, target in sbi.allowedTargets)`,
          '           ← the answer the same way back: protected by the responder, opened by the initiator',
        ]
      : [
          `           → ${n32.hop}`,
          `           → responder ${ctx.responder.fqdn} (target in sbi.allowedTargets)`,
          `           → ${ctx.nf.name} at ${ctx.nf.address} (h2c)`,
        ]),
    ...(prins ? protectionRows(direct, ctx) : []),
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
    rows.push(`request    GET ${telescopic.path}  (no target header)`, `authority  ${telescopic.authority}`, ...(prins ? protectionRows(telescopic, ctx) : []), ...answerRows(telescopic, false));
  }
  rows.push(SEPARATOR, ...n32.rows);
  if (prins) {
    const { atInitiator: i, atResponder: r } = exchange.contexts ?? {};
    rows.push(
      i && r
        ? `contexts   GET /admin/contexts: messagesSent initiator ${i.messagesSent} (requests), responder ${r.messagesSent} (answers)`
        : 'contexts   GET /admin/contexts showed no N32-f context after the requests',
    );
  }
  const title = `N32-f: an NF request through both SEPPs (${prins ? 'PRINS' : 'TLS'} mode)`;
  const width = prins ? PRINS_WIDTH : WIDTH;
  return box(title, rows.flatMap((row): Array<string | typeof SEPARATOR> => (row === SEPARATOR ? [row] : wrap(row, width))));
}
