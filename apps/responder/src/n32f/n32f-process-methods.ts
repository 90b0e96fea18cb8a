import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { N32F_PROCESS_PATH } from '@sepp/protocol';
import { methodNotAllowed, PROBLEM_JSON, respondWhole, toProblem } from '@sepp/server';

/** What `/n32f-forward/v1/n32f-process` takes (TS 29.573 6.2: POST, and OPTIONS for content codings). */
const ALLOW = ['POST', 'OPTIONS'];

/**
 * Answers the requests to n32f-process that are not a POST (TS 33.117 4.3.4.3): OPTIONS gets
 * `204` with `Accept-Encoding: identity` (TS 29.573 6.2.3.2.3.2; we decode no content coding),
 * any other method `405` problem+json with `Allow`. Returns the status answered, or null for a
 * POST (and for another path: only n32f-process comes here, other paths under the API are 404s).
 */
export function answerNonPost(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): 204 | 405 | null {
  const method = String(headers[':method'] ?? '');
  if (method === 'POST') return null;
  const path = String(headers[':path'] ?? '').split('?')[0]!;
  if (path !== N32F_PROCESS_PATH) return null;
  stream.resume(); // a body sent along is not read
  const allow = ALLOW.join(', ');
  if (method === 'OPTIONS') {
    respondWhole(stream, 204, { allow, 'accept-encoding': 'identity' });
    return 204;
  }
  const problem = toProblem(methodNotAllowed(method, path, ALLOW), 0);
  respondWhole(stream, 405, { 'content-type': PROBLEM_JSON, allow }, method === 'HEAD' ? undefined : Buffer.from(JSON.stringify(problem.body)));
  return 405;
}
