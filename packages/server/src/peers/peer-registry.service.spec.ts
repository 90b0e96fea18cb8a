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
