import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ConfigError, configProblems, type ConfigProblem } from './config-problems';
import { parseDocument } from 'yaml';
import { normalizeFqdn, parseApiRoot, type ApiRoot, type PlmnIdValue } from '@sepp/protocol';
import { applyEnvOverrides } from './env-overrides';
import { CONFIG_DEFAULTS, type ListenAddress, type PeerSettings, type SeppConfig, type TlsMaterial } from './sepp-config';
import { parseHostPort, type ListenConfig } from './config-schema-parts';
import { SeppConfigFile, type PlmnConfig } from './sepp-config.schema';
import { readCaList, readCrlList, readIdentity } from './read-tls';
import { n32TrustedRoots, readTrustAnchors } from './read-trust-anchors';
import { readPeerIpx } from './read-ipx';
import { readLimits, tlsFilesOf } from './limits-config';
import { readState } from './state-config';
import { readBorder } from '../border/read-border';

export { ConfigError, type ConfigProblem };

/**
 * `--config FILE`, `--config=FILE`, else the variable `envName` (`SEPP_CONFIG`, CONFIG.md
 * "Starting an app"; the IPX relay passes its own).
 */
export function resolveConfigPath(argv: readonly string[], env: NodeJS.ProcessEnv, envName = 'SEPP_CONFIG'): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--config') {
      const value = argv[i + 1];
      if (!value) throw ConfigError.of('', '--config needs a file name');
      return resolve(value);
    }
    if (arg.startsWith('--config=')) return resolve(arg.slice('--config='.length));
  }
  if (env[envName]) return resolve(env[envName]);
  throw ConfigError.of('', `no configuration file: pass --config FILE or set ${envName}`);
}

/**
 * Reads a configuration file as a YAML mapping (duplicate keys refused). `expected` names its
 * top-level keys for the message when it is not a mapping. Throws ConfigError; `source` is the
 * absolute path, for messages and for resolving relative paths.
 */
