#!/usr/bin/env node
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { type CaMode } from './certs/manifest';
import { parsePlmn, type PlmnId } from './certs/plmn';
import { writeCertificateSet } from './certs/write-certs';

const USAGE = `usage: pnpm certs [--out DIR] [--plmn MCC-MNC]... [--ca per-plmn|shared] [--ipx FQDN] [--oam] [--force]
  --out DIR      output directory (default infra/certs)
  --plmn MCC-MNC PLMN to issue a SEPP certificate for, repeatable (default 001-01 and 002-02)
  --ca MODE      per-plmn: one CA per PLMN, ca.crt bundles them; shared: one interconnect CA
  --ipx FQDN     also an IPX relay's (apps/ipx) material under ipx/: its own CA (ipx/ca.crt, which
                 the SEPPs working with it add to tls.ca), a TLS certificate for FQDN (ipx/ipx.crt,
                 .key) and a separate ES256 signing key with its certificate (ipx/ipx-signing.key,
                 .crt: the file a SEPP lists in n32.peers[].ipx.signingKeys). Added to an existing
                 matching set without touching its SEPP certificates
  --oam          also OAM material under oam/: a CA of its own (oam/ca.crt, for admin.tls.ca) and a
                 client certificate for operators and Prometheus (oam/client.crt, .key); added to an
                 existing matching set the same way
  --force        regenerate even if a matching set already exists`;

export const DEFAULT_OUT_DIR = path.resolve(__dirname, '../certs');
const DEFAULT_PLMNS = ['001-01', '002-02'];

export interface CertsCliOptions {
  outDir: string;
  plmns: PlmnId[];
  caMode: CaMode;
  force: boolean;
  /** `--ipx FQDN`: also the IPX relay's certificates. */
  ipx?: { fqdn: string };
  /** `--oam`: also the OAM CA and client certificate. */
  oam?: boolean;
}

/** Thrown for anything the user typed wrong; maps to exit code 2. */
export class UsageError extends Error {}

function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        plmn: { type: 'string', multiple: true },
        ca: { type: 'string' },
        ipx: { type: 'string' },
        oam: { type: 'boolean' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseCertsArgs(argv: string[]): CertsCliOptions | 'help' {
  // `pnpm certs -- --force` (the npm habit) hands the `--` through to the script.
  const values = parseFlags(argv[0] === '--' ? argv.slice(1) : argv);
  if (values.help) return 'help';
  const caMode = values.ca ?? 'per-plmn';
  if (caMode !== 'per-plmn' && caMode !== 'shared') {
    throw new UsageError(`--ca must be per-plmn or shared, got "${caMode}"`);
  }
  let plmns: PlmnId[];
  try {
    plmns = (values.plmn ?? DEFAULT_PLMNS).map(parsePlmn);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const ipx = values.ipx;
  if (ipx !== undefined && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(ipx)) {
    throw new UsageError(`--ipx must be an FQDN such as ipx.roaming.example.org, got "${ipx}"`);
  }
  return {
    outDir: path.resolve(values.out ?? DEFAULT_OUT_DIR),
    plmns,
    caMode,
    force: values.force ?? false,
    ...(ipx !== undefined ? { ipx: { fqdn: ipx.toLowerCase() } } : {}),
    ...(values.oam ? { oam: true } : {}),
  };
}

interface Console {
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function runCertsCli(argv: string[], io: Console): Promise<number> {
  let opts: CertsCliOptions | 'help';
  try {
    opts = parseCertsArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`certs: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts === 'help') {
    io.out(USAGE);
    return 0;
  }
  let written = 0;
  try {
    const manifest = await writeCertificateSet({
      ...opts,
      onWrite: (file) => {
        written += 1;
        io.out(`wrote ${path.relative(process.cwd(), file) || file}`);
      },
    });
    if (written === 0) {
      io.out(`${opts.outDir} already holds this certificate set (${manifest.files.length} files, ${manifest.caMode}${manifest.ipx ? `, IPX ${manifest.ipx.fqdn}` : ''}); use --force to regenerate`);
    }
    return 0;
  } catch (err) {
    // RangeError is raised for PLMN lists parseArgs cannot judge, e.g. duplicates.
    if (err instanceof RangeError) {
      io.err(`certs: ${err.message}\n${USAGE}`);
      return 2;
    }
    io.err(`certs: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  runCertsCli(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
