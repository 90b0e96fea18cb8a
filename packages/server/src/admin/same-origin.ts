import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_JSON } from '../problem/problem-details.filter';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The admin actions are POSTs that a browser would also send on behalf of another web page (a
 * form or a `no-cors` fetch aimed at `http://127.0.0.1:9101/...` needs no CORS permission to be
 * sent). Now that operators open the admin listener in a browser, such a cross-site request is
 * refused with 403: a POST whose `Sec-Fetch-Site` says another site, or whose `Origin` is not
 * this listener's own. Clients that send neither header (curl, scripts, the status page's own
 * same-origin requests in older browsers send a matching Origin) are not affected.
 */
export function refuseCrossSiteActions(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (SAFE_METHODS.has(request.method) || isSameOrigin(request)) return done();
    void reply
      .status(403)
      .header('content-type', PROBLEM_JSON)
      .send(JSON.stringify({ title: 'Forbidden', status: 403, cause: 'UNSPECIFIED', detail: 'cross-site request to an admin action refused' }));
  });
}

function isSameOrigin(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
