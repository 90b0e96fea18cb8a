import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { createIpxLogger } from '../src/logging/logger';

/** A process that logs two lines with the built `createIpxLogger` and exits on the spot, as a shutdown does. */
const LOG_THEN_EXIT = `
const { createIpxLogger } = require(${JSON.stringify(join(__dirname, '../dist/logging/logger.js'))});
const logger = createIpxLogger('info');
logger.info({ n: 1 }, 'first');
logger.info({ n: 2 }, 'second');
process.exit(0);
`;

describe('createIpxLogger', () => {
  it('writes to stdout synchronously, like the SEPPs: lines logged right before process.exit come out, in order', () => {
    for (let run = 0; run < 15; run += 1) {
      const stdout = execFileSync(process.execPath, ['-e', LOG_THEN_EXIT], { encoding: 'utf8' });
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; n: number });
      expect(lines.map((line) => [line.msg, line.n])).toEqual([
        ['first', 1],
        ['second', 2],
      ]);
      expect(lines[0]).toMatchObject({ app: 'ipx', level: 'info' });
    }
  });

  it('writes to file descriptor 1 through a synchronous destination unless given one', () => {
    const logger: object = createIpxLogger('info');
    const stream = (logger as Record<symbol, { fd: number; sync: boolean }>)[pino.symbols.streamSym]!;
    expect({ fd: stream.fd, sync: stream.sync }).toEqual({ fd: 1, sync: true });
  });
});
