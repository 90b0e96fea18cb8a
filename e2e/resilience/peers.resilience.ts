import fc from 'fast-check';
import { selectSecurityCapability, type IntermediaryPolicy } from '@sepp/protocol';
import { createPkiAB, FQDN_A, FQDN_B, PLMN_B, writeYaml } from '../test/support/configs';
import { n32fInitiatorYaml, n32fResponderYaml, TappedProducer, udmApiRoot } from '../test/support/n32f';
import type { H2Client } from '../test/support/h2-client';
import { freePort } from '../test/support/ports';
import { SeppProcess, type PeerView } from '../test/support/sepp-process';
import { sleep } from '../test/support/wait-for';
import { account, errorKinds, NfLoad } from './support/nf-load';
import { ProcSampler } from './support/proc-stats';
import { countError, runCase } from './support/results';
import { SimPeer } from './support/sim-peer';
import { seppFqdn } from '@sepp/infra';

/**
 * 50 roaming partners, each with its own certificate and PLMN (100-01 … 149-01) and a policy of
 * its own (intermediaries none / ip-routing / modifying, in turn), negotiate and renegotiate with
 * one responder at the same time, with varied capability lists (releases and unknown mechanisms
 * included), while two real initiators (one TLS, one PRINS) carry NF traffic through it and are
 * told to renegotiate too. The peers are simulated in the test process (50 initiator processes do
 * not fit on 2 cores); the requests are the ones an initiator sends. Every peer must end in the
 * state the policy dictates for its last offer (`selectSecurityCapability`), as the responder's
 * /admin/peers shows it, and every answer on the way must be the selection the policy dictates.
 */
jest.setTimeout(120_000);

