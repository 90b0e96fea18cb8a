import type { OutgoingHttpHeaders } from 'node:http2';
import { NfClient, TARGET_HEADER, type NfAnswer, type TappedProducer } from '../../test/support/n32f';
import { countError } from './results';
import { sleep } from '../../test/support/wait-for';

/** How one NF request through the SEPPs ended. */
export type NfOutcome =
  | { readonly i: number; readonly path: string; readonly kind: 'ok'; readonly status: number; readonly startedAt: number; readonly endedAt: number; readonly reachesProducer: boolean }
  /** A 5xx problem+json of a SEPP (status in the body, a `cause`). */
  | { readonly i: number; readonly path: string; readonly kind: 'problem'; readonly status: number; readonly cause: string; readonly startedAt: number; readonly endedAt: number }
  /** Anything else: another status, a body that is not a problem, a reset stream, or no answer in time (a hang). */
  | { readonly i: number; readonly path: string; readonly kind: 'failure'; readonly error: string; readonly startedAt: number; readonly endedAt: number };

export interface NfRequestSpec {
  method?: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Statuses that count as the expected answer (default: 2xx). */
  expect?: (status: number) => boolean;
  /** Whether the expected answer comes from the producer (default) or from a SEPP (a refusal). */
  reachesProducer?: boolean;
}

export interface LoadOptions {
  /** The initiator's NF-facing (sbi) port. */
  sbiPort: number;
  /** The producer's apiRoot, sent as `3gpp-sbi-target-apiroot`. */
  target: string;
  /** Requests in flight. */
  concurrency: number;
  /** Pause of each worker between two requests (ms). */
  paceMs?: number;
  /** A per-request bound: no complete answer by then is a hang. */
  timeoutMs?: number;
  /** Tag making every path unique to this run (the producer's view is matched by it). */
  tag: string;
  /** The request number i (default: GET am-data with a unique query). */
  request?: (i: number, tag: string) => NfRequestSpec;
  /** Stop after this many requests (default: until stop()). */
  limit?: number;
  /** Open loop: request i starts at `i / ratePerSecond` s after the start (workers cap what is in flight). */
  ratePerSecond?: number;
}

/** Loads started and not stopped yet. */
const running = new Set<NfLoad>();
// A load whose test failed before its stop() is stopped once the test file is done: its workers
// would otherwise go on sending (to apps already stopped) and keep jest from exiting.
afterAll(async () => {
  await Promise.all([...running].map((load) => load.stop()));
});

const defaultRequest = (i: number, tag: string): NfRequestSpec => ({ path: `/nudm-sdm/v2/imsi-0010100000${String(i % 100_000).padStart(5, '0')}/am-data?run=${tag}&n=${i}` });

/**
 * A consumer NF sending a steady stream of requests through the initiator's NF-facing listener
 * and classifying how each one ended. Every request carries a unique query, so what reached the
 * producer can be matched one to one (nothing duplicated, nothing answered without reaching it).
 */
export class NfLoad {
  readonly outcomes: NfOutcome[] = [];
  private running = true;
  private next = 0;
  private nf: NfClient | null = null;
  private connecting: Promise<NfClient> | null = null;
  private readonly workers: Promise<void>[] = [];
  readonly startedAt = performance.now();

  constructor(private readonly options: LoadOptions) {}

  static start(options: LoadOptions): NfLoad {
    const load = new NfLoad(options);
    running.add(load);
    for (let w = 0; w < options.concurrency; w++) load.workers.push(load.worker());
    return load;
  }

  private async client(): Promise<NfClient> {
    if (this.nf && !this.nf.session.closed && !this.nf.session.destroyed) return this.nf;
    this.connecting ??= NfClient.connect(this.options.sbiPort).then(
      (nf) => {
        this.nf = nf;
        this.connecting = null;
        return nf;
      },
      (error: unknown) => {
        this.connecting = null;
        throw error;
      },
    );
    return this.connecting;
  }

  private async worker(): Promise<void> {
    const { limit, paceMs = 0 } = this.options;
    while (this.running && (limit === undefined || this.next < limit)) {
      const i = this.next++;
      if (this.options.ratePerSecond) {
        const wait = this.startedAt + (i * 1000) / this.options.ratePerSecond - performance.now();
        if (wait > 0) await sleep(wait);
        if (!this.running) {
          this.next = Math.min(this.next, i);
          break;
        }
      }
      this.outcomes.push(await this.send(i));
      if (paceMs > 0) await sleep(paceMs);
    }
  }

