import type { ListenAddress } from '../config/sepp-config';

/**
 * Tracks which listeners are up, and where they really listen (port 0 in the file means "any"):
 * GET /readyz is 200 only once every expected listener is up.
 */
export class ReadinessService {
  private readonly expected = new Set<string>();
  private readonly dependencies = new Map<string, () => { up: boolean; detail: string }>();
  private readonly up = new Map<string, ListenAddress>();
  private stopping = false;

  expect(listener: string): void {
    this.expected.add(listener);
  }

  markUp(listener: string, address: ListenAddress): void {
    this.up.set(listener, address);
  }

  /** Where a listener that is up listens. */
  addressOf(listener: string): ListenAddress | undefined {
    return this.up.get(listener);
  }

  /**
   * A dependency `/readyz` reports by name (the shared state store). One that is down does not make
   * the app unready: what is established goes on without it (README "Running a cluster").
   */
  dependOn(name: string, probe: () => { up: boolean; detail: string }): void {
    this.dependencies.set(name, probe);
  }

  markStopping(): void {
    this.stopping = true;
  }

  get ready(): boolean {
    return !this.stopping && [...this.expected].every((name) => this.up.has(name));
  }

  describe(): {
    ready: boolean;
    listeners: Record<string, 'up' | 'down'>;
    stopping: boolean;
    dependencies: Record<string, { status: 'up' | 'down'; detail: string }>;
    degraded: string[];
  } {
    const listeners: Record<string, 'up' | 'down'> = {};
    for (const name of this.expected) listeners[name] = this.up.has(name) ? 'up' : 'down';
    const dependencies: Record<string, { status: 'up' | 'down'; detail: string }> = {};
    for (const [name, probe] of this.dependencies) {
      const { up, detail } = probe();
      dependencies[name] = { status: up ? 'up' : 'down', detail };
    }
    const degraded = Object.keys(dependencies).filter((name) => dependencies[name]!.status === 'down');
    return { ready: this.ready, listeners, stopping: this.stopping, dependencies, degraded };
  }
}