export function readYamlMapping(file: string, expected: string): { source: string; raw: Record<string, unknown> } {
  const source = resolve(file);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw ConfigError.of('', `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const document = parseDocument(text, { uniqueKeys: true });
  if (document.errors.length > 0) {
    throw ConfigError.of('', `${source} is not valid YAML: ${document.errors[0]!.message}`);
  }
  const raw: unknown = document.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw ConfigError.of('', `${source} must hold a YAML mapping with ${expected}`);
  }
  return { source, raw: raw as Record<string, unknown> };
}

/**
 * Reads, validates and freezes one SEPP configuration file. Relative paths in the file resolve
 * against the file's folder; paths given through environment overrides resolve against the
 * working directory. Certificate files are read and checked here (our FQDN must be a SAN dNSName
 * of our certificate, the key must match it), so a bad file never reaches a listener.
 */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): SeppConfig {
  const { source, raw } = readYamlMapping(file, 'sepp, tls, n32 and admin');
  let fromEnv: { variable: string; key: string }[];
  try {
    fromEnv = applyEnvOverrides(raw, env);
  } catch (error) {
    throw ConfigError.of('', (error as Error).message);
  }

  // A problem with a value that came from the environment names the variable too, also when the
  // value is fine but what it points to is not (`tls.ca[0] (from SEPP_TLS_CA): cannot read ...`).
  const envKeys = new Map(fromEnv.map(({ variable, key }) => [key, variable]));
  const naming = (problems: readonly ConfigProblem[]): ConfigError =>
    new ConfigError(
      problems.map(({ key, problem }) => {
        const variable = envKeys.get(key) ?? envKeys.get(key.replace(/\[\d+\]$/, ''));
        return { key: variable ? `${key} (from ${variable})` : key, problem };
      }),
    );

  const parsed = plainToInstance(SeppConfigFile, raw, { enableImplicitConversion: false });
  const errors = validateSync(parsed, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  if (errors.length > 0) throw naming(configProblems(errors, ''));

  const fileDir = dirname(source);
  const envPaths = new Set(fromEnv.map(({ key }) => key));
  const pathOf = (key: string, value: string): string =>
    isAbsolute(value) ? value : resolve(envPaths.has(key) ? process.cwd() : fileDir, value);

  const problems: ConfigProblem[] = [];
  checkUnique(parsed.sepp.capabilities, 'sepp.capabilities', problems);
  checkUnique(
    parsed.n32.peers.map((peer) => normalizeFqdn(peer.fqdn)),
    'n32.peers',
    problems,
    (index) => `n32.peers[${index}].fqdn`,
  );
  const retry = {
    initialDelayMs: parsed.n32.retry?.initialDelayMs ?? CONFIG_DEFAULTS.retryInitialDelayMs,
    maxDelayMs: parsed.n32.retry?.maxDelayMs ?? CONFIG_DEFAULTS.retryMaxDelayMs,
  };
  if (retry.initialDelayMs > retry.maxDelayMs) {
    problems.push({ key: 'n32.retry.initialDelayMs', problem: 'must not exceed n32.retry.maxDelayMs' });
  }

  const certFile = pathOf('tls.cert', parsed.tls.cert);
  const keyFile = pathOf('tls.key', parsed.tls.key);
  const caFiles = parsed.tls.ca.map((ca) => pathOf('tls.ca', ca));
  const fqdn = normalizeFqdn(parsed.sepp.fqdn);
  const identity = readIdentity({ certKey: 'tls.cert', keyKey: 'tls.key', certFile, keyFile, fqdn: { key: 'sepp.fqdn', name: fqdn } }, now, problems);
  const ca = readCaList('tls.ca', caFiles, problems);
  const revocation = readCrlList('tls.crl', (parsed.tls.crl ?? []).map((file) => pathOf('tls.crl', file)), now, problems);
  const trustAnchors = readTrustAnchors(parsed.n32.trustAnchors, pathOf, problems);
  const peerIpx = parsed.n32.peers.map((peer, index) => readPeerIpx(peer, index, pathOf, parseHostPort, problems));

  const n32fFqdn = normalizeFqdn(parsed.n32f?.fqdn ?? fqdn);
  const n32fIdentity = parsed.n32f?.tls
    ? readIdentity(
        {
          certKey: 'n32f.tls.cert',
          keyKey: 'n32f.tls.key',
          certFile: pathOf('n32f.tls.cert', parsed.n32f.tls.cert),
          keyFile: pathOf('n32f.tls.key', parsed.n32f.tls.key),
          fqdn: { key: 'n32f.fqdn', name: n32fFqdn },
        },
        now,
        problems,
      )
    : identity;
  if (!parsed.n32f?.tls && identity && !identity.dnsNames.includes(n32fFqdn)) {
    problems.push({ key: 'n32f.fqdn', problem: `${n32fFqdn} is not a SAN dNSName of tls.cert (set n32f.tls for a separate N32-f certificate)` });
  }

  const allowedTargets = (parsed.sbi?.allowedTargets ?? []).map((text, index) => {
    const root = parseApiRoot(text);
    if (!root) problems.push({ key: `sbi.allowedTargets[${index}]`, problem: 'must be an apiRoot: <http|https>://host[:port][/prefix]' });
    return root;
  });
  const sbiKeepaliveMs = parsed.sbi?.keepaliveMs;
  if (sbiKeepaliveMs !== undefined && sbiKeepaliveMs > 0 && sbiKeepaliveMs < 100) problems.push({ key: 'sbi.keepaliveMs', problem: 'must be 0 (none) or at least 100 ms' });
  const hosts: Record<string, string> = {};
  for (const [host, address] of Object.entries(parsed.sbi?.hosts ?? {})) {
    if (typeof address !== 'string' || isIP(address) === 0) problems.push({ key: `sbi.hosts.${host}`, problem: 'must be an IP address' });
    else hosts[normalizeFqdn(host)] = address;
  }
  const sbiTls = parsed.sbi?.tls
    ? {
        identity: readIdentity(
          { certKey: 'sbi.tls.cert', keyKey: 'sbi.tls.key', certFile: pathOf('sbi.tls.cert', parsed.sbi.tls.cert), keyFile: pathOf('sbi.tls.key', parsed.sbi.tls.key) },
          now,
          problems,
        ),
        ca: readCaList('sbi.tls.ca', (parsed.sbi.tls.ca ?? []).map((file) => pathOf('sbi.tls.ca', file)), problems),
      }
    : null;
  const adminTls = parsed.admin.tls
    ? {
        identity: readIdentity(
          { certKey: 'admin.tls.cert', keyKey: 'admin.tls.key', certFile: pathOf('admin.tls.cert', parsed.admin.tls.cert), keyFile: pathOf('admin.tls.key', parsed.admin.tls.key) },
          now,
          problems,
        ),
        ca: readCaList('admin.tls.ca', (parsed.admin.tls.ca ?? []).map((file) => pathOf('admin.tls.ca', file)), problems),
      }
    : null;
  const state = readState(parsed.state, fqdn, pathOf, problems);
  const border = readBorder(parsed.border, parsed.n32.peers, problems);
  if (problems.length > 0 || !identity || !ca || !n32fIdentity || !revocation) throw naming(problems);
  const material: TlsMaterial = { ...identity, ca: n32TrustedRoots(ca, trustAnchors), crl: revocation.pem };

  const config: SeppConfig = {
    source,
    sepp: {
      fqdn,
      plmns: parsed.sepp.plmns.map(plmn),
      capabilities: [...parsed.sepp.capabilities],
      supportedFeatures: parsed.sepp.supportedFeatures ?? CONFIG_DEFAULTS.supportedFeatures,
      targetApiRootSupported: parsed.sepp.targetApiRootSupported ?? CONFIG_DEFAULTS.targetApiRootSupported,
    },
    tls: {
      certFile,
      keyFile,
      caFiles,
      minVersion: parsed.tls.minVersion ?? CONFIG_DEFAULTS.minVersion,
      material,
      crls: revocation.crls,
      watchFiles: parsed.tls.watchFiles ?? CONFIG_DEFAULTS.watchFiles,
      files: tlsFilesOf(parsed, pathOf),
    },
    n32: {
      listen: parsed.n32.listen ? listen(parsed.n32.listen) : null,
      peers: parsed.n32.peers.map(
        (peer, index): PeerSettings => {
          const dials = peer.address ? [peer.address].flat().map(parseHostPort) : [{ host: normalizeFqdn(peer.fqdn), port: CONFIG_DEFAULTS.peerPort }];
          return {
            fqdn: normalizeFqdn(peer.fqdn),
            plmns: peer.plmns.map(plmn),
            dial: dials[0]!,
            dials,
            intermediaries: peer.intermediaries ?? CONFIG_DEFAULTS.intermediaries,
            purposes: peer.purposes ? [...peer.purposes] : null,
            ipx: peerIpx[index] ?? null,
          };
        },
      ),
      acceptUnknownPeers: parsed.n32.acceptUnknownPeers ?? CONFIG_DEFAULTS.acceptUnknownPeers,
      bodyLimit: parsed.n32.bodyLimit ?? CONFIG_DEFAULTS.bodyLimit,
      retry,
      renegotiation: {
        enabled: parsed.n32.renegotiation?.enabled ?? CONFIG_DEFAULTS.renegotiationEnabled,
        waitMs: parsed.n32.renegotiation?.waitMs ?? CONFIG_DEFAULTS.renegotiationWaitMs,
        minIntervalMs: parsed.n32.renegotiation?.minIntervalMs ?? CONFIG_DEFAULTS.renegotiationMinIntervalMs,
      },
      requestTimeoutMs: parsed.n32.requestTimeoutMs ?? CONFIG_DEFAULTS.requestTimeoutMs,
      keepaliveMs: parsed.n32.keepaliveMs ?? CONFIG_DEFAULTS.keepaliveMs,
      idleTimeoutMs: parsed.n32.idleTimeoutMs ?? CONFIG_DEFAULTS.idleTimeoutMs,
      purposes: parsed.n32.purposes ? [...parsed.n32.purposes] : [],
      trustAnchors,
    },
    admin: {
      listen: listen(parsed.admin.listen),
      tls: adminTls?.identity ? { cert: adminTls.identity.cert, key: adminTls.identity.key, ca: adminTls.ca ?? [] } : null,
    },
    sbi: {
      listen: parsed.sbi?.listen ? listen(parsed.sbi.listen) : null,
      allowedTargets: allowedTargets.filter((root): root is ApiRoot => root !== null),
      hosts,
      tls: sbiTls?.identity ? { cert: sbiTls.identity.cert, key: sbiTls.identity.key, ca: sbiTls.ca ?? [] } : null,
      keepaliveMs: parsed.sbi?.keepaliveMs ?? CONFIG_DEFAULTS.sbiKeepaliveMs,
    },
    n32f: {
      connection: parsed.n32f?.connection ?? CONFIG_DEFAULTS.n32fConnection,
      listen: parsed.n32f?.listen ? listen(parsed.n32f.listen) : null,
      fqdn: n32fFqdn,
      tls: { cert: n32fIdentity.cert, key: n32fIdentity.key, dnsNames: n32fIdentity.dnsNames },
      requestTimeoutMs: parsed.n32f?.requestTimeoutMs ?? CONFIG_DEFAULTS.n32fRequestTimeoutMs,
      establishTimeoutMs: parsed.n32f?.establishTimeoutMs ?? CONFIG_DEFAULTS.n32fEstablishTimeoutMs,
      maxConcurrentPerPeer: parsed.n32f?.maxConcurrentPerPeer ?? CONFIG_DEFAULTS.n32fMaxConcurrentPerPeer,
      bodyLimit: parsed.n32f?.bodyLimit ?? CONFIG_DEFAULTS.n32fBodyLimit,
    },
    prins: {
      jweCipherSuites: parsed.prins?.jweCipherSuites ? [...parsed.prins.jweCipherSuites] : [...CONFIG_DEFAULTS.jweCipherSuites],
      dataTypeEncPolicy: parsed.prins?.dataTypeEncPolicy ? [...parsed.prins.dataTypeEncPolicy] : null,
      policyMismatch: parsed.prins?.policyMismatch ?? CONFIG_DEFAULTS.policyMismatch,
      maxMessagesPerContext: parsed.prins?.maxMessagesPerContext ?? CONFIG_DEFAULTS.maxMessagesPerContext,
      acceptLegacyUriPlaceholder: parsed.prins?.acceptLegacyUriPlaceholder ?? CONFIG_DEFAULTS.acceptLegacyUriPlaceholder,
      replacedContextGraceMs: parsed.prins?.replacedContextGraceMs ?? CONFIG_DEFAULTS.replacedContextGraceMs,
      maxContextsPerPeer: parsed.prins?.maxContextsPerPeer ?? CONFIG_DEFAULTS.maxContextsPerPeer,
    },
    logging: { level: parsed.logging?.level ?? CONFIG_DEFAULTS.logLevel },
    limits: readLimits(parsed.limits),
    state,
    border,
  };
  return deepFreeze(config);
}

function checkUnique(values: readonly string[], key: string, problems: ConfigProblem[], keyOf?: (index: number) => string): void {
  values.forEach((value, index) => {
    if (values.indexOf(value) !== index) problems.push({ key: keyOf ? keyOf(index) : `${key}[${index}]`, problem: `duplicates ${value}` });
  });
}

const plmn = ({ mcc, mnc }: PlmnConfig): PlmnIdValue => ({ mcc, mnc });
const listen = ({ host, port }: ListenConfig): ListenAddress => ({ host, port });

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof Date) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
