import { randomBytes } from 'node:crypto';
import { N32C_PATHS, normalizeFqdn, plmnFqdnKey, plmnKeyFromFqdn, selectSecurityCapability, type PlmnIdValue } from '@sepp/protocol';
import type { CaseRecorder } from '../cases/recorder';
import { TargetUnreachable } from '../cases/recorder';
import { deviation, pass, skip, type CaseOutcome } from '../cases/types';
import { plmnKeysOf } from '../net/certificates';
import { describeEnd, WireFailure, type ProbeConnection, type WireAnswer } from '../net/probe-connection';
import { describeAnswer, type ResponderContext } from './responder-context';

/** A PLMN no probe identity serves: forged claims use it. */
export function foreignPlmn(own: readonly PlmnIdValue[]): PlmnIdValue {
  const candidates: PlmnIdValue[] = [{ mcc: '999', mnc: '99' }, { mcc: '998', mnc: '98' }];
  return candidates.find((c) => !own.some((o) => plmnFqdnKey(o) === plmnFqdnKey(c)))!;
}

export const foreignSeppFqdn = (plmn: PlmnIdValue): string => `sepp.5gc.mnc${plmn.mnc.padStart(3, '0')}.mcc${plmn.mcc}.3gppnetwork.org`;

/** A SecNegotiateReqData of the probe offering `offered` (in that priority order). */
export function negotiationRequest(ctx: ResponderContext, offered: readonly string[], patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sender: ctx.options.sender,
    supportedSecCapabilityList: [...offered],
    n32HandshakeId: randomBytes(8).toString('hex'),
    '3GppSbiTargetApiRootSupported': true,
    plmnIdList: ctx.options.plmns.map(({ mcc, mnc }) => ({ mcc, mnc })),
    supportedFeatures: '0',
    ...patch,
  };
}

/** What one negotiation returned, with its findings. */
export interface Negotiated {
  readonly answer: WireAnswer;
  readonly request: Record<string, unknown>;
  readonly selected: string | undefined;
  /** Schema violations and identity findings of a 200 answer. */
  readonly findings: string[];
}

export async function negotiate(ctx: ResponderContext, connection: ProbeConnection, offered: readonly string[], patch: Record<string, unknown> = {}): Promise<Negotiated> {
  const request = negotiationRequest(ctx, offered, patch);
  const answer = await ctx.post(connection, N32C_PATHS.exchangeCapability, request);
  const findings: string[] = [];
  let selected: string | undefined;
  if (answer.status === 200) {
    findings.push(...ctx.bodyFindings(answer, 'TS29573_N32_Handshake.yaml', 'SecNegotiateRspData'));
    const type = String(answer.headers['content-type'] ?? '');
    if (!/^application\/json\s*(;|$)/i.test(type)) findings.push(`content-type is ${type || 'absent'}, not application/json`);
    const value = (answer.json as { selectedSecCapability?: unknown } | undefined)?.selectedSecCapability;
    selected = typeof value === 'string' ? value : undefined;
  }
  return { answer, request, selected, findings };
}

/** The identity findings of a 200 answer: its sender and plmnIdList against the server certificate. */
export function answerIdentityFindings(connection: ProbeConnection, answer: WireAnswer): string[] {
  const body = answer.json as { sender?: unknown; plmnIdList?: unknown } | undefined;
  if (!body || typeof body.sender !== 'string') return ['the answer has no sender'];
  const names = connection.tlsInfo.serverNames;
  const findings: string[] = [];
  if (!names.includes(normalizeFqdn(body.sender))) findings.push(`sender ${body.sender} is not a SAN dNSName of the server certificate (${names.join(', ')})`);
  const proved = new Set(plmnKeysOf(names));
  if (Array.isArray(body.plmnIdList)) {
    (body.plmnIdList as PlmnIdValue[]).forEach((plmn, index) => {
      if (plmn && typeof plmn.mcc === 'string' && typeof plmn.mnc === 'string' && !proved.has(plmnFqdnKey(plmn))) {
        findings.push(`/plmnIdList/${index} ${plmn.mcc}-${plmn.mnc} is not a PLMN of the server certificate`);
      }
    });
  }
  return findings;
}

