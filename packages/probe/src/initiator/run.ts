import { findDuplicateMember, N32C_PATHS, normalizeFqdn, plmnFqdnKey, type PlmnIdValue } from '@sepp/protocol';
import { CaseRecorder, TargetUnreachable } from '../cases/recorder';
import { deviation, pass, skip, type CaseOutcome, type CaseResult } from '../cases/types';
import { plmnKeysOf } from '../net/certificates';
import { foreignPlmn, foreignSeppFqdn } from '../responder/negotiation';
import type { OpenApiValidator, VendoredFile } from '../schema/openapi-validator';
import { ScriptedResponder, type ReceivedRequest, type ScriptedAnswer, type SessionRecord } from './scripted-responder';

export interface InitiatorProbeOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly certPem: string;
  readonly keyPem: string;
  readonly caPem: readonly string[];
  /** The probe's N32 identity as a responding SEPP (its certificate must name it). */
  readonly fqdn: string;
  readonly plmns: readonly PlmnIdValue[];
  /** How long to wait for the initiator's first connection, and for each new negotiation. */
  readonly waitMs: number;
  /** How long to watch for what an initiator does (or must not do) after an answer. */
  readonly observeMs: number;
  /** Called once the probe listens (the CLI prints where). */
  readonly onListening?: (address: { address: string; port: number }) => void;
}

type Selection = 'TLS' | 'PRINS' | 'NONE' | 'unoffered' | 'unknown' | 'forged-sender';
const UNKNOWN_MECHANISM = 'X-PROBE-UNKNOWN';
const PROBLEM = 'application/problem+json';

const isNegotiation = (r: ReceivedRequest): boolean => r.method === 'POST' && r.path.split('?')[0] === N32C_PATHS.exchangeCapability;
const offeredList = (r: ReceivedRequest): string[] => {
  const list = (r.json as { supportedSecCapabilityList?: unknown } | undefined)?.supportedSecCapabilityList;
  return Array.isArray(list) ? list.map(String) : [];
};
const isRelease = (r: ReceivedRequest): boolean => {
  const list = offeredList(r);
  return list.length > 0 && list.every((v) => v === 'NONE');
};

/** Findings about a received body: repeated member names and its Rel-19 schema. */
function bodyFindings(validator: OpenApiValidator, request: ReceivedRequest, file: VendoredFile, schema: string): string[] {
  const findings: string[] = [];
  const duplicate = findDuplicateMember(request.text);
  if (duplicate) findings.push(`${duplicate.pointer}: member name repeated (RFC 8259 4)`);
  if (request.json === undefined) return [...findings, 'the body is not JSON'];
  return [...findings, ...validator.validate(file, schema, request.json).violations.map((v) => `${v.pointer || '(body)'}: ${v.rule}: ${v.message} [${v.schemaPath}]`)];
}

const describeRequest = (r: ReceivedRequest): string => `${r.method} ${r.path} on connection #${r.session.id}`;

/**
 * The initiator role: the probe listens as a responding SEPP and answers the initiator's
 * negotiations one scenario at a time (TLS, PRINS, NONE, a mechanism not offered, an unknown
 * string, a forged sender). After each answer it watches the connection; when it has to, it
 * closes the connection itself so that the initiator negotiates again, on a new one.
 */
