/**
 * Environment overrides for addresses and certificate paths (README "Configuration"). They are
 * applied to the parsed YAML before validation, so a bad value is reported under its key, with the
 * variable named.
 */
export interface EnvOverride {
  readonly variable: string;
  /** Dotted key path in the file. */
  readonly key: string;
  readonly kind: 'string' | 'port' | 'list';
}

export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { variable: 'SEPP_N32_LISTEN_HOST', key: 'n32.listen.host', kind: 'string' },
  { variable: 'SEPP_N32_LISTEN_PORT', key: 'n32.listen.port', kind: 'port' },
  { variable: 'SEPP_ADMIN_LISTEN_HOST', key: 'admin.listen.host', kind: 'string' },
  { variable: 'SEPP_ADMIN_LISTEN_PORT', key: 'admin.listen.port', kind: 'port' },
  { variable: 'SEPP_SBI_LISTEN_HOST', key: 'sbi.listen.host', kind: 'string' },
  { variable: 'SEPP_SBI_LISTEN_PORT', key: 'sbi.listen.port', kind: 'port' },
  { variable: 'SEPP_TLS_CERT', key: 'tls.cert', kind: 'string' },
  { variable: 'SEPP_TLS_KEY', key: 'tls.key', kind: 'string' },
  { variable: 'SEPP_TLS_CA', key: 'tls.ca', kind: 'list' },
  { variable: 'SEPP_LOG_LEVEL', key: 'logging.level', kind: 'string' },
  { variable: 'SEPP_STATE_REPLICA_ID', key: 'state.replicaId', kind: 'string' },
  { variable: 'SEPP_STATE_REDIS_URL', key: 'state.redis.url', kind: 'string' },
];

/** `SEPP_N32_PEERS_<index>_ADDRESS=host:port[,host:port...]` overrides `n32.peers[<index>].address`. */
const PEER_ADDRESS = /^SEPP_N32_PEERS_(\d+)_ADDRESS$/;

export interface AppliedOverride {
  readonly variable: string;
  readonly key: string;
}

/** Applies the overrides in place on the raw parsed object and says which keys came from where. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): AppliedOverride[] {
  const applied: AppliedOverride[] = [];
  for (const { variable, key, kind } of ENV_OVERRIDES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    setPath(raw, key.split('.'), convert(value, kind));
    applied.push({ variable, key });
  }
  for (const [variable, value] of Object.entries(env)) {
    const match = PEER_ADDRESS.exec(variable);
    if (!match || value === undefined || value === '') continue;
    const index = Number(match[1]);
    const peers = (raw['n32'] as Record<string, unknown> | undefined)?.['peers'];
    if (!Array.isArray(peers) || index >= peers.length || typeof peers[index] !== 'object' || peers[index] === null) {
      throw new Error(`${variable}: there is no n32.peers[${index}] to override`);
    }
    (peers[index] as Record<string, unknown>)['address'] = value.includes(',') ? convert(value, 'list') : value;
    applied.push({ variable, key: `n32.peers[${index}].address` });
  }
  return applied;
}

function convert(value: string, kind: EnvOverride['kind']): unknown {
  switch (kind) {
    case 'string':
      return value;
    case 'port':
      return /^\d+$/.test(value) ? Number(value) : value;
    case 'list':
      return value.split(',').map((item) => item.trim()).filter(Boolean);
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}
