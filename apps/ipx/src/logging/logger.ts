import { stdoutLogDestination } from '@sepp/server';
import pino, { type DestinationStream } from 'pino';
import type { IpxLogger } from '../ipx.constants';

/**
 * One JSON line per event on stdout, in the format of the SEPPs' logs (pino, ISO time, `level` as
 * a word), written synchronously like theirs. `destination` is for tests that read the lines in-process.
 */
export function createIpxLogger(level: string, destination: DestinationStream = stdoutLogDestination()): IpxLogger {
  const options = {
    level,
    base: { app: 'ipx', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pino(options, destination);
}
