import { createLogger } from '../logging/logger';
import { PeerRegistry } from '../peers/peer-registry.service';
import { PeerTimeline } from './peer-timeline';

describe('PeerTimeline', () => {
  const PEER = 'sepp.5gc.mnc002.mcc002.3gppnetwork.org';
  let now = 1_700_000_000_000;
  const clock = (): number => now;
  const setup = (length?: number) => {
    const registry = new PeerRegistry(createLogger('test', 'fatal'), clock);
    const timeline = new PeerTimeline(length, clock);
    timeline.follow(registry);
    return { registry, timeline };
  };

  it('records the state machine transitions with what operators need: offered, selected (reason, handshake), refused (reason), lost, released', () => {
    const { registry, timeline } = setup();
    registry.apply(PEER, { type: 'NEGOTIATION_STARTED', offered: ['TLS', 'PRINS'] });
    now += 10;
    registry.apply(PEER, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, { handshakeId: 'a1b2', selectionReason: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES' });
    registry.apply(PEER, { type: 'NEGOTIATION_STARTED', offered: ['PRINS'] });
    registry.apply(PEER, { type: 'NEGOTIATION_FAILED', reason: 'NO_COMMON_MECHANISM', detail: 'the responder selected NONE' });
    registry.apply(PEER, { type: 'NEGOTIATION_STARTED' });
    registry.apply(PEER, { type: 'CONNECTION_LOST' });
    registry.apply(PEER, { type: 'RELEASED' });
    // An event the state machine refuses is not a transition: not listed.
    registry.apply(PEER, { type: 'PARAMETERS_EXCHANGED' });

    const entries = timeline.of(PEER);
    expect(entries.map((entry) => [entry.kind, entry.from, entry.to])).toEqual([
      ['released', 'failed', 'terminated'],
      ['refused', 'negotiating', 'failed'],
      ['offered', 'failed', 'negotiating'],
      ['refused', 'negotiating', 'failed'],
      ['renegotiated', 'tls-established', 'negotiating'],
      ['selected', 'negotiating', 'tls-established'],
      ['offered', null, 'negotiating'],
    ]);
    expect(entries[6]).toMatchObject({ event: 'NEGOTIATION_STARTED', offered: ['TLS', 'PRINS'], reason: null });
    expect(entries[5]).toMatchObject({ mechanism: 'TLS', reason: 'TLS_PREFERRED_WITHOUT_INTERMEDIARIES', handshakeId: 'a1b2' });
    expect(entries[4]).toMatchObject({ offered: ['PRINS'] });
    expect(entries[3]).toMatchObject({ reason: 'NO_COMMON_MECHANISM', detail: 'the responder selected NONE', mechanism: null });
    expect(entries[1]).toMatchObject({ event: 'CONNECTION_LOST', reason: 'CONNECTION_LOST' });
  });

  it('names the PRINS context steps and a lost N32-c connection that leaves the context in place', () => {
    const { registry, timeline } = setup();
    registry.apply(PEER, { type: 'NEGOTIATION_STARTED' });
    registry.apply(PEER, { type: 'MECHANISM_SELECTED', mechanism: 'PRINS' }, { selectionReason: 'PRINS_REQUIRED_BY_INTERMEDIARIES' });
    registry.apply(PEER, { type: 'PARAMETERS_EXCHANGED' }, { selectionReason: 'PRINS_REQUIRED_BY_INTERMEDIARIES', jweCipherSuite: 'A128GCM' });
    registry.apply(PEER, { type: 'CONNECTION_LOST' });
    registry.apply(PEER, { type: 'CONTEXT_TERMINATED' });
    expect(timeline.of(PEER).map((entry) => [entry.kind, entry.to, entry.detail])).toEqual([
      ['context-terminated', 'prins-selected', null],
      ['lost', 'prins-established', 'the N32-c connection closed; the N32-f context stays'],
      ['context-established', 'prins-established', 'N32-f context, JWE A128GCM'],
      ['selected', 'prins-selected', null],
      ['offered', 'negotiating', null],
    ]);
  });

  it('counts a transition that repeats (retries failing alike: offered, refused, offered...) on one entry per step, with its first and last time', () => {
    const { registry, timeline } = setup();
    registry.apply(PEER, { type: 'NEGOTIATION_STARTED', offered: ['TLS'] });
    registry.apply(PEER, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, { handshakeId: 'h1' });
    const started = now;
    for (let i = 0; i < 5; i += 1) {
      now += 1000;
      registry.apply(PEER, { type: 'NEGOTIATION_STARTED', offered: ['TLS'] });
      registry.apply(PEER, { type: 'NEGOTIATION_FAILED', reason: 'NO_COMMON_MECHANISM', detail: 'the responder selected NONE' });
    }
    const entries = timeline.of(PEER);
    expect(entries.map((entry) => [entry.kind, entry.from, entry.count])).toEqual([
      ['refused', 'negotiating', 5],
      ['offered', 'failed', 4],
      ['renegotiated', 'tls-established', 1],
      ['selected', 'negotiating', 1],
      ['offered', null, 1],
    ]);
    expect(entries[0]).toMatchObject({ first: new Date(started + 1000).toISOString(), at: new Date(now).toISOString() });
    // A different reason is a new entry.
    registry.apply(PEER, { type: 'NEGOTIATION_STARTED', offered: ['TLS'] });
    registry.apply(PEER, { type: 'NEGOTIATION_FAILED', reason: 'CONNECTION_FAILED', detail: 'ECONNREFUSED' });
    expect(timeline.of(PEER).slice(0, 2).map((entry) => [entry.kind, entry.reason, entry.count])).toEqual([
      ['refused', 'CONNECTION_FAILED', 1],
      ['offered', null, 5],
    ]);
  });

  it('names the receiving SEPP\'s own renegotiation (N32-f from a peer without an agreement) "renegotiated", with what it offered', () => {
    const { registry, timeline } = setup();
    registry.apply(PEER, { type: 'RENEGOTIATION_STARTED', offered: ['TLS'] });
    registry.apply(PEER, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, { handshakeId: 'r1' });
    expect(timeline.of(PEER).map((entry) => [entry.kind, entry.from, entry.to, entry.offered])).toEqual([
      ['selected', 'renegotiating', 'tls-established', null],
      ['renegotiated', null, 'renegotiating', ['TLS']],
    ]);
  });

  it('keeps the last N per peer, newest first, and trims what a peer offered', () => {
    const { registry, timeline } = setup(3);
    const offered = Array.from({ length: 20 }, (_, i) => `MECHANISM_${i}_${'x'.repeat(50)}`);
    for (let i = 0; i < 10; i += 1) {
      registry.apply(PEER, { type: 'NEGOTIATION_STARTED', offered });
      registry.apply(PEER, { type: 'NEGOTIATION_FAILED', reason: 'CONNECTION_FAILED', detail: `attempt ${i}` });
    }
    const entries = timeline.of(PEER);
    expect(entries).toHaveLength(3);
    expect(entries[0]).toMatchObject({ kind: 'refused', detail: 'attempt 9' });
    const offeredEntry = entries.find((entry) => entry.kind === 'offered')!;
    expect(offeredEntry.offered).toHaveLength(8);
    for (const item of offeredEntry.offered!) expect(item.length).toBeLessThanOrEqual(32);
    expect(timeline.of('unknown.example.org')).toEqual([]);
  });
});
