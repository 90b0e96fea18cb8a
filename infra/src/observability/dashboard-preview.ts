#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { exitWith } from '../cli';

const USAGE = `usage: node infra/dist/observability/dashboard-preview.js --prometheus URL --out FILE.html
                                                     [--dashboard FILE] [--minutes N]
Renders a Grafana dashboard JSON (default: the N32 overview of infra/observability) as one static
HTML page: every panel's PromQL queried from a real Prometheus (its HTTP API), drawn in the
panel's place of the 24-column grid (time series as lines, stat, bar gauge, table). It is a
preview, not Grafana: where Grafana cannot run, it shows what the dashboard's queries return.
  --prometheus URL  the Prometheus to query (e.g. http://127.0.0.1:9090)
  --out FILE        the HTML file to write
  --dashboard FILE  the dashboard JSON (default infra/observability/grafana/dashboards/n32-overview.json)
  --minutes N       the time range, ending now (default 15)`;

const DEFAULT_DASHBOARD = path.resolve(__dirname, '../../observability/grafana/dashboards/n32-overview.json');
const COLUMN_PX = 58;
const ROW_PX = 30;
const PALETTE = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#96d98d', '#ffb357'];

interface Target {
  expr: string;
  legendFormat?: string;
  instant?: boolean;
}
interface Panel {
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Dashboard {
  title: string;
  panels: Panel[];
}
interface Series {
  name: string;
  labels: Record<string, string>;
  points: [number, number][];
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Grafana's variables, as the dashboard's defaults set them: every SEPP, a rate window of four scrapes. */
function expand(expr: string, rangeSeconds: number): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', `${rangeSeconds}s`).replaceAll('$app', '.*');
}

function legend(format: string | undefined, labels: Record<string, string>): string {
  if (!format) return Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(', ') || 'value';
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => labels[name] ?? '').trim() || 'value';
}

async function query(prometheus: string, target: Target, panel: Panel, start: number, end: number): Promise<Series[]> {
  const expr = expand(target.expr, end - start);
  const instant = target.instant === true || panel.type !== 'timeseries';
  const url = instant
    ? `${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}&time=${end}`
    : `${prometheus}/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=${Math.max(5, Math.round((end - start) / 120))}`;
  const answer = (await (await fetch(url)).json()) as {
    status: string;
    error?: string;
    data?: { result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] };
  };
  if (answer.status !== 'success') throw new Error(`${panel.title}: ${expr}: ${answer.error ?? answer.status}`);
  return answer.data!.result.map(({ metric, value, values }) => {
    const { __name__: _name, ...labels } = metric;
    return { name: legend(target.legendFormat, labels), labels, points: (values ?? (value ? [value] : [])).map(([t, v]) => [t, Number(v)] as [number, number]) };
  });
}

function format(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 's':
      return value >= 1 ? `${value.toFixed(2)} s` : `${(value * 1000).toPrecision(3)} ms`;
    case 'bytes':
      return value >= 2 ** 20 ? `${(value / 2 ** 20).toFixed(1)} MiB` : `${(value / 1024).toFixed(1)} KiB`;
    case 'reqps':
      return `${value.toPrecision(3)} req/s`;
    case 'd':
      return `${value.toFixed(1)} days`;
    default:
      return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  }
}

