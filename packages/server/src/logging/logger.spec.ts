import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { createLogger } from './logger';

/** A process that logs two lines with the built `createLogger` and exits on the spot, as a shutdown does. */
const LOG_THEN_EXIT = `
const { createLogger } = require(${JSON.stringify(join(__dirname, '../../dist/logging/logger.js'))});
const logger = createLogger('test', 'info');
const peerLogger = logger.child({ peer: 'sepp.example' });
logger.info({ n: 1 }, 'first');
peerLogger.info({ n: 2 }, 'second');
process.exit(0);
`;

describe('createLogger', () => {
  it('writes every line to stdout before the call returns, so lines logged right before process.exit come out, in order', () => {
    // With pino's default asynchronous stdout the first write can still be in flight when the exit
    // flush writes the second: out of order in most runs of this loop.
    for (let run = 0; run < 15; run += 1) {
      const stdout = execFileSync(process.execPath, ['-e', LOG_THEN_EXIT], { encoding: 'utf8' });
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; n: number; app: string });
      expect(lines.map((line) => [line.msg, line.n])).toEqual([
        ['first', 1],
        ['second', 2],
      ]);
      expect(lines[0]).toMatchObject({ app: 'sepp-test', level: 'info' });
    }
  });

  it('writes to file descriptor 1 through a synchronous destination, not pino\'s asynchronous default', () => {
    const logger: object = createLogger('test', 'info');
    const stream = (logger as Record<symbol, { fd: number; sync: boolean }>)[pino.symbols.streamSym]!;
    expect({ fd: stream.fd, sync: stream.sync }).toEqual({ fd: 1, sync: true });
  });
});
