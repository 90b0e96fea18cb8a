import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { newN32fContextId } from '@sepp/protocol';
import type { ConfigService } from '../runtime/config.service';
import { PeerRegistry } from '../peers/peer-registry.service';
import { MemoryStateStore } from '../state/memory-store';
import { StateStoreUnavailable } from '../state/state-store';
import { N32fContextsService } from './n32f-contexts.service';

describe('N32fContextsService.establish', () => {
  const logger = pino({ level: 'silent' });
  const config = {
    current: {
      prins: { maxMessagesPerContext: 2 ** 32, maxContextsPerPeer: 4, replacedContextGraceMs: 1_000, dataTypeEncPolicy: null },
      state: { sequenceBlockSize: 64 },
      n32: { peers: [] },
    },
    on: () => undefined,
  } as unknown as ConfigService;
  const params = () => ({
    role: 'responder' as const,
    peer: 'sepp.5gc.mnc002.mcc002.3gppnetwork.org',
    localContextId: newN32fContextId(),
    remoteContextId: newN32fContextId(),
    master: randomBytes(64),
    enc: 'A128GCM' as const,
  });

  it('keeps nothing of a context the state store did not take: no table entry and no SEQ feeders (they hold its keys), however many a peer tries', async () => {
    const store = new MemoryStateStore('r1');
    store.saveContext = () => Promise.reject(new StateStoreUnavailable('the shared state store (redis) did not answer saving a context: down'));
    const service = new N32fContextsService(config, new PeerRegistry(logger), logger, store);
    try {
      for (let i = 0; i < 50; i += 1) await expect(service.establish(params())).rejects.toBeInstanceOf(StateStoreUnavailable);
      expect(service.table.list()).toEqual([]);
      expect(service['feeders'].size).toBe(0);
    } finally {
      service.onModuleDestroy();
    }
  });

  it('keeps a context the store took, with its feeders', async () => {
    const store = new MemoryStateStore('r1');
    const service = new N32fContextsService(config, new PeerRegistry(logger), logger, store);
    try {
      const context = await service.establish(params());
      expect(service.table.list()).toEqual([context]);
      expect(service['feeders'].size).toBe(1);
    } finally {
      service.onModuleDestroy();
    }
  });
});
