import type { IncomingHttpHeaders } from 'node:http2';
import { SBI_HEADERS } from '@sepp/protocol';

/**
 * The time budget of one NF request forwarded over N32-f (TLS or PRINS): `n32f.requestTimeoutMs`,
 * or less when the NF asks for less with `3gpp-Sbi-Max-Rsp-Time` (ms, TS 29.500).
 */
export function forwardTimeoutMs(headers: IncomingHttpHeaders, requestTimeoutMs: number): number {
  const maxRspTime = Number(headers[SBI_HEADERS.maxRspTime]);
  return maxRspTime > 0 ? Math.min(maxRspTime, requestTimeoutMs) : requestTimeoutMs;
}
