import { RefusalLog } from './refusal-log';

describe('RefusalLog', () => {
  let now = 1_700_000_000_000;
  const clock = (): number => now;

  it('lists refusals newest first, with category, cause, peer, listener and remote address', () => {
    const log = new RefusalLog(10, 60_000, clock);
    log.record({ category: 'certificate', cause: 'unknown_ca', listener: 'n32', remoteAddress: '127.0.0.9', detail: 'client certificate refused: UNABLE_TO_GET_ISSUER_CERT' });
    now += 1000;
    log.record({ category: 'tamper', cause: 'INTEGRITY_CHECK_FAILED', peer: 'sepp.a.org' });
    expect(log.view()).toEqual([
      expect.objectContaining({ category: 'tamper', cause: 'INTEGRITY_CHECK_FAILED', peer: 'sepp.a.org', listener: null, count: 1 }),
      expect.objectContaining({ category: 'certificate', cause: 'unknown_ca', peer: null, listener: 'n32', remoteAddress: '127.0.0.9', count: 1, detail: expect.stringContaining('UNABLE_TO_GET_ISSUER_CERT') }),
    ]);
  });

  it('counts equal refusals close together as one entry, and starts a new one after a pause', () => {
    const log = new RefusalLog(10, 600_000, clock);
    for (let i = 0; i < 1000; i += 1) log.record({ category: 'rate-limit', cause: 'rate-limited', peer: 'sepp.a.org', listener: 'n32' });
    log.record({ category: 'rate-limit', cause: 'rate-limited', peer: 'sepp.a.org', listener: 'n32' }, 24);
    expect(log.view()).toEqual([expect.objectContaining({ cause: 'rate-limited', count: 1024 })]);
    now += 30_000;
    log.record({ category: 'rate-limit', cause: 'rate-limited', peer: 'sepp.a.org', listener: 'n32' });
    expect(log.view().map((entry) => entry.count)).toEqual([1, 1024]);
  });

  it('keeps at most `capacity` entries and shows only the window', () => {
    const log = new RefusalLog(3, 60_000, clock);
    for (let i = 0; i < 5; i += 1) log.record({ category: 'bad-input', cause: `C${i}` });
    expect(log.view().map((entry) => entry.cause)).toEqual(['C4', 'C3', 'C2']);
    now += 61_000;
    expect(log.view()).toEqual([]);
  });
});
