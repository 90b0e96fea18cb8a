/**
 * TS 29.500 apiRoot as carried by `3gpp-Sbi-Target-apiRoot`:
 * `<"https"|"http"> "://" host [":" port] [prefix]` (TS29500_CustomHeaders.abnf).
 */
export interface ApiRoot {
  readonly scheme: 'http' | 'https';
  /** Lower-cased host: an FQDN, an IPv4 address or a bracket-less IPv6 address. */
  readonly host: string;
  /** The explicit port, or null when the apiRoot has none (80/443 by scheme). */
  readonly port: number | null;
  /** Path prefix without a trailing slash ("" when none). */
  readonly prefix: string;
}

const API_ROOT = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(\/[^?#\s]*)?$/;

/** Parses an apiRoot; null if it does not follow the ABNF (or the port is out of range). */
export function parseApiRoot(value: string): ApiRoot | null {
  const match = API_ROOT.exec(value.trim());
  if (!match) return null;
  const port = match[3] === undefined ? null : Number(match[3]);
  if (port !== null && (port < 1 || port > 65_535)) return null;
  const host = match[2]!.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (host === '' || host.startsWith('.') || host.includes('..')) return null;
  return { scheme: match[1] as 'http' | 'https', host, port, prefix: (match[4] ?? '').replace(/\/+$/, '') };
}

export function effectivePort(root: ApiRoot): number {
  return root.port ?? (root.scheme === 'https' ? 443 : 80);
}

/** `scheme://host:port` with the port always explicit: the form two apiRoots compare in. */
export function originOf(root: ApiRoot): string {
  const host = root.host.includes(':') ? `[${root.host}]` : root.host;
  return `${root.scheme}://${host}:${effectivePort(root)}`;
}

/** Canonical text: origin plus prefix. Two apiRoots naming the same place have the same key. */
export function apiRootKey(root: ApiRoot): string {
  return `${originOf(root)}${root.prefix}`;
}

/** The `:authority` to use toward the target: host, and the port when it is not the default. */
export function authorityOf(root: ApiRoot): string {
  const host = root.host.includes(':') ? `[${root.host}]` : root.host;
  return root.port === null || root.port === (root.scheme === 'https' ? 443 : 80) ? host : `${host}:${root.port}`;
}

export function formatApiRoot(root: ApiRoot): string {
  return `${root.scheme}://${authorityOf(root)}${root.prefix}`;
}
