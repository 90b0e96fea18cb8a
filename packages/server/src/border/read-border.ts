import {
  BorderPolicy,
  BorderRuleError,
  DEFAULT_HIDING_PLACES,
  DEFAULT_NETWORK_ID_PLACES,
  DEFAULT_SERVICE_RULES,
  HiddenNameTable,
  normalizeFqdn,
  SCHEMA_APIS,
  type BorderMode,
  type BorderRuleSet,
  type HidingPlace,
  type NetworkIdPlace,
  type ServiceRule,
} from '@sepp/protocol';
import type { ConfigProblem } from '../config/config-problems';
import type { BorderConfig } from './border-config.schema';

/** The border rules of one peer, every default filled in. */
export interface PeerBorderSettings {
  readonly rules: BorderRuleSet;
  /** Mode of the checks other teams register (`extensions.mode`, default enforce). */
  readonly extensions: BorderMode;
}

/** `border` and `n32.peers[].border`, resolved per peer (README "Border protection"). */
export interface BorderSettings {
  /** Per configured peer (normalized FQDN). */
  readonly peers: Readonly<Record<string, PeerBorderSettings>>;
  /** For peers accepted without configuration (`n32.acceptUnknownPeers`): the `border` set alone. */
  readonly others: PeerBorderSettings;
  /** The APIs whose OpenAPI documents must be compiled (every set with schema validation on). */
  readonly schemaApis: readonly string[];
}

export const BORDER_DEFAULTS = {
  mode: 'enforce',
  details: 'verbose',
  hideIpAddresses: true,
  status: 403,
  serviceCause: 'SERVICE_NOT_ALLOWED',
  networkIdCause: 'PLMN_ID_MISMATCH',
  queryParameters: true,
} as const;

type Category = 'topologyHiding' | 'serviceAllowList' | 'networkId' | 'schemaValidation' | 'extensions';

/** Reads `border` and every `n32.peers[i].border`; problems name their key. */
export function readBorder(border: BorderConfig | undefined, peers: readonly { fqdn: string; border?: BorderConfig }[], problems: ConfigProblem[]): BorderSettings {
  const resolved: Record<string, PeerBorderSettings> = {};
  const others = resolveSet(border, undefined, 'border', problems);
  peers.forEach((peer, index) => {
    resolved[normalizeFqdn(peer.fqdn)] = peer.border ? resolveSet(border, peer.border, `n32.peers[${index}].border`, problems) : others;
  });
  const schemaApis = new Set<string>();
  for (const set of [others, ...Object.values(resolved)]) {
    if (set.rules.schemaValidation.mode !== 'off') for (const api of set.rules.schemaValidation.apis) schemaApis.add(api);
  }
  return { peers: resolved, others, schemaApis: [...schemaApis].sort() };
}