/** tls.profile: the first connection; an unreachable target ends the run (exit 3). */
export async function checkTlsProfile(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  let connection: ProbeConnection;
  try {
    connection = await ctx.connect();
  } catch (error) {
    const what = error instanceof WireFailure ? error.describe() : (error as Error).message;
    recorder.set('tls.profile', { verdict: 'fail', observed: `could not connect: ${what}` });
    throw new TargetUnreachable(`${ctx.options.target.host}:${ctx.options.target.port} (${ctx.options.target.servername}): ${what}`);
  }
  await recorder.run('tls.profile', (definition) => {
    const info = connection.tlsInfo;
    const observed = `${info.protocol ?? '?'} ${info.cipher}, ALPN ${String(info.alpn)}, server certificate ${info.serverNames.join(', ')}`;
    const findings: string[] = [];
    if (info.protocol !== 'TLSv1.2' && info.protocol !== 'TLSv1.3') findings.push(`TLS version ${info.protocol ?? '?'}`);
    if (info.alpn !== 'h2') findings.push(`ALPN ${String(info.alpn)}, not h2`);
    if (!info.serverNames.includes(normalizeFqdn(ctx.options.target.servername))) findings.push(`the certificate does not name ${ctx.options.target.servername}`);
    return findings.length === 0 ? pass(observed) : deviation(definition.level, observed, findings);
  });
  connection.close();
}

/** The neg.* cases and id.answer-sender. */
export async function checkNegotiation(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  const identityFindings: string[] = [];
  const handshakeIds: string[] = [];
  let answers = 0;
  const offers: [string, readonly string[], readonly string[]][] = [
    ['neg.offer-tls', ['TLS'], ['TLS']],
    ['neg.offer-prins', ['PRINS'], ['PRINS']],
    ['neg.order-prins-tls', ['PRINS', 'TLS'], ['PRINS', 'TLS']],
    ['neg.order-tls-prins', ['TLS', 'PRINS'], ['TLS', 'PRINS']],
    ['neg.unknown-ignored', ['ALS', 'X-UNKNOWN', 'TLS'], ['TLS']],
  ];
  for (const [id, offered, effective] of offers) {
    await recorder.run(id, async (definition) => {
      const expected = selectSecurityCapability(effective, ctx.options.partnerCapabilities, ctx.options.policy).selected;
      const connection = await ctx.connect();
      try {
        const result = await negotiate(ctx, connection, offered);
        if (result.answer.status !== 200) {
          return deviation(definition.level, `${describeAnswer(result.answer)} (expected 200 selecting ${expected} under policy ${ctx.options.policy})`);
        }
        answers += 1;
        identityFindings.push(...answerIdentityFindings(connection, result.answer));
        const echoed = (result.answer.json as { n32HandshakeId?: unknown }).n32HandshakeId;
        if (echoed !== result.request['n32HandshakeId']) handshakeIds.push(`${id}: sent ${String(result.request['n32HandshakeId'])}, answered ${String(echoed)}`);
        const observed = `offered ${JSON.stringify(offered)}: ${describeAnswer(result.answer)}; expected ${expected} (policy ${ctx.options.policy}, partner supports ${ctx.options.partnerCapabilities.join(', ')})`;
        const findings = [...result.findings];
        if (result.selected !== expected) findings.unshift(`selected ${String(result.selected)}, the policy gives ${expected}`);
        return findings.length === 0 ? pass(observed) : deviation(definition.level, observed, findings);
      } finally {
        connection.close();
      }
    });
  }
  recorder.set(
    'id.answer-sender',
    answers === 0
      ? skip('no 200 answer to look at')
      : identityFindings.length === 0
        ? pass(`${answers} answer(s): sender and plmnIdList proved by the server certificate`)
        : deviation('shall', `${identityFindings.length} finding(s) in ${answers} answer(s)`, identityFindings),
  );
  recorder.set(
    'neg.handshake-id',
    answers === 0 ? skip('no 200 answer to look at') : handshakeIds.length === 0 ? pass(`echoed in all ${answers} answers`) : deviation('should', 'n32HandshakeId not echoed', handshakeIds),
  );
}

/** A refusal expected: 403 problem+json is a pass, another 4xx problem a warning, 2xx a failure. */
async function expectRefusal(ctx: ResponderContext, level: 'shall' | 'should', patch: Record<string, unknown>, what: string): Promise<CaseOutcome> {
  const connection = await ctx.connect();
  try {
    const result = await negotiate(ctx, connection, ['TLS'], patch);
    const observed = `${what}: ${describeAnswer(result.answer)}`;
    if (result.answer.status >= 200 && result.answer.status < 300) return deviation(level, `${observed}: accepted`, result.findings);
    const findings = ctx.problemFindings(result.answer);
    if (result.answer.status === 403 && findings.length === 0) return pass(observed);
    if (result.answer.status >= 400 && result.answer.status < 500) return deviation('should', observed, [`refused with ${result.answer.status}, TS 29.500 / DECISIONS: 403`, ...findings]);
    return deviation(level, observed, findings);
  } finally {
    connection.close();
  }
}

