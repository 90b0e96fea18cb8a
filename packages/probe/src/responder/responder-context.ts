import type { OutgoingHttpHeaders } from 'node:http2';
import type { ConnectionOptions } from 'node:tls';
import { findDuplicateMember, type IntermediaryPolicy, type N32Mechanism, type PlmnIdValue } from '@sepp/protocol';
import type { OpenApiValidator, VendoredFile } from '../schema/openapi-validator';
import { ProbeConnection, type N32Target, type WireAnswer } from '../net/probe-connection';

/** Everything the responder role needs (from the command line). */
export interface ResponderProbeOptions {
  readonly target: N32Target;
  /** The probe's own certificate (chain) and key: a roaming partner the target knows. */
  readonly certPem: string;
  readonly keyPem: string;
  /** Roots that verify the target's certificate. */
  readonly caPem: readonly string[];
  /** CA that issued the probe's certificate and may sign more ("valid-CA" faults); absent: those cases skip. */
  readonly signingCa?: { readonly certPem: string; readonly keyPem: string };
  /** The probe's N32 identity: `sender`, and the PLMNs it claims. */
  readonly sender: string;
  readonly plmns: readonly PlmnIdValue[];
  /**
   * Another roaming partner of the target (its FQDN): the forged-sender case claims to be it, so
   * that only the certificate binding can refuse it. Absent: a SEPP of a PLMN nobody serves.
   */
  readonly otherPartner?: string;
  /** The selection policy the partner applies to the probe's SEPP (what the operators agreed). */
  readonly policy: IntermediaryPolicy;
  /** The mechanisms the partner says it supports. */
  readonly partnerCapabilities: readonly N32Mechanism[];
  /** apiRoot of an NF of the partner for the protected round trip (its answer may be a refusal). */
  readonly nfApiRoot: string;
  /** Bound of every request and connection. */
  readonly timeoutMs: number;
  /** How long to wait for the partner to close a connection it must terminate. */
  readonly closeWaitMs: number;
}

/** Shared by the responder checks: options, the schema validator, connections and body checks. */
export class ResponderContext {
  private readonly open = new Set<ProbeConnection>();

  constructor(
    readonly options: ResponderProbeOptions,
    readonly validator: OpenApiValidator,
  ) {}

  /** TLS options with the probe's own certificate (override any of them for a fault). */
  tls(overrides: ConnectionOptions = {}): ConnectionOptions {
    return { cert: this.options.certPem, key: this.options.keyPem, ca: [...this.options.caPem], ...overrides };
  }

  /** A new connection (closed by `closeAll` at the end of the run). */
  async connect(tls: ConnectionOptions = this.tls()): Promise<ProbeConnection> {
    const connection = await ProbeConnection.open(this.options.target, tls, this.options.timeoutMs);
    this.open.add(connection);
    return connection;
  }

  post(connection: ProbeConnection, path: string, body: unknown, headers: OutgoingHttpHeaders = {}): Promise<WireAnswer> {
    return connection.postJson(path, body, this.options.timeoutMs, { 'user-agent': `SEPP-${this.options.sender}`, ...headers });
  }

  closeAll(): void {
    for (const connection of this.open) connection.close();
    this.open.clear();
  }

  /** Schema violations and repeated member names of a received JSON body, one line each. */
  bodyFindings(answer: WireAnswer, file: VendoredFile, schema: string): string[] {
    const findings: string[] = [];
    const duplicate = findDuplicateMember(answer.text);
    if (duplicate) findings.push(`${duplicate.pointer}: member name repeated in the answer (RFC 8259 4)`);
    if (answer.json === undefined) return [...findings, `the body is not JSON: ${JSON.stringify(answer.text.slice(0, 120))}`];
    const check = this.validator.validate(file, schema, answer.json);
    return [...findings, ...check.violations.map((v) => `${v.pointer || '(body)'}: ${v.rule}: ${v.message} [${v.schemaPath}]`)];
  }

  /**
   * A problem answer: `application/problem+json`, a body valid as `schema` (ProblemDetails or a
   * variant) whose `status` equals the HTTP status. Returns the findings (empty: conformant).
   */
  problemFindings(answer: WireAnswer, file: VendoredFile = 'TS29571_CommonData.yaml', schema = 'ProblemDetails'): string[] {
    const findings: string[] = [];
    const type = String(answer.headers['content-type'] ?? '');
    if (!/^application\/problem\+json\s*(;|$)/i.test(type)) findings.push(`content-type is ${type || 'absent'}, not application/problem+json (TS 29.500 5.2.7.1)`);
    if (answer.status >= 400 && answer.text.length === 0) return [...findings, 'no ProblemDetails body (TS 29.500 5.2.7.1)'];
    findings.push(...this.bodyFindings(answer, file, schema));
    const status = (answer.json as { status?: unknown } | undefined)?.status;
    if (status !== undefined && status !== answer.status) findings.push(`/status: ${JSON.stringify(status)} differs from the HTTP status ${answer.status}`);
    return findings;
  }
}

/** One line about an answer: status, content type, cause and a body excerpt. */
export function describeAnswer(answer: WireAnswer): string {
  const body = answer.json as { cause?: unknown; detail?: unknown; selectedSecCapability?: unknown } | undefined;
  const parts = [`HTTP ${answer.status}`, String(answer.headers['content-type'] ?? 'no content-type')];
  if (body && typeof body === 'object') {
    if (typeof body.selectedSecCapability === 'string') parts.push(`selectedSecCapability ${body.selectedSecCapability}`);
    if (typeof body.cause === 'string') parts.push(`cause ${body.cause}`);
    if (typeof body.detail === 'string') parts.push(`detail "${body.detail.slice(0, 120)}"`);
  } else if (answer.text) parts.push(`body ${JSON.stringify(answer.text.slice(0, 80))}`);
  return parts.join(', ');
}
