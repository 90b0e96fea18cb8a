import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream, type ServerStreamResponseOptions } from 'node:http2';
import { isN32cHandshakePath, N32Error, N32ErrorCode, parseMessagePriority, SBI_HEADERS } from '@sepp/protocol';
import type { LimitsSettings } from '../config/limits-config';
import type { SeppHttp2Server } from '../n32f/dispatching-server';
import { respondWithProblemDetails } from '../n32f/raw-problem';
import { toProblem } from '../problem/to-problem';
import type { ListenerRuntime } from './listener-runtime';
import { LOAD_PEAK_SECONDS } from '../status/listener-load';
import { LoadReportSchedule, loadControlInformation, processLoad, type ProcessLoad } from './load-control';
import { OnceASecond } from './once-a-second';

/** How long a refused sender is asked to wait (`retry-after`, seconds). */
export const OVERLOAD_RETRY_AFTER_S = 1;
/** Request body bytes read and dropped after the refusal before the stream is reset (RFC 9113 §8.1). */
const DISCARD_BYTES = 64 * 1024;
/** The window over which the share of requests refused is measured for the OCI's reduction metric. */
const OCI_WINDOW_MS = 1_000;

/**
 * The `3gpp-Sbi-Oci` header of an overloaded SEPP (TS 29.500 6.4, 5.2.3.3; SEPP scope): when it was
 * issued, how long it holds, and by how much senders should reduce what they send us (percent).
 */
export function overloadControlInformation(seppFqdn: string, reductionPercent: number, now: Date, validitySeconds = OVERLOAD_RETRY_AFTER_S): string {
  const metric = Math.min(100, Math.max(0, Math.round(reductionPercent)));
  return `Timestamp: "${now.toISOString()}"; Period-of-Validity: ${validitySeconds}s; Overload-Reduction-Metric: ${metric}%; SEPP-FQDN: ${seppFqdn}`;
}

/**
 * From how many requests in flight a listener's answers carry the overload control information
 * (`limits.ociFromPercent` of `limits.maxRequestsInFlight`, at least one); Infinity when off.
 */
export function ociThreshold(limits: Pick<LimitsSettings, 'maxRequestsInFlight' | 'ociFromPercent'>): number {
  return limits.ociFromPercent > 0 ? Math.max(1, Math.ceil((limits.maxRequestsInFlight * limits.ociFromPercent) / 100)) : Infinity;
}

/**
 * The reduction asked of senders with `load` requests in flight against a threshold (percent,
 * rounded): the share of the load above it, what would bring it back to the threshold.
 */
export function reductionAbove(load: number, threshold: number): number {
  return load > threshold ? Math.round((100 * (load - threshold)) / load) : 0;
}

/**
 * `headers` with `element` in the list header `name` (lower case): after what is there already, as
 * one field. TS 29.500's `3gpp-Sbi-Oci` and `3gpp-Sbi-Lci` are lists of elements, each with its
 * scope: a producer's (NF scope) and a SEPP's travel together.
 */
export function withListElement(headers: OutgoingHttpHeaders | undefined, name: string, element: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers };
  for (const key of Object.keys(out)) {
    if (key.toLowerCase() !== name) continue;
    const theirs = out[key];
    delete out[key];
    out[name] = theirs === undefined ? element : `${Array.isArray(theirs) ? theirs.join(', ') : String(theirs)}, ${element}`;
    return out;
  }
  out[name] = element;
  return out;
}

/** `headers` with `oci` in `3gpp-Sbi-Oci`, after any OCI already there (`withListElement`). */
export function withOverloadControlInformation(headers: OutgoingHttpHeaders | undefined, oci: string): OutgoingHttpHeaders {
  return withListElement(headers, SBI_HEADERS.oci, oci);
}

/**
 * The stream's answer, whoever sends it (a fast path, Node's compatibility layer for the
 * framework), goes out with its headers as `amend` makes them at that moment.
 */
function amendAnswer(stream: ServerHttp2Stream, amend: (headers: OutgoingHttpHeaders | undefined) => OutgoingHttpHeaders | undefined): void {
  const respond = stream.respond.bind(stream);
  stream.respond = (headers?: OutgoingHttpHeaders, options?: ServerStreamResponseOptions): void => respond(amend(headers), options);
}

/**
 * The highest value noted over the last `seconds` whole seconds of a millisecond clock: one slot
 * per second (a typed array, nothing allocated per note), so the peak of requests in flight costs
 * the hot path one comparison.
 */
export class PeakWindow {
  private readonly peaks: Float64Array;
  private readonly stamps: Float64Array;

  constructor(private readonly seconds = LOAD_PEAK_SECONDS) {
    this.peaks = new Float64Array(seconds);
    this.stamps = new Float64Array(seconds).fill(-Infinity);
  }

