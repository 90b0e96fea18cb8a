import type { InvalidParam } from '../models/common-data';
import type { JsonValue } from '../prins/messages/bodies';
import { isJsonMediaType } from '../prins/reformat/http-message';
import { isJsonObject, setOwn } from '../prins/reformat/json-pointer';
import type { PlmnIdValue } from '../identifiers/plmn';
import { parseApiRoot } from '../sbi/api-root';
import { SBI_HEADERS } from '../sbi/headers';
import { isHiddenLabel, type HiddenNames } from './hidden-names';
import { checkNetworkId } from './network-ids';
import { matchSegments, parsePathTemplate, PathRouter, pathSegments, segmentsMatch, type PathTemplate } from './path-template';
import { findPointerMatches, parsePointerPattern, type PointerPattern } from './pointer-pattern';
import { apiOfPath } from './rules/schema-apis';
import type { SchemaCatalog } from './schema/openapi-catalog';
import { Topology } from './topology';
import type {
  BorderCategory,
  BorderDetails,
  BorderDirection,
  BorderFinding,
  BorderMode,
  BorderOutcome,
  HidingPlace,
  MessageKind,
  NetworkIdPlace,
  RuleScope,
  ServiceRule,
} from './types';

/** The rules one peer gets, every default filled in (the server builds it from the configuration). */
export interface BorderRuleSet {
  readonly details: BorderDetails;
  readonly topologyHiding: {
    readonly mode: BorderMode;
    readonly places: readonly HidingPlace[];
    readonly internalDomains: readonly string[];
    readonly hideIpAddresses: boolean;
  };
  readonly serviceAllowList: { readonly mode: BorderMode; readonly services: readonly ServiceRule[]; readonly status: number; readonly cause: string };
  readonly networkId: { readonly mode: BorderMode; readonly places: readonly NetworkIdPlace[]; readonly status: number; readonly cause: string };
  readonly schemaValidation: { readonly mode: BorderMode; readonly apis: readonly string[]; readonly queryParameters: boolean };
}

/** Who is on either side of the border for one peer. */
export interface BorderParties {
  readonly ourPlmns: readonly PlmnIdValue[];
  readonly peerPlmns: readonly PlmnIdValue[];
  /** Our SEPP FQDN (hidden names of ours live under it). */
  readonly seppFqdn: string;
  /** The peer SEPP's FQDN (its hidden names live under it). */
  readonly peerSeppFqdn: string;
  readonly names: HiddenNames;
}

