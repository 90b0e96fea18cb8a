import * as http2 from 'node:http2';

/** The header a consumer NF uses to name the real target behind a SEPP/SCP (TS 29.500 5.2.3.2.x). */
export const TARGET_API_ROOT_HEADER = '3gpp-sbi-target-apiroot';
export const DEFAULT_NF_PATH = '/nudm-sdm/v2/imsi-001010000000001/am-data';
export const DEFAULT_TIMEOUT_MS = 10_000;

export type HeaderList = Record<string, string | string[]> | ReadonlyArray<readonly [string, string]>;

export interface SeppRequest {
  /** The SEPP's NF-facing listener, e.g. `http://127.0.0.1:7777` (h2c); `https://` works too. */
  sepp: string | URL;
  /** apiRoot of the real target, sent as `3gpp-sbi-target-apiroot` (`:authority` is then the SEPP's). */
  target?: string;
  /** Telescopic mode: this becomes `:authority` and no target header is sent. */
  telescopic?: string;
  method?: string;
  /** Path and query; default {@link DEFAULT_NF_PATH}. */
  path?: string;
  /** Extra request headers (lower-cased on the wire). */
  headers?: HeaderList;
  body?: string | Buffer;
  timeoutMs?: number;
  /** An open session to the SEPP to reuse (it is left open); otherwise one is opened and closed. */
  session?: http2.ClientHttp2Session;
  /** Trust for an `https://` SEPP. */
  ca?: string | Buffer | Array<string | Buffer>;
}

export interface SeppResponse {
  status: number;
  /** Response headers without pseudo-headers. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  text: string;
  /** The parsed body when it is JSON (by content type or by shape), else undefined. */
  json: unknown;
}

/** Transport-level failure: no HTTP answer at all (connection refused, reset stream, timeout...). */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** `name: value` (as typed after `--header`) -> [name, value]; null when there is no colon or no name. */
export function parseHeaderLine(line: string): [string, string] | null {
  const at = line.indexOf(':', line.startsWith(':') ? 1 : 0);
  if (at <= 0) return null;
  const name = line.slice(0, at).trim().toLowerCase();
  if (name === '' || /\s/.test(name)) return null;
  return [name, line.slice(at + 1).trim()];
}

function headerEntries(headers: HeaderList | undefined): Array<[string, string | string[]]> {
  if (!headers) return [];
  if (Array.isArray(headers)) return (headers as ReadonlyArray<readonly [string, string]>).map(([name, value]) => [name.toLowerCase(), value]);
  return Object.entries(headers as Record<string, string | string[]>).map(([name, value]) => [name.toLowerCase(), value]);
}

/** The request headers `sendViaSepp` sends (exported for tests and for the load generator). */
export function buildRequestHeaders(request: SeppRequest): http2.OutgoingHttpHeaders {
  const sepp = typeof request.sepp === 'string' ? new URL(request.sepp) : request.sepp;
  const out: http2.OutgoingHttpHeaders = {
    ':method': (request.method ?? 'GET').toUpperCase(),
    ':scheme': sepp.protocol.replace(/:$/, ''),
    ':authority': request.telescopic ?? sepp.host,
    ':path': request.path ?? DEFAULT_NF_PATH,
  };
  for (const [name, value] of headerEntries(request.headers)) {
    const previous = out[name];
    if (previous === undefined) out[name] = value;
    else out[name] = [...(Array.isArray(previous) ? previous : [String(previous)]), ...(Array.isArray(value) ? value : [value])];
  }
  if (request.telescopic === undefined && request.target !== undefined) out[TARGET_API_ROOT_HEADER] = request.target;
  if (request.body !== undefined && out['content-type'] === undefined) {
    out['content-type'] = looksLikeJson(request.body) ? 'application/json' : 'application/octet-stream';
  }
  return out;
}

function looksLikeJson(body: string | Buffer): boolean {
  try {
    JSON.parse(body.toString());
    return true;
  } catch {
    return false;
  }
}

