/** Which SEPP role a case tests (the probe plays the other one). */
export type ProbeRole = 'responder' | 'initiator';

/** How binding the requirement is: a `should` deviation is a warning, a `shall` one a failure. */
export type RequirementLevel = 'shall' | 'should';

export type Verdict = 'pass' | 'fail' | 'warn' | 'skip';

/** One conformance case as the catalogue lists it (the README table is generated from these). */
export interface CaseDefinition {
  /** Stable identifier, e.g. `neg.offer-tls` (used in reports, JSON, JUnit and the README). */
  readonly id: string;
  readonly role: ProbeRole;
  /** Group the README and the text report put the case under. */
  readonly group: CaseGroup;
  /** What the case checks, in one line. */
  readonly title: string;
  /** The clause it checks, e.g. `TS 33.501 13.5`, `TS 29.500 5.2.7.2`. */
  readonly clause: string;
  readonly level: RequirementLevel;
  /** What a conformant SEPP does. */
  readonly expected: string;
  /** The case mints a certificate signed by the partner's CA: it needs `--ca-key`. */
  readonly needsCaKey?: boolean;
  /** The case runs only when the partner selects PRINS. */
  readonly needsPrins?: boolean;
}

export type CaseGroup = 'tls' | 'negotiation' | 'release' | 'identity' | 'malformed' | 'certificates' | 'prins' | 'initiator';

export const GROUP_TITLES: Readonly<Record<CaseGroup, string>> = {
  tls: 'TLS profile',
  negotiation: 'Capability negotiation and selection policy',
  release: 'Release and connection termination',
  identity: 'sender / PLMN binding',
  malformed: 'Malformed requests',
  certificates: 'Client certificate faults',
  prins: 'PRINS: parameter exchange, keys, protected N32-f',
  initiator: 'Initiator behaviour (the probe plays a responder)',
};

/** What a case saw and concluded. */
export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly clause: string;
  readonly level: RequirementLevel;
  readonly verdict: Verdict;
  readonly expected: string;
  /** What was seen on the wire (statuses, GOAWAY, closes, TLS alerts, bodies). */
  readonly observed: string;
  /** Schema violations and other precise findings, one per line. */
  readonly details: readonly string[];
  readonly durationMs: number;
}

/** What a check returns; the runner adds the definition's fields and the duration. */
export interface CaseOutcome {
  readonly verdict: Verdict;
  readonly observed: string;
  readonly details?: readonly string[];
}

export const pass = (observed: string, details: readonly string[] = []): CaseOutcome => ({ verdict: 'pass', observed, details });
export const skip = (observed: string): CaseOutcome => ({ verdict: 'skip', observed });
/** A deviation: `fail` for a `shall`, `warn` for a `should`. */
export const deviation = (level: RequirementLevel, observed: string, details: readonly string[] = []): CaseOutcome => ({
  verdict: level === 'shall' ? 'fail' : 'warn',
  observed,
  details,
});