/** Read and write access to a message's headers (names lower case), whatever holds them. */
export interface HeaderAccess {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

export interface BorderRequest {
  readonly method: string;
  /** The resource path relative to the target apiRoot (`/nudm-sdm/v2/...`), no query. */
  readonly path: string;
  readonly query: string | undefined;
  /** The target apiRoot (`3gpp-Sbi-Target-apiRoot`, or PRINS scheme and authority). */
  readonly target: string | undefined;
  readonly headers: HeaderAccess;
  /** The whole body when it was read; undefined for a message without one or not read. */
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
}

export interface BorderResponse {
  /** The request it answers. */
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: HeaderAccess;
  readonly body: Buffer | undefined;
  readonly contentType: string | undefined;
}

export interface BorderVerdict {
  /** Every rule the message broke, enforced or dry-run, in evaluation order. */
  readonly findings: readonly BorderFinding[];
  /** The first enforced finding: the message is refused with it. */
  readonly refusal: BorderFinding | null;
  /** What each category that looked at the message did. */
  readonly outcomes: Readonly<Partial<Record<BorderCategory, BorderOutcome>>>;
  /** The rewritten body, when topology hiding changed it (headers are changed in place). */
  readonly body: Buffer | undefined;
  /** Inbound requests: the recovered target apiRoot, when the request was addressed to a hidden name. */
  readonly target: string | undefined;
  /** Names hidden or recovered. */
  readonly rewrites: number;
}

/** What a message needs read before it can be checked. */
export type BorderNeeds = 'nothing' | 'headers' | 'body';

interface CompiledScope {
  readonly methods: ReadonlySet<string> | null;
  readonly template: PathTemplate | null;
}
type Compiled<T> = T & { readonly scope: CompiledScope; readonly pattern: PointerPattern | null };
interface CompiledOperation {
  readonly rule: ServiceRule;
  readonly method: string;
  readonly template: PathTemplate;
}

/** A problem in a rule set (a bad pointer, template or operation), naming the rule. */
export class BorderRuleError extends Error {
  override readonly name = 'BorderRuleError';
  constructor(
    readonly rule: string,
    readonly problem: string,
  ) {
    super(`${rule}: ${problem}`);
  }
}

const NO_OUTCOMES: Readonly<Partial<Record<BorderCategory, BorderOutcome>>> = Object.freeze({});
const NO_FINDINGS: readonly BorderFinding[] = Object.freeze([]);
const TOPOLOGY_FAILED = 'TOPOLOGY_HIDING_FAILED';
const NOT_HIDDEN = { target: undefined, hidden: false } as const;
const UNKNOWN_HIDDEN_NAME = 'UNKNOWN_HIDDEN_NAME';
const FORM = 'application/x-www-form-urlencoded';

/**
 * The border rules of one peer, compiled: evaluates requests and answers crossing N32-f in either
 * direction (TS 33.501 5.9.3.2). Pure: no I/O, no clocks; the only state is the hidden-name table
 * it is given. Categories run in a fixed order: inbound requests first have their target recovered
 * (topology hiding), then the service allow-list, network-ID checks, schema validation and the
 * recovery of the other hidden names; outbound requests go allow-list, network IDs, schema, then
 * hiding; answers only see topology hiding.
 */
export class BorderPolicy {
  private readonly topology: Topology;
  /** Every allowed operation, by path template. */
  private readonly operations = new PathRouter<CompiledOperation>();
  private readonly hidingPlaces: readonly Compiled<HidingPlace>[];
  private readonly networkIdPlaces: readonly Compiled<NetworkIdPlace>[];
  private readonly schemaApis: ReadonlySet<string>;
  private readonly needsCache = new Map<string, BorderNeeds>();
  private readonly headerCache = new Map<string, readonly string[]>();
  /** The places of one API (its own and those of every API), computed once per API. */
  private readonly hidingByApi = new Map<string, readonly Compiled<HidingPlace>[]>();
  private readonly networkIdByApi = new Map<string, readonly Compiled<NetworkIdPlace>[]>();

  constructor(
    readonly rules: BorderRuleSet,
    readonly parties: BorderParties,
    private readonly schemas: SchemaCatalog | null,
  ) {
    this.topology = new Topology({
      seppFqdn: parties.seppFqdn,
      ownPlmns: parties.ourPlmns,
      internalDomains: rules.topologyHiding.internalDomains,
      hideIpAddresses: rules.topologyHiding.hideIpAddresses,
      names: parties.names,
    });
    for (const rule of rules.serviceAllowList.services) {
      for (const operation of rule.operations) {
        const compiled = compileOperation(rule, operation);
        this.operations.add(compiled.template, compiled);
      }
    }
    this.hidingPlaces = rules.topologyHiding.places.map((place) => compilePlace(place, place.pointer));
    this.networkIdPlaces = rules.networkId.places.map((place) => {
      const sources = [place.header, place.pointer, place.query, place.param].filter((source) => source !== undefined);
      if (sources.length !== 1) throw new BorderRuleError(place.name, 'must name exactly one of header, pointer, query, param');
      if (place.param !== undefined && !place.path?.includes(`{${place.param}}`)) throw new BorderRuleError(place.name, `param ${place.param} must be a {${place.param}} of its path`);
      return compilePlace(place, place.pointer ?? (place.query !== undefined ? place.queryPointer ?? '' : undefined));
    });
    this.schemaApis = new Set(rules.schemaValidation.apis);
    if (rules.schemaValidation.mode !== 'off' && !schemas) throw new BorderRuleError('schemaValidation', 'needs the compiled OpenAPI documents');
  }

  /** Whether any category is on: when not, callers skip the border entirely. */
  get active(): boolean {
    const { topologyHiding, serviceAllowList, networkId, schemaValidation } = this.rules;
    return [topologyHiding, serviceAllowList, networkId, schemaValidation].some((category) => category.mode !== 'off');
  }