function parseBody(headers: http2.IncomingHttpHeaders, body: Buffer): unknown {
  const type = String(headers['content-type'] ?? '').toLowerCase();
  const jsonish = /[/+]json\b/.test(type) || (type === '' && /^\s*[[{]/.test(body.toString('utf8', 0, Math.min(body.length, 16))));
  if (!jsonish || body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Opens an HTTP/2 session (h2c for `http://`, TLS for `https://`) and resolves once it is connected. */
export function connectSepp(sepp: string | URL, options: { ca?: SeppRequest['ca']; timeoutMs?: number } = {}): Promise<http2.ClientHttp2Session> {
  const url = typeof sepp === 'string' ? new URL(sepp) : sepp;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new TransportError(`unsupported scheme ${url.protocol} (http: or https:)`, 'ERR_SCHEME'));
  }
  return new Promise((resolve, reject) => {
    const session = http2.connect(url.origin, url.protocol === 'https:' && options.ca ? { ca: options.ca } : {});
    const timer = setTimeout(() => {
      session.destroy();
      reject(new TransportError(`no HTTP/2 connection to ${url.host} within ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`, 'ETIMEDOUT'));
    }, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    session.once('connect', () => {
      clearTimeout(timer);
      session.off('error', onError);
      session.on('error', () => undefined); // later errors surface on the streams
      resolve(session);
    });
    const onError = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      reject(new TransportError(`cannot connect to ${url.host}: ${error.message}`, error.code ?? 'ECONNECT'));
    };
    session.once('error', onError);
  });
}

/**
 * Sends one request to a SEPP's NF-facing listener the way a consumer NF in indirect mode does:
 * `3gpp-sbi-target-apiroot: <target>` (or a telescopic `:authority`). Resolves with any HTTP
 * answer; rejects with {@link TransportError} when there is none.
 */
export async function sendViaSepp(request: SeppRequest): Promise<SeppResponse> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const ownSession = request.session === undefined;
  const session = request.session ?? (await connectSepp(request.sepp, { ca: request.ca, timeoutMs }));
  try {
    return await new Promise<SeppResponse>((resolve, reject) => {
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      let settled = false;
      const clock: { timer?: NodeJS.Timeout } = {};
      const fail = (error: TransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(clock.timer);
        reject(error);
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(buildRequestHeaders(request), { endStream: body === undefined || body.length === 0 });
      } catch (error) {
        fail(new TransportError(`cannot send: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code ?? 'ESEND'));
        return;
      }
      clock.timer = setTimeout(() => {
        fail(new TransportError(`no answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
        stream.close(http2.constants.NGHTTP2_CANCEL);
      }, timeoutMs);
      let responseHeaders: http2.IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => (responseHeaders = headers));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', () => {
        if (settled) return;
        if (!responseHeaders) {
          fail(new TransportError('the stream ended without a response', 'ERR_NO_RESPONSE'));
          return;
        }
        settled = true;
        clearTimeout(clock.timer);
        const data = Buffer.concat(chunks);
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(responseHeaders)) {
          if (!name.startsWith(':') && value !== undefined) headers[name] = typeof value === 'number' ? String(value) : value;
        }
        resolve({ status: Number(responseHeaders[':status']), headers, body: data, text: data.toString('utf8'), json: parseBody(responseHeaders, data) });
      });
      stream.once('close', () => {
        // 'end' comes first on a complete answer; a close before it is a reset.
        const what = responseHeaders ? 'in the middle of the response' : 'without a response';
        fail(new TransportError(`the stream was closed ${what} (RST_STREAM code ${stream.rstCode ?? '?'})`, 'ERR_STREAM_RESET'));
      });
      stream.on('error', (error: NodeJS.ErrnoException) => fail(new TransportError(error.message, error.code ?? 'ERR_STREAM')));
      if (body !== undefined && body.length > 0) stream.end(body);
    });
  } finally {
    if (ownSession) session.close();
  }
}
