import { APP_MAIN, AppProcess, type Role } from './app-process';
import { waitFor } from './wait-for';

export type { LogLine } from './app-process';

export interface PeerView {
  fqdn: string;
  configured: boolean;
  state: string;
  mechanism: string | null;
  since: string;
  lastError: { reason: string; detail: string; at: string } | null;
  attempts: number;
  negotiation: Record<string, unknown> | null;
}

/**
 * A SEPP app as a separate process, with its peers as the admin API shows them. `start` and
 * `ready` run a built app exactly as operators start it (`node apps/<role>/dist/main.js --config
 * FILE`); the constructor takes any command (e.g. a docker-compose service's).
 */
export class SeppProcess extends AppProcess {
  static start(role: Role, configFile: string, env: NodeJS.ProcessEnv = {}): SeppProcess {
    return new SeppProcess(role, [APP_MAIN[role], '--config', configFile], { env });
  }

  /** Starts and waits until every listener is up; returns the process. */
  static async ready(role: Role, configFile: string, env: NodeJS.ProcessEnv = {}): Promise<SeppProcess> {
    const sepp = SeppProcess.start(role, configFile, env);
    await sepp.ready();
    return sepp;
  }

  /**
   * Waits until `/readyz` says `ready`: every dependency up too. Listening (`ready()`) is not being
   * connected to the shared state store; a test that needs the store waits for this.
   */
  async dependenciesUp(timeoutMs = 15_000): Promise<void> {
    await waitFor(`${this.name}: /readyz ready (dependencies up)`, async () => (await this.admin<{ status: string }>('/readyz')).body.status === 'ready', timeoutMs);
  }

  async peers(): Promise<PeerView[]> {
    return (await this.admin<{ peers: PeerView[] }>('/admin/peers')).body.peers;
  }

  async peer(fqdn: string): Promise<PeerView | undefined> {
    return (await this.peers()).find((p) => p.fqdn === fqdn);
  }

  /** Waits until the admin API shows the peer matching `predicate` (`what` describes it). */
  waitForPeer(fqdn: string, what: string, predicate: (peer: PeerView) => boolean, timeoutMs = 20_000): Promise<PeerView> {
    return waitFor(`${this.name}: peer ${fqdn} ${what}`, async () => {
      const peer = await this.peer(fqdn);
      return peer && predicate(peer) ? peer : undefined;
    }, timeoutMs);
  }

  /** Waits until the peer is in `state`. */
  waitForPeerState(fqdn: string, state: string, timeoutMs = 20_000): Promise<PeerView> {
    return this.waitForPeer(fqdn, `in ${state}`, (peer) => peer.state === state, timeoutMs);
  }
}
