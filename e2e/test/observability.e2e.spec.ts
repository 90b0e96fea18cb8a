import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ts from 'typescript';
import { parse } from 'yaml';
import { createPkiAB, FQDN_A, FQDN_B, writeYaml } from './support/configs';
import { n32fInitiatorYaml, n32fResponderYaml, NfClient, TappedProducer, TARGET_HEADER } from './support/n32f';
import { REPO_ROOT } from './support/paths';
import { SeppProcess } from './support/sepp-process';

/**
 * The Grafana dashboard and the Prometheus alert rules of infra/observability, checked by real
 * tools: promtool (check rules, and the rules' unit tests), TypeScript against Grafana's own
 * published dashboard schema (@grafana/schema: the dashboard and each panel's options), and, so
 * that they cannot drift from the SEPPs, every metric they read against the /metrics of a running
 * SEPP pair. (docker-compose.e2e.spec.ts runs Prometheus on the compose file against the SEPPs.)
 */
jest.setTimeout(90_000);

const OBSERVABILITY = join(REPO_ROOT, 'infra/observability');
const RULES = join(OBSERVABILITY, 'prometheus/rules/sepp-alerts.yml');
const RULE_TESTS = join(OBSERVABILITY, 'prometheus/tests/sepp-alerts.test.yml');
const DASHBOARD = join(OBSERVABILITY, 'grafana/dashboards/n32-overview.json');
const PROMTOOL = '/usr/bin/promtool';
const havePromtool = existsSync(PROMTOOL);

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string; refId: string }[];
  options?: Record<string, unknown>;
  fieldConfig?: { defaults?: { custom?: Record<string, unknown> } };
  gridPos: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { query: string | { query: string } }[] };
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };

/** Every PromQL expression of the dashboard (panels and variables) and of the rules. */
function expressions(): { where: string; expr: string }[] {
  return [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr }))),
    ...dashboard.templating.list.map((variable, i) => ({ where: `variable ${i}`, expr: typeof variable.query === 'string' ? variable.query : variable.query.query })),
    ...rules.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }))),
  ];
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects: identifiers outside strings, label matchers,
 * ranges and grouping clauses that are neither keywords nor functions (followed by "("). Grafana's
 * `label_values(metric, label)` names a metric too.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const labelValues = /label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/.exec(stripped);
  if (labelValues) return [labelValues[1]!];
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][\w:]*/g)) {
    const name = match[0];
    const after = stripped.slice(match.index + name.length).trimStart();
    if (PROMQL_WORDS.has(name.toLowerCase()) || after.startsWith('(')) continue;
    // A number's exponent or a duration unit is not a name.
    if (/\d$/.test(stripped.slice(0, match.index))) continue;
    names.push(name);
  }
  return [...new Set(names)];
}

