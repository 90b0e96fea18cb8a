import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { endToEndHeaders, type HeaderField } from '@sepp/protocol';

/**
 * Between HTTP/2 header objects and the header lists PRINS reformats (lower-case names, repeated
 * fields as repeated entries). `content-length` is left out: it is recomputed when the message is
 * rebuilt (the JSON text of a body may change).
 */
export function headerFields(headers: IncomingHttpHeaders, drop?: string): HeaderField[] {
  const fields: HeaderField[] = [];
  for (const [name, value] of Object.entries(endToEndHeaders(headers, drop))) {
    if (name === 'content-length') continue;
    if (Array.isArray(value)) for (const item of value) fields.push([name, item]);
    else fields.push([name, value]);
  }
  return fields;
}

/** Header fields back to an HTTP/2 header object (repeated names become arrays). */
export function headerObject(fields: readonly HeaderField[]): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of fields) {
    if (name === 'content-length') continue;
    const existing = out[name];
    if (existing === undefined) out[name] = value;
    else out[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

/** Splits an HTTP/2 `:path` into path and raw query (undefined when there is no `?`). */
export function splitPath(pathAndQuery: string): { path: string; query?: string } {
  const index = pathAndQuery.indexOf('?');
  return index < 0 ? { path: pathAndQuery } : { path: pathAndQuery.slice(0, index), query: pathAndQuery.slice(index + 1) };
}
