/** Tracks which listeners are up; GET /readyz is 200 only once every expected one is. */
export class ReadinessService {
  private readonly expected = new Set<string>();
  private readonly up = new Set<string>();
  private stopping = false;

  expect(listener: string): void {
    this.expected.add(listener);
  }

  markUp(listener: string): void {
    this.up.add(listener);
  }

  markStopping(): void {
    this.stopping = true;
  }

  get ready(): boolean {
    return !this.stopping && [...this.expected].every((name) => this.up.has(name));
  }

  describe(): { ready: boolean; listeners: Record<string, 'up' | 'down'>; stopping: boolean } {
    const listeners: Record<string, 'up' | 'down'> = {};
    for (const name of this.expected) listeners[name] = this.up.has(name) ? 'up' : 'down';
    return { ready: this.ready, listeners, stopping: this.stopping };
  }
}
