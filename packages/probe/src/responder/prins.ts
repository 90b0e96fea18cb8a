import { randomBytes } from 'node:crypto';
import {
  base64urlDecode,
  base64urlEncode,
  defaultProtectionPolicy,
  isJweEnc,
  MASTER_KEY_LENGTH,
  N32C_PATHS,
  N32F_PROCESS_PATH,
  N32fContext,
  newN32fContextId,
  normalizeFqdn,
  parseReformattedResponse,
  policyMismatches,
  PrinsError,
  readMessageHeader,
  TLS_EXPORTER_LABEL,
  toProtectionPolicyData,
  type HttpRequestMessage,
  type N32fReformattedReqMsgData,
  type ProtectionPolicyData,
} from '@sepp/protocol';
import { casesFor } from '../cases/catalogue';
import type { CaseRecorder } from '../cases/recorder';
import { deviation, pass, skip, type CaseOutcome, type RequirementLevel } from '../cases/types';
import type { ProbeConnection, WireAnswer } from '../net/probe-connection';
import { negotiate } from './negotiation';
import { describeAnswer, type ResponderContext } from './responder-context';

const JWE_SUITES = ['A128GCM', 'A256GCM'];
const PRINS_CASES = casesFor('responder')
  .filter((c) => c.group === 'prins')
  .map((c) => c.id);

/** Flips one bit of what a base64url string encodes. */
export function flipBit(b64url: string, byte = 0): string {
  const bytes = base64urlDecode(b64url);
  const at = byte < 0 ? bytes.length + byte : byte;
  bytes[at] = bytes[at]! ^ 0x01;
  return base64urlEncode(bytes);
}

/** The integrity-protected block of a message, changed by `edit`. */
function editAad(body: N32fReformattedReqMsgData, edit: (aad: Record<string, Record<string, unknown>>) => void): N32fReformattedReqMsgData {
  const aad = JSON.parse(base64urlDecode(body.reformattedData.aad!).toString('utf8')) as Record<string, Record<string, unknown>>;
  edit(aad);
  return { ...body, reformattedData: { ...body.reformattedData, aad: base64urlEncode(JSON.stringify(aad)) } };
}

/** The tamper variants: how each changes a freshly protected message, and the N32fErrorTypes that fit. */
const TAMPERS: readonly [string, (body: N32fReformattedReqMsgData) => N32fReformattedReqMsgData, readonly string[]][] = [
  ['prins.tamper-ciphertext', (b) => ({ ...b, reformattedData: { ...b.reformattedData, ciphertext: flipBit(b.reformattedData.ciphertext) } }), ['INTEGRITY_CHECK_FAILED']],
  ['prins.tamper-tag', (b) => ({ ...b, reformattedData: { ...b.reformattedData, tag: flipBit(b.reformattedData.tag!, -1) } }), ['INTEGRITY_CHECK_FAILED']],
  ['prins.tamper-aad', (b) => editAad(b, (aad) => (aad['requestLine']!['path'] = `${String(aad['requestLine']!['path'])}-tampered`)), ['INTEGRITY_CHECK_FAILED']],
  [
    'prins.tamper-iv',
    (b) => {
      const iv = base64urlDecode(b.reformattedData.iv!);
      randomBytes(8).copy(iv, 0);
      return { ...b, reformattedData: { ...b.reformattedData, iv: base64urlEncode(iv) } };
    },
    ['INTEGRITY_CHECK_FAILED'],
  ],
  ['prins.tamper-header', (b) => ({ ...b, reformattedData: { ...b.reformattedData, protected: base64urlEncode('{"alg":"A128KW","enc":"A128GCM"}') } }), ['DECIPHERING_FAILED', 'INTEGRITY_CHECK_FAILED']],
  ['prins.unknown-context', (b) => editAad(b, (aad) => (aad['metaData']!['n32fContextId'] = newN32fContextId())), ['CONTEXT_NOT_FOUND']],
  [
    'prins.modifications-without-ipx',
    (b) => ({ ...b, modificationsBlock: [{ protected: base64urlEncode('{"alg":"ES256"}'), payload: base64urlEncode('{"identity":"ipx.example.org","operations":[],"tag":"x"}'), signature: base64urlEncode(randomBytes(64)) }] }),
    ['INTEGRITY_CHECK_ON_MODIFICATIONS_FAILED'],
  ],
];

/** A refused protected message: 403 ProblemDetailsMsgForwarding with one of `causes`. */
function judgeRefusal(ctx: ResponderContext, level: RequirementLevel, answer: WireAnswer, causes: readonly string[]): CaseOutcome {
  const observed = describeAnswer(answer);
  if (answer.status >= 200 && answer.status < 300) return deviation(level, observed, ['the tampered message was accepted']);
  const findings = ctx.problemFindings(answer, 'TS29573_JOSEProtectedMessageForwarding.yaml', 'ProblemDetailsMsgForwarding');
  if (answer.status !== 403) return deviation(level, observed, [`status ${answer.status}, expected 403 (TS 29.573 6.2.4.3.1)`, ...findings]);
  if (findings.length > 0) return deviation(level, observed, findings);
  const cause = (answer.json as { cause?: unknown }).cause;
  if (!causes.includes(String(cause))) return deviation('should', observed, [`cause ${String(cause)}, expected ${causes.join(' or ')}`]);
  return pass(observed);
}

