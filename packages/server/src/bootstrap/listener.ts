import type { DynamicModule, InjectionToken, Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { ListenAddress, SeppConfig } from '../config/sepp-config';
import type { SeppRuntime } from '../runtime/sepp-runtime';

export type ListenerProtocol = 'h2' | 'h2c' | 'http/1.1' | 'https';

/**
 * A network-facing listener of an app (N32, SBI). Each one is its own Nest application that
 * mounts only its controllers, so a port never serves another listener's routes; the services
 * those controllers use come from the app's root container (`shared`).
 */
export interface ListenerDefinition {
  readonly name: string;
  /** What the listening log line reports. */
  protocol(config: SeppConfig): ListenerProtocol;
  /** Where to listen, or null when this listener is not configured. */
  address(config: SeppConfig): ListenAddress | null;
  adapter(config: SeppConfig): FastifyAdapter;
  readonly controllers: Type[];
  /**
   * Providers of the root container the controllers inject. Nest runs lifecycle hooks on every
   * provider of an application, so a service with hooks (onApplicationBootstrap...) must not be
   * listed here: its hooks would run once per application.
   */
  readonly shared: InjectionToken[];
  /**
   * Whether N32-c (`/n32c-handshake/`) is served here: its requests then claim the priority
   * reserve past `limits.maxRequestsInFlight` (a path on any other listener claims nothing).
   */
  readonly servesN32c?: boolean;
  /** Largest body this listener reads (for the 413 problem detail). */
  bodyLimit(config: SeppConfig): number;
  /** Called after the application is created and before it listens (install the fast path). */
  prepare?(app: NestFastifyApplication, runtime: SeppRuntime): void;
  /** Called once the listener is listening (hooks on the raw server, reload wiring). */
  onListening?(app: NestFastifyApplication, runtime: SeppRuntime): void;
}

export interface SeppAppDefinition {
  readonly role: SeppRuntime['role'];
  /** The root module: every service of the app. It is served on the admin listener. */
  rootModule(runtime: SeppRuntime): DynamicModule;
  readonly listeners: readonly ListenerDefinition[];
  /** Start-up checks beyond the schema, per role (e.g. the responder needs n32.listen). */
  checkConfig?(config: SeppConfig): { key: string; problem: string }[];
}
