import * as path from 'node:path';
import { sendViaSepp } from '../nf/consumer';
import { HOME, IPX_FQDN, PRODUCER_FQDN, VISITED, type BenchContext, type RatioSpec, type Scenario, type TargetSpec } from './context';
import { measureNegotiation, type NegotiationOptions, type NegotiationResult } from './negotiation';
import { startResponder, startSeppPair } from './sepp-pair';
import { h2loadRatioTarget, idleRssTarget, latencyTarget, noErrorsTarget, peakRssTarget, ratioTarget } from './targets';
import { startSeppCluster } from './sepp-cluster';

/** The header the relay of (e) adds (the SEPPs' default policy lets an intermediary add or replace it). */
const PRIORITY = '3gpp-sbi-message-priority';
/** The relay's rules in (e): the same as `pnpm demo --via-ipx` (infra/demo/ipx/ipx.yaml). */
const RELAY_RULES = [
  { name: 'priority-request', apiPath: '/**', direction: 'request', operations: [{ op: 'add', path: '/headers/-', value: { header: PRIORITY, value: '5' } }] },
  { name: 'priority-answer', apiPath: '/**', direction: 'response', operations: [{ op: 'add', path: '/headers/-', value: { header: PRIORITY, value: '7' } }] },
];

/** (a) the consumer talks to the producer directly: the ceiling. */
const direct: Scenario = {
  id: 'a',
  title: 'consumer -> producer (direct)',
  setup: (ctx) => Promise.resolve({ url: `http://${ctx.producer.host}:${ctx.producer.port}`, target: ctx.producerApiRoot }),
};

/** (b) the bare node:http2 proxy pair (no framework), same topology as the SEPPs. */
const bareProxyPair: Scenario = {
  id: 'b',
  title: 'consumer -> bare node:http2 proxy pair (mTLS) -> producer',
  async setup(ctx) {
    const certs = await ctx.certs();
    const script = path.join(ctx.distDir, 'bench', 'bare-proxy-cli.js');
    const b = ctx.spawn('proxy-b', script, [
      '--role', 'b',
      '--cert', certs.home.cert, '--key', certs.home.key, '--ca', certs.ca,
      '--hosts', `${PRODUCER_FQDN}=${ctx.producer.host}`,
      '--allowed-target', ctx.producerApiRoot,
    ]);
    const bAt = await b.waitListening('proxy-b', 10_000);
    const a = ctx.spawn('proxy-a', script, [
      '--role', 'a',
      '--cert', certs.visited.cert, '--key', certs.visited.key, '--ca', certs.ca,
      '--peer', `127.0.0.1:${bAt.port}`, '--peer-fqdn', HOME.seppFqdn,
    ]);
    const aAt = await a.waitListening('proxy-a', 10_000);
    return { url: `http://127.0.0.1:${aAt.port}`, target: ctx.producerApiRoot };
  },
};

/** (c) our SEPP pair, N32-f in TLS mode. */
const seppTls: Scenario = {
  id: 'c',
  title: 'consumer -> SEPP pair (N32-f TLS) -> producer',
  setup: (ctx) => startSeppPair(ctx, { capabilities: ['TLS'], expectState: 'tls-established' }),
};

/**
 * (d) the same pair (same apps, producer and load) with PRINS selected: both SEPPs support TLS
 * and PRINS, and each sees `modifying` intermediaries toward the other, so the responder selects
 * PRINS (PRINS_REQUIRED_BY_INTERMEDIARIES); after the parameter exchange every NF request crosses
 * as a JWE-protected n32f-process POST on the N32-c connection, and its answer comes back the same
 * way. The initiator listens for N32 too and the responder's peer address names it, as PRINS
 * configurations do (n32f-error / n32f-terminate; nothing on the load path uses it).
 */
const seppPrins: Scenario = {
  id: 'd',
  title: 'consumer -> SEPP pair (N32-f PRINS) -> producer',
  setup: (ctx) => startSeppPair(ctx, { capabilities: ['TLS', 'PRINS'], intermediaries: 'modifying', expectState: 'prins-established', initiatorN32Listen: true }),
};

/**
 * (s) (d) with its N32-f context aged: the load runs unrecorded until 70,000 requests were
 * answered, past every per-context bound the receiver keeps (the state store's 16,384 messageIds
 * per context and kind, the context's own 65,536), then (d)'s measured window. A context carries
 * millions of messages in service; the 10 s of (d) see only its first 20,000 or so. s/d: an aged
 * context forwards as fast as a fresh one (what remembering each message costs does not grow).
 */
const seppPrinsAged: Scenario = {
  id: 's',
  title: 'consumer -> SEPP pair (N32-f PRINS, context after 70,000 requests) -> producer',
  setup: (ctx) => seppPrins.setup(ctx),
  warmupRequests: 70_000,
};

