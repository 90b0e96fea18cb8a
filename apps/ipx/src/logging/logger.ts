import pino, { type DestinationStream } from 'pino';
import type { IpxLogger } from '../ipx.constants';

/**
 * One JSON line per event on stdout, in the format of the SEPPs' logs (pino, ISO time, `level` as
 * a word). `destination` is for tests that read the lines in-process.
 */
export function createIpxLogger(level: string, destination?: DestinationStream): IpxLogger {
  const options = {
    level,
    base: { app: 'ipx', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
