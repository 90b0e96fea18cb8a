import { randomBytes } from 'node:crypto';
import {
  apiOfPath,
  type BorderCategory,
  type BorderDirection,
  type BorderFinding,
  type BorderMode,
  type BorderNeeds,
  type BorderOutcome,
  type BorderPolicy,
  type BorderRequest,
  type BorderResponse,
  type HeaderAccess,
  type MessageKind,
} from '@sepp/protocol';
import type { SeppLogger } from '../logging/logger';
import { ProblemException } from '../problem/problem.exception';
import type { BorderCheck, BorderCheckMessage } from './border-checks';
import { slot } from './border-counts';

/** Which SEPP we are toward this peer for this message flow: requests leave a cSEPP and enter a pSEPP. */
export type SeppSide = 'cSEPP' | 'pSEPP';

export interface BorderCheckResult {
  /** The message is refused with this problem (logged and counted already); null: it may pass. */
  readonly refusal: ProblemException | null;
  /** The body after topology hiding, when it changed (headers were changed in place). */
  readonly body: Buffer | undefined;
  /** Inbound requests addressed to a hidden name: the real target apiRoot. */
  readonly target: string | undefined;
}

const PASS: BorderCheckResult = { refusal: null, body: undefined, target: undefined };
const NO_CHECKS: readonly BorderCheck[] = [];

/**
 * The border of one peer for one SEPP side: the compiled rules, the checks of other teams, and
 * what every evaluation leaves behind (one log line per finding, one counter per category).
 */
export class BorderGate {
  private readonly requestDirection: BorderDirection;
  private readonly responseDirection: BorderDirection;

  constructor(
    readonly peer: string,
    readonly side: SeppSide,
    private readonly policy: BorderPolicy,
    private readonly extensions: { readonly mode: BorderMode; readonly checks: readonly BorderCheck[] },
    /** This peer's `sepp_border_checks_total` slots (border-counts.ts). */
    private readonly counts: Float64Array,
    private readonly logger: SeppLogger,
  ) {
    this.requestDirection = side === 'cSEPP' ? 'outbound' : 'inbound';
    this.responseDirection = side === 'cSEPP' ? 'inbound' : 'outbound';
  }

  /** What a request must have read before {@link checkRequest}: `body` means read it whole. */
  requestNeeds(method: string, path: string): BorderNeeds {
    return widen(this.policy.requestNeeds(this.requestDirection, method, path), this.extensionNeeds('request', this.requestDirection, path));
  }

  /** What an answer must have read before {@link checkResponse}. */
  responseNeeds(method: string, path: string): BorderNeeds {
    return widen(this.policy.responseNeeds(this.responseDirection, method, path), this.extensionNeeds('response', this.responseDirection, path));
  }

  /**
   * Whether an answer whose body is not read needs looking at: only if it carries a header a place
   * names, or an extension wants answers (the streaming path skips the others at no cost).
   */
  answerHeadersMatter(method: string, path: string, headers: Readonly<Record<string, unknown>>): boolean {
    if (this.extensions.checks.length > 0) return true;
    for (const name of this.policy.responseHeaders(method, path)) if (headers[name] !== undefined) return true;
    return false;
  }

  checkRequest(request: BorderRequest, messageId?: string): BorderCheckResult {
    const verdict = this.policy.evaluateRequest(this.requestDirection, request);
    const extension = verdict.refusal ? null : this.runExtensions('request', this.requestDirection, request, undefined);
    return this.conclude('request', this.requestDirection, request.method, request.path, verdict, extension, messageId);
  }

  checkResponse(response: BorderResponse, messageId?: string): BorderCheckResult {
    const verdict = this.policy.evaluateResponse(this.responseDirection, response);
    const extension = verdict.refusal ? null : this.runExtensions('response', this.responseDirection, { ...response, query: undefined }, response.status);
    return this.conclude('response', this.responseDirection, response.method, response.path, verdict, extension, messageId);
  }

  private conclude(
    kind: MessageKind,
    direction: BorderDirection,
    method: string,
    path: string,
    verdict: ReturnType<BorderPolicy['evaluateRequest']>,
    extension: { finding: BorderFinding | null; outcome: BorderOutcome } | null,
    messageId: string | undefined,
  ): BorderCheckResult {
    const findings = extension?.finding ? [...verdict.findings, extension.finding] : verdict.findings;
    for (const category in verdict.outcomes) this.count(category as BorderCategory, direction, verdict.outcomes[category as BorderCategory]!);
    if (extension) this.count('extension', direction, extension.outcome);
    const refusal = verdict.refusal ?? (extension?.finding && !extension.finding.dryRun ? extension.finding : null);
    if (findings.length === 0) {
      if (verdict.rewrites === 0 && verdict.target === undefined && verdict.body === undefined) return PASS;
      return { refusal: null, body: verdict.body, target: verdict.target };
    }
    const id = messageId ?? randomBytes(8).toString('hex');
    const api = apiOfPath(path);
    for (const finding of findings) {
      this.logger.warn(
        { peer: this.peer, side: this.side, category: finding.category, rule: finding.rule, messageId: id, direction, kind, method, api, status: finding.status, cause: finding.cause, detail: finding.detail, dryRun: finding.dryRun },
        finding.dryRun ? 'border rule broken (dry-run, not refused)' : 'border refusal',
      );
    }
    if (!refusal) return { refusal: null, body: verdict.body, target: verdict.target };
    return {
      refusal: new ProblemException({
        status: refusal.status,
        cause: refusal.cause,
        detail: refusal.detail,
        ...(refusal.invalidParams && refusal.invalidParams.length > 0 ? { invalidParams: refusal.invalidParams.map((param) => ({ ...param })) } : {}),
      }),
      body: undefined,
      target: undefined,
    };
  }