  /** What a request needs read before {@link evaluateRequest} (cached per direction, method and API). */
  requestNeeds(direction: BorderDirection, method: string, path: string): BorderNeeds {
    const api = apiOfPath(path);
    const key = `q${direction}${method} ${api}`;
    let needs = this.needsCache.get(key);
    if (needs === undefined) {
      const bodyPlace = (place: Compiled<{ pointer?: string } & RuleScope>): boolean => place.pointer !== undefined && inScope(place, api, method);
      const body =
        (this.rules.topologyHiding.mode !== 'off' && this.hidingPlaces.some((place) => place.in.includes('request') && bodyPlace(place))) ||
        (this.rules.networkId.mode !== 'off' && this.networkIdPlaces.some(bodyPlace)) ||
        (this.rules.schemaValidation.mode !== 'off' && this.schemaApis.has(api) && method !== 'GET' && method !== 'DELETE');
      needs = body ? 'body' : this.active ? 'headers' : 'nothing';
      this.cacheNeeds(key, needs);
    }
    return needs;
  }

  /** What an answer needs read before {@link evaluateResponse}. */
  responseNeeds(direction: BorderDirection, method: string, path: string): BorderNeeds {
    if (this.rules.topologyHiding.mode === 'off') return 'nothing';
    const api = apiOfPath(path);
    const key = `s${direction}${method} ${api}`;
    let needs = this.needsCache.get(key);
    if (needs === undefined) {
      const places = this.hidingPlaces.filter((place) => place.in.includes('response') && inScope(place, api, method));
      needs = places.some((place) => place.pointer !== undefined) ? 'body' : places.length > 0 ? 'headers' : 'nothing';
      this.cacheNeeds(key, needs);
    }
    return needs;
  }

  /**
   * The headers the answer's places look at (when {@link responseNeeds} is `headers`): an answer
   * that has none of them needs no evaluation at all.
   */
  responseHeaders(method: string, path: string): readonly string[] {
    const api = apiOfPath(path);
    const key = `${method} ${api}`;
    let names = this.headerCache.get(key);
    if (!names) {
      names = [...new Set(this.placesOf(this.hidingPlaces, this.hidingByApi, api).filter((place) => place.header !== undefined && place.in.includes('response') && inScope(place, api, method)).map((place) => place.header!))];
      if (this.headerCache.size < 4_096) this.headerCache.set(key, names);
    }
    return names;
  }

  evaluateRequest(direction: BorderDirection, request: BorderRequest): BorderVerdict {
    const run = new Evaluation(this.rules.details);
    const parts = pathSegments(request.path) ?? [];
    const api = apiOfPath(request.path);
    const body = request.body !== undefined && request.body.length > 0 ? new LazyBody(request.body, request.contentType) : ABSENT_BODY;
    const { topologyHiding, serviceAllowList, networkId, schemaValidation } = this.rules;
    let target: string | undefined;
    let targetHidden = false;
    if (direction === 'inbound' && topologyHiding.mode !== 'off' && request.target !== undefined) {
      const recovered = this.recoverTarget(request.target, run);
      target = recovered.target;
      targetHidden = recovered.hidden;
    }
    if (serviceAllowList.mode !== 'off' && !run.refused) this.checkAllowList(direction, request, api, parts, targetHidden, run);
    if (networkId.mode !== 'off' && !run.refused) this.checkNetworkIds(direction, request, api, parts, body, run);
    if (schemaValidation.mode !== 'off' && !run.refused && this.schemaApis.has(api)) this.checkSchema(request, api, parts, body, run);
    let newBody: Buffer | undefined;
    if (topologyHiding.mode !== 'off' && !run.refused) newBody = this.rewritePlaces('request', direction, request.method, api, parts, request.headers, body, run);
    return run.verdict(newBody, target);
  }

  evaluateResponse(direction: BorderDirection, response: BorderResponse): BorderVerdict {
    if (this.rules.topologyHiding.mode === 'off') return EMPTY_VERDICT;
    const run = new Evaluation(this.rules.details);
    const body = response.body !== undefined && response.body.length > 0 ? new LazyBody(response.body, response.contentType) : ABSENT_BODY;
    const parts = pathSegments(response.path) ?? [];
    const newBody = this.rewritePlaces('response', direction, response.method, apiOfPath(response.path), parts, response.headers, body, run);
    return run.verdict(newBody, undefined);
  }

