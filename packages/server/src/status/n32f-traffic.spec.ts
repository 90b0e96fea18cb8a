import { N32fTraffic, OTHER_PEERS, TRAFFIC_WINDOW_SECONDS, UNIDENTIFIED } from './n32f-traffic';

describe('N32fTraffic', () => {
  let now = 1_700_000_000_000;
  const clock = (): number => now;
  const A = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';

  it('counts answered, refused by cause and abandoned requests per peer and direction, over the window', () => {
    const traffic = new N32fTraffic(clock);
    for (let i = 0; i < 5; i += 1) traffic.record(A, 'outbound', 'answered', undefined, 2);
    traffic.record(A, 'outbound', 'refused', 'TIMED_OUT_REQUEST', 10_000);
    traffic.record(A, 'outbound', 'refused', 'TIMED_OUT_REQUEST', 10_000);
    traffic.record(A, 'outbound', 'refused', 'N32_NOT_ESTABLISHED', 1);
    traffic.record(A, 'outbound', 'abandoned', undefined, 3);
    traffic.record(A, 'inbound', 'answered', undefined, 1);

    const out = traffic.view(A, 'outbound');
    expect(out).toMatchObject({ answered: 5, abandoned: 1, refused: { TIMED_OUT_REQUEST: 2, N32_NOT_ESTABLISHED: 1 }, answeredPerSecond: 0.5 });
    expect(out.perSecond).toHaveLength(TRAFFIC_WINDOW_SECONDS);
    expect(out.perSecond.at(-1)).toBe(5);
    expect(traffic.view(A, 'inbound').answered).toBe(1);
    expect(traffic.view('nobody', 'inbound')).toMatchObject({ answered: 0, latencyMs: null });
  });

  it('requests in flight per peer: null where nothing counts them, else the sum of the sources of that direction (a peer with none: 0)', () => {
    const traffic = new N32fTraffic(clock);
    traffic.record(A, 'inbound', 'answered', undefined, 1);
    expect(traffic.view(A, 'inbound').inFlight).toBeNull();
    expect(traffic.inFlight('inbound')).toBeNull();
    const tls = new Map([[A, 2]]);
    const prins = new Map([[A, 3], ['sepp.b.org', 1]]);
    traffic.followInFlight('inbound', () => tls);
    expect(traffic.view(A, 'inbound').inFlight).toBe(2);
    traffic.followInFlight('inbound', () => prins);
    expect(traffic.view(A, 'inbound').inFlight).toBe(5);
    expect([...traffic.inFlight('inbound')!]).toEqual([[A, 5], ['sepp.b.org', 1]]);
    // Read live, not copied; a peer without traffic in the window still has its count.
    tls.delete(A);
    expect(traffic.view(A, 'inbound').inFlight).toBe(3);
    expect(traffic.view('sepp.b.org', 'inbound')).toMatchObject({ answered: 0, inFlight: 1 });
    expect(traffic.view('nobody', 'inbound').inFlight).toBe(0);
    expect(traffic.view(A, 'outbound').inFlight).toBeNull();
  });

  it('estimates p50 and p99 of the answered requests within one log bucket (2^(1/4))', () => {
    const traffic = new N32fTraffic(clock);
    for (let i = 0; i < 98; i += 1) traffic.record(A, 'inbound', 'answered', undefined, 10);
    traffic.record(A, 'inbound', 'answered', undefined, 200);
    traffic.record(A, 'inbound', 'answered', undefined, 200);
    // Refusals do not count in the latency of the answered requests.
    traffic.record(A, 'inbound', 'refused', 'TARGET_NOT_ALLOWED', 0.01);
    const { latencyMs } = traffic.view(A, 'inbound');
    expect(latencyMs!.p50).toBeGreaterThanOrEqual(10);
    expect(latencyMs!.p50).toBeLessThan(10 * 2 ** 0.25);
    expect(latencyMs!.p99).toBeGreaterThanOrEqual(200);
    expect(latencyMs!.p99).toBeLessThan(200 * 2 ** 0.25);
    const [entry] = traffic.latency([0.5, 0.99]);
    expect(entry).toEqual({ peer: A, direction: 'inbound', seconds: [latencyMs!.p50 / 1000, latencyMs!.p99 / 1000] });
  });

  it('forgets what is older than the window, and the rate looks at the last 10 s only; totals keep counting', () => {
    const traffic = new N32fTraffic(clock);
    traffic.record(A, 'outbound', 'answered', undefined, 1);
    now += 15_000;
    traffic.record(A, 'outbound', 'answered', undefined, 1);
    expect(traffic.view(A, 'outbound')).toMatchObject({ answered: 2, answeredPerSecond: 0.1 });
    now += TRAFFIC_WINDOW_SECONDS * 1000;
    traffic.record(A, 'outbound', 'refused', 'TIMED_OUT_REQUEST', 1);
    expect(traffic.view(A, 'outbound')).toMatchObject({ answered: 0, answeredPerSecond: 0, refused: { TIMED_OUT_REQUEST: 1 }, latencyMs: null });
    expect(traffic.totals()).toEqual([{ peer: A, direction: 'outbound', answered: 2, abandoned: 0, refused: new Map([['TIMED_OUT_REQUEST', 1]]) }]);
  });

  it('a slot reused a minute later starts from zero', () => {
    const traffic = new N32fTraffic(clock);
    for (let i = 0; i < 3; i += 1) traffic.record(A, 'outbound', 'refused', 'X', 1);
    now += TRAFFIC_WINDOW_SECONDS * 1000; // the same slot, a minute later
    traffic.record(A, 'outbound', 'refused', 'X', 1);
    expect(traffic.view(A, 'outbound').refused).toEqual({ X: 1 });
  });

  it('stays bounded: requests without a known peer count apart, peers beyond 256 together, causes beyond 32 as OTHER', () => {
    const traffic = new N32fTraffic(clock);
    traffic.record(undefined, 'inbound', 'refused', 'N32F_NOT_AGREED', 1);
    traffic.record(A, 'inbound', 'answered', undefined, 1);
    for (let i = 0; i < 300; i += 1) traffic.record(`peer-${i}.example.org`, 'inbound', 'answered', undefined, 1);
    for (let i = 0; i < 40; i += 1) traffic.record(A, 'inbound', 'refused', `CAUSE_${i}`, 1);
    expect(traffic.view(UNIDENTIFIED, 'inbound').refused).toEqual({ N32F_NOT_AGREED: 1 });
    expect(traffic.peers().length).toBeLessThanOrEqual(258);
    expect(traffic.view(OTHER_PEERS, 'inbound').answered).toBeGreaterThan(0);
    const causes = traffic.view(A, 'inbound').refused;
    expect(Object.keys(causes)).toHaveLength(32);
    expect(causes['OTHER']).toBe(40 - 31);
  });
});
