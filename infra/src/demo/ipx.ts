import { STATUS_CODES } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { connectSepp, sendViaSepp, TARGET_API_ROOT_HEADER, type SeppResponse } from '../nf/consumer';
import { box, SEPARATOR, wrap } from './box';
import type { ConnectionView } from './nf-exchange';
import { DEMO_ACCESS_TOKEN, nextLine, PROTECTED_LINE, prinsTrace, type PrinsTrace } from './nf-exchange';
import type { ContextView, LogLine, SeppChild } from './sepp-child';
import { absolutePaths, COPY_MARK } from './udm';

/**
 * `pnpm demo --via-ipx`: the IPX relay (apps/ipx) between the initiator and the responder on the
 * N32-f path, its configuration, the NF request that shows what it changed, and the trail of
 * modifications each app logged.
 */

/** The parts of the relay's configuration file (apps/ipx/README.md) the demo reads. */
export interface DemoIpxConfig {
  ipx: { fqdn: string; signingKey: string; certificate?: string };
  tls: { cert: string; key: string; ca: string[] };
  listen: { host: string; port: number };
  forward: { address: string; fqdn: string };
  rules?: { name?: string; direction: 'request' | 'response' }[];
  admin: { listen: { host: string; port: number } };
}

/**
 * The relay reads no environment: these move its listeners (0 = any free port), and the demo
 * runs it on a copy of its file that names those ports.
 */
export const IPX_PORT_VARIABLES = { listen: 'SEPP_DEMO_IPX_LISTEN_PORT', admin: 'SEPP_DEMO_IPX_ADMIN_LISTEN_PORT' } as const;

/** The header the relay's rules add (the default protection policy lets an RI add or replace it). */
export const PRIORITY_HEADER = '3gpp-sbi-message-priority';
/** The NF request of this mode: udm1 echoes what it received for a POST (201), headers included. */
export const IPX_NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions';
/** A TS 29.503 SdmSubscription, abridged. */
export const IPX_NF_BODY = JSON.stringify({
  nfInstanceId: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
  callbackReference: 'http://amf1.5gc.mnc002.mcc002.3gppnetwork.org/namf-callback/v1/sdm-change',
  monitoredResourceUris: ['/nudm-sdm/v2/imsi-001010000000001/am-data'],
});
/** The log lines the trail is read from. */
export const SIGNED_LINE = 'modifications signed';
export const REQUEST_VERIFIED_LINE = 'PRINS request modifications verified';
export const ANSWER_VERIFIED_LINE = 'PRINS answer modifications verified';

const REQUEST_TIMEOUT_MS = 15_000;
const WIDTH = 109;
const BODY_EXCERPT = WIDTH - 11;

export interface IpxListen {
  host: string;
  port: number;
  /** The file's key and the variable that moves it. */
  key: 'listen' | 'admin.listen';
  variable: string;
}

/** Where the relay will listen: its file's `listen` and `admin.listen`, with the demo's variables applied. */
export function planIpx(config: DemoIpxConfig, env: NodeJS.ProcessEnv): { listen: IpxListen; admin: IpxListen } {
  const port = (variable: string, fromFile: number): number => {
    const value = env[variable];
    if (value === undefined || value === '') return fromFile;
    if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new Error(`${variable} must be a port 0..65535 (0 = any free port), got "${value}"`);
    return Number(value);
  };
  return {
    listen: { host: config.listen.host, port: port(IPX_PORT_VARIABLES.listen, config.listen.port), key: 'listen', variable: IPX_PORT_VARIABLES.listen },
    admin: { host: config.admin.listen.host, port: port(IPX_PORT_VARIABLES.admin, config.admin.listen.port), key: 'admin.listen', variable: IPX_PORT_VARIABLES.admin },
  };
}

/** Certificate files of another folder (SEPP_DEMO_CERTS), absolute, instead of those the files name. */
export interface IpxCertificatePaths {
  /** The SEPPs' roots: the PLMN bundle and the relay's CA. */
  seppCa: string[];
  /** The relay's roots for the SEPPs: the PLMN bundle. */
  ipxCa: string[];
  tls: { cert: string; key: string };
  signing: { key: string; cert: string };
}

