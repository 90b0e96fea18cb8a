import { createJsonLogger } from '@sepp/server';
import type { DestinationStream } from 'pino';
import type { IpxLogger } from '../ipx.constants';

/** The relay's logs, in the SEPPs' line format (`app: "ipx"`). `destination` is for tests that read the lines in-process. */
export function createIpxLogger(level: string, destination?: DestinationStream): IpxLogger {
  return createJsonLogger('ipx', level, destination);
}
