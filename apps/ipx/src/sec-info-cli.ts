import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '@sepp/server';
import { EXIT_CONFIG } from './bootstrap/run-ipx-app';
import { loadIpxConfig, resolveIpxConfigPath } from './config/load-ipx-config';
import { ipxSecInfo } from './sec-info';

/**
 * `node dist/sec-info-cli.js --config FILE [--pem] [--public-key-out FILE]`: prints the IPX's
 * `IpxProviderSecInfo` (JSON, what a SEPP sends in `ipxProviderSecInfoList`), or with `--pem` the
 * signing public key as PEM; `--public-key-out FILE` also writes that PEM to FILE for SEPP
 * configurations that reference the IPX key by file.
 */
function main(argv: readonly string[]): void {
  let config;
  try {
    config = loadIpxConfig(resolveIpxConfigPath(argv, process.env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`ipx sec-info: invalid configuration\n${error.message.replace(/^/gm, '  ')}\n`);
    process.exit(EXIT_CONFIG);
  }
  const info = ipxSecInfo(config);
  const out = argv.indexOf('--public-key-out');
  if (out >= 0) {
    const file = argv[out + 1];
    if (!file) {
      process.stderr.write('ipx sec-info: --public-key-out needs a file name\n');
      process.exit(EXIT_CONFIG);
    }
    writeFileSync(resolve(file), info.publicKeyPem);
  }
  process.stdout.write(argv.includes('--pem') ? info.publicKeyPem : `${JSON.stringify(info.ipxProviderSecInfo, null, 2)}\n`);
}

main(process.argv.slice(2));
