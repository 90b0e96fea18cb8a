import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { FQDN_PATTERN, INTERMEDIARY_POLICIES, isN32Mechanism, parsePlmnId, plmnKeyFromFqdn, type IntermediaryPolicy, type PlmnIdValue } from '@sepp/protocol';
import { CASES } from './cases/catalogue';
import { certificateDnsNames, readLeafPem } from './net/certificates';
import type { InitiatorProbeOptions } from './initiator/run';
import type { ResponderProbeOptions } from './responder/responder-context';

export const USAGE = `usage:
  sepp-probe responder --url https://HOST:PORT --cert FILE --key FILE --ca FILE [options]
  sepp-probe initiator --listen HOST:PORT --cert FILE --key FILE --ca FILE [options]
  sepp-probe cases [--markdown]

responder (the probe is an initiating SEPP; --cert must be one the partner trusts and knows):
  --url URL                 the partner's N32 endpoint (https://sepp.example.org:443)
  --peer-fqdn FQDN          the partner's SEPP FQDN for SNI and its certificate (default: the URL host)
  --cert FILE, --key FILE   the probe's client certificate (chain) and key
  --ca FILE                 roots that verify the partner (repeatable)
  --ca-key FILE             key of the CA that issued --cert: enables the "valid CA" certificate faults
  --ca-cert FILE            that CA's certificate (default: the issuer of --cert found in --ca or --cert)
  --sender FQDN             the probe's sender (default: the first 3GPP SAN dNSName of --cert)
  --plmn MCC-MNC            a PLMN the probe claims (repeatable; default: from --cert, MNC 0xy read as xy)
  --other-partner FQDN      another roaming partner of the target: the forged-sender case claims it (default: a SEPP of PLMN 999-99)
  --policy P                the selection policy the partner applies to us: none | ip-routing | modifying (default none)
  --partner-capabilities L  what the partner supports, comma-separated (default TLS,PRINS)
  --nf-api-root URL         an NF of the partner for the PRINS round trip (default https://nrf.<partner PLMN domain>)
  --timeout MS              bound of each connection and request (default 5000)
  --close-wait MS           how long the partner may take to close after NONE (default 5000)

initiator (the probe is a responding SEPP; point the partner's initiator at --listen):
  --listen HOST:PORT        where to listen (port 0: any free port, printed)
  --cert FILE, --key FILE   the probe's server certificate and key (the partner must trust it)
  --ca FILE                 roots that verify the initiator's client certificate (repeatable)
  --fqdn FQDN               the probe's SEPP FQDN (default: the first 3GPP SAN dNSName of --cert)
  --plmn MCC-MNC            the probe's PLMNs (repeatable; default: from --cert)
  --wait MS                 how long to wait for the initiator's first and each next negotiation (default 30000)
  --observe MS              how long to watch the initiator after an answer (default 2000)

both:
  --json FILE               write the results as JSON
  --junit FILE              write the results as JUnit XML
  --quiet                   print only failures, warnings and the summary
  --only IDS                run only these cases: IDs or prefixes, comma-separated (e.g. release,id,cert.expired)

exit codes: 0 every case passed or warned (skips allowed), 1 a case failed, 2 usage error,
            3 the target could not be reached (responder) or no initiator came (initiator)`;

export class UsageError extends Error {}

export interface CommonOptions {
  readonly json?: string;
  readonly junit?: string;
  readonly quiet: boolean;
  /** `--only`: case IDs or ID prefixes to run. */
  readonly only: readonly string[];
}

export type ParsedCommand =
  | { readonly command: 'responder'; readonly options: ResponderProbeOptions; readonly common: CommonOptions; readonly target: string }
  | { readonly command: 'initiator'; readonly options: InitiatorProbeOptions; readonly common: CommonOptions }
  | { readonly command: 'cases'; readonly markdown: boolean }
  | { readonly command: 'help' };

