/**
 * Requests in flight per peer, the count `n32f.maxConcurrentPerPeer` bounds (a bulkhead): taken
 * when a request of (or toward) a peer starts, released when it ends. `counts` is what the status
 * page and `sepp_n32f_peer_in_flight` read (`N32fTraffic.followInFlight`); a peer with none is
 * not in it.
 */
export class PeerInFlight {
  readonly counts = new Map<string, number>();

  count(peer: string): number {
    return this.counts.get(peer) ?? 0;
  }

  /** Takes one for `peer` unless it holds `max` already (then false: the caller refuses). */
  tryTake(peer: string, max: number): boolean {
    const held = this.count(peer);
    if (held >= max) return false;
    this.counts.set(peer, held + 1);
    return true;
  }

  release(peer: string): void {
    const left = this.count(peer) - 1;
    if (left > 0) this.counts.set(peer, left);
    else this.counts.delete(peer);
  }
}
