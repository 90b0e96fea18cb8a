import pino from 'pino';
import { PeerRegistry, type PeerChange } from './peer-registry.service';

describe('PeerRegistry', () => {
  let now = 1_000;
  const registry = (): PeerRegistry => new PeerRegistry(pino({ level: 'silent' }), () => now);

  it('starts configured peers idle and follows the state machine', () => {
    const peers = registry();
    peers.syncConfigured(['SEPP.5gc.mnc002.mcc002.3gppnetwork.org.']);
    expect(peers.view()).toEqual([
      expect.objectContaining({ fqdn: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org', configured: true, state: 'idle', attempts: 0, lastError: null }),
    ]);
    const changes: PeerChange[] = [];
    peers.on('change', (c) => changes.push(c));
    now = 2_000;
    peers.apply('sepp.5gc.mnc002.mcc002.3gppnetwork.org', { type: 'NEGOTIATION_STARTED' });
    peers.apply('sepp.5gc.mnc002.mcc002.3gppnetwork.org', { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, { handshakeId: 'ab' });
    expect(peers.view()[0]).toMatchObject({ state: 'tls-established', mechanism: 'TLS', since: new Date(2_000).toISOString(), negotiation: { handshakeId: 'ab' } });
    expect(changes.map((c) => c.after.status.state)).toEqual(['negotiating', 'tls-established']);
  });

  it("calls a watcher on its own peer's changes only, adds no change listener, and stops at unwatch", () => {
    const peers = registry();
    const seen: string[] = [];
    const others: string[] = [];
    const unwatchAll = Array.from({ length: 1_000 }, () => peers.watch('A.example.org.', ({ after }) => seen.push(after.status.state)));
    const unwatchB = peers.watch('b.example.org', ({ after }) => others.push(after.status.state));
    expect(peers.listenerCount('change')).toBe(0);
    expect(peers.watching('a.example.org')).toBe(1_000);
    peers.apply('a.example.org', { type: 'NEGOTIATION_STARTED' });
    expect(seen).toHaveLength(1_000);
    expect(others).toEqual([]);
    unwatchAll.forEach((unwatch) => unwatch());
    unwatchAll[0]!();
    expect(peers.watching('a.example.org')).toBe(0);
    peers.apply('a.example.org', { type: 'MECHANISM_SELECTED', mechanism: 'TLS' });
    expect(seen).toHaveLength(1_000);
    peers.apply('b.example.org', { type: 'NEGOTIATION_STARTED' });
    expect(others).toEqual(['negotiating']);
    unwatchB();
    expect(peers.watching('b.example.org')).toBe(0);
  });

  it('lets a watcher unwatch itself while the others of the change are still called', () => {
    const peers = registry();
    const calls: string[] = [];
    const first = peers.watch('a.example.org', () => {
      calls.push('first');
      first();
    });
    peers.watch('a.example.org', () => calls.push('second'));
    peers.apply('a.example.org', { type: 'NEGOTIATION_STARTED' });
    peers.apply('a.example.org', { type: 'NEGOTIATION_FAILED', reason: 'CONNECTION_FAILED', detail: 'x' });
    expect(calls).toEqual(['first', 'second', 'second']);
  });

  it('ignores a transition the state machine lacks instead of corrupting state', () => {
    const peers = registry();
    peers.syncConfigured(['a.example.org']);
    const record = peers.apply('a.example.org', { type: 'MECHANISM_SELECTED', mechanism: 'TLS' });
    expect(record.status.state).toBe('idle');
  });

  it('drops negotiation details when the agreement ends', () => {
    const peers = registry();
    peers.apply('a.example.org', { type: 'NEGOTIATION_STARTED' });
    peers.apply('a.example.org', { type: 'MECHANISM_SELECTED', mechanism: 'TLS' }, { handshakeId: 'x' });
    expect(peers.apply('a.example.org', { type: 'CONNECTION_LOST' }).negotiation).toBeNull();
  });

  it('marks removed peers unconfigured and forgets them only then', () => {
    const peers = registry();
    peers.syncConfigured(['a.example.org', 'b.example.org']);
    peers.syncConfigured(['b.example.org']);
    expect(peers.get('a.example.org')?.configured).toBe(false);
    peers.forget('b.example.org');
    expect(peers.get('b.example.org')).toBeDefined();
    peers.forget('a.example.org');
    expect(peers.get('a.example.org')).toBeUndefined();
  });
});
