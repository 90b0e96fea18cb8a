#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startProducer, type Producer } from './producer';
import { exitWith, untilStopped } from '../cli';

export const PRODUCER_USAGE = `usage: node infra/dist/nf/producer-cli.js [--host 127.0.0.1] [--port 0] [--name udm1]
A demo producer NF (nudm-sdm-like) on cleartext HTTP/2 (h2c). Logs one JSON line
{"msg":"listening","listener":"nf","address":...,"port":N,"protocol":"h2c"} and serves until SIGTERM/SIGINT.
  GET  /nudm-sdm/v2/{supi}/am-data[?query]  access and mobility data (JSON)
  any  /status/{code}                       that status (4xx/5xx: application/problem+json, cause DEMO_<code>)
  any  /slow/{ms}                           waits, then echoes
  any  /bytes/{n}                           n bytes of application/octet-stream
  DELETE elsewhere -> 204; POST -> 201 + location; other methods -> 200 echo of the request`;

export class UsageError extends Error {}

export interface ProducerCliOptions {
  host: string;
  port: number;
  name: string;
}

export function parseProducerArgs(argv: string[]): ProducerCliOptions | 'help' {
  let values: { host?: string; port?: string; name?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      strict: true,
      allowPositionals: false,
      options: { host: { type: 'string' }, port: { type: 'string' }, name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const port = Number(values.port ?? '0');
  if (!/^\d{1,5}$/.test(values.port ?? '0') || port > 65_535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const name = values.name ?? 'udm1';
  if (name === '') throw new UsageError('--name must not be empty');
  return { host: values.host ?? '127.0.0.1', port, name };
}

/** Starts the producer and writes its listening line; the caller decides when to close it. */
export async function runProducer(options: ProducerCliOptions, write: (line: string) => void = (line) => process.stdout.write(line)): Promise<Producer> {
  const producer = await startProducer(options);
  write(`${JSON.stringify({ msg: 'listening', listener: 'nf', address: producer.address, port: producer.port, protocol: 'h2c' })}\n`);
  return producer;
}

async function main(argv: string[]): Promise<number> {
  let options: ProducerCliOptions | 'help';
  try {
    options = parseProducerArgs(argv);
  } catch (error) {
    process.stderr.write(`producer: ${(error as Error).message}\n${PRODUCER_USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${PRODUCER_USAGE}\n`);
    return 0;
  }
  let producer: Producer;
  try {
    producer = await runProducer(options);
  } catch (error) {
    process.stderr.write(`producer: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}\n`);
    return 1;
  }
  await untilStopped();
  await producer.close();
  return 0;
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
