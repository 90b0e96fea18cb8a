import { EventEmitter } from 'node:events';
import type { ServerHttp2Session } from 'node:http2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { readLimits } from '../config/limits-config';
import { createJsonLogger } from '../logging/logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { protectListener, sessionErrorKind } from './protect-listener';

/**
 * The accounting of the events Node reports on a listener's sessions, on stand-ins for the server
 * and its sessions (the e2e suite provokes the ones a client can provoke: floods, invalid frames,
 * protocol errors, slow peers). Node reports a frame it could not send on a session ('frameError')
 * only in conditions a test client cannot bring about on purpose, so that event is driven here.
 */
describe('protectListener: what ends a session is logged once and counted under its kind', () => {
  let lines: Record<string, unknown>[];
  let metrics: SeppMetrics;
  let server: EventEmitter & { guardSession?: (session: unknown) => void };

  beforeEach(() => {
    lines = [];
    metrics = new SeppMetrics('responder');
    const logger = createJsonLogger('test', 'info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const config = Object.assign(new EventEmitter(), { current: { limits: readLimits(undefined) } });
    server = Object.assign(new EventEmitter(), { sessionIdleMs: 0, http2Sessions: new Set(), listening: false, updateSettings: () => undefined });
    const app = { getHttpServer: () => server } as unknown as NestFastifyApplication;
    protectListener(app, 'n32', { logger, metrics, config });
  });

  /** A session of 127.0.0.1:40000 as the listener's guard sees it. */
  function session(): ServerHttp2Session & EventEmitter {
    const fake = Object.assign(new EventEmitter(), {
      socket: { remoteAddress: '127.0.0.1', remotePort: 40000, getPeerCertificate: () => ({}) },
      destroyed: false,
      setTimeout: () => undefined,
      destroy: () => undefined,
    });
    server.guardSession!(fake);
    return fake as unknown as ServerHttp2Session & EventEmitter;
  }

  const counted = async (): Promise<Record<string, number>> =>
    Object.fromEntries((await metrics.abuse.get()).values.map((v) => [`${String(v.labels['listener'])}/${String(v.labels['kind'])}`, v.value]));
  const abuseLines = (): Record<string, unknown>[] => lines.filter((l) => l['msg'] === 'abuse');

  it('a frame Node could not send on the session: one warn line and one frame-error, however often it is reported', async () => {
    const s = session();
    s.emit('frameError', 0x1, -510, 7);
    s.emit('frameError', 0x0, -510, 7);
    // The session error Node raises next is part of the same event.
    server.emit('sessionError', Object.assign(new Error('Protocol error'), { code: 'ERR_HTTP2_ERROR' }), s);
    expect(abuseLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        listener: 'n32',
        kind: 'frame-error',
        action: 'connection closed',
        remoteAddress: '127.0.0.1',
        remotePort: 40000,
        detail: 'frame type 1 on stream 7 could not be sent (code -510)',
      }),
    ]);
    expect(await counted()).toEqual({ 'n32/frame-error': 1 });
  });

  it.each([
    ['ERR_HTTP2_TOO_MANY_INVALID_FRAMES', 'Too many invalid HTTP/2 frames', 'invalid-frames'],
    ['ERR_HTTP2_ERROR', 'Flooding was detected in this HTTP/2 session, and it must be closed', 'flood'],
    ['ERR_HTTP2_ERROR', 'Flow control error', 'session-error'],
    ['ERR_HTTP2_ERROR', 'Received bad client magic byte string', 'session-error'],
  ])('a session error %s (%s): logged and counted as %s', async (code, message, kind) => {
    server.emit('sessionError', Object.assign(new Error(message), { code }), session());
    expect(abuseLines()).toEqual([expect.objectContaining({ level: 'warn', kind, action: 'connection closed', detail: `${code}: ${message}` })]);
    expect(await counted()).toEqual({ [`n32/${kind}`]: 1 });
  });

  it('a peer going away (ECONNRESET and the like) is nobody\'s abuse: not counted', async () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']) server.emit('sessionError', Object.assign(new Error(code), { code }), session());
    expect(abuseLines()).toEqual([]);
    expect(await counted()).toEqual({});
    expect(sessionErrorKind(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeNull();
  });
});