function mark(doc: Document, source: string, what: string): void {
  doc.commentBefore = ` ${COPY_MARK} from ${source}:\n ${what};\n the paths of the original are absolute here.${doc.commentBefore ? `\n${doc.commentBefore}` : ''}`;
}

/**
 * The relay's file as the demo runs it: its listeners on `ports`, `forward.address` where the
 * responder really listens, absolute paths (or those of `certs`). Everything else as written.
 */
export async function writeIpxConfigCopy(
  source: string,
  out: string,
  run: { listenPort: number; adminPort: number; forward: string; certs?: IpxCertificatePaths },
): Promise<void> {
  const doc = parseDocument(await readFile(source, 'utf8'));
  doc.setIn(['listen', 'port'], run.listenPort);
  doc.setIn(['admin', 'listen', 'port'], run.adminPort);
  doc.setIn(['forward', 'address'], run.forward);
  absolutePaths(doc, path.dirname(source), [['tls', 'cert'], ['tls', 'key'], ['tls', 'ca'], ['ipx', 'signingKey'], ['ipx', 'certificate']]);
  if (run.certs) {
    doc.setIn(['tls', 'cert'], run.certs.tls.cert);
    doc.setIn(['tls', 'key'], run.certs.tls.key);
    doc.setIn(['tls', 'ca'], doc.createNode(run.certs.ipxCa, { flow: true }));
    doc.setIn(['ipx', 'signingKey'], run.certs.signing.key);
    if (doc.hasIn(['ipx', 'certificate'])) doc.setIn(['ipx', 'certificate'], run.certs.signing.cert);
  }
  mark(doc, source, `it listens on ports ${run.listenPort} (N32-f) and ${run.adminPort} (admin) and forwards to ${run.forward}`);
  await writeFile(out, doc.toString());
}

/**
 * The initiator's file as the demo runs it: the peer entry's `ipx.address` where the relay really
 * listens, absolute paths (the signing keys those of `certs`, if given). Everything else as written.
 */
export async function writeInitiatorConfigCopy(source: string, out: string, run: { peerIndex: number; ipxAddress: string; certs?: IpxCertificatePaths }): Promise<void> {
  const doc = parseDocument(await readFile(source, 'utf8'));
  const ipx = ['n32', 'peers', run.peerIndex, 'ipx'];
  if (!doc.hasIn(ipx)) throw new Error(`${source}: n32.peers[${run.peerIndex}] has no ipx entry`);
  doc.setIn([...ipx, 'address'], run.ipxAddress);
  absolutePaths(doc, path.dirname(source), [['tls', 'cert'], ['tls', 'key'], ['tls', 'ca'], [...ipx, 'signingKeys']]);
  if (run.certs) doc.setIn([...ipx, 'signingKeys'], doc.createNode([run.certs.signing.cert], { flow: true }));
  mark(doc, source, `its N32-f goes to the IPX relay at ${run.ipxAddress} (n32.peers[${run.peerIndex}].ipx.address)`);
  await writeFile(out, doc.toString());
}

/** What the apps logged about the request's modifications, one line each (undefined: none came). */
export interface ModificationTrail {
  /** The relay's `modifications signed` for the request and for the answer. */
  ipxRequest?: LogLine;
  ipxAnswer?: LogLine;
  /** The responder's `PRINS request modifications verified`, the initiator's `PRINS answer modifications verified`. */
  responder?: LogLine;
  initiator?: LogLine;
}

export interface IpxExchange {
  path: string;
  target: string;
  response?: SeppResponse;
  error?: string;
  /** The priority header as udm1 received it (its echo of the request); undefined: it got none. */
  received?: string;
  /** The initiator's and responder's PRINS lines for the request (the encrypted IEs). */
  prins?: PrinsTrace;
  trail: ModificationTrail;
  /** Both sides' N32-f contexts after the request. */
  contexts: { atInitiator: ContextView | undefined; atResponder: ContextView | undefined };
  /** The responder's N32 connections after the request. */
  connections: ConnectionView[] | undefined;
  /** The answer was 2xx, udm1 received the header the relay added, and both SEPPs verified a modification by it. */
  ok: boolean;
}

export interface IpxExchangeSetup {
  /** The initiator's NF-facing listener, `http://127.0.0.1:7777`. */
  sbi: string;
  target: string;
  initiatorFqdn: string;
  responderFqdn: string;
  ipxFqdn: string;
  initiator: SeppChild;
  responder: SeppChild;
  relay: SeppChild;
}

