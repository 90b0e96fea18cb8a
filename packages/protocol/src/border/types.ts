import type { InvalidParam } from '../models/common-data';

/**
 * Border protection of N32-f (TS 33.501 5.9.3.2, GSMA FS.36 interconnect countermeasures): the
 * rule types. Rules are data (tables with their 3GPP source), evaluated by pure functions.
 */

/** The four built-in categories, plus the checks other teams add (`extension`). */
export const BORDER_CATEGORIES = ['topologyHiding', 'serviceAllowList', 'networkId', 'schemaValidation', 'extension'] as const;
export type BorderCategory = (typeof BORDER_CATEGORIES)[number];

/**
 * `enforce`: refuse what breaks a rule (and rewrite, for topology hiding); `dry-run`: log and count
 * what would be refused or rewritten, change nothing; `off`: skip the category.
 */
export const BORDER_MODES = ['enforce', 'dry-run', 'off'] as const;
export type BorderMode = (typeof BORDER_MODES)[number];

/** How much a refusal tells the peer: `verbose` names the rule and the IE, `terse` only the cause. */
export type BorderDetails = 'verbose' | 'terse';

/**
 * Which way a message crosses our border: `outbound` leaves our PLMN (a request of our NF at the
 * cSEPP, an answer of our NF at the pSEPP), `inbound` enters it.
 */
export type BorderDirection = 'outbound' | 'inbound';
export type MessageKind = 'request' | 'response';

/** Narrows a rule to some requests of its API (and to the answers of those requests). */
export interface RuleScope {
  /** The API name: first path segment (`nudm-sdm`), or `*` for every API. */
  readonly api: string;
  /** Methods the rule applies to; absent: all. */
  readonly methods?: readonly string[];
  /** A resource path template (see path-template.ts); absent: every path of the API. */
  readonly path?: string;
}

/** One entry of the inter-PLMN service allow-list: what a peer's NFs may invoke on ours. */
export interface ServiceRule {
  /** Unique name, used in logs, metrics and configuration (`nudm-sdm`, `notifications`). */
  readonly name: string;
  /**
   * The allowed operations, each `METHOD /path-template` (`GET /nudm-sdm/v2/{supi}/am-data`;
   * `*` as the method allows every method on that path).
   */
  readonly operations: readonly string[];
  /**
   * `callback`: only for notifications and callbacks. Inbound, the request must be addressed to a
   * name our topology hiding handed out (a callback URI we hid); outbound, to a hidden name of the
   * peer's SEPP, or carry `3gpp-Sbi-Callback` (TS 29.500 5.2.3.3).
   */
  readonly when?: 'callback';
  /** The 3GPP specification of the service. */
  readonly spec: string;
}

/**
 * What a hiding place holds: `uri` an absolute URI (its authority is hidden), `fqdn` a bare host
 * name (hidden as a whole), `ip` an IP address (no name can stand for it: removed outbound).
 */
export type HidingKind = 'uri' | 'fqdn' | 'ip';

/**
 * One place where a message may carry the name or address of an NF: outbound its names are
 * replaced by hidden names, inbound hidden names are replaced by the real ones.
 */
export interface HidingPlace extends RuleScope {
  readonly name: string;
  /** Requests, responses or both (an answer that echoes a request IE). */
  readonly in: readonly MessageKind[];
  /** A header (lower case) ... */
  readonly header?: string;
  /** ... or a JSON Pointer pattern into a JSON body (`*` wildcards, see pointer-pattern.ts). */
  readonly pointer?: string;
  readonly kind: HidingKind;
  readonly spec: string;
}

/**
 * How a network-ID place writes a PLMN: `plmnId` a TS 29.571 PlmnId / PlmnIdNid object,
 * `plmnIdList` an array of them, `servingNetworkName` `5G:mnc<MNC>.mcc<MCC>.3gppnetwork.org`
 * (TS 24.501 9.12.1, TS 33.501 6.1.1.4), `originatingNetworkId` `<MCC>-<MNC>` (TS 29.500
 * 3gpp-Sbi-Originating-Network-Id), `ueIdentity` a SUPI or SUCI (`imsi-`, `suci-0-`, `nai-` with a
 * 3gppnetwork.org realm; other identities, e.g. a GPSI, name no PLMN and are skipped).
 */
export type NetworkIdFormat = 'plmnId' | 'plmnIdList' | 'servingNetworkName' | 'originatingNetworkId' | 'ueIdentity';

/**
 * Whose PLMN a network-ID place must hold: `sender` the PLMN of whoever sent the request (the peer
 * for inbound requests, us for outbound ones), `receiver` the other side's (the home network of a
 * subscriber whose data is asked for lives where the request goes).
 */
export type NetworkIdOwner = 'sender' | 'receiver';

export interface NetworkIdPlace extends RuleScope {
  readonly name: string;
  /** Exactly one of: a header, a JSON Pointer pattern into the body, a query parameter, a `{param}` of `path`. */
  readonly header?: string;
  readonly pointer?: string;
  readonly query?: string;
  readonly param?: string;
  /** For a JSON-valued query parameter: a pointer pattern inside its value. */
  readonly queryPointer?: string;
  readonly format: NetworkIdFormat;
  readonly owner: NetworkIdOwner;
  readonly spec: string;
}

/** One API whose request bodies and query parameters are checked against its 3GPP OpenAPI. */
export interface SchemaApi {
  /** API name as in paths (`nudm-sdm`); `nnrf-oauth2` for `/oauth2/token`. */
  readonly api: string;
  /** The OpenAPI file (in the vendored folder). */
  readonly file: string;
  readonly spec: string;
}

/** A rule broken by a message: what is refused (or, in dry-run, would be). */
export interface BorderFinding {
  readonly category: BorderCategory;
  /** The rule or place name (`nudm-sdm`, `ausf-serving-network-name`, `not-allowed`). */
  readonly rule: string;
  readonly status: number;
  readonly cause: string;
  readonly detail: string;
  readonly invalidParams?: readonly InvalidParam[];
  /** Dry-run: logged and counted, not refused. */
  readonly dryRun: boolean;
}

/** What one category did with one message, for the metrics. */
export type BorderOutcome = 'passed' | 'rewritten' | 'refused' | 'dry-run';
