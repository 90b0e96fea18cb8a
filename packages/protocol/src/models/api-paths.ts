/** TS 29.573 API roots and resources (Release 19). */
export const N32C_HANDSHAKE_API = '/n32c-handshake/v1';
export const N32C_PATHS = {
  exchangeCapability: `${N32C_HANDSHAKE_API}/exchange-capability`,
  exchangeParams: `${N32C_HANDSHAKE_API}/exchange-params`,
  n32fTerminate: `${N32C_HANDSHAKE_API}/n32f-terminate`,
  n32fError: `${N32C_HANDSHAKE_API}/n32f-error`,
} as const;

export const N32F_FORWARD_API = '/n32f-forward/v1';
export const N32F_PROCESS_PATH = `${N32F_FORWARD_API}/n32f-process`;

/**
 * Where the APIs a SEPP serves itself start (TS 29.573: N32 handshake, JOSE protected message
 * forwarding, telescopic FQDN mapping), whatever their version. On an N32 port every other path is
 * N32-f in TLS mode (an SBI path toward a local NF); a path under one of these is the SEPP's own
 * API, and one that names no resource of it (another version, another resource) is a 404
 * (TS 29.500 5.2.7.2), never forwarded.
 */
export const SEPP_API_PREFIXES = ['/n32c-handshake/', '/n32f-forward/', '/nsepp-telescopic/'] as const;

/** The path without its query. */
function withoutQuery(path: string): string {
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

/** Whether an HTTP `:path` is under one of the SEPP's own APIs (`SEPP_API_PREFIXES`, or a prefix itself without its slash). */
export function isSeppApiPath(path: string): boolean {
  const bare = withoutQuery(path);
  return SEPP_API_PREFIXES.some((prefix) => bare.startsWith(prefix) || bare === prefix.slice(0, -1));
}

/** Whether an HTTP `:path` is under the N32 handshake API (`/n32c-handshake/`, any version or resource, with or without a query). */
export function isN32cHandshakePath(path: string): boolean {
  const bare = withoutQuery(path);
  return bare.startsWith(SEPP_API_PREFIXES[0]) || bare === SEPP_API_PREFIXES[0].slice(0, -1);
}

/** Whether an HTTP `:path` is the n32f-process resource (a query does not change the resource). */
export function isN32fProcessPath(path: string): boolean {
  return withoutQuery(path) === N32F_PROCESS_PATH;
}
