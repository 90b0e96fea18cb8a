import type { AppProcess } from './support/app-process';
import { FQDN_A } from './support/configs';
import { FreezingProxy } from './support/freezing-proxy';
import { IpxPath } from './support/ipx';
import { type TappedProducer, TARGET_HEADER, UDM1_FQDN, type NfAnswer, type NfClient, withPkiAndProducer } from './support/n32f';
import type { CertFiles, TestPki } from './support/pki';
import { PrinsPair, type PrinsPairOptions } from './support/prins';
import { waitFor } from './support/wait-for';

jest.setTimeout(90_000);

/**
 * A peer that stops answering without closing the connection: a replica gone without a FIN, a
 * firewall or NAT that dropped the flow. The test's FreezingProxy carries the connections of the
 * sending side; `freeze()` makes the ones open go silent both ways (no FIN, no RST), connections
 * opened afterwards pass. The sender must give the connection up on its keepalive (a PING without
 * its ACK): the NF's request on it gets a problem within about two keepalive periods, not after the
 * request timeout and never an answer that is not one, and the next request goes out on a new
 * connection.
 */
const KEEPALIVE_MS = 300;
/** The request timeouts of the senders: what the NF would wait without the keepalive. */
const REQUEST_TIMEOUT_MS = 8_000;

let pki: TestPki;
let certA: CertFiles;
let certB: CertFiles;
let producer: TappedProducer;

withPkiAndProducer((made) => ({ pki, certA, certB, producer } = made));

const amData = (nf: NfClient): Promise<NfAnswer> =>
  nf.request({ path: '/nudm-sdm/v2/imsi-001010000000001/am-data', headers: { [TARGET_HEADER]: producer.apiRoot, accept: 'application/json' }, timeoutMs: 20_000 });

/** Freezes the hop, sends one NF request on the silent connection, checks its answer; then the way back. */
async function expectGivenUp(
  nf: NfClient,
  proxy: FreezingProxy,
  sender: AppProcess,
  logLine: (line: { msg: string; [key: string]: unknown }) => boolean,
  expected: { status: number; problem: Record<string, unknown> } = { status: 502, problem: { cause: 'N32_CONNECTION_LOST' } },
): Promise<void> {
  expect((await amData(nf)).status).toBe(200);
  const connections = proxy.connections;
  const from = sender.lines.length;
  const seen = producer.seen.length;
  proxy.freeze();
  const started = performance.now();
  const stuck = await amData(nf);
  const ms = performance.now() - started;
  expect({ status: stuck.status, json: stuck.json }).toMatchObject({ status: expected.status, json: expected.problem });
  expect(String(stuck.headers['content-type'])).toContain('application/problem+json');
  expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS / 2);
  expect(producer.seen.length).toBe(seen);
  await sender.waitForLog('the silent connection given up', logLine, 5_000, from);
  // A new connection (through the hop, which lets new ones pass) carries the next requests.
  await waitFor('an NF request answered 200 again', async () => (await amData(nf)).status === 200, 20_000);
  expect(proxy.connections).toBeGreaterThan(connections);
}

/**
 * A pair whose initiator reaches the responder's N32 port through a FreezingProxy (`options`
 * without `via`): `run` gets both; both are stopped after it, whatever it did.
 */
async function behindFreezingHop(options: Omit<PrinsPairOptions, 'via'>, run: (pair: PrinsPair, proxy: FreezingProxy) => Promise<void>): Promise<void> {
  let proxy: FreezingProxy | undefined;
  const pair = await PrinsPair.start(pki, certA, certB, producer, { ...options, via: async (port) => (proxy = await FreezingProxy.start(port)).port });
  try {
    await run(pair, proxy!);
  } finally {
    await pair.stop();
    await proxy?.close();
  }
}