  // --- topology hiding -------------------------------------------------------------------------

  private recoverTarget(target: string, run: Evaluation): { target: string | undefined; hidden: boolean } {
    // Most targets are our NFs by their own names: only one under our SEPP can be a hidden name.
    if (!target.toLowerCase().includes(this.parties.seppFqdn)) return NOT_HIDDEN;
    const root = parseApiRoot(target);
    const label = root ? this.topology.hiddenLabelOf(root.host) : null;
    if (!root || label === null) return { target: undefined, hidden: false };
    const mode = this.rules.topologyHiding.mode;
    const rewrite = this.topology.rewrite(target, 'uri', 'recover');
    if (rewrite.kind === 'changed') {
      run.rewrote('topologyHiding', mode);
      return { target: mode === 'enforce' ? rewrite.value : undefined, hidden: true };
    }
    run.find('topologyHiding', mode, {
      rule: 'target',
      status: 404,
      cause: UNKNOWN_HIDDEN_NAME,
      detail: `the target ${root.host} is not a name this SEPP handed out`,
      invalidParams: [{ param: `header ${SBI_HEADERS.targetApiRoot}`, reason: 'unknown hidden name' }],
    });
    return { target: undefined, hidden: true };
  }

  /**
   * Hides (outbound) or recovers (inbound) the names at every place that applies. Headers change
   * in place; the new body is returned when it changed. Nothing changes in dry-run.
   */
  private rewritePlaces(
    kind: MessageKind,
    direction: BorderDirection,
    method: string,
    api: string,
    parts: readonly string[],
    headers: HeaderAccess,
    body: LazyBody,
    run: Evaluation,
  ): Buffer | undefined {
    const mode = this.rules.topologyHiding.mode;
    const how = direction === 'outbound' ? 'hide' : 'recover';
    const enforce = mode === 'enforce';
    const fail = (place: HidingPlace, where: string, reason: string): void => {
      const outbound = direction === 'outbound';
      run.find('topologyHiding', mode, {
        rule: place.name,
        status: outbound ? (kind === 'request' ? 400 : 502) : kind === 'request' ? 404 : 502,
        cause: outbound ? TOPOLOGY_FAILED : UNKNOWN_HIDDEN_NAME,
        detail: `${where} cannot be ${outbound ? 'hidden' : 'recovered'}: ${reason}`,
        invalidParams: [{ param: where, reason }],
      });
    };
    let bodyChanged = false;
    for (const place of this.placesOf(this.hidingPlaces, this.hidingByApi, api)) {
      if (run.refused) return undefined;
      if (!place.in.includes(kind) || !inScope(place, api, method, parts)) continue;
      if (place.header !== undefined) {
        const value = headers.get(place.header);
        if (value === undefined) continue;
        const rewrite = this.topology.rewrite(value, place.kind, how);
        if (rewrite.kind === 'failed') fail(place, `header ${place.header}`, rewrite.reason);
        else if (rewrite.kind === 'changed') {
          run.rewrote('topologyHiding', mode);
          if (enforce) headers.set(place.header, rewrite.value);
        }
        continue;
      }
      if (!body.present) continue;
      const document = body.parsed();
      if (document === undefined) {
        // A body we cannot parse (multipart N1/N2 containers, broken JSON): it may pass only if it names nothing of ours.
        const text = body.raw!.toString('latin1');
        const exposed = how === 'hide' ? this.topology.mentionsOurs(text) : text.toLowerCase().includes(`.${this.parties.seppFqdn}`);
        if (exposed) fail(place, '/', `the body is not JSON we can read (${body.mediaType ?? 'no content type'})`);
        continue;
      }
      const removals: { parent: JsonValue[] | { [key: string]: JsonValue }; key: string | number }[] = [];
      for (const match of findPointerMatches(document, place.pattern!)) {
        if (typeof match.value !== 'string') continue;
        const rewrite = this.topology.rewrite(match.value, place.kind, how);
        if (rewrite.kind === 'same') continue;
        if (rewrite.kind === 'failed') {
          fail(place, match.pointer, rewrite.reason);
          break;
        }
        run.rewrote('topologyHiding', mode);
        if (!enforce) continue;
        bodyChanged = true;
        if (rewrite.kind === 'remove') removals.push({ parent: match.parent!, key: match.key });
        else if (Array.isArray(match.parent)) match.parent[match.key as number] = rewrite.value;
        else if (match.parent) setOwn(match.parent, match.key as string, rewrite.value);
      }
      // Remove from the end, so that earlier array indexes stay valid.
      for (const { parent, key } of removals.reverse()) {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key as string];
      }
      // An address list left empty goes too (its schema wants at least one item).
      if (removals.length > 0 && place.pattern!.tokens.at(-1) === null) {
        const lists = { text: '', tokens: place.pattern!.tokens.slice(0, -1) };
        for (const list of findPointerMatches(document, lists).reverse()) {
          if (Array.isArray(list.value) && list.value.length === 0 && list.parent && !Array.isArray(list.parent)) delete list.parent[list.key as string];
        }
      }
    }
    return bodyChanged && !run.refused ? body.serialize() : undefined;
  }