const PEERS = 50;
const ROUNDS = 20;
const SEED = Number(process.env['SEPP_FUZZ_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const POLICIES: IntermediaryPolicy[] = ['none', 'ip-routing', 'modifying'];
const LOCAL_SUPPORT = ['TLS', 'PRINS'] as const;

/** Capability lists: the usual ones, reordered, with unknowns and duplicates, and sometimes a release. */
const offers = fc.oneof(
  { weight: 6, arbitrary: fc.shuffledSubarray(['TLS', 'PRINS'], { minLength: 1 }) },
  { weight: 2, arbitrary: fc.array(fc.constantFrom('TLS', 'PRINS', 'ALS', 'NONE', 'QUANTUM'), { minLength: 1, maxLength: 5 }) },
  { weight: 1, arbitrary: fc.constant(['NONE']) },
);

type Expected = { state: string; mechanism: string | null; handshakeId?: string };

describe(`${PEERS} simulated peers negotiating and renegotiating concurrently while NF traffic flows (seed ${SEED})`, () => {
  it('every peer ends in the state its policy dictates, every answer is the policy selection, NF traffic accounted for', async () => {
    await runCase('peers', `${PEERS} peers × ${ROUNDS} rounds + 2 initiators with NF traffic`, async (row) => {
      const { pki, certA, certB } = await createPkiAB();
      const plmnC = { mcc: '003', mnc: '03' };
      const certC = await pki.sepp(plmnC);
      // Each partner from a loopback address of its own, as partners' SEPPs come from their own
      // networks: the responder's limits per address (limits.connectionRatePerAddress: a fast machine
      // opens more than 100 connections a second here in all) then apply to each partner alone.
      const peers = await Promise.all(Array.from({ length: PEERS }, (_, i) => SimPeer.mint(pki, { mcc: String(100 + i), mnc: '01' }, POLICIES[i % 3], `127.0.1.${i + 1}`)));
      const producer = await TappedProducer.start('udm1');
      const portB = await freePort();
      const portC = await freePort();
      const responderConfig = n32fResponderYaml(certA, pki, producer.port, {
        responderN32: {
          peers: [
            { fqdn: FQDN_B, plmns: [PLMN_B], intermediaries: 'none', address: `127.0.0.1:${portB}` },
            { fqdn: seppFqdn(plmnC), plmns: [plmnC], intermediaries: 'modifying', address: `127.0.0.1:${portC}` },
            ...peers.map((p) => p.entry()),
          ],
        },
      });
      responderConfig.logging = { level: 'info' };
      const responder = await SeppProcess.ready('responder', writeYaml(pki.dir, 'peers-responder', responderConfig));
      const configB = n32fInitiatorYaml(certB, pki, responder.port('n32'), { initiatorN32: { listen: { host: '127.0.0.1', port: portB } } });
      configB.logging = { level: 'info' };
      const configC = n32fInitiatorYaml(certC, pki, responder.port('n32'), { initiatorN32: { listen: { host: '127.0.0.1', port: portC }, intermediaries: 'modifying' } });
      configC.sepp = { ...configC.sepp, fqdn: seppFqdn(plmnC), plmns: [plmnC] };
      configC.logging = { level: 'info' };
      const [initiatorB, initiatorC] = await Promise.all([
        SeppProcess.ready('initiator', writeYaml(pki.dir, 'peers-initiator-b', configB)),
        SeppProcess.ready('initiator', writeYaml(pki.dir, 'peers-initiator-c', configC)),
      ]);
      const sampler = new ProcSampler({ responder: responder.child.pid }, 250);
      const clients = new Map<SimPeer, H2Client>();
      try {
        await initiatorB.waitForPeerState(FQDN_A, 'tls-established');
        await initiatorC.waitForPeerState(FQDN_A, 'prins-established');
        const target = udmApiRoot(producer.port);
        const loadB = NfLoad.start({ sbiPort: initiatorB.port('sbi'), target, concurrency: 4, paceMs: 5, tag: 'peersB' });
        const loadC = NfLoad.start({ sbiPort: initiatorC.port('sbi'), target, concurrency: 4, paceMs: 5, tag: 'peersC' });

        const plans = fc.sample(fc.array(offers, { minLength: ROUNDS, maxLength: ROUNDS }), { numRuns: PEERS, seed: SEED });
        const expected = new Map<string, Expected>();
        const mismatches: string[] = [];
        let negotiations = 0;
        let reconnects = 0;

        const drive = async (peer: SimPeer, index: number): Promise<void> => {
          const plan = plans[index]!;
          // Every fifth peer ends with the full PRINS set-up (exchange-params and keys).
          const finishWithPrins = index % 5 === 0;
          for (let round = 0; round < plan.length; round++) {
            let client = clients.get(peer);
            if (!client || client.session.closed || client.session.destroyed || client.goaway) {
              client?.close();
              client = await peer.connect(responder.port('n32'));
              clients.set(peer, client);
              reconnects += 1;
            }
            if (finishWithPrins && round === plan.length - 1) {
              await peer.establishPrins(client);
              negotiations += 1;
              expected.set(peer.fqdn, { state: 'prins-established', mechanism: 'PRINS' });
              break;
            }
            const offered = plan[round]!;
            const body = peer.negotiateBody(offered);
            const answer = await client.postJson('/n32c-handshake/v1/exchange-capability', body);
            negotiations += 1;
            const selection = selectSecurityCapability(offered, LOCAL_SUPPORT, peer.intermediaries);
            const got = (answer.json as { selectedSecCapability?: string } | undefined)?.selectedSecCapability;
            if (answer.status !== 200 || got !== selection.selected) {
              mismatches.push(`${peer.fqdn} (${peer.intermediaries}) offered ${JSON.stringify(offered)}: expected ${selection.selected}, got HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
            }
            // After a NONE answer the responder closes the connection (GOAWAY): start the next round on a new one.
            if (selection.selected === 'NONE') {
              client.close();
              clients.delete(peer);
            }
            const handshakeId = String(body['n32HandshakeId']);
            expected.set(
              peer.fqdn,
              selection.selected === 'TLS'
                ? { state: 'tls-established', mechanism: 'TLS', handshakeId }
                : selection.selected === 'PRINS'
                  ? { state: 'prins-selected', mechanism: 'PRINS', handshakeId }
                  : { state: selection.reason === 'RELEASE_REQUESTED' ? 'terminated' : 'failed', mechanism: null },
            );
            await sleep((index * 7 + round * 13) % 60);
          }
        };

        // The real initiators renegotiate too, in the middle of it.
        let driving = true;
        let operatorRenegotiations = 0;
        const renegotiations = (async () => {
          while (driving) {
            await sleep(700);
            await Promise.all([initiatorB.admin('/admin/peers/renegotiate', { method: 'POST' }), initiatorC.admin('/admin/peers/renegotiate', { method: 'POST' })]);
            operatorRenegotiations += 2;
          }
        })();
        // Awaited below when the peers' rounds succeed; when they fail, the processes are stopped under
        // a request of this loop, whose failure must not surface in the next suite of the run.
        renegotiations.catch(() => undefined);
        const negotiatingLines = (): number => [...initiatorB.lines, ...initiatorC.lines].filter((l) => l.msg === 'negotiating').length;
        const negotiatingBefore = negotiatingLines();
        const started = performance.now();
        await Promise.all(peers.map(drive)).finally(() => (driving = false));
        await renegotiations;
        const negotiatingMs = performance.now() - started;
        await sleep(300);

        // The responder's view of every simulated peer against what the policy dictates.
        const views = new Map<string, PeerView>((await responder.peers()).map((p) => [p.fqdn, p]));
        const wrongState: string[] = [];
        for (const peer of peers) {
          const want = expected.get(peer.fqdn)!;
          const view = views.get(peer.fqdn);
          const handshakeOk = want.handshakeId === undefined || view?.negotiation?.['handshakeId'] === want.handshakeId;
          if (!view || view.state !== want.state || view.mechanism !== want.mechanism || !handshakeOk) {
            wrongState.push(`${peer.fqdn} (${peer.intermediaries}): expected ${JSON.stringify(want)}, responder shows ${JSON.stringify(view && { state: view.state, mechanism: view.mechanism, handshakeId: view.negotiation?.['handshakeId'] })}`);
          }
        }
        // The real initiators keep (or got back) their agreement on both sides.
        await initiatorB.waitForPeerState(FQDN_A, 'tls-established', 10_000);
        await initiatorC.waitForPeerState(FQDN_A, 'prins-established', 10_000);
        await responder.waitForPeerState(FQDN_B, 'tls-established', 10_000);
        await responder.waitForPeerState(seppFqdn(plmnC), 'prins-established', 10_000);

        const outcomesB = await loadB.stop();
        const outcomesC = await loadC.stop();
        const accountB = account(outcomesB, producer, 'peersB');
        const accountC = account(outcomesC, producer, 'peersC');
        sampler.stop();

        row.requests = negotiations + outcomesB.length + outcomesC.length;
        errorKinds([...outcomesB, ...outcomesC], row.errors);
        if (mismatches.length) countError(row.errors, 'selection ≠ policy', mismatches.length);
        if (wrongState.length) countError(row.errors, 'final state ≠ policy', wrongState.length);
        row.rss = sampler.rss('responder');
        row.fds = sampler.fds('responder');
        const states = [...expected.values()].reduce<Record<string, number>>((acc, e) => ((acc[e.state] = (acc[e.state] ?? 0) + 1), acc), {});
        row.notes.push(`seed ${SEED} (SEPP_FUZZ_SEED replays the capability lists)`);
        row.notes.push(`${negotiations} negotiations by ${PEERS} peers in ${(negotiatingMs / 1000).toFixed(1)} s (${reconnects} connections), final states ${JSON.stringify(states)}`);
        const initiatorNegotiations = negotiatingLines() - negotiatingBefore;
        row.notes.push(`the real initiators were told to renegotiate ${operatorRenegotiations} times ('negotiating' lines: ${initiatorNegotiations})`);
        row.notes.push(`NF via TLS initiator: ${accountB.ok}/${accountB.sent} ok, via PRINS initiator: ${accountC.ok}/${accountC.sent} ok; producer completed ${accountB.producerCompleted + accountC.producerCompleted}, duplicated ${accountB.duplicated.length + accountC.duplicated.length}`);
        for (const m of [...mismatches, ...wrongState].slice(0, 5)) row.notes.push(m);

        expect(mismatches).toEqual([]);
        expect(wrongState).toEqual([]);
        // 100% of the NF traffic answered by the producer: no problem answer, no reset, no hang
        // (a request without a complete answer within its bound is a failure), nothing duplicated,
        // every answer one the producer gave, every request the producer got answered.
        for (const acc of [accountB, accountC]) {
          expect(acc.sent).toBeGreaterThan(0);
          expect({ ok: acc.ok, problems: acc.problems, failures: acc.failures, duplicated: acc.duplicated, okNotAtProducer: acc.okNotAtProducer, lostAnswers: acc.lostAnswers }).toEqual({
            ok: acc.sent,
            problems: 0,
            failures: 0,
            duplicated: [],
            okNotAtProducer: 0,
            lostAnswers: 0,
          });
          expect(acc.producerCompleted).toBe(acc.sent);
        }
        expect(responder.running && initiatorB.running && initiatorC.running).toBe(true);
      } finally {
        sampler.stop();
        for (const client of clients.values()) client.close();
        await Promise.all([initiatorB.stop(), initiatorC.stop()]);
        await responder.stop();
        await producer.close();
      }
    });
  });
});