function timeseries(series: Series[], width: number, height: number, start: number, end: number, unit: string | undefined): string {
  const max = Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v)));
  const top = max > 0 ? max * 1.1 : 1;
  const x = (t: number): number => ((t - start) / (end - start)) * width;
  const y = (v: number): number => height - (v / top) * height;
  const lines = series.map((s, i) => {
    const points = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="1.5" points="${points}"/>`;
  });
  const grid = [0.25, 0.5, 0.75].map((f) => `<line x1="0" x2="${width}" y1="${(height * f).toFixed(1)}" y2="${(height * f).toFixed(1)}" class="grid"/>`);
  return `<div class="axis">${escape(format(top, unit))}</div><svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${grid.join('')}${lines.join('')}</svg>`;
}

function panelBody(panel: Panel, series: Series[], width: number, height: number, start: number, end: number): string {
  const unit = panel.fieldConfig?.defaults?.unit;
  if (series.length === 0) return '<div class="empty">No data</div>';
  const last = (s: Series): number => s.points.at(-1)?.[1] ?? NaN;
  switch (panel.type) {
    case 'timeseries': {
      const legendRows = Math.min(series.length, Math.max(1, Math.floor((height - 60) / 3 / 15)));
      const chart = timeseries(series, width - 16, height - 36 - legendRows * 15, start, end, unit);
      const legendHtml = series
        .slice(0, legendRows)
        .map((s, i) => `<div class="legend"><span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${escape(s.name)} <b>${escape(format(last(s), unit))}</b></div>`)
        .join('');
      const more = series.length > legendRows ? `<div class="legend muted">+${series.length - legendRows} more series</div>` : '';
      return `${chart}${legendHtml}${more}`;
    }
    case 'stat':
      return series.map((s) => `<div class="stat"><span class="big">${escape(format(last(s), unit))}</span> ${escape(s.name)}</div>`).join('');
    case 'bargauge': {
      const max = Math.max(...series.map(last), 1e-9);
      return series
        .map((s, i) => `<div class="bar"><span class="label">${escape(s.name)}</span><span class="fill" style="width:${Math.max(1, (last(s) / max) * 60).toFixed(1)}%;background:${PALETTE[i % PALETTE.length]}"></span><span class="value">${escape(format(last(s), unit))}</span></div>`)
        .join('');
    }
    case 'table': {
      const columns = [...new Set(series.flatMap((s) => Object.keys(s.labels)))].filter((c) => !['job', 'plmn', 'instance'].includes(c));
      const head = columns.map((c) => `<th>${escape(c)}</th>`).join('');
      const rows = series.map((s) => `<tr>${columns.map((c) => `<td>${escape(s.labels[c] ?? '')}</td>`).join('')}</tr>`).join('');
      return `<table><tr>${head}</tr>${rows}</table>`;
    }
    default:
      return `<div class="empty">panel type ${escape(panel.type)} not previewed</div>`;
  }
}

/** The HTML preview of `dashboard` with the data `prometheus` holds for the last `minutes`. */
export async function renderDashboardPreview(dashboard: Dashboard, prometheus: string, minutes: number, now = Date.now()): Promise<string> {
  const end = Math.floor(now / 1000);
  const start = end - minutes * 60;
  const boxes: string[] = [];
  let bottom = 0;
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    bottom = Math.max(bottom, (y + h) * ROW_PX);
    const style = `left:${x * COLUMN_PX}px;top:${y * ROW_PX}px;width:${w * COLUMN_PX - 6}px;height:${h * ROW_PX - 6}px`;
    if (panel.type === 'row') {
      boxes.push(`<div class="row" style="${style}">${escape(panel.title)}</div>`);
      continue;
    }
    const series = (await Promise.all((panel.targets ?? []).map((target) => query(prometheus, target, panel, start, end)))).flat();
    boxes.push(`<div class="panel" style="${style}"><div class="title">${escape(panel.title)}</div>${panelBody(panel, series, w * COLUMN_PX - 6, h * ROW_PX - 36, start, end)}</div>`);
  }
  const width = 24 * COLUMN_PX;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(dashboard.title)} (preview)</title><style>
body{margin:0;background:#111217;color:#ccccdc;font:12px system-ui,sans-serif}
header{padding:10px 12px;width:${width}px}header h1{font-size:16px;margin:0 0 4px;color:#fff}header p{margin:0;color:#8e8e9e}
.grid{position:relative;width:${width}px;height:${bottom}px;margin:0 6px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:2px;overflow:hidden;padding:4px 6px}
.row{position:absolute;font-size:14px;font-weight:600;color:#fff;padding-top:6px}
.title{font-weight:600;color:#fff;margin-bottom:4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.axis{position:absolute;right:8px;top:22px;color:#8e8e9e;font-size:10px}
svg line.grid{stroke:#2c3235;stroke-width:1}
.legend{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;line-height:15px}.swatch{display:inline-block;width:10px;height:3px;margin-right:5px;vertical-align:middle}
.stat{padding:4px 0}.big{font-size:26px;font-weight:600;color:#73bf69;margin-right:6px}
.bar{display:flex;align-items:center;gap:6px;margin:3px 0}.bar .label{width:38%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.bar .fill{height:12px;display:inline-block}.bar .value{margin-left:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:2px 6px;border-bottom:1px solid #2c3235;white-space:nowrap}th{color:#8e8e9e}
.empty,.muted{color:#8e8e9e}
</style></head><body><header><h1>${escape(dashboard.title)}</h1><p>Preview rendered by infra/src/observability/dashboard-preview.ts from the dashboard JSON, with its queries run against Prometheus (last ${minutes} minutes, to ${new Date(now).toISOString()}); not Grafana.</p></header><div class="grid">${boxes.join('')}</div></body></html>`;
}

export async function runDashboardPreview(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { prometheus: { type: 'string' }, out: { type: 'string' }, dashboard: { type: 'string' }, minutes: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    if (!values.prometheus || !values.out) throw new Error('--prometheus and --out are required');
  } catch (error) {
    console.error(`dashboard-preview: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const dashboard = JSON.parse(readFileSync(values.dashboard ?? DEFAULT_DASHBOARD, 'utf8')) as Dashboard;
  const html = await renderDashboardPreview(dashboard, values.prometheus.replace(/\/$/, ''), Number(values.minutes ?? 15));
  writeFileSync(values.out, html);
  console.log(`wrote ${values.out}`);
  return 0;
}

if (require.main === module) exitWith(runDashboardPreview(process.argv.slice(2)));
