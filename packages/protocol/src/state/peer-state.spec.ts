import {
  canTransition,
  initialPeerStatus,
  InvalidPeerTransition,
  PEER_N32_STATES,
  PEER_TRANSITIONS,
  transition,
  type PeerStatus,
} from './peer-state';

describe('peer N32 state machine', () => {
  const t0 = 1_000;
  const idle = initialPeerStatus(t0);

  it('negotiates to tls-established and resets attempts', () => {
    const negotiating = transition(idle, { type: 'NEGOTIATION_STARTED' }, 2_000);
    expect(negotiating).toMatchObject({ state: 'negotiating', attempts: 1, since: 2_000 });
    const done = transition(negotiating, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, 3_000);
    expect(done).toEqual({ state: 'tls-established', mechanism: 'TLS', since: 3_000, lastError: null, attempts: 0 });
  });

  it('PRINS selection leads to prins-selected', () => {
    const s = transition(transition(idle, { type: 'NEGOTIATION_STARTED' }, 1), { type: 'MECHANISM_SELECTED', mechanism: 'PRINS' }, 2);
    expect(s.state).toBe('prins-selected');
    expect(s.mechanism).toBe('PRINS');
  });

  it('PRINS: parameter exchange establishes, the context survives a lost N32-c connection, terminate goes back', () => {
    let s = transition(transition(idle, { type: 'NEGOTIATION_STARTED' }, 1), { type: 'MECHANISM_SELECTED', mechanism: 'PRINS' }, 2);
    s = transition(s, { type: 'PARAMETERS_EXCHANGED' }, 3);
    expect(s).toMatchObject({ state: 'prins-established', mechanism: 'PRINS', since: 3 });
    expect(transition(s, { type: 'CONNECTION_LOST' }, 4)).toBe(s);
    expect(transition(s, { type: 'CONTEXT_TERMINATED' }, 5)).toMatchObject({ state: 'prins-selected', mechanism: 'PRINS' });
    expect(transition(s, { type: 'PARAMETERS_EXCHANGED' }, 6).state).toBe('prins-established');
    const selected = transition(transition(idle, { type: 'NEGOTIATION_STARTED' }, 1), { type: 'MECHANISM_SELECTED', mechanism: 'PRINS' }, 2);
    expect(transition(selected, { type: 'NEGOTIATION_FAILED', reason: 'POLICY_MISMATCH', detail: 'x' }, 3).state).toBe('failed');
    expect(() => transition({ ...idle, state: 'tls-established' }, { type: 'PARAMETERS_EXCHANGED' }, 1)).toThrow(InvalidPeerTransition);
  });

  it('a failure keeps the reason and counts attempts across retries', () => {
    let s: PeerStatus = idle;
    for (let i = 0; i < 3; i++) {
      s = transition(s, { type: 'NEGOTIATION_STARTED' }, 10 + i);
      s = transition(s, { type: 'NEGOTIATION_FAILED', reason: 'NO_COMMON_MECHANISM', detail: 'NONE' }, 20 + i);
    }
    expect(s).toMatchObject({ state: 'failed', attempts: 3, lastError: { reason: 'NO_COMMON_MECHANISM', detail: 'NONE', at: 22 } });
  });

  it('losing the connection while negotiating is a failure; once established it is idle', () => {
    const negotiating = transition(idle, { type: 'NEGOTIATION_STARTED' }, 1);
    expect(transition(negotiating, { type: 'CONNECTION_LOST' }, 2)).toMatchObject({ state: 'failed', lastError: { reason: 'CONNECTION_LOST' } });
    const established = transition(negotiating, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, 2);
    expect(transition(established, { type: 'CONNECTION_LOST' }, 3)).toMatchObject({ state: 'idle', mechanism: null, since: 3 });
  });

  it('the receiving SEPP renegotiates itself from idle, failed and terminated (not while agreed or negotiating), and the attempt ends in one of the usual ways', () => {
    for (const state of PEER_N32_STATES) {
      expect([state, canTransition(state, 'RENEGOTIATION_STARTED')]).toEqual([state, ['idle', 'failed', 'terminated'].includes(state)]);
    }
    const renegotiating = transition({ ...idle, state: 'failed', attempts: 2 }, { type: 'RENEGOTIATION_STARTED' }, 7);
    expect(renegotiating).toMatchObject({ state: 'renegotiating', since: 7, attempts: 3, mechanism: null });
    expect(transition(renegotiating, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, 8)).toEqual({ state: 'tls-established', mechanism: 'TLS', since: 8, lastError: null, attempts: 0 });
    expect(transition(renegotiating, { type: 'NEGOTIATION_FAILED', reason: 'CONNECTION_FAILED', detail: 'refused' }, 8)).toMatchObject({ state: 'failed', lastError: { reason: 'CONNECTION_FAILED' } });
    expect(transition(renegotiating, { type: 'CONNECTION_LOST' }, 8)).toMatchObject({ state: 'failed', lastError: { reason: 'CONNECTION_LOST' } });
    // The peer's own handshake arriving meanwhile takes over.
    expect(transition(renegotiating, { type: 'NEGOTIATION_STARTED' }, 8).state).toBe('negotiating');
    expect(transition(renegotiating, { type: 'RELEASED' }, 8).state).toBe('terminated');
    expect(() => transition(renegotiating, { type: 'RENEGOTIATION_STARTED' }, 8)).toThrow(InvalidPeerTransition);
  });

  it('a release terminates from every state', () => {
    for (const state of PEER_N32_STATES) {
      expect(transition({ ...idle, state }, { type: 'RELEASED' }, 5).state).toBe('terminated');
    }
  });

  it('renegotiation is possible from every state but negotiating itself restarts', () => {
    for (const state of PEER_N32_STATES) expect(canTransition(state, 'NEGOTIATION_STARTED')).toBe(true);
  });

  it('refuses transitions the table lacks', () => {
    expect(() => transition(idle, { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, 1)).toThrow(InvalidPeerTransition);
    expect(() => transition({ ...idle, state: 'tls-established' }, { type: 'NEGOTIATION_FAILED', reason: 'TIMEOUT', detail: '' }, 1)).toThrow(
      'no transition from tls-established on NEGOTIATION_FAILED',
    );
  });

  it('keeps `since` when the state does not change', () => {
    const failed: PeerStatus = { ...idle, state: 'failed', since: 42 };
    expect(transition(failed, { type: 'CONNECTION_LOST' }, 99).since).toBe(42);
  });

  it('the table covers every state', () => {
    expect(Object.keys(PEER_TRANSITIONS).sort()).toEqual([...PEER_N32_STATES].sort());
  });
});
