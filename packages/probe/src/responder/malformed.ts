import { N32C_PATHS } from '@sepp/protocol';
import type { CaseRecorder } from '../cases/recorder';
import { deviation, pass, type CaseOutcome, type RequirementLevel } from '../cases/types';
import type { ProbeConnection, WireAnswer } from '../net/probe-connection';
import { MALFORMED_REQUESTS, type MalformedRequest } from './malformed-table';
import { describeAnswer, type ResponderContext } from './responder-context';

/** Whether `invalidParams` names the member at fault (or its parent, or a member inside it). */
function namesParam(answer: WireAnswer, pointer: string): boolean {
  const params = (answer.json as { invalidParams?: { param?: unknown }[] } | undefined)?.invalidParams;
  if (!Array.isArray(params)) return false;
  return params.some(({ param }) => typeof param === 'string' && param.length > 1 && (pointer === param || pointer.startsWith(`${param}/`) || param.startsWith(`${pointer}/`)));
}

/** The verdict on one answer to a malformed request. */
export function judgeMalformed(ctx: ResponderContext, bad: MalformedRequest, level: RequirementLevel, answer: WireAnswer): CaseOutcome {
  const observed = describeAnswer(answer);
  if (answer.status < 400 || answer.status >= 500) return deviation(level, observed, [`expected ${bad.statuses.join(' or ')}; bad input must get a 4xx (TS 29.500 5.2.7.2)`]);
  const findings = ctx.problemFindings(answer);
  if (!bad.statuses.includes(answer.status)) findings.unshift(`status ${answer.status}, TS 29.500 calls for ${bad.statuses.join(' or ')}`);
  if (bad.allow && answer.status === 405) {
    const allow = String(answer.headers['allow'] ?? '');
    const listed = allow.split(',').map((m) => m.trim().toUpperCase());
    if (!allow) findings.push('405 without an Allow header (RFC 9110 15.5.6)');
    else if (!bad.allow.every((m) => listed.includes(m))) findings.push(`Allow: ${allow} does not list ${bad.allow.join(', ')}`);
  }
  if (findings.length > 0) return deviation(level, observed, findings);
  if (bad.param && !namesParam(answer, bad.param)) return deviation('should', observed, [`invalidParams does not name ${bad.param} (TS 29.500 5.2.7.2: invalidParams for a malformed IE)`]);
  return pass(observed);
}

/**
 * The malformed table, sent with the probe's genuine identity, one request at a time, on one
 * connection for as long as the partner keeps it (a new one when it closes or sends GOAWAY).
 */
export async function checkMalformed(ctx: ResponderContext, recorder: CaseRecorder): Promise<void> {
  let connection: ProbeConnection | null = null;
  const inputs = { sender: ctx.options.sender, plmns: ctx.options.plmns };
  for (const bad of MALFORMED_REQUESTS) {
    await recorder.run(bad.id, async (definition) => {
      if (!connection?.open) {
        connection?.close();
        connection = await ctx.connect();
      }
      const headers = { 'user-agent': `SEPP-${ctx.options.sender}`, ...(bad.headers ?? { 'content-type': 'application/json' }) };
      const answer = await connection.request(bad.method ?? 'POST', bad.path ?? N32C_PATHS.exchangeCapability, bad.body?.(inputs), headers, ctx.options.timeoutMs);
      return judgeMalformed(ctx, bad, definition.level, answer);
    });
  }
  (connection as ProbeConnection | null)?.close();
}