/** The id.* refusals. */
export async function checkIdentity(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  const other = ctx.options.otherPartner;
  const otherKey = other ? plmnKeyFromFqdn(other) : null;
  const foreign = otherKey ? { mcc: otherKey.split('-')[0]!, mnc: otherKey.split('-')[1]! } : foreignPlmn(ctx.options.plmns);
  const forged = other ?? foreignSeppFqdn(foreign);
  await recorder.run('id.forged-sender', (d) => expectRefusal(ctx, d.level, { sender: forged, plmnIdList: [foreign] }, `sender ${forged}`));
  await recorder.run('id.forged-plmn', (d) =>
    expectRefusal(ctx, d.level, { plmnIdList: [...ctx.options.plmns.map(({ mcc, mnc }) => ({ mcc, mnc })), foreign] }, `plmnIdList + ${foreign.mcc}-${foreign.mnc}`),
  );
  const notServed = { mcc: foreign.mcc, mnc: foreign.mnc === '99' ? '97' : '99' };
  await recorder.run('id.target-plmn-not-served', (d) => expectRefusal(ctx, d.level, { targetPlmnId: notServed }, `targetPlmnId ${notServed.mcc}-${notServed.mnc}`));
}

/** The partner must close: GOAWAY + close pass, a close without GOAWAY warns, an open connection fails. */
function closeOutcome(level: 'shall' | 'should', connection: ProbeConnection, end: Awaited<ReturnType<ProbeConnection['waitClosed']>>): CaseOutcome {
  const observed = describeEnd(end);
  if (end.closed && end.goaway) return pass(observed);
  if (end.closed) return deviation('should', observed, ['closed without a GOAWAY first (RFC 9113 6.8)']);
  connection.close();
  return deviation(level, observed, ['the connection was kept after NONE']);
}

/** release.*: NONE for no common mechanism, and a release with ["NONE"]; each connection must then close. */
export async function checkRelease(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  const noCommon = await ctx.connect();
  let answeredNone = false;
  await recorder.run('release.no-common', async (definition) => {
    const result = await negotiate(ctx, noCommon, ['ALS']);
    answeredNone = result.answer.status === 200 && result.selected === 'NONE';
    const observed = `offered ["ALS"]: ${describeAnswer(result.answer)}`;
    if (result.answer.status === 200) return result.selected === 'NONE' && result.findings.length === 0 ? pass(observed) : deviation(definition.level, observed, result.findings);
    if (result.answer.status >= 400 && result.answer.status < 500) return deviation('should', observed, ['refused with a 4xx instead of answering NONE (tolerated: peers treat it as no agreement)', ...ctx.problemFindings(result.answer)]);
    return deviation(definition.level, observed);
  });
  if (answeredNone) {
    await recorder.run('release.close-after-no-common', async (definition) => closeOutcome(definition.level, noCommon, await noCommon.waitClosed(ctx.options.closeWaitMs)));
  } else {
    recorder.set('release.close-after-no-common', skip('the partner did not answer NONE'));
  }
  noCommon.close();

  // A release after an agreement, on the connection of the agreement (as a SEPP shutting down).
  let connection = await ctx.connect();
  const agreed = await negotiate(ctx, connection, ['TLS', 'PRINS']);
  const agreement = `first ${describeAnswer(agreed.answer)}`;
  if (!connection.open) connection = await ctx.connect();
  let releasedWithNone = false;
  await recorder.run('release.none', async (definition) => {
    const result = await negotiate(ctx, connection, ['NONE']);
    releasedWithNone = result.answer.status === 200 && result.selected === 'NONE';
    const observed = `${agreement}; then offered ["NONE"]: ${describeAnswer(result.answer)}`;
    return result.answer.status === 200 && result.selected === 'NONE' && result.findings.length === 0 ? pass(observed) : deviation(definition.level, observed, result.findings);
  });
  if (releasedWithNone) {
    await recorder.run('release.close-after-none', async (definition) => closeOutcome(definition.level, connection, await connection.waitClosed(ctx.options.closeWaitMs)));
  } else {
    recorder.set('release.close-after-none', skip('the partner did not answer the release with NONE'));
  }
  connection.close();
}
