import type { Logger } from 'pino';

/** Injection token of the validated IpxConfig. */
export const IPX_CONFIG = Symbol('IPX_CONFIG');
/** Injection token of the app's pino logger. */
export const IPX_LOGGER = Symbol('IPX_LOGGER');

export type IpxLogger = Logger;