  note(value: number, nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    const slot = ((second % this.seconds) + this.seconds) % this.seconds;
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second;
      this.peaks[slot] = value;
    } else if (value > this.peaks[slot]!) {
      this.peaks[slot] = value;
    }
  }

  peak(nowMs: number): number {
    const oldest = Math.floor(nowMs / 1000) - this.seconds;
    let peak = 0;
    for (let slot = 0; slot < this.seconds; slot++) if (this.stamps[slot]! > oldest && this.peaks[slot]! > peak) peak = this.peaks[slot]!;
    return peak;
  }
}

/**
 * Whether a request may use the priority reserve past the bound (TS 29.500 6.8: the message
 * priority guides throttling under overload): an N32-c request on a listener that serves N32-c (the
 * negotiations, terminations and error reports that keep every N32-f context of a peer alive; the
 * N32-c budget per peer bounds them apart), or one whose `3gpp-Sbi-Message-Priority` is `limits.priorityReserveUpTo` or higher
 * (0 the highest). A request without a valid priority is ordinary.
 */
export function claimsPriority(headers: IncomingHttpHeaders, limits: Pick<LimitsSettings, 'priorityReserveUpTo'>, servesN32c: boolean): boolean {
  const path = headers[':path'];
  if (servesN32c && typeof path === 'string' && isN32cHandshakePath(path)) return true;
  const priority = parseMessagePriority(headers[SBI_HEADERS.messagePriority]);
  return priority !== undefined && priority <= limits.priorityReserveUpTo;
}

/**
 * The bound of a peer's requests in flight (`n32f.maxConcurrentPerPeer`, a bulkhead) for this
 * request: a priority one (its `3gpp-Sbi-Message-Priority`, as `claimsPriority` reads it) may go
 * `limits.priorityReserve` beyond it, as past the listener's bound.
 */
export function perPeerBound(maxConcurrentPerPeer: number, headers: IncomingHttpHeaders, limits: Pick<LimitsSettings, 'priorityReserve' | 'priorityReserveUpTo'>): number {
  return limits.priorityReserve > 0 && claimsPriority(headers, limits, false) ? maxConcurrentPerPeer + limits.priorityReserve : maxConcurrentPerPeer;
}

/**
 * Overload: a listener takes at most `limits.maxRequestsInFlight` requests (HTTP/2 streams) at
 * once. A new one past it is answered at once, before any handler or the framework sees it, with
 * `503` problem+json, cause `NF_CONGESTION` (TS 29.500 Table 5.2.7.2-1) and `retry-after`, so the
 * sender can go to another SEPP or back off instead of waiting for a timeout while the queue
 * grows. Each refusal is on the status page and in `sepp_refusals_total{category="unavailable",
 * cause="OVERLOADED"}`; the log gets one warn line per listener and second at most, with the
 * number refused, the requests in flight and the bound. A reload applies to the next request.
 *
 * Each refusal carries the SEPP's overload control information (`3gpp-Sbi-Oci`, TS 29.500 6.4,
 * scope `SEPP-FQDN`): valid for the `retry-after` second, with the share of the listener's
 * requests refused in the current second as the reduction asked of its senders.
 *
 * Before that, from `limits.ociFromPercent` of the bound (`ociThreshold`), the answers to the
 * requests taken carry it too, so that senders slow down before anything is refused: the
 * reduction asked is the share of the load above the threshold when the answer goes
 * (`reductionAbove`; none once the load is back under it), valid for a second, after any OCI
 * already in the answer (a producer's). Counted in `sepp_overload_oci_answers_total`; the status
 * page shows the count. A listener of no SEPP (the IPX relay) has no scope to name and sends none.
 *
 * Load control information (`3gpp-Sbi-Lci`, TS 29.500 6.3, SEPP scope), when `limits.lciPeriodMs`
 * is set: the first answer on each connection, then the first after each period, carries this
 * process's load (`ProcessLoad`: its event loop utilization), for senders that balance their
 * traffic over SEPPs by it (an SCP).
 *
 * Priority first (TS 29.500 6.8): past the bound, `limits.priorityReserve` more requests are taken
 * if they claim priority (`claimsPriority`: N32-c, or a `3gpp-Sbi-Message-Priority` of
 * `limits.priorityReserveUpTo` or higher), so that these still pass while ordinary traffic is
 * refused; each is counted in `sepp_overload_priority_admitted_total` and noted in one warn line
 * per listener and second. Past the reserve they are refused like the others.
 *
 * The status page shows each listener's load (`SeppMetrics.followLoad`): in flight now and at most
 * over the last minute, the bound, and since start the requests refused and taken on priority.
 *
 * `inFlight` is what the listener guard counts: every stream open on the listener, answered or not.
 */