const count = (child: SeppChild, msg: string): number => child.findLogs((line) => line.msg === msg).length;
const names = (line: LogLine | undefined, fqdn: string): boolean =>
  Array.isArray(line?.['modifications']) && (line['modifications'] as unknown[]).some((entry) => String(entry).startsWith(`${fqdn}: `));

/**
 * One NF request as a consumer NF of the initiator's PLMN: POST an SdmSubscription to udm1 with
 * the target header and an access token, and NO priority header. udm1 echoes what it received,
 * so its answer says which priority header reached it. Then the log lines of the relay and of
 * both SEPPs about that message, and both sides' contexts.
 */
export async function runIpxExchange(setup: IpxExchangeSetup): Promise<IpxExchange> {
  const { initiator, responder, relay } = setup;
  const signedIn = (direction: string) => (line: LogLine): boolean => line.msg === SIGNED_LINE && line['direction'] === direction;
  const before = {
    sealed: count(initiator, PROTECTED_LINE),
    signedRequest: relay.findLogs(signedIn('request')).length,
    signedAnswer: relay.findLogs(signedIn('response')).length,
    request: count(responder, REQUEST_VERIFIED_LINE),
    answer: count(initiator, ANSWER_VERIFIED_LINE),
  };
  const exchange: IpxExchange = { path: IPX_NF_PATH, target: setup.target, trail: {}, contexts: { atInitiator: undefined, atResponder: undefined }, connections: undefined, ok: false };
  let session: Awaited<ReturnType<typeof connectSepp>> | undefined;
  try {
    session = await connectSepp(setup.sbi, { timeoutMs: REQUEST_TIMEOUT_MS });
    exchange.response = await sendViaSepp({
      sepp: setup.sbi,
      session,
      method: 'POST',
      path: IPX_NF_PATH,
      target: setup.target,
      headers: { authorization: DEMO_ACCESS_TOKEN, 'content-type': 'application/json', accept: 'application/json' },
      body: IPX_NF_BODY,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
  } catch (error) {
    exchange.error = (error as Error).message;
  } finally {
    session?.close();
  }
  const echo = exchange.response?.json as { headers?: Record<string, unknown> } | undefined;
  const received = echo?.headers?.[PRIORITY_HEADER];
  if (received !== undefined) exchange.received = typeof received === 'string' ? received : Array.isArray(received) ? received.join(', ') : JSON.stringify(received);

  if (exchange.response) {
    const trace = await prinsTrace(initiator, responder, before.sealed);
    if (trace) exchange.prins = trace;
    const trail: ModificationTrail = {};
    const requestLine = await nextLine(relay, signedIn('request'), before.signedRequest);
    if (requestLine) trail.ipxRequest = requestLine;
    const answerLine = await nextLine(relay, signedIn('response'), before.signedAnswer);
    if (answerLine) trail.ipxAnswer = answerLine;
    const responderLine = await nextLine(responder, (line) => line.msg === REQUEST_VERIFIED_LINE, before.request);
    if (responderLine) trail.responder = responderLine;
    const initiatorLine = await nextLine(initiator, (line) => line.msg === ANSWER_VERIFIED_LINE, before.answer);
    if (initiatorLine) trail.initiator = initiatorLine;
    exchange.trail = trail;
  }
  const [atInitiator, atResponder, connections] = await Promise.all([
    initiator.contexts(setup.responderFqdn).catch(() => []),
    responder.contexts(setup.initiatorFqdn).catch(() => []),
    responder
      .admin<{ connections: ConnectionView[] }>('/admin/connections')
      .then((view) => view.connections)
      .catch(() => undefined),
  ]);
  exchange.contexts = { atInitiator: atInitiator[0], atResponder: atResponder[0] };
  exchange.connections = connections;
  const status = exchange.response?.status ?? 0;
  exchange.ok =
    status >= 200 && status < 300 && exchange.received !== undefined && names(exchange.trail.responder, setup.ipxFqdn) && names(exchange.trail.initiator, setup.ipxFqdn);
  return exchange;
}

export interface IpxExchangeContext {
  /** `127.0.0.1:7777` */
  sbi: string;
  initiator: { fqdn: string; plmns: string };
  responder: { fqdn: string; n32: string };
  ipx: { fqdn: string; address: string };
  nf: { name: string; address: string };
  /** The suite the contexts agreed on. */
  enc: string | undefined;
}

const statusText = (status: number): string => `${status} ${STATUS_CODES[status] ?? ''}`.trim();
const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function excerpt(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length > BODY_EXCERPT ? `${flat.slice(0, BODY_EXCERPT - 1)}…` : flat;
}

/** `ipx        request: rule priority-request, 1 operation signed (log "modifications signed")` */
function signedRow(line: LogLine | undefined, what: 'request' | 'answer'): string {
  if (!line) return `ipx        ${what}: no "${SIGNED_LINE}" line in the relay's log`;
  const rules = list(line['rules']);
  const skipped = list(line['skipped']);
  const operations = typeof line['operations'] === 'number' ? line['operations'] : 0;
  return (
    `ipx        ${what} signed: ${rules.length > 0 ? `rule ${rules.join(', ')}` : 'no rule applied'}, ${plural(operations, 'operation')}` +
    `${skipped.length > 0 ? `, skipped ${skipped.join(', ')}` : ''}  (log "${SIGNED_LINE}")`
  );
}

/** `responder  verified ipx...: add /headers/4  (log "PRINS request modifications verified", authorizedIpxId ...)` */
function verifiedRows(side: 'responder' | 'initiator', line: LogLine | undefined, msg: string): string[] {
  const label = side.padEnd(10);
  if (!line) return [`${label} verified no modification: no "${msg}" line in its log`];
  const modifications = list(line['modifications']);
  const rows = modifications.length > 0 ? modifications.map((entry, i) => `${i === 0 ? `${label} verified ` : `${' '.repeat(11)}         `}${entry}`) : [`${label} verified (no operations listed)`];
  rows.push(`${' '.repeat(11)}(log "${msg}", authorizedIpxId ${typeof line['authorizedIpxId'] === 'string' ? line['authorizedIpxId'] : '?'})`);
  return rows;
}

/** Which of the responder's N32 connections carried the N32-f requests: the relay's, not the initiator's. */
function connectionRows(exchange: IpxExchange, ctx: IpxExchangeContext): string[] {
  const connections = exchange.connections;
  if (!connections) return ['N32        the responder did not show its connections (GET /admin/connections)'];
  const describe = (c: ConnectionView): string =>
    `#${c.id} from ${c.remoteAddress}:${c.remotePort}, client certificate ${c.certificate.join(', ') || 'none'}: ${plural(c.n32cRequests, 'N32-c request')}, ${plural(c.n32fRequests, 'N32-f request')}`;
  const relevant = connections.filter((c) => c.listener === 'n32' && (c.certificate.includes(ctx.ipx.fqdn) || c.certificate.includes(ctx.initiator.fqdn)));
  if (relevant.length === 0) return ['N32        GET /admin/connections (responder): no connection from the initiator or the relay'];
  return ['N32        GET /admin/connections (responder):', ...relevant.map((c) => `           ${describe(c)}`)];
}

/** The request, what udm1 and the consumer got, and the modification trail, in a box for people. */
export function renderIpxExchange(exchange: IpxExchange, ctx: IpxExchangeContext): string {
  const response = exchange.response;
  const okAnswer = response !== undefined && response.status >= 200 && response.status < 300;
  const contextId = exchange.prins?.contextId ?? exchange.contexts.atResponder?.localContextId;
  const authorized = exchange.contexts.atInitiator?.intermediaries?.authorizedIpxId;
  const rows: Array<string | typeof SEPARATOR> = [
    `request    POST ${exchange.path}  (as a consumer NF of PLMN ${ctx.initiator.plmns})`,
    `target     ${TARGET_API_ROOT_HEADER}: ${exchange.target}`,
    `token      authorization: ${DEMO_ACCESS_TOKEN}  (an access token: PRINS always encrypts it)`,
    `priority   the consumer sends no ${PRIORITY_HEADER} header`,
    `${okAnswer ? 'crossed' : 'route  '}    initiator ${ctx.initiator.fqdn} (NF-facing ${ctx.sbi}, h2c)`,
    `           → reformatted, policy IEs encrypted: JWE alg dir, enc ${ctx.enc ?? '?'}, N32-f context ${contextId ?? '?'}, authorizedIpxId ${authorized ?? '?'}`,
    `           → IPX relay ${ctx.ipx.fqdn} at ${ctx.ipx.address} (HTTP/2, mutual TLS): its request rules as a JSON Patch, signed ES256 into modificationsBlock`,
    `           → responder ${ctx.responder.fqdn} at ${ctx.responder.n32}: JWE opened, the relay's JWS verified with the key of the parameter exchange, the patch checked against its modification policy and applied`,
    `           → ${ctx.nf.name} at ${ctx.nf.address} (h2c, target in sbi.allowedTargets)`,
    '           ← the answer: protected by the responder, modified and signed by the relay (its answer rules), verified and opened by the initiator',
  ];
  if (exchange.prins) rows.push(`encrypted  ${exchange.prins.encrypted.join(', ') || 'nothing'}  (initiator log "${PROTECTED_LINE}" ${exchange.prins.messageId})`);
  if (!response) {
    rows.push(`answer     none: ${exchange.error ?? 'not sent'}`);
  } else {
    const json = response.json as Record<string, unknown> | undefined;
    const servedBy = typeof json?.['servedBy'] === 'string' ? `, servedBy ${json['servedBy']}` : '';
    rows.push(`answer     ${statusText(response.status)}, ${String(response.headers['content-type'] ?? 'no content-type')}${servedBy}`);
    if (!okAnswer) {
      if (typeof json?.['cause'] === 'string') rows.push(`problem    ${json['cause']}${typeof json['detail'] === 'string' ? `: ${json['detail']}` : ''}`);
      else if (response.body.length > 0) rows.push(`body       ${excerpt(response.text)}`);
    }
  }
  rows.push(SEPARATOR);
  if (response && okAnswer) {
    rows.push(
      exchange.received !== undefined
        ? `${ctx.nf.name.padEnd(10)} received ${PRIORITY_HEADER}: ${exchange.received}  (MODIFIED on the way: the consumer sent none; from ${ctx.nf.name}'s echo of the request)`
        : `${ctx.nf.name.padEnd(10)} received no ${PRIORITY_HEADER} header (from ${ctx.nf.name}'s echo of the request): the relay's request rule did not reach it`,
    );
    const answered = response.headers[PRIORITY_HEADER];
    rows.push(
      answered !== undefined
        ? `consumer   got ${PRIORITY_HEADER}: ${Array.isArray(answered) ? answered.join(', ') : answered} in the answer  (MODIFIED on the way back: ${ctx.nf.name} sent none)`
        : `consumer   got no ${PRIORITY_HEADER} header in the answer`,
    );
    rows.push(SEPARATOR);
  }
  const messageId = exchange.prins?.messageId ?? (exchange.trail.ipxRequest?.['messageId'] as string | undefined);
  rows.push(`trail      the modifications of message ${messageId ?? '?'}, as each app logged them`);
  rows.push(signedRow(exchange.trail.ipxRequest, 'request'));
  rows.push(...verifiedRows('responder', exchange.trail.responder, REQUEST_VERIFIED_LINE));
  rows.push(signedRow(exchange.trail.ipxAnswer, 'answer'));
  rows.push(...verifiedRows('initiator', exchange.trail.initiator, ANSWER_VERIFIED_LINE));
  rows.push(SEPARATOR);
  const { atInitiator: i, atResponder: r } = exchange.contexts;
  const ris = (view: ContextView | undefined): string =>
    view?.intermediaries ? `authorizedIpxId ${view.intermediaries.authorizedIpxId ?? 'none'}, verifies [${view.intermediaries.verified.join(', ')}]` : 'no intermediaries';
  rows.push(
    i && r
      ? `contexts   GET /admin/contexts: initiator ${ris(i)}; responder ${ris(r)}  (the relay's key came in exchange-params, ipxProviderSecInfoList)`
      : 'contexts   GET /admin/contexts showed no N32-f context after the request',
  );
  rows.push(...connectionRows(exchange, ctx));
  return box(`N32-f through the IPX relay ${ctx.ipx.fqdn} (PRINS with a roaming intermediary, TS 33.501 13.2.4)`, rows.flatMap((row): Array<string | typeof SEPARATOR> => (row === SEPARATOR ? [row] : wrap(row, WIDTH))));
}