  // --- service allow-list ----------------------------------------------------------------------

  private checkAllowList(direction: BorderDirection, request: BorderRequest, api: string, parts: readonly string[], targetHidden: boolean, run: Evaluation): void {
    const { mode, status, cause } = this.rules.serviceAllowList;
    const callback = (): boolean => (direction === 'inbound' ? targetHidden : request.headers.get('3gpp-sbi-callback') !== undefined || this.peerHidden(request.target));
    const allowed = this.operations.first(parts, (operation) => (operation.method === '*' || operation.method === request.method) && (operation.rule.when !== 'callback' || callback()));
    if (allowed) {
      run.passed('serviceAllowList');
      return;
    }
    run.find('serviceAllowList', mode, {
      rule: 'allow-list',
      status,
      cause,
      detail: `${request.method} ${request.path} is not an inter-PLMN service operation allowed ${direction === 'inbound' ? 'from' : 'toward'} this peer`,
      invalidParams: [{ param: ':path', reason: `no allow-list rule for ${request.method} on the ${api} API` }],
    });
  }

  /** Whether a target apiRoot names a hidden name of the peer's SEPP (outbound callbacks). */
  private peerHidden(target: string | undefined): boolean {
    if (target === undefined) return false;
    const host = parseApiRoot(target)?.host ?? '';
    const suffix = `.${this.parties.peerSeppFqdn}`;
    return host.endsWith(suffix) && isHiddenLabel(host.slice(0, -suffix.length));
  }

  // --- network IDs -----------------------------------------------------------------------------

  private checkNetworkIds(direction: BorderDirection, request: BorderRequest, api: string, parts: readonly string[], body: LazyBody, run: Evaluation): void {
    const { mode, status, cause } = this.rules.networkId;
    const expectedFor = (owner: NetworkIdPlace['owner']): readonly PlmnIdValue[] =>
      (owner === 'sender') === (direction === 'inbound') ? this.parties.peerPlmns : this.parties.ourPlmns;
    let query: URLSearchParams | undefined;
    let checked = false;
    for (const place of this.placesOf(this.networkIdPlaces, this.networkIdByApi, api)) {
      if (!inScope(place, api, request.method, parts)) continue;
      const values: { where: string; value: unknown }[] = [];
      if (place.header !== undefined) {
        const value = request.headers.get(place.header);
        if (value !== undefined) values.push({ where: `header ${place.header}`, value });
      } else if (place.param !== undefined) {
        const params = matchSegments(place.scope.template!, parts);
        const raw = params?.[place.param];
        if (raw !== undefined) values.push({ where: `path {${place.param}}`, value: safeDecode(raw) });
      } else if (place.query !== undefined) {
        if (request.query === undefined) continue;
        query ??= new URLSearchParams(request.query);
        const raw = query.get(place.query);
        if (raw === null) continue;
        let json: JsonValue;
        try {
          json = JSON.parse(raw) as JsonValue;
        } catch {
          values.push({ where: `query ${place.query}`, value: raw });
          json = null;
        }
        if (json !== null) for (const match of findPointerMatches(json, place.pattern!)) values.push({ where: `query ${place.query}${match.pointer}`, value: match.value });
      } else {
        const document = body.present ? body.parsed() : undefined;
        if (document === undefined) continue;
        for (const match of findPointerMatches(document, place.pattern!)) values.push({ where: match.pointer, value: match.value });
      }
      for (const { where, value } of values) {
        const expected = expectedFor(place.owner);
        const verdict = checkNetworkId(value, place.format, expected);
        if (verdict.kind === 'skip') continue;
        checked = true;
        if (verdict.kind === 'ok') continue;
        const whose = place.owner === 'sender' ? 'the sender' : 'the receiver';
        const reason = verdict.kind === 'mismatch' ? `${verdict.claimed} is not a PLMN of ${whose} (${expected.map((p) => `${p.mcc}-${p.mnc}`).join(', ')})` : verdict.reason;
        run.find('networkId', mode, { rule: place.name, status, cause, detail: `${where}: ${reason}`, invalidParams: [{ param: where, reason }] });
        if (run.refused) return;
      }
    }
    if (checked) run.passed('networkId');
  }