export function boundRequestsInFlight(
  server: SeppHttp2Server,
  listener: string,
  runtime: ListenerRuntime,
  inFlight: () => number,
  options: { servesN32c?: boolean; clock?: () => number; load?: Pick<ProcessLoad, 'percent'> } = {},
): void {
  const clock = options.clock ?? ((): number => performance.now());
  const load = options.load ?? processLoad();
  const loadReports = new LoadReportSchedule();
  const servesN32c = options.servesN32c === true;
  const log = new OnceASecond<{ inFlight: number; max: number }>((_, refused, { inFlight: open, max }) => {
    runtime.logger.warn({ listener, cause: 'NF_CONGESTION', refused, inFlight: open, maxRequestsInFlight: max }, 'overload: requests refused');
  });
  const priorityLog = new OnceASecond<{ inFlight: number; max: number; reserve: number }>((_, admitted, { inFlight: open, max, reserve }) => {
    runtime.logger.warn({ listener, admitted, inFlight: open, maxRequestsInFlight: max, priorityReserve: reserve }, 'overload: priority requests admitted past the bound');
  });
  let windowStart = -Infinity;
  let admitted = 0;
  let refused = 0;
  const peaks = new PeakWindow();
  const totals = { refused: 0, priorityTaken: 0, signalled: 0 };
  runtime.metrics.followLoad(listener, () => {
    const limits = runtime.config.current.limits;
    const { maxRequestsInFlight, priorityReserve } = limits;
    const threshold = runtime.config.current.sepp ? ociThreshold(limits) : Infinity;
    return { inFlight: inFlight(), peakInFlight: peaks.peak(clock()), maxRequestsInFlight, priorityReserve, ociFrom: Number.isFinite(threshold) ? threshold : null, ...totals };
  });
  /**
   * What a SEPP adds to the answer of a stream taken: its OCI while the load is above the threshold
   * when the answer goes (`overload`: the stream was taken above it), its LCI when one is due.
   */
  const amendFor = (seppFqdn: string, overload: boolean, report: boolean) => (headers: OutgoingHttpHeaders | undefined): OutgoingHttpHeaders | undefined => {
    let out = headers;
    if (overload) {
      const metric = reductionAbove(inFlight(), ociThreshold(runtime.config.current.limits));
      if (metric > 0) {
        totals.signalled += 1;
        runtime.metrics.overloadOciAnswers.inc({ listener });
        out = withOverloadControlInformation(out, overloadControlInformation(seppFqdn, metric, new Date()));
      }
    }
    if (report) out = withListElement(out, SBI_HEADERS.lci, loadControlInformation(seppFqdn, load.percent(), new Date()));
    return out;
  };
  /** Taken, with `taken` requests in flight now: the peak noted, and what its answer must carry. */
  const admit = (stream: ServerHttp2Stream, limits: LimitsSettings, taken: number, now: number): true => {
    admitted += 1;
    peaks.note(taken, now);
    const sepp = runtime.config.current.sepp;
    if (!sepp) return true;
    const overload = taken > ociThreshold(limits);
    const report = loadReports.take(stream.session, limits.lciPeriodMs, now);
    if (overload || report) amendAnswer(stream, amendFor(sepp.fqdn, overload, report));
    return true;
  };
  server.admitStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean => {
    const now = clock();
    if (now - windowStart >= OCI_WINDOW_MS) {
      windowStart = now;
      admitted = 0;
      refused = 0;
    }
    const limits = runtime.config.current.limits;
    const max = limits.maxRequestsInFlight;
    const open = inFlight();
    if (open < max) return admit(stream, limits, open + 1, now);
    const priority = limits.priorityReserve > 0 && claimsPriority(headers, limits, servesN32c);
    if (priority && open < max + limits.priorityReserve) {
      totals.priorityTaken += 1;
      runtime.metrics.overloadPriorityAdmitted.inc({ listener });
      priorityLog.note(listener, { inFlight: open, max, reserve: limits.priorityReserve });
      return admit(stream, limits, open + 1, now);
    }
    refused += 1;
    totals.refused += 1;
    peaks.note(open, now);
    const bound = priority ? `limits.maxRequestsInFlight ${max}, limits.priorityReserve ${limits.priorityReserve}` : `limits.maxRequestsInFlight ${max}`;
    const detail = `${open} requests in flight on the ${listener} listener (${bound})`;
    // The OCI names a SEPP (its scope); a listener of no SEPP (the IPX relay) answers without one.
    const sepp = runtime.config.current.sepp;
    const answer: Record<string, string> = { 'retry-after': String(OVERLOAD_RETRY_AFTER_S) };
    if (sepp) answer[SBI_HEADERS.oci] = overloadControlInformation(sepp.fqdn, (100 * refused) / (refused + admitted), new Date());
    respondWithProblemDetails(stream, toProblem(new N32Error(N32ErrorCode.OVERLOADED, detail), 0), answer, DISCARD_BYTES);
    // The listener guard never sees this stream: a body that stalls after the answer is bounded here.
    stream.setTimeout(runtime.config.current.limits.streamIdleMs, () => {
      if (!stream.closed) stream.close(constants.NGHTTP2_CANCEL);
    });
    runtime.metrics.refuse({ category: 'unavailable', cause: N32ErrorCode.OVERLOADED, listener, remoteAddress: stream.session?.socket?.remoteAddress, detail: `over ${bound}` });
    log.note(listener, { inFlight: open, max });
    return false;
  };
}