export async function probeInitiator(options: InitiatorProbeOptions, validator: OpenApiValidator, onResult?: (result: CaseResult) => void, only: readonly string[] = []): Promise<CaseResult[]> {
  const recorder = new CaseRecorder('initiator', onResult, only);
  let server: ScriptedResponder;
  try {
    server = await ScriptedResponder.listen({ ...options.listen, certPem: options.certPem, keyPem: options.keyPem, caPem: options.caPem });
  } catch (error) {
    throw new TargetUnreachable(`cannot listen on ${options.listen.host}:${options.listen.port}: ${(error as Error).message}`);
  }
  options.onListening?.({ address: server.address.address, port: server.address.port });

  /** The answer of the current scenario to the next exchange-capability (null: not yet decided). */
  let answerNext: ((request: ReceivedRequest) => ScriptedAnswer) | null = null;
  const handled = new Set<ReceivedRequest>();
  server.script = (request) => {
    if (isNegotiation(request) && isRelease(request)) return rsp(request, 'NONE', options);
    if (isNegotiation(request) && answerNext) {
      const answer = answerNext(request);
      answerNext = null;
      handled.add(request);
      return answer;
    }
    if (isNegotiation(request)) return { status: 503, contentType: PROBLEM, headers: { 'retry-after': '1' }, body: { status: 503, cause: 'INSUFFICIENT_RESOURCES', detail: 'the probe is between scenarios' } };
    if (request.path.startsWith(N32C_PATHS.exchangeParams)) return { status: 403, contentType: PROBLEM, body: { status: 403, cause: 'UNSPECIFIED', detail: 'the probe does not continue the parameter exchange' } };
    if (request.path.startsWith(N32C_PATHS.n32fError)) return { status: 204 };
    return { status: 404, contentType: PROBLEM, body: { status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND' } };
  };

  /** Answers the next exchange-capability as `choose` says (from what it offers); resolves with that request. */
  const used = new Set<ReceivedRequest>();
  const nextNegotiation = (choose: (offered: string[]) => Selection): Promise<ReceivedRequest | null> => {
    answerNext = (request) => {
      const selection = choose(offeredList(request));
      chosen.set(request, selection);
      return rsp(request, pick(selection, offeredList(request)), options, selection === 'forged-sender' ? foreignSeppFqdn(foreignPlmn(options.plmns)) : undefined);
    };
    return server.until(() => [...handled].find((r) => !used.has(r)) ?? null, options.waitMs);
  };
  const chosen = new Map<ReceivedRequest, Selection>();

  try {
    const first = await nextNegotiation((offered) => (offered.includes('TLS') ? 'TLS' : offered.includes('PRINS') ? 'PRINS' : 'NONE'));
    if (!first) throw new TargetUnreachable(`no initiator negotiated with the probe on ${server.address.address}:${server.address.port} within ${options.waitMs} ms`);
    used.add(first);
    const offered = offeredList(first);
    recorder.set('init.request', checkRequest(validator, first, options));

    const plan: [string, Selection][] = [];
    if (offered.includes('TLS')) plan.push(['init.tls-selected', 'TLS']);
    else recorder.set('init.tls-selected', skip(`the initiator did not offer TLS (${JSON.stringify(offered)})`));
    if (offered.includes('PRINS')) plan.push(['init.prins-selected', 'PRINS']);
    else recorder.set('init.prins-selected', skip(`the initiator did not offer PRINS (${JSON.stringify(offered)})`));
    plan.push(['init.none-selected', 'NONE']);
    if (pick('unoffered', offered) !== null) plan.push(['init.unoffered-selected', 'unoffered']);
    else recorder.set('init.unoffered-selected', skip(`the initiator offered every mechanism (${JSON.stringify(offered)}); run against one that offers a single mechanism to check this`));
    plan.push(['init.unknown-selected', 'unknown'], ['init.forged-sender-answer', 'forged-sender']);

    const retries: string[] = [];
    let retryProblems = 0;
    let previous: ReceivedRequest | null = null;
    /** After a refused selection, the next negotiation is the retry: on a new connection? */
    const noteRetry = (retry: ReceivedRequest | null): void => {
      if (!previous || !REFUSALS.includes(chosen.get(previous)!)) return;
      const after = `after ${label(chosen.get(previous)!, offered)}`;
      if (!retry) {
        retries.push(`${after}: no new negotiation within ${options.waitMs} ms`);
        retryProblems += 1;
      } else if (retry.session === previous.session) {
        retries.push(`${after}: re-sent on the same connection #${retry.session.id}`);
        retryProblems += 1;
      } else retries.push(`${after}: new connection #${retry.session.id} after ${retry.at - previous.at} ms`);
    };

    for (let index = 0; index < plan.length; index += 1) {
      const [id, selection] = plan[index]!;
      let request: ReceivedRequest | null = first;
      if (index > 0) {
        request = await nextNegotiation(() => selection);
        noteRetry(request);
        if (!request) {
          recorder.skipPending(plan.slice(index).map(([pending]) => pending), `the initiator did not negotiate again within ${options.waitMs} ms`);
          previous = null;
          break;
        }
        used.add(request);
      }
      const answered = request;
      const shown = chosen.get(answered) ?? selection;
      await recorder.run(id, async (definition) => {
        const seen = `offered ${JSON.stringify(offeredList(answered))}, probe answered ${label(shown, offeredList(answered))} on connection #${answered.session.id}`;
        const outcome = await observe(server, validator, answered, shown, options);
        const observed = `${seen}; ${outcome.observed}`;
        return outcome.verdict === 'fail' ? deviation(definition.level, observed, outcome.details) : { ...outcome, observed };
      });
      // Whatever the initiator did, the connection is closed before the next scenario.
      if (!answered.session.closed) answered.session.closeFromProbe();
      previous = answered;
    }
    if (previous && REFUSALS.includes(chosen.get(previous)!)) {
      // The last refusal's retry: answered with TLS, so the initiator ends in an agreement.
      const retry = await nextNegotiation(() => 'TLS');
      noteRetry(retry);
    }
    recorder.set(
      'init.retry-new-connection',
      retries.length === 0 ? skip('no refused selection was answered') : retryProblems === 0 ? pass(retries.join('; ')) : deviation('should', retries.join('; ')),
    );
  } finally {
    answerNext = null;
    await server.close();
  }
  return recorder.all();
}

const REFUSALS: readonly Selection[] = ['NONE', 'unoffered', 'unknown', 'forged-sender'];

/** The mechanism string the probe answers for a scenario (null: none fits). */
function pick(selection: Selection, offered: readonly string[]): string | null {
  switch (selection) {
    case 'TLS':
    case 'forged-sender':
      return 'TLS';
    case 'PRINS':
      return 'PRINS';
    case 'NONE':
      return 'NONE';
    case 'unknown':
      return UNKNOWN_MECHANISM;
    case 'unoffered':
      return ['TLS', 'PRINS'].find((m) => !offered.includes(m)) ?? null;
  }
}

function label(selection: Selection, offered: readonly string[]): string {
  return selection === 'forged-sender' ? 'TLS with a forged sender' : String(pick(selection, offered));
}

/** A SecNegotiateRspData of the probe. */
function rsp(request: ReceivedRequest, selected: string | null, options: InitiatorProbeOptions, sender = options.fqdn): ScriptedAnswer {
  const body = request.json as { n32HandshakeId?: unknown; '3GppSbiTargetApiRootSupported'?: unknown } | undefined;
  return {
    status: 200,
    body: {
      sender,
      selectedSecCapability: selected ?? 'NONE',
      ...(typeof body?.n32HandshakeId === 'string' ? { n32HandshakeId: body.n32HandshakeId } : {}),
      ...(selected === 'TLS' && body?.['3GppSbiTargetApiRootSupported'] === true ? { '3GppSbiTargetApiRootSupported': true } : {}),
      plmnIdList: options.plmns.map(({ mcc, mnc }) => ({ mcc, mnc })),
      supportedFeatures: '0',
    },
  };
}

/** init.request: the body, the identity it claims and the TLS connection it came on. */
function checkRequest(validator: OpenApiValidator, request: ReceivedRequest, options: InitiatorProbeOptions): CaseOutcome {
  const findings = bodyFindings(validator, request, 'TS29573_N32_Handshake.yaml', 'SecNegotiateReqData');
  const type = String(request.headers['content-type'] ?? '');
  if (!/^application\/json\s*(;|$)/i.test(type)) findings.push(`content-type ${type || 'absent'}, not application/json`);
  const body = request.json as { sender?: unknown; plmnIdList?: unknown } | undefined;
  const names = request.session.clientNames;
  if (typeof body?.sender === 'string' && !names.includes(normalizeFqdn(body.sender))) findings.push(`sender ${body.sender} is not a SAN dNSName of the client certificate (${names.join(', ')})`);
  const proved = new Set(plmnKeysOf(names));
  if (Array.isArray(body?.plmnIdList)) {
    (body.plmnIdList as PlmnIdValue[]).forEach((plmn, index) => {
      if (plmn && typeof plmn.mcc === 'string' && typeof plmn.mnc === 'string' && !proved.has(plmnFqdnKey(plmn))) findings.push(`/plmnIdList/${index} is not a PLMN of the client certificate`);
    });
  }
  if (request.session.servername !== normalizeFqdn(options.fqdn) && request.session.servername !== options.fqdn) findings.push(`SNI ${String(request.session.servername)}, not ${options.fqdn} (TS 33.501 13.1.0: clients shall send SNI)`);
  if (request.session.alpn !== 'h2') findings.push(`ALPN ${String(request.session.alpn)}`);
  const observed = `${describeRequest(request)}: sender ${String(body?.sender)}, supportedSecCapabilityList ${JSON.stringify(offeredList(request))}, SNI ${String(request.session.servername)}, client certificate ${names.join(', ')}`;
  return findings.length === 0 ? pass(observed) : { verdict: 'fail', observed, details: findings };
}

/** What the initiator did on the connection after the probe's answer, judged for `selection`. */
async function observe(server: ScriptedResponder, validator: OpenApiValidator, answered: ReceivedRequest, selection: Selection, options: InitiatorProbeOptions): Promise<CaseOutcome> {
  const session: SessionRecord = answered.session;
  const later = (): ReceivedRequest[] => session.requests.filter((r) => r.at >= answered.at && r !== answered);
  const renegotiation = (): ReceivedRequest | undefined => server.requests.find((r) => isNegotiation(r) && !isRelease(r) && r !== answered && r.at >= answered.at);

  if (selection === 'PRINS') {
    const params = await server.until(() => later()[0] ?? (session.closed ? 'closed' : null), options.observeMs);
    if (params === null) return { verdict: 'fail', observed: `no exchange-params within ${options.observeMs} ms` };
    if (params === 'closed') return { verdict: 'fail', observed: `the initiator closed the connection instead of exchanging parameters` };
    if (!params.path.startsWith(N32C_PATHS.exchangeParams)) return { verdict: 'fail', observed: `next request ${describeRequest(params)}, not exchange-params` };
    const findings = bodyFindings(validator, params, 'TS29573_N32_Handshake.yaml', 'SecParamExchReqData');
    return findings.length === 0 ? pass(`exchange-params on the same connection after ${params.at - answered.at} ms`) : { verdict: 'fail', observed: 'exchange-params on the same connection, not schema-valid', details: findings };
  }

  if (selection === 'TLS') {
    // Absence is the point: watch for the whole window.
    await server.until(() => later().length > 0 || renegotiation() !== undefined, options.observeMs);
    const next = later()[0];
    if (next) return { verdict: 'fail', observed: `then ${describeRequest(next)} (TLS needs no parameter exchange or new negotiation)` };
    const again = renegotiation();
    if (again) return { verdict: 'fail', observed: `negotiated again on connection #${again.session.id} although TLS was agreed` };
    if (session.closed) return pass(`closed the N32-c connection${session.goaway ? ' with GOAWAY' : ''} (TS 33.501 13.1.2: N32-f on its own connection)`);
    return pass(`kept the connection for ${options.observeMs} ms without a further N32-c request (TLS agreed)`);
  }

  // NONE, a mechanism not offered, an unknown string, a forged sender: terminate, send nothing more.
  await server.until(() => session.closed || later().length > 0, options.observeMs);
  const next = later()[0];
  if (next) {
    const what = isNegotiation(next) ? 're-sent exchange-capability on the same connection' : `sent ${describeRequest(next)}`;
    return { verdict: 'fail', observed: `${what} instead of terminating it` };
  }
  if (!session.closed) return { verdict: 'fail', observed: `kept the connection open for ${options.observeMs} ms (no GOAWAY, no close)` };
  const how = `${session.goaway ? `GOAWAY(code ${session.goaway.code}) and ` : ''}close by the initiator after ${session.closedAt! - answered.at} ms`;
  return session.goaway ? pass(how) : { verdict: 'warn', observed: how, details: ['closed without a GOAWAY first (RFC 9113 6.8)'] };
}
