/** TS 29.500 custom headers the SEPP reads (HTTP/2 header names are lower case). */
export const SBI_HEADERS = {
  targetApiRoot: '3gpp-sbi-target-apiroot',
  originatingNetworkId: '3gpp-sbi-originating-network-id',
  maxRspTime: '3gpp-sbi-max-rsp-time',
  senderTimestamp: '3gpp-sbi-sender-timestamp',
  /** Overload control information (TS 29.500 6.4). */
  oci: '3gpp-sbi-oci',
  /** Load control information (TS 29.500 6.3). */
  lci: '3gpp-sbi-lci',
  /** SBI message priority (TS 29.500 5.2.3.2.1, 6.8): 0 highest, 31 lowest. */
  messagePriority: '3gpp-sbi-message-priority',
} as const;

/**
 * Connection-specific headers (RFC 9110 7.6.1, RFC 9113 8.2.2) and HTTP/2 pseudo-headers never
 * travel end to end: a proxy drops them and sets its own.
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
  'http2-settings',
]);

type HeaderValue = string | string[] | number | undefined;

/**
 * The end-to-end headers of a message: pseudo-headers, hop-by-hop headers, the headers the
 * `Connection` header names, and `extraDrop` removed. Values are kept as they are. (On the N32-f
 * hot path: one pass, no intermediate arrays.)
 */
export function endToEndHeaders(headers: Readonly<Record<string, HeaderValue>>, extraDrop?: string): Record<string, string | string[]> {
  const connection = headers['connection'];
  const named = connection === undefined ? null : String(connection).toLowerCase().split(',').map((token) => token.trim());
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name.charCodeAt(0) === 58 /* ':' */) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP_HEADERS.has(lower) || lower === extraDrop || (named !== null && named.includes(lower))) continue;
    out[lower] = typeof value === 'number' ? String(value) : value;
  }
  return out;
}

/** `3gpp-Sbi-Originating-Network-Id: <mcc>-<mnc>[-<nid>]` (TS 29.500 5.2.3.2.x); null if absent or malformed. */
export function parseOriginatingNetworkId(value: string | undefined): { mcc: string; mnc: string } | null {
  if (!value) return null;
  const match = /^\s*(\d{3})-(\d{2,3})(?:-[0-9A-Fa-f]{11})?\s*(?:;.*)?$/.exec(value);
  return match ? { mcc: match[1]!, mnc: match[2]! } : null;
}

/**
 * `3gpp-Sbi-Message-Priority: <0..31>` (TS 29.500 5.2.3.2.1; ABNF `"3" %x30-31 / %x31-32 DIGIT /
 * DIGIT`, so no sign, no leading zero, optional whitespace around it), 0 the highest priority;
 * undefined if absent, repeated or malformed (then the message has no priority of its own).
 */
export function parseMessagePriority(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^[ \t]*(3[01]|[12][0-9]|[0-9])[ \t]*$/.exec(value);
  return match ? Number(match[1]) : undefined;
}
