import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

export type SeppLogger = Logger;

/**
 * One JSON line per event on stdout (pino). Every line about a peer carries `peer: <fqdn>`
 * (use `logger.child({ peer })`), so `grep '"peer":"sepp.5gc.mnc002...'` tells a peer's story.
 */
export function createLogger(role: string, level: string): SeppLogger {
  return createJsonLogger(`sepp-${role}`, level);
}

/**
 * The JSON line format of every app here (the SEPPs, the IPX relay): `app`, `pid`, ISO time, the
 * level as a word. Lines go to stdout synchronously unless `destination` says otherwise (tests):
 * pino's default stdout stream is asynchronous, and on `process.exit` it flushes what is buffered
 * while an earlier write may still be in flight, so the last lines of a shutdown could come out of
 * order (or be lost on a crash).
 */
export function createJsonLogger(app: string, level: string, destination: DestinationStream = pino.destination({ fd: 1, sync: true })): Logger {
  return pino(
    {
      level,
      base: { app, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** Routes Nest's own messages (module init, route mapping) into the same JSON stream. */
export class NestPinoLogger implements LoggerService {
  constructor(private readonly logger: SeppLogger) {}
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
  fatal(message: unknown, context?: string): void {
    this.logger.fatal({ context }, String(message));
  }
}