  // --- schema validation -----------------------------------------------------------------------

  private checkSchema(request: BorderRequest, api: string, parts: readonly string[], body: LazyBody, run: Evaluation): void {
    const operation = this.schemas!.operationOf(api, request.method, parts);
    if (!operation) return;
    const query = this.rules.schemaValidation.queryParameters ? request.query : undefined;
    const parsed = body.present ? body.parsed() : undefined;
    const violation = operation.check({
      query,
      mediaType: body.present ? (body.mediaType ?? 'application/octet-stream') : undefined,
      body: parsed,
      unparsable: body.present && parsed === undefined,
    });
    if (!violation) {
      run.passed('schemaValidation');
      return;
    }
    run.find('schemaValidation', this.rules.schemaValidation.mode, { rule: api, status: 400, cause: violation.cause, detail: violation.detail, invalidParams: violation.invalidParams });
  }

  /** The places of `all` that can apply to `api` (cached per API name; unknown APIs share the `*` ones). */
  private placesOf<T extends { api: string }>(all: readonly T[], cache: Map<string, readonly T[]>, api: string): readonly T[] {
    let places = cache.get(api);
    if (!places) {
      places = all.filter((place) => place.api === '*' || place.api === api);
      if (cache.size < 1_024) cache.set(api, places);
    }
    return places;
  }

  private cacheNeeds(key: string, needs: BorderNeeds): void {
    if (this.needsCache.size >= 4_096) this.needsCache.clear();
    this.needsCache.set(key, needs);
  }
}

const EMPTY_VERDICT: BorderVerdict = { findings: NO_FINDINGS, refusal: null, outcomes: NO_OUTCOMES, body: undefined, target: undefined, rewrites: 0 };

/** Findings and outcomes of one evaluation. */
class Evaluation {
  findings: BorderFinding[] | null = null;
  readonly outcomes: Partial<Record<BorderCategory, BorderOutcome>> = {};
  refusal: BorderFinding | null = null;
  rewrites = 0;

  constructor(private readonly details: BorderDetails) {}

  get refused(): boolean {
    return this.refusal !== null;
  }

  passed(category: BorderCategory): void {
    this.outcomes[category] ??= 'passed';
  }

  rewrote(category: BorderCategory, mode: BorderMode): void {
    this.rewrites += 1;
    const current = this.outcomes[category];
    if (current === undefined || current === 'passed') this.outcomes[category] = mode === 'enforce' ? 'rewritten' : 'dry-run';
  }

  find(category: BorderCategory, mode: BorderMode, finding: Omit<BorderFinding, 'category' | 'dryRun'>): void {
    const dryRun = mode !== 'enforce';
    const terse = this.details === 'terse';
    const full: BorderFinding = {
      category,
      dryRun,
      ...finding,
      detail: terse ? `refused by the SEPP's border protection (${category})` : finding.detail,
      ...(finding.invalidParams ? { invalidParams: terse ? finding.invalidParams.map(({ param }): InvalidParam => ({ param })) : finding.invalidParams } : {}),
    };
    (this.findings ??= []).push(full);
    this.outcomes[category] = dryRun ? 'dry-run' : 'refused';
    if (!dryRun && this.refusal === null) this.refusal = full;
  }