/**
 * (e) (d) with an IPX relay (apps/ipx) on the N32-f path: the same apps, producer and load, and
 * the initiator's peer entry names the relay (its key goes in exchange-params). N32-c goes from
 * SEPP to SEPP; every NF request crosses initiator -> relay -> responder as an n32f-process POST,
 * to which the relay applies its request rule (add 3gpp-sbi-message-priority) and appends its
 * ES256 JWS, which the responder verifies and applies; the answer the same way back (the relay's
 * answer rule, verified by the initiator). One more process and TLS hop, two signatures and two
 * verifications per request: e/d is what the relay costs. Before the load, one POST checks that
 * the relay's header reaches the producer (udm1 echoes what it received) and the consumer.
 */
const seppPrinsViaIpx: Scenario = {
  id: 'e',
  title: 'consumer -> SEPP (PRINS) -> IPX relay -> SEPP -> producer',
  setup: (ctx) =>
    startSeppPair(ctx, {
      capabilities: ['TLS', 'PRINS'],
      intermediaries: 'modifying',
      expectState: 'prins-established',
      initiatorN32Listen: true,
      relay: { rules: RELAY_RULES },
    }),
  async verify(ctx, entry) {
    const answer = await sendViaSepp({
      sepp: entry.url,
      target: entry.target,
      method: 'POST',
      path: '/nudm-sdm/v2/imsi-001010000000001/sdm-subscriptions',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callbackReference: 'http://amf1.5gc.mnc002.mcc002.3gppnetwork.org/cb', monitoredResourceUris: ['/am-data'] }),
      timeoutMs: ctx.params.requestTimeoutMs,
    });
    const received = (answer.json as { headers?: Record<string, unknown> } | undefined)?.headers?.[PRIORITY];
    const answered = answer.headers[PRIORITY];
    if (answer.status !== 201 || received !== '5' || answered !== '7') {
      throw new Error(`the relay's modifications did not arrive: status ${answer.status}, ${PRIORITY} at the producer ${String(received)}, in the answer ${String(answered)}`);
    }
    return `the relay ${IPX_FQDN} modifies: the producer received ${PRIORITY}: ${received}, the consumer got ${answered} in the answer`;
  },
};

/**
 * (f) (d) as clusters: two responder replicas sharing their Redis, two initiator replicas sharing
 * theirs, the load spread over both initiators (sepp-cluster.ts). f/d is what sharing the N32 state
 * costs: SEQ blocks, one atomic Redis operation per received request, the Redis servers' CPU.
 */
const seppPrinsCluster: Scenario = {
  id: 'f',
  title: 'consumer -> 2 SEPP replicas (PRINS, Redis) -> 2 SEPP replicas (Redis) -> producer',
  setup: (ctx) => startSeppCluster(ctx),
};

/**
 * (k) (f) with each side's Redis a Redis Cluster of one node holding every slot: the same Redis
 * work through the cluster client, which sends its commands one by one (no auto-pipelining:
 * README "Redis Cluster"). k/f is what that client costs, not what sharding over several masters
 * does (one node per side, as in (f), so the processes on the two cores are the same).
 */
const seppPrinsRedisCluster: Scenario = {
  id: 'k',
  title: 'consumer -> 2 SEPP replicas (PRINS, Redis Cluster) -> 2 SEPP replicas (Redis Cluster) -> producer',
  setup: (ctx) => startSeppCluster(ctx, { redisCluster: true }),
};

/** Every border protection category at its defaults (README "Border protection"). */
const BORDER_ALL = { serviceAllowList: {}, networkId: {}, schemaValidation: {}, topologyHiding: {} };

/**
 * (g) (c) with border protection on at both SEPPs, every category with its default rules: the
 * service allow-list, network-ID checks (the SUPI's home network in the path), schema validation
 * of the query against TS 29.503, and topology hiding (the answer's headers are looked at; a GET
 * of am-data has no body place, so requests and answers still stream). g/c is what it costs. With
 * `--post`, the SdmSubscription's callbackReference is hidden: requests are read whole.
 */
const seppTlsBorder: Scenario = {
  id: 'g',
  title: 'consumer -> SEPP pair (N32-f TLS, border protection on) -> producer',
  setup: (ctx) => startSeppPair(ctx, { capabilities: ['TLS'], expectState: 'tls-established', responderExtra: { border: BORDER_ALL }, initiatorExtra: { border: BORDER_ALL } }),
};

/**
 * Node's own floor for (n) on this machine, in the same run: the same capability negotiations
 * against a bare `node:http2` server with client certificates and the SEPP's TLS settings
 * (bare-proxy.ts, `startBareN32c`), started after the responder was measured (so the bench's
 * client is at least as warm for it) and stopped before the next scenario.
 */
async function measureFloor(ctx: BenchContext, options: Omit<NegotiationOptions, 'port' | 'prinsRuns'>): Promise<NegotiationResult> {
  const certs = await ctx.certs();
  const floor = ctx.spawnAside('bare-n32c', path.join(ctx.distDir, 'bench', 'bare-proxy-cli.js'), ['--role', 'n', '--cert', certs.home.cert, '--key', certs.home.key, '--ca', certs.ca, '--fqdn', HOME.seppFqdn]);
  try {
    const at = await floor.waitListening('proxy-n', 10_000);
    return await measureNegotiation({ ...options, port: at.port, prinsRuns: 0 });
  } finally {
    await floor.stop();
  }
}

