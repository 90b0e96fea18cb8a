#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startBareN32c, startProxyA, startProxyB, type RunningProxy, type TlsFiles } from './bare-proxy';
import { exitWith, untilStopped } from '../cli';

export const BARE_PROXY_USAGE = `usage: node infra/dist/bench/bare-proxy-cli.js --role a|b|n [--host 127.0.0.1] [--port 0]
         --cert FILE --key FILE --ca FILE
  role a: --peer HOST:PORT --peer-fqdn FQDN   (h2c in, one mutual-TLS HTTP/2 session to B)
  role b: [--hosts FQDN=IP]... [--allowed-target APIROOT]...   (TLS in with client certs, h2c to the target)
  role n: --fqdn FQDN   (TLS in with client certs; answers exchange-capability with TLS: the floor of (n))
Logs {"msg":"listening","listener":"proxy-a"|"proxy-b"|"proxy-n","address":...,"port":N,"protocol":"h2c"|"h2"} and runs until SIGTERM.`;

async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        role: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        ca: { type: 'string' },
        peer: { type: 'string' },
        'peer-fqdn': { type: 'string' },
        hosts: { type: 'string', multiple: true },
        'allowed-target': { type: 'string', multiple: true },
        fqdn: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`bare-proxy: ${(error as Error).message}\n${BARE_PROXY_USAGE}\n`);
    return 2;
  }
  if (values['help']) {
    process.stdout.write(`${BARE_PROXY_USAGE}\n`);
    return 0;
  }
  const usage = (message: string): number => {
    process.stderr.write(`bare-proxy: ${message}\n${BARE_PROXY_USAGE}\n`);
    return 2;
  };
  const role = values['role'];
  if (role !== 'a' && role !== 'b' && role !== 'n') return usage('--role must be a, b or n');
  const text = (name: string): string | undefined => values[name] as string | undefined;
  const list = (name: string): string[] => (values[name] as string[] | undefined) ?? [];
  if (!text('cert') || !text('key') || !text('ca')) return usage('--cert, --key and --ca are required');
  let tls: TlsFiles;
  try {
    tls = { cert: readFileSync(text('cert')!), key: readFileSync(text('key')!), ca: readFileSync(text('ca')!) };
  } catch (error) {
    return usage((error as Error).message);
  }
  const host = text('host') ?? '127.0.0.1';
  const port = Number(text('port') ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return usage('--port must be 0..65535');

  let proxy: RunningProxy;
  if (role === 'a') {
    const peer = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text('peer') ?? '');
    if (!peer || !text('peer-fqdn')) return usage('role a needs --peer HOST:PORT and --peer-fqdn FQDN');
    proxy = await startProxyA({ host, port, tls, peer: { host: peer[1]!.replace(/^\[|\]$/g, ''), port: Number(peer[2]) }, peerFqdn: text('peer-fqdn')! });
  } else if (role === 'n') {
    if (!text('fqdn')) return usage('role n needs --fqdn FQDN');
    proxy = await startBareN32c({ host, port, tls, fqdn: text('fqdn')! });
  } else {
    const hosts: Record<string, string> = {};
    for (const entry of list('hosts')) {
      const [name, ip] = entry.split('=');
      if (!name || !ip) return usage(`--hosts must be FQDN=IP, got "${entry}"`);
      hosts[name] = ip;
    }
    proxy = await startProxyB({ host, port, tls, hosts, allowedTargets: list('allowed-target') });
  }
  process.stdout.write(
    `${JSON.stringify({ msg: 'listening', listener: `proxy-${role}`, address: proxy.address, port: proxy.port, protocol: role === 'a' ? 'h2c' : 'h2' })}\n`,
  );
  await untilStopped();
  await proxy.close();
  return 0;
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
