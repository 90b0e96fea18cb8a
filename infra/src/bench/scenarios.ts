import * as path from 'node:path';
import { HOME, PRODUCER_FQDN, type RatioSpec, type Scenario } from './context';
import { startSeppPair } from './sepp-pair';

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

/*
 * Later scenarios go here, e.g.
 *   (e) PRINS through an IPX relay: (d) with `dialVia` starting the relay and
 *       responderExtra/initiatorExtra carrying the IPX settings;
 * plus their ratios in RATIOS (e.g. { numerator: 'e', denominator: 'd' }).
 */
export const SCENARIOS: readonly Scenario[] = [direct, bareProxyPair, seppTls, seppPrins];

export const RATIOS: readonly RatioSpec[] = [
  { numerator: 'c', denominator: 'a' },
  { numerator: 'c', denominator: 'b', target: 0.8 },
  { numerator: 'd', denominator: 'c' },
];