/**
 * (n) N32-c negotiation latency: the responder alone, negotiated with by the bench itself acting as
 * the initiating SEPP (a client outside the SEPP), a fresh TCP + TLS connection each time, one at a
 * time (negotiation.ts): cold capability negotiations (TLS selected), then full PRINS set-ups, each
 * kind after the bench's warm-up time of unmeasured ones (`warm-up whole`: those capability
 * negotiations, the first of them on code not yet compiled); then the same capability negotiations
 * against a bare Node server, warmed up alike (`bare whole`, `bare request-to-answer`: what Node's
 * TLS and HTTP/2 set-up alone take here, not a target).
 */
const negotiationLatency: Scenario = {
  id: 'n',
  title: 'N32-c negotiation latency (cold connection each time, sequential)',
  async setup(ctx) {
    // The bench is one peer negotiating as fast as it can, hundreds of N32-c requests and new
    // connections a second from one address: over the default N32-c budget of a peer
    // (limits.n32cRateLimitPerPeer, 100/s) and rate of new connections of an address
    // (limits.connectionRatePerAddress, 100/s). The limiters stay on the path (budgets no run
    // reaches), so their cost is in the figures.
    const limits = { n32cRateLimitPerPeer: 1_000_000, connectionRatePerAddress: 1_000_000 };
    const { n32Port } = await startResponder(ctx, { capabilities: ['TLS', 'PRINS'], intermediaries: 'none', responderExtra: { limits } });
    return { url: `https://127.0.0.1:${n32Port}` };
  },
  async measure(ctx, entry) {
    const certs = await ctx.certs();
    const url = new URL(entry.url);
    const runs = ctx.params.negotiations;
    const common = {
      host: url.hostname,
      serverName: HOME.seppFqdn,
      tls: { cert: certs.visited.cert, key: certs.visited.key, ca: certs.ca },
      self: { fqdn: VISITED.seppFqdn, plmns: [VISITED.plmn] },
      capabilityRuns: runs,
      warmup: 10,
      warmupMs: ctx.params.warmupS * 1_000,
      timeoutMs: ctx.params.requestTimeoutMs,
    };
    const result = await measureNegotiation({ ...common, port: Number(url.port), prinsRuns: Math.max(1, Math.round(runs / 2)) });
    const floor = await measureFloor(ctx, common);
    return {
      series: {
        'warm-up whole': result.warmupWhole,
        whole: result.whole,
        'request-to-answer': result.requestToAnswer,
        'prins-setup': result.prinsSetup,
        'bare whole': floor.whole,
        'bare request-to-answer': floor.requestToAnswer,
      },
      errors: { ...result.errors, ...Object.fromEntries(Object.entries(floor.errors).map(([kind, count]) => [`bare server: ${kind}`, count])) },
      // A PRINS set-up is a negotiation and two exchange-params on one connection. The CPU is
      // counted from the responder's start, so the warm-up's operations count too.
      operations: result.warmupRuns + result.whole.samples + result.prinsSetup.samples,
    };
  },
};

export const SCENARIOS: readonly Scenario[] = [direct, bareProxyPair, seppTls, seppPrins, seppPrinsAged, seppPrinsViaIpx, seppPrinsCluster, seppPrinsRedisCluster, seppTlsBorder, negotiationLatency];

export const RATIOS: readonly RatioSpec[] = [
  { numerator: 'c', denominator: 'a' },
  { numerator: 'c', denominator: 'b', target: 0.9 },
  { numerator: 'd', denominator: 'c', target: 0.7 },
  { numerator: 's', denominator: 'd', target: 0.9 },
  { numerator: 'e', denominator: 'd', target: 0.6 },
  { numerator: 'f', denominator: 'd', target: 0.8 },
  { numerator: 'k', denominator: 'f' },
  { numerator: 'g', denominator: 'c', target: 0.8 },
];

/** Peak RSS of a SEPP compared with the bare proxy in the same role (b). */
const SEPP_VS_PROXY = { initiator: 'proxy-a', responder: 'proxy-b' };

/** What a run is judged by: every line is printed with PASS/FAIL (n/a when its scenarios did not run). */
export const TARGETS: readonly TargetSpec[] = [
  ...RATIOS.filter((spec): spec is RatioSpec & { target: number } => spec.target !== undefined).map(ratioTarget),
  h2loadRatioTarget('c', 'b', 0.9),
  peakRssTarget('c', 'b', SEPP_VS_PROXY),
  peakRssTarget('d', 'b', SEPP_VS_PROXY),
  idleRssTarget('c', ['initiator', 'responder'], 80),
  idleRssTarget('d', ['initiator', 'responder'], 80),
  latencyTarget('n', 'whole', 'p50', 5.5),
  latencyTarget('n', 'whole', 'p99', 15),
  latencyTarget('n', 'request-to-answer', 'p50', 1.5),
  latencyTarget('n', 'prins-setup', 'p50', 15),
  noErrorsTarget(),
];
