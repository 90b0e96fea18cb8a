#!/usr/bin/env node
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { sendViaSepp } from '../nf/consumer';
import { BenchChild, cpuTimeMs, rssBytes } from './child';
import { CONSUMER_HEADERS, mintBenchCerts, PRODUCER_FQDN, type BenchCerts, type BenchContext, type BenchParams, type BenchReport, type Scenario, type ScenarioEntry, type ScenarioResult } from './context';
import { findH2load, h2loadErrors, runH2load } from './h2load';
import { DEFAULT_MAX_SAMPLES, jsonBody, runLoadInWorker, type LoadPhase } from './load';
import { computeRatios, renderReport, rssOf } from './report';
import { h2loadRatiosPerRound, medianRatios, medianRound, roundFigure, roundOrder } from './rounds';
import { RATIOS, SCENARIOS, TARGETS } from './scenarios';
import { evaluateTargets } from './targets';
import { exitWith } from '../cli';

const GET_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
const POST_PATH = '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions';

const USAGE = `usage: pnpm bench [-- options]   (node infra/dist/bench/bench.js [options])
Measures N32-f forwarding: each scenario is set up, warmed up, loaded for --duration seconds with an
HTTP/2 (h2c) closed-loop generator in a worker thread (then, for --h2load scenarios, with h2load),
then stopped; (n) measures N32-c negotiation latency instead. Every target is printed with PASS/FAIL.
${SCENARIOS.map((s) => `  (${s.id}) ${s.title}`).join('\n')}
options:
  --duration S        measured seconds per scenario (default 10)
  --warmup S          unmeasured seconds before that (default 2)
  --concurrency N     streams in flight (default 64)
  --connections N     h2c connections of the generator (default 4)
  --scenarios LIST    e.g. a,b (default: all: ${SCENARIOS.map((s) => s.id).join(',')})
  --post              POST a ~1 KB JSON body to ${POST_PATH} instead of GET ${GET_PATH}
  --body-bytes N      POST body size (default 1024)
  --timeout MS        per-request timeout (default 10000)
  --sepp-log-level L  logging.level of the SEPP apps (default warn)
  --h2load LIST       load scenarios also loaded with h2load -c 10 -m 10 for --duration s (default b,c
                      when h2load is installed; "none": skip)
  --negotiations N    measured capability negotiations in (n); PRINS set-ups: N/2 (default 200)
  --rounds N          run the selected scenarios N times, every other round in reverse order; each
                      scenario shows its median round (req/s; (n): whole p50), each ratio is the
                      median of the rounds' own ratios, every round's figures are listed (default 1)
  --json FILE         also write the results as JSON
  --cpu-prof DIR      run every process of the scenarios (not the generator) with node --cpu-prof, profiles in DIR
  --node-arg ARG      a node option for every process of the scenarios (repeatable), e.g. --node-arg=--trace-gc
  --keep              keep the work directory (configs, certificates, logs); kept anyway when a scenario fails
exit code: 0 when every selected scenario ran (whatever the numbers), 1 when one could not run, 2 usage`;

const DIST_DIR = path.resolve(__dirname, '..');
const REPO_DIR = path.resolve(DIST_DIR, '..', '..');

class UsageError extends Error {}

interface BenchOptions {
  params: BenchParams;
  scenarios: Scenario[];
  json?: string;
  keep: boolean;
  cpuProfDir?: string;
  nodeArgs: string[];
  rounds: number;
}

function positive(name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${value}"`);
  }
  return number;
}

