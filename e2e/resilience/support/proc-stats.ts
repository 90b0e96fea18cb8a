import { readdirSync, readFileSync } from 'node:fs';
import type { MinMax } from './results';

/** Resident set size of a process in MB (VmRSS of /proc/<pid>/status), or undefined once it is gone. */
export function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd): sockets, pipes, files, timers. */
export function fdCount(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

export interface Sample {
  /** ms since the sampler started. */
  t: number;
  rssMb: number;
  fds: number;
}

/** Samples RSS and open descriptors of a few processes at a fixed period. */
export class ProcSampler {
  readonly samples = new Map<string, Sample[]>();
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();

  constructor(
    private readonly pids: Record<string, number | undefined>,
    periodMs = 250,
  ) {
    for (const name of Object.keys(pids)) this.samples.set(name, []);
    this.sample();
    this.timer = setInterval(() => this.sample(), periodMs);
    // Sampling alone never keeps the test run alive (a failed test may skip its stop()).
    this.timer.unref();
  }

  private sample(): void {
    const t = performance.now() - this.started;
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = rssMb(pid);
      const fds = fdCount(pid);
      if (rss !== undefined && fds !== undefined) this.samples.get(name)!.push({ t, rssMb: rss, fds });
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  of(name: string): Sample[] {
    return this.samples.get(name) ?? [];
  }

  rss(name: string): MinMax | null {
    return minMax(this.of(name).map((s) => s.rssMb));
  }

  fds(name: string): MinMax | null {
    return minMax(this.of(name).map((s) => s.fds));
  }

  /** RSS and fds over every sampled process together (min of the mins, max of the maxes). */
  overall(): { rss: MinMax | null; fds: MinMax | null } {
    const all = [...this.samples.values()].flat();
    return { rss: minMax(all.map((s) => s.rssMb)), fds: minMax(all.map((s) => s.fds)) };
  }
}

export function minMax(values: readonly number[]): MinMax | null {
  if (values.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points. Robust to the GC
 * sawtooth and to outliers (up to ~29% of the points can be arbitrary without moving it far), unlike
 * a least-squares fit that one late spike can tilt.
 */
export function theilSen(points: readonly { x: number; y: number }[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  return median(slopes);
}
