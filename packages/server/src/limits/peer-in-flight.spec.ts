import { PeerInFlight } from './peer-in-flight';

describe('PeerInFlight', () => {
  it('takes up to the bound per peer, each peer apart; a release makes room; a peer with none is forgotten', () => {
    const inFlight = new PeerInFlight();
    expect([inFlight.tryTake('a', 2), inFlight.tryTake('a', 2), inFlight.tryTake('a', 2)]).toEqual([true, true, false]);
    expect(inFlight.tryTake('b', 2)).toBe(true);
    expect([inFlight.count('a'), inFlight.count('b'), inFlight.count('c')]).toEqual([2, 1, 0]);
    // A bound lowered by a reload applies to the next take.
    expect(inFlight.tryTake('b', 1)).toBe(false);
    inFlight.release('a');
    expect(inFlight.tryTake('a', 2)).toBe(true);
    inFlight.release('b');
    expect([...inFlight.counts]).toEqual([['a', 2]]);
    // More releases than takes never go below zero.
    inFlight.release('b');
    expect(inFlight.count('b')).toBe(0);
    expect(inFlight.counts.has('b')).toBe(false);
  });
});
