import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SeppProcess } from '../../test/support/sepp-process';
import { waitFor } from '../../test/support/wait-for';

const PREFIX = 'RESILIENCE-MEM ';

/**
 * A `--require` preload for an app under test (use `memoryProbeEnv`): with `--expose-gc`, on
 * SIGUSR2 (and every `periodMs` when given) it runs a full GC and writes the memory right after it
 * to stderr. The heap that survives a full GC is what the app keeps (the leak signal, free of the
 * GC sawtooth); RSS alone also counts how far V8 let the heap grow before collecting.
 */
export function memoryProbeEnv(dir: string, periodMs = 0): NodeJS.ProcessEnv {
  const file = join(dir, `memory-probe-${periodMs}.js`);
  writeFileSync(
    file,
    `'use strict';
if (typeof gc === 'function') {
  let seq = 0;
  const report = () => {
    gc();
    const m = process.memoryUsage();
    process.stderr.write('${PREFIX}' + JSON.stringify({ seq: seq++, at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, external: m.external }) + '\\n');
  };
  process.on('SIGUSR2', report);
  if (${periodMs} > 0) setInterval(report, ${periodMs}).unref();
}
`,
  );
  return { NODE_OPTIONS: `--expose-gc --require ${file}` };
}

export interface MemorySample {
  seq: number;
  /** ms since the epoch. */
  at: number;
  rssMb: number;
  heapMb: number;
}

/** Every probe sample an app wrote so far. */
export function memorySamples(app: SeppProcess): MemorySample[] {
  return app.stderrLines
    .filter((l) => l.startsWith(PREFIX))
    .map((l) => JSON.parse(l.slice(PREFIX.length)) as { seq: number; at: number; rss: number; heapUsed: number })
    .map((m) => ({ seq: m.seq, at: m.at, rssMb: m.rss / 1024 / 1024, heapMb: m.heapUsed / 1024 / 1024 }));
}

/** Asks the app for a full GC and returns the memory right after it. */
export async function afterFullGc(app: SeppProcess): Promise<MemorySample> {
  const before = memorySamples(app).length;
  app.child.kill('SIGUSR2');
  return waitFor(`${app.name}: memory after a full GC`, () => memorySamples(app)[before], 5_000, 20);
}
