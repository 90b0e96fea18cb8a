import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, loadConfig } from '@sepp/server';

/**
 * Whether this build's configuration loader knows the `state` block of the cluster state store
 * (state.redis.*, state.keyWrapKeyFile). Asked of the loader itself: a file that is valid but for
 * its certificate files and has a `state` block; a loader without the block refuses the key
 * `state` at the schema stage, one with it gets past the schema to the missing files.
 */
export function loaderKnowsStateKeys(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'sepp-state-probe-'));
  try {
    const file = join(dir, 'probe.yaml');
    writeFileSync(
      file,
      stringify({
        sepp: { fqdn: 'sepp.5gc.mnc001.mcc001.3gppnetwork.org', plmns: [{ mcc: '001', mnc: '01' }], capabilities: ['TLS'] },
        tls: { cert: 'missing.crt', key: 'missing.key', ca: ['missing-ca.crt'] },
        n32: { listen: { host: '127.0.0.1', port: 0 }, peers: [] },
        admin: { listen: { host: '127.0.0.1', port: 0 } },
        state: { redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'sepp:' }, keyWrapKeyFile: 'missing.key' },
      }),
    );
    try {
      loadConfig(file, {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return !error.problems.some((p) => p.problem === 'is not a known key' && (p.key === 'state' || p.key.startsWith('state.')));
    }
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