  private async send(i: number): Promise<NfOutcome> {
    const spec = (this.options.request ?? defaultRequest)(i, this.options.tag);
    const startedAt = performance.now();
    let answer: NfAnswer;
    try {
      const nf = await this.client();
      answer = await nf.request({
        method: spec.method ?? 'GET',
        path: spec.path,
        headers: { [TARGET_HEADER]: this.options.target, ...spec.headers },
        body: spec.body,
        timeoutMs: this.options.timeoutMs ?? 15_000,
      });
    } catch (error) {
      return { i, path: spec.path, kind: 'failure', error: (error as Error).message, startedAt, endedAt: performance.now() };
    }
    const endedAt = answer.endedAt;
    if ((spec.expect ?? ((s: number) => s >= 200 && s < 300))(answer.status)) return { i, path: spec.path, kind: 'ok', status: answer.status, startedAt, endedAt, reachesProducer: spec.reachesProducer ?? true };
    const body = answer.json as { status?: unknown; cause?: unknown } | undefined;
    if (answer.status >= 500 && /^application\/problem\+json/.test(String(answer.headers['content-type'])) && body?.status === answer.status && typeof body.cause === 'string') {
      return { i, path: spec.path, kind: 'problem', status: answer.status, cause: body.cause, startedAt, endedAt };
    }
    return { i, path: spec.path, kind: 'failure', error: `HTTP ${answer.status} ${String(answer.headers['content-type'])} ${answer.text.slice(0, 200)}`, startedAt, endedAt };
  }

  /** Stops sending and waits for every request in flight to end. */
  async stop(): Promise<NfOutcome[]> {
    this.running = false;
    running.delete(this);
    await Promise.all(this.workers);
    this.nf?.close();
    return this.outcomes;
  }

  /** Waits until every request of a `limit`ed load ended. */
  async done(): Promise<NfOutcome[]> {
    await Promise.all(this.workers);
    running.delete(this);
    this.nf?.close();
    return this.outcomes;
  }

  get sent(): number {
    return this.next;
  }

  /** The end of the first successful request that started at or after `t` (performance.now()). */
  firstOkStartedAfter(t: number): number | undefined {
    let best: number | undefined;
    for (const o of this.outcomes) if (o.kind === 'ok' && o.startedAt >= t && (best === undefined || o.endedAt < best)) best = o.endedAt;
    return best;
  }

  /** Waits until a request that started at or after `t` succeeded; returns when it ended. */
  async waitForOkAfter(t: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const at = this.firstOkStartedAfter(t);
      if (at !== undefined) return at;
      if (performance.now() > deadline) throw new Error(`no successful NF request within ${timeoutMs} ms`);
      await sleep(20);
    }
  }
}

/** Errors by kind of a set of outcomes: `<status> <cause>` for problems, the first words of a failure. */
export function errorKinds(outcomes: readonly NfOutcome[], into: Record<string, number> = {}): Record<string, number> {
  for (const o of outcomes) {
    if (o.kind === 'problem') countError(into, `${o.status} ${o.cause}`);
    else if (o.kind === 'failure') countError(into, failureKind(o.error));
  }
  return into;
}

export function failureKind(error: string): string {
  if (/no complete answer within/.test(error)) return 'hang';
  if (/stream closed \(code (\d+)\)/.test(error)) return `reset(${/code (\d+)/.exec(error)![1]})`;
  if (/^HTTP (\d+)/.test(error)) return `unexpected ${/^HTTP (\d+)/.exec(error)![1]}`;
  return 'client error';
}

export interface Accounting {
  sent: number;
  ok: number;
  /** Of `ok`, the answers the producer gave (the others are expected refusals of a SEPP). */
  okFromProducer: number;
  problems: number;
  failures: number;
  /** Streams of this run that reached the producer and ended normally. */
  producerCompleted: number;
  /** Paths the producer saw more than once. */
  duplicated: string[];
  /** Successful answers whose request the producer never saw (or, for expected refusals, did see). */
  okNotAtProducer: number;
  /** Requests that reached the producer but whose NF got a 5xx (the answer was lost with the connection). */
  lostAnswers: number;
}

/**
 * Matches the outcomes of a run with what the producer saw: every request accounted for exactly
 * once at the NF side, nothing duplicated at the producer, every success seen by the producer.
 */
export function account(outcomes: readonly NfOutcome[], producer: TappedProducer, tag: string): Accounting {
  const seen = producer.seen.filter((s) => String(s.headers[':path']).includes(`run=${tag}&`));
  const counts = new Map<string, number>();
  for (const s of seen) counts.set(String(s.headers[':path']), (counts.get(String(s.headers[':path'])) ?? 0) + 1);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([path]) => path);
  const indices = new Set(outcomes.map((o) => o.i));
  let okNotAtProducer = 0;
  let lostAnswers = 0;
  for (const o of outcomes) {
    const arrived = counts.get(o.path) ?? 0;
    if (o.kind === 'ok' && o.reachesProducer && arrived === 0) okNotAtProducer += 1;
    if (o.kind === 'ok' && !o.reachesProducer && arrived > 0) okNotAtProducer += 1;
    if (o.kind !== 'ok' && arrived > 0) lostAnswers += 1;
  }
  if (indices.size !== outcomes.length) throw new Error('an NF request was recorded twice');
  return {
    sent: outcomes.length,
    ok: outcomes.filter((o) => o.kind === 'ok').length,
    okFromProducer: outcomes.filter((o) => o.kind === 'ok' && o.reachesProducer).length,
    problems: outcomes.filter((o) => o.kind === 'problem').length,
    failures: outcomes.filter((o) => o.kind === 'failure').length,
    producerCompleted: seen.filter((s) => s.ended).length,
    duplicated,
    okNotAtProducer,
    lostAnswers,
  };
}
