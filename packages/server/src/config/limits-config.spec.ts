import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCa, createLeaf } from '@sepp/infra';
import { ConfigError, loadConfig } from './load-config';
import { LIMITS_DEFAULTS } from './limits-config';
import { CONFIG_DEFAULTS } from './sepp-config';

const FQDN = 'sepp.5gc.mnc001.mcc001.3gppnetwork.org';
let dir: string;

function file(extra: Record<string, unknown>): string {
  const config = {
    sepp: { fqdn: FQDN, plmns: [{ mcc: '001', mnc: '01' }], capabilities: ['TLS'] },
    tls: { cert: 'sepp.crt', key: 'sepp.key', ca: ['ca.crt'] },
    n32: { listen: { host: '127.0.0.1', port: 0 }, peers: [] },
    admin: { listen: { host: '127.0.0.1', port: 0 } },
    ...extra,
  };
  const path = join(dir, `sepp-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

function problemsOf(path: string): string[] {
  try {
    loadConfig(path, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sepp-limits-'));
  mkdirSync(dir, { recursive: true });
  const ca = await createCa({ commonName: 'Test CA' });
  const leaf = await createLeaf({ ca, dnsNames: [FQDN] });
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  writeFileSync(join(dir, 'sepp.crt'), leaf.chainPem);
  writeFileSync(join(dir, 'sepp.key'), leaf.keyPem);
});

describe('limits and tls.watchFiles', () => {
  it('without the keys: the defaults of CONFIG_DEFAULTS, the burst of each rate limit = its rate, no file watching', () => {
    const config = loadConfig(file({}), {});
    const { rateLimitBurst: _burst, n32cRateLimitBurst: _n32cBurst, connectionRateBurst: _connectionBurst, priorityReserve: _reserve, ...defaults } = LIMITS_DEFAULTS;
    expect(config.limits).toEqual({
      ...defaults,
      rateLimitBurst: LIMITS_DEFAULTS.rateLimitPerPeer,
      n32cRateLimitBurst: LIMITS_DEFAULTS.n32cRateLimitPerPeer,
      connectionRateBurst: LIMITS_DEFAULTS.connectionRatePerAddress,
      priorityReserve: 256,
    });
    expect([config.limits.priorityReserve, config.limits.priorityReserveUpTo]).toEqual([256, 7]);
    expect([config.limits.ociFromPercent, config.limits.lciPeriodMs]).toEqual([80, 0]);
    // The reserve follows the bound: a sixteenth of it, at least 1.
    expect(loadConfig(file({ limits: { maxRequestsInFlight: 40 } }), {}).limits.priorityReserve).toBe(3);
    expect(loadConfig(file({ limits: { maxRequestsInFlight: 2 } }), {}).limits.priorityReserve).toBe(1);
    expect([config.limits.n32cRateLimitPerPeer, config.limits.n32cRateLimitBurst]).toEqual([100, 100]);
    expect([config.limits.connectionRatePerAddress, config.limits.connectionRateBurst]).toEqual([100, 100]);
    expect(CONFIG_DEFAULTS.limits).toBe(LIMITS_DEFAULTS);
    expect(config.tls.watchFiles).toBe(false);
    expect(config.tls.files).toEqual([join(dir, 'sepp.crt'), join(dir, 'sepp.key'), join(dir, 'ca.crt')]);
  });

  it('takes every key it is given', () => {
    const limits = {
      maxConcurrentStreams: 100,
      maxHeaderListSize: 8192,
      maxSessionMemory: 20,
      maxSessionInvalidFrames: 10,
      maxSessionRejectedStreams: 10,
      streamResetBurst: 50,
      streamResetRate: 5,
      maxOutstandingPings: 5,
      maxOutstandingSettings: 5,
      maxSettings: 16,
      controlFrameBurst: 20,
      controlFrameRate: 2,
      maxConnections: 64,
      maxConnectionsPerAddress: 8,
      connectionRatePerAddress: 0,
      connectionRateBurst: 4,
      maxRequestsInFlight: 64,
      priorityReserve: 0,
      priorityReserveUpTo: 31,
      ociFromPercent: 95,
      lciPeriodMs: 5000,
      handshakeTimeoutMs: 2000,
      headersTimeoutMs: 3000,
      streamIdleMs: 4000,
      rateLimitPerPeer: 100,
      rateLimitBurst: 300,
      n32cRateLimitPerPeer: 5,
      n32cRateLimitBurst: 20,
      drainTimeoutMs: 0,
      closeGraceMs: 1000,
      stopGraceMs: 500,
    };
    const config = loadConfig(file({ limits, tls: { cert: 'sepp.crt', key: 'sepp.key', ca: ['ca.crt'], watchFiles: true } }), {});
    expect(config.limits).toEqual(limits);
    expect(config.tls.watchFiles).toBe(true);
  });

  it('refuses wrong values and unknown keys, naming the key', () => {
    const problems = problemsOf(
      file({
        limits: { maxConcurrentStreams: 0, maxHeaderListSize: '16k', streamIdleMs: 10, rateLimitPerPeer: -1, rateLimitBurst: 0, maxConnections: 0, maxConnectionsPerAddress: '8', n32cRateLimitPerPeer: 2.5, n32cRateLimitBurst: 0, connectionRatePerAddress: -1, connectionRateBurst: 0.5, maxRequestsInFlight: 0, priorityReserve: -1, priorityReserveUpTo: 32, ociFromPercent: 101, lciPeriodMs: -1, drainTimeoutMs: 1.5, closeGraceMs: 60_001, stopGraceMs: 50, maxStreams: 5 },
        tls: { cert: 'sepp.crt', key: 'sepp.key', ca: ['ca.crt'], watchFiles: 'yes' },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'limits.maxConcurrentStreams: must be at least 1',
        'limits.maxHeaderListSize: must be an integer (bytes)',
        'limits.streamIdleMs: must be at least 100 (ms)',
        'limits.rateLimitPerPeer: must be at least 0 (requests per second, 0: no limit)',
        'limits.rateLimitBurst: must be at least 1 (requests)',
        'limits.maxConnections: must be at least 1',
        'limits.maxConnectionsPerAddress: must be an integer',
        'limits.n32cRateLimitPerPeer: must be an integer (requests per second, 0: no limit)',
        'limits.n32cRateLimitBurst: must be at least 1 (requests)',
        'limits.connectionRatePerAddress: must be at least 0 (connections per second, 0: no limit)',
        'limits.connectionRateBurst: must be an integer (connections)',
        'limits.maxRequestsInFlight: must be at least 1 (requests)',
        'limits.priorityReserve: must be at least 0 (requests, 0: none)',
        'limits.priorityReserveUpTo: must be at most 31 (a 3gpp-Sbi-Message-Priority, 0 the highest)',
        'limits.ociFromPercent: must be at most 100 (percent of maxRequestsInFlight, 0: only refusals carry the OCI)',
        'limits.lciPeriodMs: must be at least 0 (ms, 0: none)',
        'limits.drainTimeoutMs: must be an integer (ms)',
        'limits.closeGraceMs: must be at most 60000 (ms)',
        'limits.stopGraceMs: must be at least 100 (ms)',
        'limits.maxStreams: is not a known key',
        'tls.watchFiles: must be true or false',
      ]),
    );
  });
});

describe('prins.replacedContextGraceMs', () => {
  it('defaults to 10 s, takes a value from 0 ms up, and names the key when it is wrong', () => {
    expect(loadConfig(file({}), {}).prins.replacedContextGraceMs).toBe(10_000);
    expect(loadConfig(file({ prins: { replacedContextGraceMs: 0 } }), {}).prins.replacedContextGraceMs).toBe(0);
    expect(loadConfig(file({ prins: { replacedContextGraceMs: 2_500 } }), {}).prins.replacedContextGraceMs).toBe(2_500);
    expect(problemsOf(file({ prins: { replacedContextGraceMs: -1 } }))).toContain('prins.replacedContextGraceMs: must be at least 0 ms');
    expect(problemsOf(file({ prins: { replacedContextGraceMs: '10s' } }))).toContain('prins.replacedContextGraceMs: must be an integer (ms)');
  });
});

describe('prins.maxContextsPerPeer', () => {
  it('defaults to 4, takes 2 to 64, and names the key when it is wrong', () => {
    expect(loadConfig(file({}), {}).prins.maxContextsPerPeer).toBe(4);
    expect(loadConfig(file({ prins: { maxContextsPerPeer: 2 } }), {}).prins.maxContextsPerPeer).toBe(2);
    expect(loadConfig(file({ prins: { maxContextsPerPeer: 64 } }), {}).prins.maxContextsPerPeer).toBe(64);
    expect(problemsOf(file({ prins: { maxContextsPerPeer: 1 } }))).toContain('prins.maxContextsPerPeer: must be at least 2');
    expect(problemsOf(file({ prins: { maxContextsPerPeer: 65 } }))).toContain('prins.maxContextsPerPeer: must be at most 64');
    expect(problemsOf(file({ prins: { maxContextsPerPeer: 2.5 } }))).toContain('prins.maxContextsPerPeer: must be an integer');
  });
});