  verdict(body: Buffer | undefined, target: string | undefined): BorderVerdict {
    return { findings: this.findings ?? NO_FINDINGS, refusal: this.refusal, outcomes: this.outcomes, body: this.refusal ? undefined : body, target, rewrites: this.rewrites };
  }
}

/** A body parsed on first use: JSON, or a form as an object (values that are JSON decoded). */
// (ABSENT_BODY, below the class, stands for every message without a body.)
class LazyBody {
  readonly mediaType: string | undefined;
  private document: JsonValue | undefined | null = null;

  constructor(
    readonly raw: Buffer | undefined,
    contentType: string | undefined,
  ) {
    this.mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  }

  get present(): boolean {
    return this.raw !== undefined && this.raw.length > 0;
  }

  /** The parsed document, or undefined when the body is not JSON (or a form) or does not parse. */
  parsed(): JsonValue | undefined {
    if (this.document !== null) return this.document;
    this.document = undefined;
    if (!this.raw) return undefined;
    if (isJsonMediaType(this.mediaType)) {
      try {
        this.document = JSON.parse(this.raw.toString('utf8')) as JsonValue;
      } catch {
        this.document = undefined;
      }
    } else if (this.mediaType === FORM) {
      const form: { [key: string]: JsonValue } = {};
      for (const [name, value] of new URLSearchParams(this.raw.toString('utf8'))) setOwn(form, name, formValue(value));
      this.document = form;
    }
    return this.document;
  }

  /** The body after changes to the parsed document. */
  serialize(): Buffer {
    const document = this.document ?? null;
    if (this.mediaType === FORM && isJsonObject(document)) {
      const form = new URLSearchParams();
      for (const [name, value] of Object.entries(document)) form.append(name, typeof value === 'string' ? value : JSON.stringify(value));
      return Buffer.from(form.toString());
    }
    return Buffer.from(JSON.stringify(document));
  }
}

const ABSENT_BODY = new LazyBody(undefined, undefined);

function formValue(value: string): JsonValue {
  if (!value.startsWith('{') && !value.startsWith('[')) return value;
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    return value;
  }
}

function safeDecode(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function compileScope(rule: string, scope: RuleScope): CompiledScope {
  let template: PathTemplate | null = null;
  if (scope.path !== undefined) {
    const parsed = parsePathTemplate(scope.path);
    if (typeof parsed === 'string') throw new BorderRuleError(rule, `path ${scope.path} ${parsed}`);
    template = parsed;
  }
  return { methods: scope.methods ? new Set(scope.methods.map((method) => method.toUpperCase())) : null, template };
}

function compilePlace<T extends RuleScope & { name: string }>(place: T, pointer: string | undefined): Compiled<T> {
  let pattern: PointerPattern | null = null;
  if (pointer !== undefined) {
    pattern = parsePointerPattern(pointer);
    if (!pattern) throw new BorderRuleError(place.name, `${pointer} is not a JSON Pointer (empty, or starting with /)`);
  }
  return { ...place, scope: compileScope(place.name, place), pattern };
}

function compileOperation(rule: ServiceRule, operation: string): CompiledOperation {
  const match = /^(\*|GET|PUT|POST|PATCH|DELETE|OPTIONS|HEAD) (\/\S*)$/.exec(operation.trim());
  if (!match) throw new BorderRuleError(rule.name, `${operation} must be METHOD /path-template (e.g. GET /nudm-sdm/v2/{supi}/am-data)`);
  const template = parsePathTemplate(match[2]!);
  if (typeof template === 'string') throw new BorderRuleError(rule.name, `${operation}: ${template}`);
  return { rule, method: match[1]!, template };
}

/** Whether a rule applies to a request of `api` with `method` (and, when given, the path). */
function inScope(place: { api: string; scope: CompiledScope }, api: string, method: string, parts?: readonly string[]): boolean {
  if (place.api !== '*' && place.api !== api) return false;
  if (place.scope.methods && !place.scope.methods.has(method)) return false;
  if (parts && place.scope.template && !segmentsMatch(place.scope.template, parts)) return false;
  return true;
}
