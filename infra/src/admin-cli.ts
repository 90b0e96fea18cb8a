#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { exitWith } from './cli';

const USAGE = `usage: node infra/dist/admin-cli.js (--url URL | --config FILE) [--servername NAME] [--ca FILE]...
                                  [--cert FILE --key FILE] [--method GET|POST] PATH
One request to a SEPP's (or the IPX relay's) admin listener, also when it requires a client
certificate (admin.tls with ca): prints the status line and the body, exits 0 on 2xx, 1 otherwise.
Images without curl use it for healthchecks and operators with docker compose exec.
  --url URL          http://host:port or https://host:port of the admin listener
  --config FILE      a SEPP configuration file instead: admin.listen (on 127.0.0.1 when it listens
                     on every interface), https when admin.tls is set, the SEPP FQDN as server name
                     and tls.ca as trusted roots
  --servername NAME  the name the server certificate must carry (default: the URL's host)
  --ca FILE          trusted roots for the server certificate (repeatable)
  --cert, --key      the client certificate (e.g. the OAM one, pnpm certs --oam: oam/client.crt)
  --method METHOD    GET (default) or POST
  --timeout MS       give up after MS (default 5000)`;

interface Target {
  url: URL;
  servername?: string;
  ca: string[];
}

/** The admin listener a SEPP configuration file describes. */
function targetOf(configFile: string): Target {
  const config = parse(readFileSync(configFile, 'utf8')) as {
    sepp?: { fqdn?: string };
    tls?: { ca?: string[] };
    admin?: { listen?: { host?: string; port?: number }; tls?: unknown };
  };
  const listen = config.admin?.listen;
  if (!listen?.port) throw new Error(`${configFile} has no admin.listen.port`);
  const host = !listen.host || listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
  const https = config.admin?.tls !== undefined && config.admin.tls !== null;
  const folder = path.dirname(path.resolve(configFile));
  return {
    url: new URL(`${https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${listen.port}`),
    ...(https && config.sepp?.fqdn ? { servername: config.sepp.fqdn } : {}),
    ca: https ? (config.tls?.ca ?? []).map((file) => path.resolve(folder, file)) : [],
  };
}

export async function runAdminCli(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        config: { type: 'string' },
        servername: { type: 'string' },
        ca: { type: 'string', multiple: true },
        cert: { type: 'string' },
        key: { type: 'string' },
        method: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      out(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1 || !positionals[0]!.startsWith('/')) throw new Error('give one PATH, starting with /');
    if ((values.url === undefined) === (values.config === undefined)) throw new Error('give --url or --config');
    if ((values.cert === undefined) !== (values.key === undefined)) throw new Error('--cert and --key go together');
    const method = (values.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw new Error('--method must be GET or POST');
  } catch (error) {
    process.stderr.write(`admin-cli: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const target: Target = values.config ? targetOf(values.config) : { url: new URL(values.url!), ca: [] };
  const ca = [...target.ca, ...(values.ca ?? [])].map((file) => readFileSync(file));
  const url = new URL(positionals[0]!, target.url);
  const timeoutMs = Number(values.timeout ?? 5000);
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const options = {
      method: (values.method ?? 'GET').toUpperCase(),
      timeout: timeoutMs,
      ...(url.protocol === 'https:'
        ? {
            servername: values.servername ?? target.servername ?? url.hostname,
            ...(ca.length > 0 ? { ca } : {}),
            ...(values.cert ? { cert: readFileSync(values.cert), key: readFileSync(values.key!) } : {}),
          }
        : {}),
    };
    const onAnswer = (response: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    };
    const req = url.protocol === 'https:' ? httpsRequest(url, options, onAnswer) : httpRequest(url, options, onAnswer);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  }).catch((error: Error) => {
    process.stderr.write(`admin-cli: ${url.href}: ${error.message}\n`);
    return null;
  });
  if (!answer) return 1;
  out(`HTTP ${answer.status}\n${answer.body}${answer.body.endsWith('\n') ? '' : '\n'}`);
  return answer.status >= 200 && answer.status < 300 ? 0 : 1;
}

if (require.main === module) exitWith(runAdminCli(process.argv.slice(2)));
