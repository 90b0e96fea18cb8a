#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_NF_PATH, DEFAULT_TIMEOUT_MS, parseHeaderLine, sendViaSepp, TransportError, type SeppRequest, type SeppResponse } from './consumer';
import { exitWith } from '../cli';

export const CONSUMER_USAGE = `usage: node infra/dist/nf/consumer-cli.js --sepp URL (--target APIROOT | --telescopic AUTHORITY)
         [--method GET] [--path ${DEFAULT_NF_PATH}] [--body TEXT] [--header 'name: value']...
         [--timeout ${DEFAULT_TIMEOUT_MS}] [--ca FILE]
Sends one request to a SEPP's NF-facing listener as a consumer NF would, prints the status,
headers and body (JSON pretty-printed).
  --sepp URL             the SEPP's NF-facing listener, e.g. http://127.0.0.1:7777 (h2c; https:// for TLS)
  --target APIROOT       sent as 3gpp-sbi-target-apiroot, e.g. https://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081
  --telescopic AUTHORITY sent as :authority (telescopic FQDN[:port]); no target header
  --method M             default GET
  --path P               path and query, default ${DEFAULT_NF_PATH}
  --body TEXT            request body (content-type application/json when it parses, unless --header sets one)
  --header 'name: v'     extra request header, repeatable
  --timeout MS           give up after MS milliseconds (default ${DEFAULT_TIMEOUT_MS})
  --ca FILE              PEM trust for an https:// SEPP
exit codes: 0 any HTTP answer, 1 no answer (transport failure), 2 usage error`;

export class UsageError extends Error {}

export interface ConsumerIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: ConsumerIo = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

export function parseConsumerArgs(argv: string[]): SeppRequest | 'help' {
  let values: {
    sepp?: string;
    target?: string;
    telescopic?: string;
    method?: string;
    path?: string;
    body?: string;
    header?: string[];
    timeout?: string;
    ca?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: {
        sepp: { type: 'string' },
        target: { type: 'string' },
        telescopic: { type: 'string' },
        method: { type: 'string' },
        path: { type: 'string' },
        body: { type: 'string' },
        header: { type: 'string', multiple: true },
        timeout: { type: 'string' },
        ca: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (!values.sepp) throw new UsageError('--sepp is required');
  let sepp: URL;
  try {
    sepp = new URL(values.sepp);
  } catch {
    throw new UsageError(`--sepp must be a URL such as http://127.0.0.1:7777, got "${values.sepp}"`);
  }
  if (sepp.protocol !== 'http:' && sepp.protocol !== 'https:') throw new UsageError(`--sepp must be http:// or https://, got "${values.sepp}"`);
  if ((values.target === undefined) === (values.telescopic === undefined)) throw new UsageError('give exactly one of --target and --telescopic');
  if (values.target !== undefined && !/^https?:\/\/[^/\s?#]+(\/[^?#\s]*)?$/.test(values.target)) {
    throw new UsageError(`--target must be an apiRoot such as https://udm1.5gc.mnc001.mcc001.3gppnetwork.org:8081, got "${values.target}"`);
  }
  if (values.telescopic !== undefined && !/^[^/\s?#@]+$/.test(values.telescopic)) {
    throw new UsageError(`--telescopic must be an authority (host[:port]), got "${values.telescopic}"`);
  }
  const method = (values.method ?? 'GET').toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new UsageError(`--method must be a token such as GET, got "${values.method}"`);
  const path = values.path ?? DEFAULT_NF_PATH;
  if (!path.startsWith('/')) throw new UsageError(`--path must start with /, got "${path}"`);
  const headers: Array<[string, string]> = [];
  for (const line of values.header ?? []) {
    const header = parseHeaderLine(line);
    if (!header || header[0].startsWith(':')) throw new UsageError(`--header must be 'name: value' (no pseudo-headers), got "${line}"`);
    headers.push(header);
  }
  const timeoutMs = Number(values.timeout ?? DEFAULT_TIMEOUT_MS);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got "${values.timeout}"`);
  let ca: Buffer | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca);
    } catch (error) {
      throw new UsageError(`--ca: cannot read ${values.ca}: ${(error as Error).message}`);
    }
  }
  return { sepp, target: values.target, telescopic: values.telescopic, method, path, headers, body: values.body, timeoutMs, ca };
}

/** Status line, headers, blank line, body (pretty JSON, text, or a size note for binary content). */
export function renderResponse(response: SeppResponse): string {
  const lines = [`HTTP/2 ${response.status}`];
  for (const [name, value] of Object.entries(response.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${one}`);
  }
  let body: string;
  const type = String(response.headers['content-type'] ?? '');
  if (response.json !== undefined) body = JSON.stringify(response.json, null, 2);
  else if (response.body.length === 0) body = '';
  else if (/^text\/|[/+](json|xml)\b|x-www-form-urlencoded/i.test(type) || (type === '' && isPrintable(response.body))) body = response.text;
  else body = `<${response.body.length} bytes of ${type || 'binary data'}>`;
  return `${lines.join('\n')}\n${body === '' ? '' : `\n${body}\n`}`;
}

function isPrintable(body: Buffer): boolean {
  return !body.subarray(0, 512).some((byte) => byte < 0x09 || (byte > 0x0d && byte < 0x20));
}

export async function runConsumerCli(argv: string[], io: ConsumerIo = stdio): Promise<number> {
  let request: SeppRequest | 'help';
  try {
    request = parseConsumerArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`consumer: ${error.message}\n${CONSUMER_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${CONSUMER_USAGE}\n`);
    return 0;
  }
  try {
    io.out(renderResponse(await sendViaSepp(request)));
    return 0;
  } catch (error) {
    const code = error instanceof TransportError ? ` [${error.code}]` : '';
    io.err(`consumer: no answer from ${new URL(String(request.sepp)).origin}: ${(error as Error).message}${code}\n`);
    return 1;
  }
}

if (require.main === module) exitWith(runConsumerCli(process.argv.slice(2)));
