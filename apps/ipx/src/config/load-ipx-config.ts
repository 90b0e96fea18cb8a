import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { isP256Key, normalizeFqdn, parseOperations, parsePointer, type IntermediaryRule, type PatchItem } from '@sepp/protocol';
import { certificateDnsNames, ConfigError, configProblems, readCrlList, readLimits, readYamlMapping, resolveConfigPath, type ConfigProblem } from '@sepp/server';
import { IPX_DEFAULTS, type IpxConfig, type ListenAddress } from './ipx-config';
import { IpxConfigFile, type RuleConfig } from './ipx-config.schema';

/** `limits` keys of the SEPPs that size what only N32-c listeners serve. */
const N32C_ONLY_LIMITS = ['n32cRateLimitPerPeer', 'n32cRateLimitBurst'] as const;
/** `limits` keys of the SEPPs that shape the overload and load control information their answers carry (SEPP scope). */
const SEPP_SCOPE_LIMITS = ['ociFromPercent', 'lciPeriodMs'] as const;

/** The environment variable naming the configuration file when `--config` is absent. */
export const IPX_CONFIG_ENV = 'IPX_CONFIG';

/** `--config FILE`, `--config=FILE`, else `IPX_CONFIG`. */
export function resolveIpxConfigPath(argv: readonly string[], env: NodeJS.ProcessEnv): string {
  return resolveConfigPath(argv, env, IPX_CONFIG_ENV);
}

/**
 * Reads, validates and freezes the IPX configuration. Relative paths resolve against the file's
 * folder. Key and certificate files are read and checked here (the TLS key matches its
 * certificate, which is not expired; the signing key is EC P-256 and matches its certificate), so
 * a bad file never reaches a listener. Throws ConfigError naming every key at fault.
 */
export function loadIpxConfig(file: string, now: Date = new Date()): IpxConfig {
  const { source, raw } = readYamlMapping(file, 'ipx, tls, listen, forward and admin');

  const parsed = plainToInstance(IpxConfigFile, raw, { enableImplicitConversion: false });
  const errors = validateSync(parsed, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigError(configProblems(errors, ''));

  const dir = dirname(source);
  const pathOf = (value: string): string => (isAbsolute(value) ? value : resolve(dir, value));
  const problems: ConfigProblem[] = [];

  const cert = readFile('tls.cert', pathOf(parsed.tls.cert), problems);
  const key = readFile('tls.key', pathOf(parsed.tls.key), problems);
  const ca = parsed.tls.ca.map((path, index) => readFile(`tls.ca[${index}]`, pathOf(path), problems));
  const dnsNames = cert && key ? checkTlsIdentity(cert, key, now, problems) : [];
  const revocation = readCrlList('tls.crl', (parsed.tls.crl ?? []).map(pathOf), now, problems);
  ca.forEach((pem, index) => {
    if (pem && !isCertificate(pem)) problems.push({ key: `tls.ca[${index}]`, problem: `${parsed.tls.ca[index]} is not a PEM certificate` });
  });

  const signingKeyFile = pathOf(parsed.ipx.signingKey);
  const signingPem = readFile('ipx.signingKey', signingKeyFile, problems);
  const signingKey = signingPem ? readSigningKey(signingPem, problems) : null;
  const certificatePem = parsed.ipx.certificate !== undefined ? readFile('ipx.certificate', pathOf(parsed.ipx.certificate), problems) : null;
  if (certificatePem && signingKey) checkSigningCertificate(certificatePem.toString('utf8'), signingKey, now, problems);

  const rules = (parsed.rules ?? []).map((rule, index) => readRule(rule, (raw as { rules?: unknown[] }).rules?.[index], `rules[${index}]`, problems));
  const forward = parseHostPort(parsed.forward.address);
  const keepaliveMs = parsed.forward.keepaliveMs;
  if (keepaliveMs !== undefined && keepaliveMs > 0 && keepaliveMs < 100) problems.push({ key: 'forward.keepaliveMs', problem: 'must be 0 (none) or at least 100 ms' });
  for (const key of N32C_ONLY_LIMITS) {
    if (parsed.limits?.[key] !== undefined) problems.push({ key: `limits.${key}`, problem: 'not a key of the relay: N32-c does not cross it' });
  }
  for (const key of SEPP_SCOPE_LIMITS) {
    if (parsed.limits?.[key] !== undefined) problems.push({ key: `limits.${key}`, problem: 'not a key of the relay: an OCI or LCI names an NF, SCP or SEPP, and the relay answers without one' });
  }

  if (problems.length > 0 || !cert || !key || !signingKey || ca.some((pem) => !pem) || !revocation) throw new ConfigError(problems);
  return deepFreeze({
    source,
    ipx: {
      fqdn: normalizeFqdn(parsed.ipx.fqdn),
      signingKey,
      signingKeyFile,
      certificate: certificatePem ? certificatePem.toString('utf8') : null,
      kid: parsed.ipx.kid ?? null,
    },
    tls: { cert, key, ca: ca as Buffer[], crl: revocation.pem, minVersion: parsed.tls.minVersion ?? IPX_DEFAULTS.minVersion, dnsNames },
    listen: listen(parsed.listen),
    forward: {
      ...forward,
      fqdn: normalizeFqdn(parsed.forward.fqdn),
      timeoutMs: parsed.forward.timeoutMs ?? IPX_DEFAULTS.forwardTimeoutMs,
      keepaliveMs: parsed.forward.keepaliveMs ?? IPX_DEFAULTS.forwardKeepaliveMs,
    },
    rules: rules.filter((rule): rule is IntermediaryRule => rule !== null),
    admin: { listen: listen(parsed.admin.listen) },
    bodyLimit: parsed.bodyLimit ?? IPX_DEFAULTS.bodyLimit,
    maxConcurrentPerSender: parsed.maxConcurrentPerSender ?? IPX_DEFAULTS.maxConcurrentPerSender,
    logging: { level: parsed.logging?.level ?? IPX_DEFAULTS.logLevel },
    limits: readLimits(parsed.limits),
  });
}

function readFile(key: string, path: string, problems: ConfigProblem[]): Buffer | null {
  try {
    return readFileSync(path);
  } catch (error) {
    problems.push({ key, problem: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
    return null;
  }
}

function isCertificate(pem: Buffer): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

/** The TLS certificate parses, is valid now, and its key is `key`. Returns its SAN dNSNames. */
function checkTlsIdentity(cert: Buffer, key: Buffer, now: Date, problems: ConfigProblem[]): string[] {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    problems.push({ key: 'tls.cert', problem: 'is not a PEM certificate' });
    return [];
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) problems.push({ key: 'tls.key', problem: 'does not match the certificate in tls.cert' });
  } catch {
    problems.push({ key: 'tls.key', problem: 'is not a PEM private key' });
  }
  if (new Date(leaf.validTo).getTime() < now.getTime()) problems.push({ key: 'tls.cert', problem: `the certificate expired on ${new Date(leaf.validTo).toISOString()}` });
  return certificateDnsNames(leaf);
}

function readSigningKey(pem: Buffer, problems: ConfigProblem[]): KeyObject | null {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    problems.push({ key: 'ipx.signingKey', problem: 'is not a PEM private key' });
    return null;
  }
  if (!isP256Key(key)) {
    problems.push({ key: 'ipx.signingKey', problem: 'must be an EC P-256 key (ES256 is the only JWS algorithm of N32)' });
    return null;
  }
  return key;
}

