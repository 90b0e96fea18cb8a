import { Injectable } from '@nestjs/common';
import type { BorderDirection, InvalidParam, MessageKind } from '@sepp/protocol';

/**
 * Border checks of other teams (README "Border protection: adding a check"). A team writes a class
 * implementing {@link BorderCheck} in its own Nest module and registers it with the
 * {@link BorderChecks} registry (injectable everywhere: BorderModule is global), typically from its
 * module's `onModuleInit`:
 *
 * ```ts
 * @Module({ providers: [NoTestSubscribersCheck] })
 * export class NoTestSubscribersModule implements OnModuleInit {
 *   constructor(private readonly checks: BorderChecks, private readonly check: NoTestSubscribersCheck) {}
 *   onModuleInit(): void { this.checks.register(this.check); }
 * }
 * ```
 *
 * Registered checks run on every N32-f message they apply to, in both SEPP roles, TLS mode and
 * PRINS, after the built-in categories, as the category `extension` (mode `border.extensions.mode`,
 * dry-run included; refusals logged and counted like the others).
 */
export interface BorderCheck {
  /** Unique name: the `rule` of its refusals in logs and problem details. */
  readonly name: string;
  /** Requests, answers or both (default: requests). */
  readonly kinds?: readonly MessageKind[];
  /** Outbound (leaving our PLMN), inbound or both (default: both). */
  readonly directions?: readonly BorderDirection[];
  /** API names (`nudm-sdm`; `nnrf-oauth2` for `/oauth2/token`); absent: every API. */
  readonly apis?: readonly string[];
  /** Whether it reads the body: in TLS mode the SEPP then reads these messages whole (otherwise they stream). */
  readonly needsBody?: boolean;
  /** Synchronous (it runs on the forwarding path): a refusal, or null to let the message pass. */
  check(message: BorderCheckMessage): BorderCheckRefusal | null;
}

/** The message a check looks at. */
export interface BorderCheckMessage {
  /** The peer SEPP on the other side. */
  readonly peer: string;
  readonly direction: BorderDirection;
  readonly kind: MessageKind;
  readonly api: string;
  /** The request's method and resource path (for an answer, those of its request). */
  readonly method: string;
  readonly path: string;
  readonly query: string | undefined;
  /** Answers only. */
  readonly status: number | undefined;
  header(name: string): string | undefined;
  /** The body, when the check said it needs it; undefined otherwise or when there is none. */
  readonly body: Buffer | undefined;
  /** The body as JSON (parsed once), or undefined when it is absent or not JSON. */
  json(): unknown;
}

export interface BorderCheckRefusal {
  readonly status: number;
  readonly cause: string;
  readonly detail: string;
  readonly invalidParams?: readonly InvalidParam[];
}

/** The registry of {@link BorderCheck}s (the injection token teams use). */
@Injectable()
export class BorderChecks {
  private readonly checks: BorderCheck[] = [];
  private version = 0;

  register(check: BorderCheck): void {
    if (this.checks.some((existing) => existing.name === check.name)) throw new Error(`a border check named ${check.name} is already registered`);
    this.checks.push(check);
    this.version += 1;
  }

  list(): readonly BorderCheck[] {
    return this.checks;
  }

  /** Changes whenever a check is registered (gates built before re-read the list). */
  get generation(): number {
    return this.version;
  }
}