/** The probe's NF request for the round trip: a discovery query to the partner's NRF (its answer may be a refusal). */
function roundTripRequest(apiRoot: string): HttpRequestMessage {
  const url = new URL(apiRoot);
  return {
    method: 'GET',
    scheme: url.protocol.replace(':', ''),
    authority: url.host,
    path: `${url.pathname.replace(/\/$/, '')}/nnrf-disc/v1/nf-instances`,
    query: 'target-nf-type=NRF&requester-nf-type=SEPP',
    headers: [['accept', 'application/json']],
  };
}

/**
 * prins.*: PRINS selected on an N32-c connection, the parameter exchange on it, the TLS exporter
 * master key of that session and N32-KDF (the initiator's context ID), one protected round trip
 * on an N32-f connection, every tamper variant, then n32f-terminate.
 */
export async function checkPrins(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  const n32c = await ctx.connect();
  let n32f: ProbeConnection | null = null;
  try {
    let selected: string | undefined;
    await recorder.run('prins.select', async (d) => {
      const result = await negotiate(ctx, n32c, ['PRINS']);
      selected = result.selected;
      const observed = `offered ["PRINS"]: ${describeAnswer(result.answer)}`;
      if (selected === 'PRINS' && result.findings.length === 0) return pass(observed);
      if (selected === 'NONE' && !ctx.options.partnerCapabilities.includes('PRINS')) return skip(`${observed} (the partner does not support PRINS, as declared)`);
      return deviation(d.level, observed, result.findings);
    });
    if (selected !== 'PRINS') {
      recorder.skipPending(PRINS_CASES, 'PRINS was not selected');
      return;
    }

    const localContextId = newN32fContextId();
    let remoteContextId = '';
    let enc = '';
    const suites = await recorder.run('prins.params-suites', async (d) => {
      const answer = await ctx.post(n32c, N32C_PATHS.exchangeParams, { n32fContextId: localContextId, jweCipherSuiteList: JWE_SUITES, jwsCipherSuiteList: ['ES256'], sender: ctx.options.sender });
      const observed = `${describeAnswer(answer)}`;
      if (answer.status !== 200) return deviation(d.level, observed, ctx.problemFindings(answer));
      const body = answer.json as { n32fContextId?: unknown; selectedJweCipherSuite?: unknown; selectedJwsCipherSuite?: unknown; sender?: unknown };
      const findings = ctx.bodyFindings(answer, 'TS29573_N32_Handshake.yaml', 'SecParamExchRspData');
      remoteContextId = typeof body.n32fContextId === 'string' ? body.n32fContextId.toLowerCase() : '';
      enc = typeof body.selectedJweCipherSuite === 'string' ? body.selectedJweCipherSuite : '';
      if (remoteContextId === localContextId) findings.push('the responder answered the probe\'s own n32fContextId (TS 33.501 13.2.2.4.1: each side allocates its own)');
      if (!JWE_SUITES.includes(enc)) findings.push(`selectedJweCipherSuite ${enc || '(absent)'} was not offered`);
      if (body.selectedJwsCipherSuite !== 'ES256') findings.push(`selectedJwsCipherSuite ${String(body.selectedJwsCipherSuite)}, N32 allows only ES256 (TS 33.501 13.2.4.9)`);
      if (typeof body.sender === 'string' && !n32c.tlsInfo.serverNames.includes(normalizeFqdn(body.sender))) findings.push(`sender ${body.sender} is not a SAN of the server certificate`);
      const summary = `${observed}; n32fContextId ${remoteContextId}, JWE ${enc}, JWS ${String(body.selectedJwsCipherSuite)}`;
      return findings.length === 0 ? pass(summary) : deviation(d.level, summary, findings);
    });
    if (suites.verdict === 'fail' || !isJweEnc(enc) || !/^[0-9a-f]{16}$/.test(remoteContextId)) {
      recorder.skipPending(PRINS_CASES, 'the cipher suite exchange failed');
      return;
    }

    const ours = toProtectionPolicyData(defaultProtectionPolicy());
    await recorder.run('prins.params-policy', async (d) => {
      const answer = await ctx.post(n32c, N32C_PATHS.exchangeParams, { n32fContextId: localContextId, protectionPolicyInfo: ours, sender: ctx.options.sender });
      const observed = describeAnswer(answer);
      if (answer.status !== 200) return deviation(d.level, observed, ['the partner refused the default protection policy (operators must agree on policies before PRINS)', ...ctx.problemFindings(answer)]);
      const findings = ctx.bodyFindings(answer, 'TS29573_N32_Handshake.yaml', 'SecParamExchRspData');
      const theirs = (answer.json as { selProtectionPolicyInfo?: ProtectionPolicyData }).selProtectionPolicyInfo;
      if (!theirs) findings.push('no selProtectionPolicyInfo in the answer');
      else findings.push(...policyMismatches(ours, theirs).map((m) => `${m.param}: ${m.reason ?? 'differs'}`));
      return findings.length === 0 ? pass(`${observed}; selProtectionPolicyInfo equals the probe's`) : deviation(d.level, observed, findings);
    });

    const master = n32c.socket.exportKeyingMaterial(MASTER_KEY_LENGTH, TLS_EXPORTER_LABEL, Buffer.alloc(0));
    const context = new N32fContext({ role: 'initiator', peer: ctx.options.target.servername, localContextId, remoteContextId, master, enc, policy: defaultProtectionPolicy() });
    n32f = await ctx.connect();
    const n32fConnection = n32f;
    const send = (body: unknown): Promise<WireAnswer> => ctx.post(n32fConnection, N32F_PROCESS_PATH, body);
    const message = roundTripRequest(ctx.options.nfApiRoot);

    const first = context.protectRequest(message);
    const answer = await send(first.body);
    const tlsVersion = n32c.tlsInfo.protocol ?? '?';
    let keysOutcome: CaseOutcome;
    let tripOutcome: CaseOutcome;
    if (answer.status !== 200) {
      const cause = String((answer.json as { cause?: unknown } | undefined)?.cause);
      keysOutcome = cause === 'INTEGRITY_CHECK_FAILED' ? deviation('shall', `the responder could not verify the request: ${describeAnswer(answer)}`, ['keys differ: check EXPORTER_3GPP_N32_MASTER (empty context, 64 bytes) and N32-KDF over the initiator\'s context ID']) : skip(`no protected answer: ${describeAnswer(answer)}`);
      tripOutcome = deviation('shall', describeAnswer(answer), ctx.problemFindings(answer, 'TS29573_JOSEProtectedMessageForwarding.yaml', 'ProblemDetailsMsgForwarding'));
    } else {
      const findings = ctx.bodyFindings(answer, 'TS29573_JOSEProtectedMessageForwarding.yaml', 'N32fReformattedRspMsg');
      try {
        const body = parseReformattedResponse(answer.json);
        const opened = context.openResponse(body, readMessageHeader(body), first.messageId);
        keysOutcome = pass(`${tlsVersion}: the request verified at the responder and its answer verified with the probe's keys (JWE ${enc})`);
        const inner = `protected answer for messageId ${opened.messageId}: NF status ${opened.message.status}`;
        tripOutcome = findings.length === 0 ? pass(inner) : deviation('shall', inner, findings);
      } catch (error) {
        const type = error instanceof PrinsError ? error.type : 'ERROR';
        keysOutcome = type === 'INTEGRITY_CHECK_FAILED' ? deviation('shall', `the answer does not verify with the probe's keys: ${(error as Error).message}`) : pass(`${tlsVersion}: the responder verified the request`);
        tripOutcome = deviation('shall', `the protected answer cannot be opened: ${type}: ${(error as Error).message}`, findings);
      }
    }
    recorder.set('prins.exporter-keys', keysOutcome);
    recorder.set('prins.round-trip', tripOutcome);

    for (const [id, tamper, causes] of TAMPERS) {
      await recorder.run(id, async (d) => {
        const fresh = context.protectRequest(message);
        context.abandon(fresh.messageId);
        return judgeRefusal(ctx, d.level, await send(tamper(fresh.body)), causes);
      });
    }
    await recorder.run('prins.replay', async (d) => judgeRefusal(ctx, d.level, await send(first.body), ['INTEGRITY_CHECK_FAILED']));

    await recorder.run('prins.terminate', async (d) => {
      const control = n32c.open ? n32c : await ctx.connect();
      const terminated = await ctx.post(control, N32C_PATHS.n32fTerminate, { n32fContextId: remoteContextId });
      const observed = `n32f-terminate: ${describeAnswer(terminated)}`;
      if (terminated.status !== 200) return deviation(d.level, observed, ctx.problemFindings(terminated));
      const findings = ctx.bodyFindings(terminated, 'TS29573_N32_Handshake.yaml', 'N32fContextInfo');
      const after = context.protectRequest(message);
      const refusal = judgeRefusal(ctx, d.level, await send(after.body), ['CONTEXT_NOT_FOUND']);
      const both = `${observed}; then a message on it: ${refusal.observed}`;
      if (refusal.verdict !== 'pass') return { ...refusal, observed: both, details: [...findings, ...(refusal.details ?? [])] };
      return findings.length === 0 ? pass(both) : deviation(d.level, both, findings);
    });
  } finally {
    n32f?.close();
    n32c.close();
  }
}