function resolveSet(defaults: BorderConfig | undefined, peer: BorderConfig | undefined, base: string, problems: ConfigProblem[]): PeerBorderSettings {
  const setMode = peer?.mode ?? defaults?.mode ?? BORDER_DEFAULTS.mode;
  const merged = <C extends Category>(category: C): NonNullable<BorderConfig[C]> | undefined => {
    const a = defaults?.[category];
    const b = peer?.[category];
    return a === undefined && b === undefined ? undefined : ({ ...a, ...b });
  };
  // A key at fault is reported where it was written: the peer's set when it names the category.
  const keyOf = (category: Category, rest = ''): string => `${peer?.[category] !== undefined ? base : 'border'}.${category}${rest}`;
  const modeOf = (config: { mode?: BorderMode } | undefined): BorderMode => (config === undefined ? 'off' : (config.mode ?? setMode));

  const hiding = merged('topologyHiding');
  const hidingPlaces: HidingPlace[] = [
    ...(hiding?.defaultPlaces === false ? [] : DEFAULT_HIDING_PLACES),
    ...(hiding?.places ?? []).map(
      (place): HidingPlace => ({
        name: place.name,
        api: place.api,
        ...(place.methods ? { methods: place.methods } : {}),
        ...(place.path !== undefined ? { path: place.path } : {}),
        in: place.in ?? ['request', 'response'],
        ...(place.header !== undefined ? { header: place.header.toLowerCase() } : {}),
        ...(place.pointer !== undefined ? { pointer: place.pointer } : {}),
        kind: place.kind,
        spec: place.spec ?? 'operator rule',
      }),
    ),
  ];
  (hiding?.places ?? []).forEach((place, index) => {
    if ((place.header === undefined) === (place.pointer === undefined)) problems.push({ key: keyOf('topologyHiding', `.places[${index}]`), problem: 'must name exactly one of header, pointer' });
  });

  const allow = merged('serviceAllowList');
  const known = new Map(DEFAULT_SERVICE_RULES.map((rule) => [rule.name, rule]));
  const services: ServiceRule[] = [];
  (allow?.services ?? [...known.keys()]).forEach((name, index) => {
    const rule = known.get(name);
    if (rule) services.push(rule);
    else problems.push({ key: keyOf('serviceAllowList', `.services[${index}]`), problem: `is not a built-in rule (${[...known.keys()].join(', ')})` });
  });
  for (const rule of allow?.rules ?? []) services.push({ name: rule.name, operations: rule.operations, ...(rule.when ? { when: rule.when } : {}), spec: rule.spec ?? 'operator rule' });

  const network = merged('networkId');
  const networkPlaces: NetworkIdPlace[] = [
    ...(network?.defaultPlaces === false ? [] : DEFAULT_NETWORK_ID_PLACES),
    ...(network?.places ?? []).map(
      (place): NetworkIdPlace => ({
        name: place.name,
        api: place.api,
        ...(place.methods ? { methods: place.methods } : {}),
        ...(place.path !== undefined ? { path: place.path } : {}),
        ...(place.header !== undefined ? { header: place.header.toLowerCase() } : {}),
        ...(place.pointer !== undefined ? { pointer: place.pointer } : {}),
        ...(place.query !== undefined ? { query: place.query } : {}),
        ...(place.queryPointer !== undefined ? { queryPointer: place.queryPointer } : {}),
        ...(place.param !== undefined ? { param: place.param } : {}),
        format: place.format,
        owner: place.owner,
        spec: place.spec ?? 'operator rule',
      }),
    ),
  ];

  const schema = merged('schemaValidation');
  const schemaApis = schema?.apis ?? SCHEMA_APIS.map((api) => api.api);
  schemaApis.forEach((api, index) => {
    if (!SCHEMA_APIS.some((known) => known.api === api)) {
      problems.push({ key: keyOf('schemaValidation', `.apis[${index}]`), problem: `has no vendored OpenAPI document (${SCHEMA_APIS.map((a) => a.api).join(', ')})` });
    }
  });

  const rules: BorderRuleSet = {
    details: peer?.details ?? defaults?.details ?? BORDER_DEFAULTS.details,
    topologyHiding: { mode: modeOf(hiding), places: hidingPlaces, internalDomains: hiding?.internalDomains ?? [], hideIpAddresses: hiding?.hideIpAddresses ?? BORDER_DEFAULTS.hideIpAddresses },
    serviceAllowList: { mode: modeOf(allow), services, status: allow?.status ?? BORDER_DEFAULTS.status, cause: allow?.cause ?? BORDER_DEFAULTS.serviceCause },
    networkId: { mode: modeOf(network), places: networkPlaces, status: network?.status ?? BORDER_DEFAULTS.status, cause: network?.cause ?? BORDER_DEFAULTS.networkIdCause },
    schemaValidation: { mode: modeOf(schema), apis: schemaApis, queryParameters: schema?.queryParameters ?? BORDER_DEFAULTS.queryParameters },
  };
  checkRules(rules, keyOf, problems);
  return { rules, extensions: merged('extensions')?.mode ?? setMode };
}

/** Compiles the operator's own rules one by one, so that a problem names the rule's key. */
function checkRules(rules: BorderRuleSet, keyOf: (category: Category, rest?: string) => string, problems: ConfigProblem[]): void {
  const parties = { ourPlmns: [], peerPlmns: [], seppFqdn: 'sepp.invalid', peerSeppFqdn: 'peer.invalid', names: new HiddenNameTable() };
  const none: BorderRuleSet = {
    ...rules,
    topologyHiding: { ...rules.topologyHiding, places: [] },
    serviceAllowList: { ...rules.serviceAllowList, services: [] },
    networkId: { ...rules.networkId, places: [] },
    schemaValidation: { ...rules.schemaValidation, mode: 'off' },
  };
  const check = (key: string, set: BorderRuleSet): void => {
    try {
      new BorderPolicy(set, parties, null);
    } catch (error) {
      if (!(error instanceof BorderRuleError)) throw error;
      problems.push({ key, problem: error.message });
    }
  };
  const custom = <T>(all: readonly T[], defaults: readonly T[]): T[] => all.filter((item) => !defaults.includes(item));
  custom(rules.topologyHiding.places, DEFAULT_HIDING_PLACES).forEach((place, index) =>
    check(keyOf('topologyHiding', `.places[${index}]`), { ...none, topologyHiding: { ...none.topologyHiding, places: [place] } }),
  );
  custom(rules.serviceAllowList.services, DEFAULT_SERVICE_RULES).forEach((rule, index) =>
    check(keyOf('serviceAllowList', `.rules[${index}]`), { ...none, serviceAllowList: { ...none.serviceAllowList, services: [rule] } }),
  );
  custom(rules.networkId.places, DEFAULT_NETWORK_ID_PLACES).forEach((place, index) => check(keyOf('networkId', `.places[${index}]`), { ...none, networkId: { ...none.networkId, places: [place] } }));
}