function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        duration: { type: 'string' },
        warmup: { type: 'string' },
        concurrency: { type: 'string' },
        connections: { type: 'string' },
        scenarios: { type: 'string' },
        post: { type: 'boolean' },
        'body-bytes': { type: 'string' },
        timeout: { type: 'string' },
        'sepp-log-level': { type: 'string' },
        h2load: { type: 'string' },
        negotiations: { type: 'string' },
        rounds: { type: 'string' },
        json: { type: 'string' },
        'cpu-prof': { type: 'string' },
        'node-arg': { type: 'string', multiple: true },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values['help']) return 'help';
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const warmup = text('warmup') === '0' ? 0 : positive('warmup', text('warmup'), 2, false);
  const post = values['post'] === true;
  const level = text('sepp-log-level') ?? 'warn';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(level)) throw new UsageError(`--sepp-log-level must be a pino level, got "${level}"`);
  const ids = (text('scenarios') ?? SCENARIOS.map((s) => s.id).join(',')).split(',').map((id) => id.trim().toLowerCase()).filter(Boolean);
  for (const id of ids) {
    if (!SCENARIOS.some((s) => s.id === id)) throw new UsageError(`unknown scenario "${id}" (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
  }
  // Always in the canonical order, so tables of different runs line up.
  const scenarios = SCENARIOS.filter((s) => ids.includes(s.id));
  if (scenarios.length === 0) throw new UsageError('--scenarios selects nothing');
  const params: BenchParams = {
    durationS: positive('duration', text('duration'), 10, false),
    warmupS: warmup,
    concurrency: positive('concurrency', text('concurrency'), 64),
    connections: positive('connections', text('connections'), 4),
    method: post ? 'POST' : 'GET',
    path: post ? POST_PATH : GET_PATH,
    bodyBytes: post ? positive('body-bytes', text('body-bytes'), 1024) : 0,
    requestTimeoutMs: positive('timeout', text('timeout'), 10_000),
    seppLogLevel: level,
    h2load: h2loadScenarios(text('h2load')),
    negotiations: positive('negotiations', text('negotiations'), 200),
  };
  if (params.connections > params.concurrency) throw new UsageError('--connections must not exceed --concurrency');
  const cpuProf = text('cpu-prof');
  const nodeArgs = (values['node-arg'] as string[] | undefined) ?? [];
  const rounds = positive('rounds', text('rounds'), 1);
  return { params, scenarios, json: text('json'), keep: values['keep'] === true, nodeArgs, rounds, ...(cpuProf ? { cpuProfDir: path.resolve(cpuProf) } : {}) };
}

/** The scenarios --h2load names (default b,c when h2load is installed). */
function h2loadScenarios(value: string | undefined): string[] {
  if (value === 'none') return [];
  if (value === undefined) return findH2load() ? ['b', 'c'] : [];
  if (!findH2load()) throw new UsageError('--h2load: h2load is not installed (Debian: apt-get install nghttp2-client; or set H2LOAD)');
  const ids = value.split(',').map((id) => id.trim().toLowerCase()).filter(Boolean);
  for (const id of ids) {
    const scenario = SCENARIOS.find((s) => s.id === id);
    if (!scenario) throw new UsageError(`--h2load: unknown scenario "${id}"`);
    if (scenario.measure) throw new UsageError(`--h2load: (${id}) is not a load scenario`);
  }
  return ids;
}

const say = (line: string): void => console.log(line);

/** A scenario's process by the name it has within the scenario (`c-initiator` -> `initiator`). */
const nameInScenario = (scenario: Scenario, child: BenchChild): string => child.name.slice(scenario.id.length + 1);

interface LoadRun {
  scenario: Scenario;
  entry: ScenarioEntry;
  result: ScenarioResult;
  ctx: BenchContext;
  /** Every process on the path, the producer first. */
  onPath: BenchChild[];
  body: string | undefined;
}

/** Smoke request, optional check, the bench's own load, then h2load when selected. */
async function loadScenario({ scenario, entry, result, ctx, onPath, body }: LoadRun): Promise<void> {
  const { params } = ctx;
  // One request first: a scenario that cannot forward is reported as such, not as a pile of errors.
  const smoke = await sendViaSepp({ sepp: entry.url, target: entry.target, telescopic: entry.authority, method: params.method, path: params.path, body, timeoutMs: 10_000 });
  if (smoke.status < 200 || smoke.status > 299) {
    throw new Error(`the first request through it answered ${smoke.status}: ${smoke.text.slice(0, 300)}`);
  }
  const servedBy = (smoke.json as { servedBy?: unknown } | undefined)?.servedBy;
  if (servedBy !== 'udm1') throw new Error(`the first request through it did not reach the producer (body: ${smoke.text.slice(0, 300)})`);
  if (scenario.verify) say(`bench: (${scenario.id}) ${await scenario.verify(ctx, entry)}`);
  say(`bench: (${scenario.id}) loading ${entry.url} for ${params.warmupS}${scenario.warmupRequests ? ` s and ${scenario.warmupRequests} answers` : ''} + ${params.durationS} s`);
  const processName = (child: BenchChild, i: number): string => (i === 0 ? 'producer' : nameInScenario(scenario, child));
  let cpuAtStart: Array<number | null> = [];
  let cpuAtEnd: Array<number | null> = [];
  let generatorAt = process.cpuUsage();
  const onPhase = (phase: LoadPhase): void => {
    const sample = onPath.map((child) => cpuTimeMs(child.pid));
    if (phase === 'measure') {
      cpuAtStart = sample;
      generatorAt = process.cpuUsage();
    } else {
      cpuAtEnd = sample;
      const used = process.cpuUsage(generatorAt);
      result.generatorCpuMs = (used.user + used.system) / 1000;
    }
  };
  result.load = await runLoadInWorker({
    url: entry.url,
    ...(entry.alsoUrls ? { alsoUrls: entry.alsoUrls } : {}),
    target: entry.target,
    authority: entry.authority,
    method: params.method,
    path: params.path,
    headers: { ...CONSUMER_HEADERS },
    body,
    connections: params.connections,
    concurrency: params.concurrency,
    durationS: params.durationS,
    warmupS: params.warmupS,
    ...(scenario.warmupRequests ? { warmupRequests: scenario.warmupRequests } : {}),
    requestTimeoutMs: params.requestTimeoutMs,
    maxSamples: DEFAULT_MAX_SAMPLES,
  }, onPhase);
  if (scenario.warmupRequests && result.load.warmupAnswered < scenario.warmupRequests) {
    say(`bench: (${scenario.id}) the warm-up ended at its time bound after ${result.load.warmupAnswered} answers, not ${scenario.warmupRequests}`);
  }
  result.cpu = onPath.map((child, i) => {
    const [from, to] = [cpuAtStart[i], cpuAtEnd[i]];
    return { process: processName(child, i), cpuMs: from === null || from === undefined || to === null || to === undefined ? null : to - from };
  });
  if (result.load.ok > 0 && result.cpu.every((c) => c.cpuMs !== null)) {
    result.cpuMsPerRequest = result.cpu.reduce((sum, c) => sum + c.cpuMs!, 0) / result.load.ok;
  }
  const h2load = findH2load();
  if (h2load && params.h2load.includes(scenario.id)) {
    say(`bench: (${scenario.id}) loading ${entry.url} with h2load -c 10 -m 10 for ${params.durationS} s`);
    const before = onPath.map((child) => cpuTimeMs(child.pid));
    const counts = await runH2load(h2load, {
      url: entry.url,
      path: params.path,
      method: params.method,
      target: entry.target,
      authority: entry.authority,
      headers: CONSUMER_HEADERS,
      body,
      durationS: params.durationS,
      clients: 10,
      streams: 10,
      workDir: ctx.workDir,
    });
    const after = onPath.map((child) => cpuTimeMs(child.pid));
    const cpu = before.every((v) => v !== null) && after.every((v) => v !== null) ? after.reduce<number>((sum, v, i) => sum + (v ?? 0) - (before[i] ?? 0), 0) : null;
    const ok = counts.status2xx;
    result.h2load = {
      clients: 10,
      streams: 10,
      durationS: counts.seconds,
      reqPerSec: counts.seconds > 0 ? ok / counts.seconds : 0,
      succeeded: ok,
      errors: h2loadErrors(counts),
      meanMs: counts.meanMs,
      cpuMsPerRequest: cpu !== null && ok > 0 ? cpu / ok : null,
    };
  }
}

interface ScenarioRun {
  params: BenchParams;
  workDir: string;
  /** The NF producer every scenario forwards to (started once for the whole run). */
  producer: BenchChild;
  producerPort: number;
  certs: () => Promise<BenchCerts>;
  /** Starts a process of the bench (its log, and profile with --cpu-prof, named after it). */
  start: (name: string, script: string, args: string[], env?: NodeJS.ProcessEnv, binary?: boolean) => BenchChild;
  body: string | undefined;
}

/**
 * One scenario of one round: set up, idle RSS, then measured (n) or loaded (the others), then every
 * process it started stopped (in reverse order) and its peak RSS read. A scenario that cannot run
 * is reported so (`ran: false`, `error`), never thrown: the other scenarios still run.
 */
async function runScenario(scenario: Scenario, run: ScenarioRun): Promise<ScenarioResult> {
  const { params, workDir, producer, producerPort, start, body } = run;
  const scenarioChildren: BenchChild[] = [];
  const processName = (child: BenchChild): string => nameInScenario(scenario, child);
  const ctx: BenchContext = {
    repoDir: REPO_DIR,
    distDir: DIST_DIR,
    workDir,
    params,
    producer: { host: '127.0.0.1', port: producerPort, name: 'udm1' },
    producerApiRoot: `http://${PRODUCER_FQDN}:${producerPort}`,
    certs: run.certs,
    spawn: (name, script, args, opts) => {
      const child = start(`${scenario.id}-${name}`, script, args, opts?.env, opts?.binary ?? false);
      scenarioChildren.push(child);
      return child;
    },
    spawnAside: (name, script, args) => start(`${scenario.id}-${name}`, script, args),
    say,
  };
  const result: ScenarioResult = { id: scenario.id, title: scenario.title, ran: false, cpu: [], cpuMsPerRequest: null, rss: [], idleRss: [] };
  say(`bench: (${scenario.id}) ${scenario.title}: setting up`);
  try {
    const entry = await scenario.setup(ctx);
    // Before any traffic: what each process holds once it is up.
    result.idleRss = scenarioChildren.map((child) => rssOf(processName(child), rssBytes(child.pid)));
    if (scenario.measure) {
      say(`bench: (${scenario.id}) measuring`);
      const before = scenarioChildren.map((child) => cpuTimeMs(child.pid));
      const measured = await scenario.measure(ctx, entry);
      const after = scenarioChildren.map((child) => cpuTimeMs(child.pid));
      result.latency = measured.series;
      result.measureErrors = measured.errors;
      result.cpu = scenarioChildren.map((child, i) => ({ process: processName(child), cpuMs: before[i] == null || after[i] == null ? null : after[i] - before[i] }));
      if (measured.operations > 0 && result.cpu.every((c) => c.cpuMs !== null)) result.cpuMsPerRequest = result.cpu.reduce((sum, c) => sum + c.cpuMs!, 0) / measured.operations;
    } else {
      await loadScenario({ scenario, entry, result, ctx, onPath: [producer, ...scenarioChildren], body });
    }
    result.ran = true;
    for (const child of scenarioChildren) child.assertRunning();
  } catch (error) {
    result.error = (error as Error).message;
    say(`bench: (${scenario.id}) could not run: ${result.error}`);
  } finally {
    // Reverse start order: the initiator before the responder, proxy A before proxy B.
    for (const child of [...scenarioChildren].reverse()) {
      await child.stop();
      result.rss.push(rssOf(processName(child), child.peakRss));
    }
  }
  return result;
}