describe('the alert rules (promtool)', () => {
  (havePromtool ? it : it.skip)(`promtool check rules accepts them${havePromtool ? '' : ' — SKIPPED: no promtool (apt-get install -y prometheus)'}`, () => {
    const result = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8', timeout: 30_000 });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: expect.stringMatching(/SUCCESS: \d+ rules found/) });
  });

  (havePromtool ? it : it.skip)('promtool test rules: each alert fires on the series it is about, with its labels and text, and not on healthy ones', () => {
    const result = spawnSync(PROMTOOL, ['test', 'rules', RULE_TESTS], { encoding: 'utf8', timeout: 30_000, cwd: dirname(RULE_TESTS) });
    expect({ status: result.status, output: `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    // Every alert has a test case.
    const tested = new Set([...readFileSync(RULE_TESTS, 'utf8').matchAll(/alertname: (\w+)/g)].map((m) => m[1]));
    for (const group of rules.groups) for (const rule of group.rules) expect({ alert: rule.alert, tested: tested.has(rule.alert) }).toEqual({ alert: rule.alert, tested: true });
  });

  it('names the peer-down, no-common-mechanism, certificate-expiry, refusal-spike and overload alerts', () => {
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    expect(alerts).toEqual(expect.arrayContaining(['SeppPeerDown', 'SeppNoCommonMechanism', 'SeppCertificateExpiresSoon', 'SeppRefusalSpike', 'SeppEventLoopLag', 'SeppSheddingLoad', 'SeppPeerSlow']));
  });
});

describe('the Grafana dashboard (Grafana\'s schema, @grafana/schema)', () => {
  /** Type-checks `source` (next to this file, so @grafana/schema resolves) and returns TypeScript's errors. */
  function typeErrors(source: string): string[] {
    const file = join(__dirname, '__dashboard_check__.ts');
    const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16, types: [] };
    const host = ts.createCompilerHost(options);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest));
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || fileExists(name);
    const program = ts.createProgram([file], options, host);
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${d.file.fileName === file ? 'check' : d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
  }

  const PANEL_SCHEMA: Record<string, { module: string; options: string; custom?: string }> = {
    timeseries: { module: 'timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen', options: 'Options', custom: 'FieldConfig' },
    stat: { module: 'stat/panelcfg/x/StatPanelCfg_types.gen', options: 'Options' },
    bargauge: { module: 'bargauge/panelcfg/x/BarGaugePanelCfg_types.gen', options: 'Options' },
    table: { module: 'table/panelcfg/x/TablePanelCfg_types.gen', options: 'Options', custom: 'FieldConfig' },
  };

  /**
   * The schema's types as JSON holds them: its string enums (ThresholdsMode...) as the strings
   * they stand for (a TypeScript enum accepts only its members, a JSON file has their values).
   */
  const JSON_OF = [
    `type Json<T> = T extends string ? (string extends T ? string : \`\${T}\`) : T extends number | boolean | null | undefined ? T : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;`,
    // Panel options and field config: what the file leaves out Grafana takes from the panel's defaults.
    `type JsonPartial<T> = T extends string ? (string extends T ? string : \`\${T}\`) : T extends number | boolean | null | undefined ? T : T extends readonly (infer U)[] ? JsonPartial<U>[] : T extends object ? { [K in keyof T]?: JsonPartial<T[K]> } : T;`,
  ].join('\n');

  it('is a Dashboard of Grafana\'s schema, and each panel\'s options and field config those of its panel type', () => {
    const lines = [`import type { Dashboard } from '@grafana/schema';`, JSON_OF];
    for (const [type, schema] of Object.entries(PANEL_SCHEMA)) {
      lines.push(`import type * as ${type} from '@grafana/schema/dist/esm/raw/composable/${schema.module}';`);
    }
    lines.push(`export const dashboard = ${JSON.stringify(dashboard)} satisfies Json<Dashboard>;`);
    dashboard.panels.forEach((panel, index) => {
      if (panel.type === 'row') return;
      const schema = PANEL_SCHEMA[panel.type];
      expect({ panel: panel.title, type: panel.type, known: schema !== undefined }).toEqual({ panel: panel.title, type: panel.type, known: true });
      lines.push(`export const options${index} = ${JSON.stringify(panel.options ?? {})} satisfies JsonPartial<${panel.type}.${schema!.options}>;`);
      if (schema!.custom) lines.push(`export const custom${index} = ${JSON.stringify(panel.fieldConfig?.defaults?.custom ?? {})} satisfies JsonPartial<${panel.type}.${schema!.custom}>;`);
    });
    expect(typeErrors(lines.join('\n'))).toEqual([]);
  });

  it('is not vacuous: the same check refuses a misspelt option, a wrong panel field and a bad value', () => {
    const broken = structuredClone(dashboard) as Dashboard & Record<string, unknown>;
    broken['graphTooltip'] = 'shared';
    (broken.panels[1] as unknown as Record<string, unknown>)['gridPos'] = { x: 0, y: 0, w: 'wide', h: 5 };
    const errors = typeErrors([`import type { Dashboard } from '@grafana/schema';`, JSON_OF, `export const dashboard = ${JSON.stringify(broken)} satisfies Json<Dashboard>;`].join('\n'));
    expect(errors.join('\n')).toMatch(/not assignable to type 'DashboardCursorSync/);
    expect(errors.join('\n')).toMatch(/not assignable to type 'number'/);
    const misspelt = typeErrors([
      `import type * as timeseries from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';`,
      JSON_OF,
      `export const options = ${JSON.stringify({ legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: [] }, tooltip: { mode: 'multi', sort: 'desc' }, legnd: {} })} satisfies JsonPartial<timeseries.Options>;`,
      `export const mode = ${JSON.stringify({ legend: { displayMode: 'tabular', placement: 'bottom', showLegend: true, calcs: [] }, tooltip: { mode: 'multi', sort: 'desc' } })} satisfies JsonPartial<timeseries.Options>;`,
    ].join('\n'));
    expect(misspelt.join('\n')).toMatch(/legnd/);
    expect(misspelt.join('\n')).toMatch(/"tabular"/);
  });

  it('lays its panels out on the 24-column grid without overlap, and covers what operators look at', () => {
    const cells = new Map<string, string>();
    for (const panel of dashboard.panels) {
      const { x, y, w, h } = panel.gridPos;
      expect({ panel: panel.title, fits: x >= 0 && w > 0 && x + w <= 24 && h > 0 }).toEqual({ panel: panel.title, fits: true });
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const key = `${row}:${column}`;
          expect({ cell: key, taken: cells.get(key) ?? null }).toEqual({ cell: key, taken: null });
          cells.set(key, panel.title);
        }
      }
    }
    const titles = dashboard.panels.map((panel) => panel.title).join('\n');
    for (const topic of [/Peers by state/, /Negotiations by outcome/, /failures by reason/, /Answered per peer/, /Refused per peer and cause/, /Latency per peer/, /PRINS errors by N32fErrorType/, /TLS handshake failures by reason/, /Memory/, /Event loop lag/, /Shared state store/, /State store commands not answered/, /Overload: slow-down asked, refused and priority taken/, /N32-f requests in flight per peer/]) {
      expect(titles).toMatch(topic);
    }
  });
});

describe('every metric the dashboard and the alert rules read is one a running SEPP exposes', () => {
  let producer: TappedProducer;
  let responder: SeppProcess;
  let initiator: SeppProcess;

  beforeAll(async () => {
    const { pki, certA, certB } = await createPkiAB();
    producer = await TappedProducer.start('udm1');
    responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'responder', n32fResponderYaml(certA, pki, producer.port)));
    initiator = await SeppProcess.ready('initiator', writeYaml(pki.dir, 'initiator', n32fInitiatorYaml(certB, pki, responder.port('n32'))));
    await initiator.waitForPeerState(FQDN_A, 'tls-established');
    await responder.waitForPeerState(FQDN_B, 'tls-established');
    const nf = await NfClient.connect(initiator.port('sbi'));
    try {
      expect((await nf.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot } })).status).toBe(200);
    } finally {
      nf.close();
    }
  });

  afterAll(async () => {
    await initiator?.stop();
    await responder?.stop();
    await producer?.close();
  });

  it('extracts the names it compares: metrics, not functions, keywords, labels or template variables', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le, app) (rate(sepp_n32f_request_duration_seconds_bucket{app=~"$app"}[$__rate_interval])))')).toEqual(['sepp_n32f_request_duration_seconds_bucket']);
    expect(metricNames('sum by (app) (rate(a_total[5m])) > 5 * sum by (app) (rate(a_total[1h] offset 5m)) and on (app) b == 0')).toEqual(['a_total', 'b']);
    expect(metricNames('(sepp_x - time()) < 14 * 86400 or up{job=~"sepp.*"} == 0')).toEqual(['sepp_x', 'up']);
    expect(metricNames('label_values(sepp_peer_state, app)')).toEqual(['sepp_peer_state']);
    expect(metricNames('sum(x{state!~"a|b"}) / 1e3')).toEqual(['x']);
  });

  it('finds each of them in GET /metrics of the responder and the initiator (histograms by their _bucket, _sum and _count series)', async () => {
    const exposed = new Map<string, string>();
    for (const proc of [responder, initiator]) {
      const text = await (await fetch(`http://127.0.0.1:${proc.port('admin')}/metrics`)).text();
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exposed.set(name!, type!);
    }
    const known = (name: string): boolean => {
      if (exposed.has(name)) return true;
      const base = /^(.*)_(bucket|sum|count)$/.exec(name);
      return base !== null && ['histogram', 'summary'].includes(exposed.get(base[1]!) ?? '');
    };
    /** Made by Prometheus itself, not by a target. */
    const prometheusOwn = new Set(['up']);
    const used = expressions().flatMap(({ where, expr }) => metricNames(expr).map((name) => ({ where, name })));
    expect(used.length).toBeGreaterThan(30);
    const missing = used.filter(({ name }) => !known(name) && !prometheusOwn.has(name));
    expect(missing).toEqual([]);
    // And the ones the status page work added are among them.
    const names = new Set(used.map((entry) => entry.name));
    for (const name of ['sepp_n32f_peer_requests_total', 'sepp_n32f_peer_latency_seconds', 'sepp_refusals_total', 'sepp_tls_certificate_expiry_timestamp_seconds', 'sepp_nodejs_eventloop_lag_p99_seconds']) {
      expect({ name, used: names.has(name), exposed: exposed.has(name) }).toEqual({ name, used: true, exposed: true });
    }
  });
});