const OPTIONS = {
  url: { type: 'string' },
  'peer-fqdn': { type: 'string' },
  listen: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string', multiple: true },
  'ca-key': { type: 'string' },
  'ca-cert': { type: 'string' },
  sender: { type: 'string' },
  fqdn: { type: 'string' },
  plmn: { type: 'string', multiple: true },
  policy: { type: 'string' },
  'other-partner': { type: 'string' },
  'partner-capabilities': { type: 'string' },
  'nf-api-root': { type: 'string' },
  timeout: { type: 'string' },
  'close-wait': { type: 'string' },
  wait: { type: 'string' },
  observe: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  quiet: { type: 'boolean' },
  only: { type: 'string', multiple: true },
  markdown: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function read(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

function milliseconds(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of milliseconds`);
  return n;
}

/** The PLMNs given with --plmn, or those the certificate's names prove (MNC "0xy" read as "xy"). */
function plmnsOf(values: string[] | undefined, names: readonly string[]): PlmnIdValue[] {
  if (values && values.length > 0) {
    return values.map((text) => {
      const plmn = parsePlmnId(text.trim());
      if (!plmn) throw new UsageError(`--plmn ${text}: expected MCC-MNC such as 001-01`);
      return plmn;
    });
  }
  const keys = [...new Set(names.map(plmnKeyFromFqdn).filter((k): k is string => k !== null))];
  return keys.map((key) => {
    const [mcc, mnc] = key.split('-') as [string, string];
    return { mcc, mnc: mnc.startsWith('0') ? mnc.slice(1) : mnc };
  });
}

/** The first SAN dNSName with PLMN labels, else the first one. */
function identityOf(names: readonly string[], what: string): string {
  const name = names.find((n) => plmnKeyFromFqdn(n) !== null) ?? names[0];
  if (!name) throw new UsageError(`${what} has no SAN dNSName: give the FQDN explicitly`);
  return name;
}

function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The CA certificate that issued `leaf`, among `candidates` (PEM texts). */
function issuerOf(leafPem: string, candidates: readonly string[]): string | undefined {
  const leaf = new X509Certificate(leafPem);
  return candidates.find((pem) => {
    const ca = new X509Certificate(pem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  });
}

export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...rest], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values['help']) return { command: 'help' };
  if (command === 'cases') return { command: 'cases', markdown: values['markdown'] === true };
  if (command !== 'responder' && command !== 'initiator') throw new UsageError(`unknown command ${command}: responder, initiator or cases`);

  const only = ((values['only'] as string[] | undefined) ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
  const unknown = only.filter((prefix) => !CASES.some((c) => c.role === command && (c.id === prefix || c.id.startsWith(prefix.endsWith('.') ? prefix : `${prefix}.`))));
  if (unknown.length > 0) throw new UsageError(`--only ${unknown.join(', ')}: no such ${command} case (sepp-probe cases lists them)`);
  const common: CommonOptions = { json: values['json'] as string | undefined, junit: values['junit'] as string | undefined, quiet: values['quiet'] === true, only };
  const certFile = required(values, 'cert');
  const certPem = read(certFile, '--cert');
  const keyPem = read(required(values, 'key'), '--key');
  const caFiles = values['ca'] as string[] | undefined;
  if (!caFiles?.length) throw new UsageError('--ca is required');
  const caPem = caFiles.map((file) => read(file, '--ca'));
  let leafPem: string;
  try {
    leafPem = readLeafPem(certFile);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const names = certificateDnsNames(leafPem);
  const plmns = plmnsOf(values['plmn'] as string[] | undefined, names);

  if (command === 'initiator') {
    const listen = required(values, 'listen');
    const match = /^(.+):(\d+)$/.exec(listen);
    if (!match) throw new UsageError(`--listen ${listen}: expected HOST:PORT`);
    const fqdn = (values['fqdn'] as string | undefined) ?? identityOf(names, '--cert');
    return {
      command,
      common,
      options: {
        listen: { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) },
        certPem,
        keyPem,
        caPem,
        fqdn,
        plmns,
        waitMs: milliseconds(values['wait'] as string | undefined, 'wait', 30_000),
        observeMs: milliseconds(values['observe'] as string | undefined, 'observe', 2_000),
      },
    };
  }

  let url: URL;
  try {
    url = new URL(required(values, 'url'));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--url ${String(values['url'])}: not a URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError('--url must be https:// (N32 is mutual TLS)');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const servername = (values['peer-fqdn'] as string | undefined) ?? host;
  if (isIP(servername)) throw new UsageError('--url names an IP address: give the partner FQDN with --peer-fqdn (SNI and its certificate need it)');
  const policy = (values['policy'] as string | undefined) ?? 'none';
  if (!INTERMEDIARY_POLICIES.includes(policy as IntermediaryPolicy)) throw new UsageError(`--policy ${policy}: none, ip-routing or modifying`);
  const capabilities = ((values['partner-capabilities'] as string | undefined) ?? 'TLS,PRINS').split(',').map((c) => c.trim());
  if (!capabilities.every(isN32Mechanism)) throw new UsageError('--partner-capabilities: a comma-separated list of TLS and PRINS');

  let signingCa: ResponderProbeOptions['signingCa'];
  const caKeyFile = values['ca-key'] as string | undefined;
  if (caKeyFile) {
    const caKeyPem = read(caKeyFile, '--ca-key');
    const explicit = values['ca-cert'] as string | undefined;
    const caCertPem = explicit ? pemCertificates(read(explicit, '--ca-cert'))[0] : issuerOf(leafPem, [...caPem.flatMap(pemCertificates), ...pemCertificates(certPem)]);
    if (!caCertPem) throw new UsageError('--ca-key: the CA that issued --cert is in neither --ca nor --cert; give it with --ca-cert');
    signingCa = { certPem: caCertPem, keyPem: caKeyPem };
  }
  const otherPartner = values['other-partner'] as string | undefined;
  if (otherPartner !== undefined && !FQDN_PATTERN.test(otherPartner)) throw new UsageError(`--other-partner ${otherPartner}: not an FQDN`);
  const partnerPlmn = plmnKeyFromFqdn(servername);
  const defaultNf = partnerPlmn
    ? `https://nrf.5gc.mnc${partnerPlmn.split('-')[1]!}.mcc${partnerPlmn.split('-')[0]!}.3gppnetwork.org`
    : `https://nrf.${servername.split('.').slice(1).join('.') || servername}`;
  const port = Number(url.port || 443);
  return {
    command,
    common,
    target: `${url.origin} (${servername})`,
    options: {
      target: { host, port, servername },
      certPem,
      keyPem,
      caPem,
      ...(signingCa ? { signingCa } : {}),
      sender: (values['sender'] as string | undefined) ?? identityOf(names, '--cert'),
      plmns,
      ...(otherPartner ? { otherPartner } : {}),
      policy: policy as IntermediaryPolicy,
      partnerCapabilities: capabilities,
      nfApiRoot: (values['nf-api-root'] as string | undefined) ?? defaultNf,
      timeoutMs: milliseconds(values['timeout'] as string | undefined, 'timeout', 5_000),
      closeWaitMs: milliseconds(values['close-wait'] as string | undefined, 'close-wait', 5_000),
    },
  };
}