  private applicable(kind: MessageKind, direction: BorderDirection, api: string): readonly BorderCheck[] {
    if (this.extensions.mode === 'off' || this.extensions.checks.length === 0) return NO_CHECKS;
    return this.extensions.checks.filter(
      (check) => (check.kinds ?? ['request']).includes(kind) && (check.directions ?? ['outbound', 'inbound']).includes(direction) && (!check.apis || check.apis.includes(api)),
    );
  }

  private extensionNeeds(kind: MessageKind, direction: BorderDirection, path: string): BorderNeeds {
    if (this.extensions.checks.length === 0) return 'nothing';
    const checks = this.applicable(kind, direction, apiOfPath(path));
    return checks.some((check) => check.needsBody) ? 'body' : checks.length > 0 ? 'headers' : 'nothing';
  }

  private runExtensions(
    kind: MessageKind,
    direction: BorderDirection,
    message: { method: string; path: string; query: string | undefined; headers: HeaderAccess; body: Buffer | undefined; contentType: string | undefined },
    status: number | undefined,
  ): { finding: BorderFinding | null; outcome: BorderOutcome } | null {
    if (this.extensions.checks.length === 0) return null;
    const api = apiOfPath(message.path);
    const checks = this.applicable(kind, direction, api);
    if (checks.length === 0) return null;
    let parsed: { value: unknown } | null = null;
    const view: BorderCheckMessage = {
      peer: this.peer,
      direction,
      kind,
      api,
      method: message.method,
      path: message.path,
      query: message.query,
      status,
      header: (name) => message.headers.get(name.toLowerCase()),
      body: message.body,
      json: () => {
        if (!parsed) {
          try {
            parsed = { value: message.body && message.body.length > 0 ? JSON.parse(message.body.toString('utf8')) : undefined };
          } catch {
            parsed = { value: undefined };
          }
        }
        return parsed.value;
      },
    };
    const dryRun = this.extensions.mode !== 'enforce';
    for (const check of checks) {
      let refusal;
      try {
        refusal = check.check(view);
      } catch (error) {
        // A check that fails closes the border for the message rather than letting it through unchecked.
        this.logger.error({ err: error, peer: this.peer, check: check.name }, 'border check failed');
        refusal = { status: 500, cause: 'SYSTEM_FAILURE', detail: `the border check ${check.name} failed` };
      }
      if (refusal) {
        return { finding: { category: 'extension', rule: check.name, dryRun, status: refusal.status, cause: refusal.cause, detail: refusal.detail, ...(refusal.invalidParams ? { invalidParams: refusal.invalidParams } : {}) }, outcome: dryRun ? 'dry-run' : 'refused' };
      }
    }
    return { finding: null, outcome: 'passed' };
  }

  private count(category: BorderCategory, direction: BorderDirection, outcome: BorderOutcome): void {
    this.counts[slot(category, direction, outcome)]! += 1;
  }
}

function widen(a: BorderNeeds, b: BorderNeeds): BorderNeeds {
  return a === 'body' || b === 'body' ? 'body' : a === 'headers' || b === 'headers' ? 'headers' : 'nothing';
}

type HeaderRecord = Record<string, string | string[] | number | undefined>;

/** {@link HeaderAccess} over an HTTP/2 header object (`IncomingHttpHeaders` / `OutgoingHttpHeaders`). */
export function headerRecordAccess(record: HeaderRecord): HeaderAccess {
  return {
    get: (name) => {
      const value = record[name];
      return value === undefined ? undefined : Array.isArray(value) ? value[0] : String(value);
    },
    set: (name, value) => {
      record[name] = value;
    },
  };
}

/** {@link HeaderAccess} over a PRINS header list (changes the list in place; the first field of a name). */
export function headerListAccess(fields: (readonly [string, string])[]): HeaderAccess {
  return {
    get: (name) => fields.find(([field]) => field === name)?.[1],
    set: (name, value) => {
      const index = fields.findIndex(([field]) => field === name);
      if (index >= 0) fields[index] = [name, value];
      else fields.push([name, value]);
    },
  };
}
