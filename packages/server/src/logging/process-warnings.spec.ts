import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { createJsonLogger } from './logger';
import { SeppMetrics } from '../metrics/sepp-metrics';
import { logProcessWarnings, PROCESS_WARNING_KINDS, warningKind } from './process-warnings';

describe('logProcessWarnings', () => {
  it("takes warnings into the JSON log and the count, in place of Node's stderr printer", () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done): void {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const counted: string[] = [];
    // A stand-in for `process` (a test runner's sandbox does not get the process's warning events;
    // the apps' e2e show Node's own), with a printer already on it as Node's.
    const target = new EventEmitter();
    const printed: string[] = [];
    target.on('warning', (warning: Error) => printed.push(warning.message));
    logProcessWarnings(createJsonLogger('sepp-test', 'info', sink), (kind) => counted.push(kind), target);
    expect(target.listenerCount('warning')).toBe(1);

    const leak = Object.assign(new Error('Possible EventEmitter memory leak detected. 11 reload listeners added to [ConfigService].'), { name: 'MaxListenersExceededWarning' });
    target.emit('warning', leak);
    target.emit('warning', Object.assign(new Error('an old API'), { name: 'DeprecationWarning', code: 'DEP0999', detail: 'use the new one' }));
    target.emit('warning', Object.assign(new Error('a library says'), { name: 'LibraryWarning' }));

    expect(printed).toEqual([]);
    expect(counted).toEqual(['MaxListenersExceededWarning', 'DeprecationWarning', 'other']);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'Node.js process warning', warning: { name: 'MaxListenersExceededWarning', message: expect.stringContaining('11 reload listeners') } }),
      expect.objectContaining({ level: 'warn', msg: 'Node.js process warning', warning: { name: 'DeprecationWarning', code: 'DEP0999', message: 'an old API', detail: 'use the new one' } }),
      expect.objectContaining({ level: 'warn', msg: 'Node.js process warning', warning: { name: 'LibraryWarning', message: 'a library says' } }),
    ]);
  });

  it('counts a name of its own as other (bounded labels)', () => {
    expect(warningKind(Object.assign(new Error('x'), { name: 'TimeoutOverflowWarning' }))).toBe('TimeoutOverflowWarning');
    expect(warningKind(Object.assign(new Error('x'), { name: 'FooWarning' }))).toBe('other');
  });

  it('is exposed from 0 for every name, so that the first warning of a kind is an increase', async () => {
    const metrics = new SeppMetrics('responder');
    const text = await metrics.registry.metrics();
    const series = text.split('\n').filter((line) => line.startsWith('sepp_process_warnings_total{'));
    expect(series).toHaveLength(PROCESS_WARNING_KINDS.length);
    for (const name of PROCESS_WARNING_KINDS) expect(series).toContainEqual(expect.stringMatching(new RegExp(`name="${name}".* 0$`)));
  });
});
