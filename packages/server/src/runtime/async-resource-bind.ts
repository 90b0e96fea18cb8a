import { AsyncResource } from 'node:async_hooks';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;
type Bind = (this: AsyncResource, fn: AnyFunction, thisArg?: unknown) => AnyFunction;

let original: Bind | null = null;

/**
 * Node 20's `AsyncResource#bind`, which `ClientHttp2Session#request` calls for every request a
 * SEPP sends (its pending-request resource), also defines on each bound function the
 * `asyncResource` accessor deprecated as DEP0172, both of its accessors wrapped by `util.deprecate`
 * anew: two wrapper closures and an accessor pair per request, for a property nothing reads. In a
 * heap profile of the initiator in TLS mode the wrappers alone were 6% of what it allocates; a
 * micro-benchmark put Node's bind at 17-19 us, this one at under 0.5 us. This installs the same
 * `bind` (the function runs in the resource's async scope with the same `this` and arguments, and
 * has the length of `fn`) without that accessor. Only where Node defines the accessor; idempotent.
 *
 * Returns whether it is installed.
 */
export function installLeanAsyncResourceBind(): boolean {
  if (original) return true;
  const probe = new AsyncResource('sepp-probe').bind(() => undefined);
  if (!Object.getOwnPropertyDescriptor(probe, 'asyncResource')) return false;
  original = Object.getOwnPropertyDescriptor(AsyncResource.prototype, 'bind')!.value as Bind;
  const fallback = original;
  const lean: Bind = function bind(fn, thisArg) {
    // Not a function: Node's own argument error.
    if (typeof fn !== 'function') return fallback.call(this, fn, thisArg);
    return boundTo(this, fn, thisArg);
  };
  AsyncResource.prototype.bind = lean as unknown as typeof AsyncResource.prototype.bind;
  return true;
}

/** What Node's bind returns, less the deprecated accessor. */
function boundTo(resource: AsyncResource, fn: AnyFunction, thisArg: unknown): AnyFunction {
  const bound: AnyFunction =
    thisArg === undefined
      ? function (this: unknown, ...args: unknown[]): unknown {
          return resource.runInAsyncScope(fn, this, ...args);
        }
      : (...args: unknown[]): unknown => resource.runInAsyncScope(fn, thisArg, ...args);
  Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, value: fn.length, writable: false });
  return bound;
}

/** Puts Node's own `bind` back (tests). */
export function restoreAsyncResourceBind(): void {
  if (!original) return;
  AsyncResource.prototype.bind = original as unknown as typeof AsyncResource.prototype.bind;
  original = null;
}