function checkSigningCertificate(pem: string, key: KeyObject, now: Date, problems: ConfigProblem[]): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    problems.push({ key: 'ipx.certificate', problem: 'is not a PEM certificate' });
    return;
  }
  if (!cert.checkPrivateKey(key)) problems.push({ key: 'ipx.certificate', problem: 'does not certify ipx.signingKey' });
  if (new Date(cert.validTo).getTime() < now.getTime()) problems.push({ key: 'ipx.certificate', problem: `the certificate expired on ${new Date(cert.validTo).toISOString()}` });
}

/** A rule as the protocol helper takes it; problems are named by key. */
function readRule(rule: RuleConfig, raw: unknown, key: string, problems: ConfigProblem[]): IntermediaryRule | null {
  const before = problems.length;
  let apiPath: string | RegExp | null = null;
  if ((rule.apiPath === undefined) === (rule.apiPathPattern === undefined)) {
    problems.push({ key, problem: 'needs exactly one of apiPath and apiPathPattern' });
  } else if (rule.apiPath !== undefined) {
    apiPath = rule.apiPath;
  } else {
    try {
      apiPath = new RegExp(rule.apiPathPattern!);
    } catch (error) {
      problems.push({ key: `${key}.apiPathPattern`, problem: `is not a regular expression: ${(error as Error).message}` });
    }
  }
  // The raw operations (class-transformer would turn `value` into class instances).
  const rawOperations = (raw as { operations?: unknown } | undefined)?.operations;
  const parsed = parseOperations(rawOperations);
  let operations: PatchItem[] = [];
  if (!parsed.ok) {
    const match = /^operations\[(\d+)\](?:\.(\w+))?/.exec(parsed.reason);
    problems.push({ key: match ? `${key}.operations[${match[1]}]${match[2] ? `.${match[2]}` : ''}` : `${key}.operations`, problem: parsed.reason.replace(/^operations\[\d+\](\.\w+)?:? ?/, '') || parsed.reason });
  } else {
    operations = parsed.operations;
    operations.forEach((item, index) => {
      if (parsePointer(item.path) === null) problems.push({ key: `${key}.operations[${index}].path`, problem: 'must be a JSON Pointer (RFC 6901)' });
      if (item.from !== undefined && parsePointer(item.from) === null) problems.push({ key: `${key}.operations[${index}].from`, problem: 'must be a JSON Pointer (RFC 6901)' });
    });
  }
  if (problems.length > before || apiPath === null) return null;
  return {
    ...(rule.name !== undefined ? { name: rule.name } : {}),
    apiPath,
    ...(rule.method !== undefined ? { method: rule.method } : {}),
    direction: rule.direction,
    operations,
    ...(rule.unchecked !== undefined ? { unchecked: rule.unchecked } : {}),
  };
}

const listen = ({ host, port }: ListenAddress): ListenAddress => ({ host, port });

function parseHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  return { host: address.slice(0, index).replace(/^\[|\]$/g, ''), port: Number(address.slice(index + 1)) };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof RegExp) && !(value instanceof KeyObject) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