export async function runBench(argv: string[]): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    say(USAGE);
    return 0;
  }
  const { params } = options;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'sepp-bench-'));
  const logsDir = path.join(workDir, 'logs');
  await mkdir(logsDir, { recursive: true });
  const all = new Set<BenchChild>();
  const killAll = (): void => all.forEach((child) => child.killNow());
  process.on('exit', killAll);
  const onSignal = (): void => {
    say('\ninterrupted: stopping everything');
    killAll();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const cpuProfDir = options.cpuProfDir;
  if (cpuProfDir) await mkdir(cpuProfDir, { recursive: true });
  /** With --rounds, the round a process belongs to is in its log's and profile's names. */
  let roundSuffix = '';
  const start = (name: string, script: string, args: string[], env?: NodeJS.ProcessEnv, binary = false): BenchChild => {
    // One profile per process, named after it (written when it exits after SIGTERM).
    const nodeArgs = binary ? [] : [...options.nodeArgs, ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${name}${roundSuffix}.cpuprofile`] : [])];
    const child = BenchChild.start(name, script, args, { logFile: path.join(logsDir, `${name}${roundSuffix}.log`), cwd: REPO_DIR, env, nodeArgs, binary });
    all.add(child);
    return child;
  };

  const startedAt = new Date().toISOString();
  say(`bench: work directory ${workDir}`);
  let certs: Promise<BenchCerts> | undefined;
  const body = params.method === 'POST' ? jsonBody(params.bodyBytes) : undefined;
  /** Every round's results, in the order they ran. */
  const rounds: ScenarioResult[][] = [];
  let producer: BenchChild | undefined;
  let exitCode = 0;
  try {
    const nf = start('producer', path.join(DIST_DIR, 'nf', 'producer-cli.js'), ['--host', '127.0.0.1', '--port', '0', '--name', 'udm1']);
    producer = nf;
    const producerAt = await nf.waitListening('nf', 10_000);
    say(`bench: producer udm1 on 127.0.0.1:${producerAt.port} (h2c)`);

    for (let round = 0; round < options.rounds; round++) {
      const roundResults: ScenarioResult[] = [];
      rounds.push(roundResults);
      roundSuffix = options.rounds > 1 ? `.round${round + 1}` : '';
      if (options.rounds > 1) say(`bench: round ${round + 1} of ${options.rounds}`);
      for (const scenario of roundOrder(options.scenarios, round)) {
        roundResults.push(await runScenario(scenario, { params, workDir, producer: nf, producerPort: producerAt.port, certs: () => (certs ??= mintBenchCerts(path.join(workDir, 'certs'))), start, body }));
      }
    }
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    exitCode = 1;
  } finally {
    await producer?.stop();
  }

  // Each scenario's median round (the only one without --rounds), in the canonical order.
  const results = options.scenarios.flatMap((scenario) => {
    const runs = rounds.flatMap((roundResults) => roundResults.filter((result) => result.id === scenario.id));
    return runs.length > 0 ? [medianRound(runs)] : [];
  });
  const repeated = rounds.length > 1 ? medianRatios(RATIOS, rounds) : null;
  const measured: Omit<BenchReport, 'targets'> = {
    startedAt,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: { count: os.cpus().length, model: os.cpus()[0]?.model.trim() ?? 'unknown' },
    params,
    scenarios: results,
    ratios: repeated ? repeated.ratios : computeRatios(RATIOS, results),
    ...(repeated
      ? {
          rounds: {
            count: rounds.length,
            scenarios: Object.fromEntries(options.scenarios.map((scenario) => [scenario.id, rounds.map((roundResults) => roundFigure(roundResults.find((result) => result.id === scenario.id)))])),
            ratios: Object.fromEntries(RATIOS.map((spec, index) => [`${spec.numerator}/${spec.denominator}`, repeated.perRound[index]!])),
            h2loadRatios: h2loadRatiosPerRound(RATIOS, rounds),
          },
        }
      : {}),
    producer: rssOf('producer', producer?.peakRss ?? null),
  };
  const report: BenchReport = { ...measured, targets: evaluateTargets(TARGETS, measured) };
  say('');
  say(renderReport(report));
  if (options.json) {
    await writeFile(path.resolve(options.json), `${JSON.stringify(report, null, 2)}\n`);
    say(`\nbench: results written to ${options.json}`);
  }
  if (rounds.flat().some((r) => !r.ran) || results.length < options.scenarios.length) exitCode = 1;
  if (exitCode !== 0 || options.keep) {
    say(`bench: configs, certificates and logs kept in ${workDir}`);
  } else {
    await rm(workDir, { recursive: true, force: true });
  }
  return exitCode;
}

if (require.main === module) exitWith(runBench(process.argv.slice(2)));
