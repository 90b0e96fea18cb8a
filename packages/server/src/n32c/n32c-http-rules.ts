import type { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findDuplicateMember, duplicateMemberError, N32C_HANDSHAKE_API } from '@sepp/protocol';
import { ProblemException } from '../problem/problem.exception';

/**
 * HTTP rules of the N32-c API on the N32 listeners, beyond routing (TS 33.117 4.3.4.3 and
 * 4.3.6.3): no method but POST on an N32-c resource, and no JSON body that repeats a member name.
 */

/**
 * The 405 of a method a resource does not take (RFC 9110 15.5.6: with `Allow`). TS 29.500 lists no
 * application cause for 405, so `cause` is the generic UNSPECIFIED; the method is the
 * `invalidParams` entry, as media-type refusals name their header.
 */
export function methodNotAllowed(method: string, path: string, allow: readonly string[]): ProblemException {
  return new ProblemException({
    status: 405,
    cause: 'UNSPECIFIED',
    detail: `${method} is not allowed on ${path} (allowed: ${allow.join(', ')})`,
    invalidParams: [{ param: 'header :method', reason: `must be ${allow.join(' or ')}` }],
  });
}

/**
 * A non-POST request to a path that is an N32-c resource of this listener (a POST route exists
 * for it) is answered 405 with `Allow: POST` instead of Fastify's 404. Paths that are no resource
 * keep their 404.
 */
export function refuseOtherMethodsOnN32c(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, reply, done) => {
    if (request.method === 'POST' || !isN32cResource(instance, request)) {
      done();
      return;
    }
    void reply.header('allow', 'POST');
    done(methodNotAllowed(request.method, pathOf(request), ['POST']));
  });
}

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

function isN32cResource(instance: FastifyInstance, request: FastifyRequest): boolean {
  const path = pathOf(request);
  return path.startsWith(`${N32C_HANDSHAKE_API}/`) && instance.hasRoute({ method: 'POST', url: path });
}

/**
 * The JSON parser of an N32 listener: Fastify's own (which refuses `__proto__` and
 * `constructor.prototype`), then a check that no member name repeats in any object of the body,
 * which `JSON.parse` would resolve silently by keeping the last value: a 400 INVALID_MSG_FORMAT
 * naming the repeated member's JSON Pointer. Installed through the adapter so Nest keeps it (and
 * adds none of its own: N32-c takes application/json only, see `requireJsonOnN32c`).
 */
export function useStrictJsonParser(adapter: FastifyAdapter): void {
  const instance = adapter.getInstance();
  const parse = strictJsonParser(instance);
  adapter.useBodyParser('application/json', false, { bodyLimit: instance.initialConfig.bodyLimit }, (_request, body, done) => {
    try {
      // Fastify hands the body over as a Buffer (its type says string).
      done(null, parse(body));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/**
 * The strict JSON parse of an N32 listener, for Fastify's body parser and for the N32-c fast path
 * alike: Fastify's own parser (refusing `__proto__` and `constructor.prototype`; it answers
 * synchronously), then the repeated-member check. Throws what the body parser passes on: Fastify's
 * errors (empty body, not JSON) or the repeated member's 400.
 */
export function strictJsonParser(instance: FastifyInstance): (body: Buffer | string) => unknown {
  const parse = fastifyJsonParser(instance);
  return (body) => {
    const value = parse(body);
    const duplicate = findDuplicateMember(Buffer.isBuffer(body) ? body.toString('utf8') : body);
    if (duplicate) throw duplicateMemberError(duplicate);
    return value;
  };
}

/**
 * Fastify's own JSON body parser (refusing `__proto__` and `constructor.prototype`), called
 * synchronously, as Nest installs it on a listener without a parser of ours: throws Fastify's
 * errors (empty body, not JSON).
 */
export function fastifyJsonParser(instance: FastifyInstance): (body: Buffer | string) => unknown {
  const parse = instance.getDefaultJsonParser('error', 'error');
  return (body) => {
    let outcome: { error: Error | null; value: unknown } | undefined;
    // The request argument is not read by Fastify's default JSON parser.
    void parse(undefined as unknown as FastifyRequest, body as string, (error, value) => {
      outcome = { error: error ?? null, value };
    });
    if (!outcome) throw new Error('the JSON parser did not answer synchronously');
    if (outcome.error) throw outcome.error;
    return outcome.value;
  };
}