describe('a peer that goes silent without closing the connection (keepalive), real processes', () => {
  it('PRINS: the initiator gives the N32 connection up after a PING without ACK; the NF request on it gets 502 N32_CONNECTION_LOST, not a status-0 answer nor the timeout; then traffic flows on a new connection', async () => {
    await behindFreezingHop(
      { name: 'blackhole-prins', initiator: { n32: { keepaliveMs: KEEPALIVE_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS }, n32f: { requestTimeoutMs: REQUEST_TIMEOUT_MS } } },
      (pair, proxy) => expectGivenUp(pair.nf!, proxy, pair.initiator, (line) => line.msg === 'N32 connection closed; the PRINS context stays' && line['peer'] === FQDN_A),
    );
  });

  it('TLS mode: the same on the forwarding path (the NF request relayed on the silent connection gets 502 at once when it is given up)', async () => {
    const initiator = { capabilities: ['TLS'], n32: { keepaliveMs: KEEPALIVE_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS }, n32f: { requestTimeoutMs: REQUEST_TIMEOUT_MS } };
    await behindFreezingHop({ name: 'blackhole-tls', intermediaries: 'none', waitEstablished: false, initiator }, async (pair, proxy) => {
      await pair.initiator.waitForPeerState(FQDN_A, 'tls-established');
      await expectGivenUp(pair.nf!, proxy, pair.initiator, (line) => line.msg === 'N32 connection lost' && line['peer'] === FQDN_A);
    });
  });

  it('the responder toward its NF: a producer gone silent is given up after sbi.keepaliveMs; the NF request on it gets 504 TARGET_NF_NOT_REACHABLE at once, not after the request timeout; the next one goes out on a new session', async () => {
    // The producer's host resolves (sbi.hosts) to 127.0.0.2, where the hop listens on the producer's port.
    const proxy = await FreezingProxy.start(producer.port, { host: '127.0.0.2', port: producer.port });
    const pair = await PrinsPair.start(pki, certA, certB, producer, {
      name: 'blackhole-nf',
      responder: { sbi: { hosts: { [UDM1_FQDN]: '127.0.0.2' }, keepaliveMs: KEEPALIVE_MS }, n32f: { requestTimeoutMs: REQUEST_TIMEOUT_MS } },
      initiator: { n32f: { requestTimeoutMs: REQUEST_TIMEOUT_MS } },
    });
    try {
      await expectGivenUp(pair.nf!, proxy, pair.responder, (line) => line.msg === 'NF session unresponsive (no PING ACK): closed', { status: 504, problem: { cause: 'TARGET_NF_NOT_REACHABLE' } });
    } finally {
      await pair.stop();
      await proxy.close();
    }
  });

  it("through the IPX relay: the relay gives its session to the responder up after forward.keepaliveMs; the NF gets a 502 naming the relay's N32_CONNECTION_LOST; then a new session carries the traffic", async () => {
    let proxy: FreezingProxy | undefined;
    const path = await IpxPath.start(pki, certA, certB, producer, {
      name: 'blackhole-ipx',
      ipx: { forward: { keepaliveMs: KEEPALIVE_MS, timeoutMs: REQUEST_TIMEOUT_MS } },
      between: async (responder) => (proxy = await FreezingProxy.start(responder.port('n32'))),
    });
    try {
      // The initiator passes a refusal of its next hop on as a protection failure naming it (not congestion).
      await expectGivenUp(path.nf!, proxy!, path.ipx, (line) => line.msg === 'next hop session unresponsive (no PING ACK): closed', {
        status: 502,
        problem: { cause: 'N32F_PROTECTION_FAILED', detail: expect.stringContaining('HTTP 502 N32_CONNECTION_LOST') as unknown },
      });
    } finally {
      await path.stop();
      await proxy?.close();
    }
  });
});

describe('an N32-c request on a connection that goes silent, real processes', () => {
  it('a renegotiation sent on the silent connection fails as a lost connection (not "the peer rejected: HTTP 0"), and the next attempt, on a new connection, establishes TLS again', async () => {
    const initiator = { capabilities: ['TLS'], n32: { keepaliveMs: KEEPALIVE_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS } };
    await behindFreezingHop({ name: 'blackhole-n32c', intermediaries: 'none', waitEstablished: false, initiator }, async (pair, proxy) => {
      await pair.initiator.waitForPeerState(FQDN_A, 'tls-established');
      const connections = proxy.connections;
      proxy.freeze();
      const before = (await pair.initiator.peer(FQDN_A))!.lastError;
      expect((await pair.initiator.admin('/admin/peers/renegotiate', { method: 'POST' })).status).toBe(202);
      const failed = await waitFor('the failed attempt', async () => {
        const error = (await pair.initiator.peer(FQDN_A))?.lastError;
        return error && error.at !== before?.at ? error : undefined;
      }, 10_000);
      expect(failed).toMatchObject({ reason: 'CONNECTION_LOST', detail: 'the stream ended before any answer (the connection was closed)' });
      await pair.initiator.waitForPeerState(FQDN_A, 'tls-established');
      expect(proxy.connections).toBeGreaterThan(connections);
    });
  });
});
