import { createHash } from 'node:crypto';
import { normalizeFqdn } from '../identifiers/plmn';

/**
 * Telescopic FQDNs (TS 33.501 13.1.1.1): a foreign FQDN is written as ONE label in front of our
 * SEPP's domain, `<label>.<sepp fqdn>`, so NFs reach foreign NFs through us with our wildcard
 * certificate. The label encoding is ours to choose; it must be reversible and a DNS label.
 *
 * Encoding (direct labels): every `-` of the FQDN becomes `-1`, every `.` becomes `--`. A `-` in
 * an encoded label therefore always starts an escape, so decoding is unambiguous:
 *   udm1.5gc.mnc001.mcc001.3gppnetwork.org -> udm1--5gc--mnc001--mcc001--3gppnetwork--org
 *   ausf-2.example.org                      -> ausf-12--example--org
 * When the result would exceed 63 characters (or the FQDN has characters a label cannot carry),
 * the label is opaque: `m-0` followed by 26 base32 characters of SHA-256(FQDN). `-0` never occurs
 * in a direct label, so the two kinds cannot collide; opaque labels are resolved through a mapping
 * table, which is what GET /nsepp-telescopic/v1/mapping exposes.
 */
export const MAX_LABEL_LENGTH = 63;
const OPAQUE_PREFIX = 'm-0';
const FQDN_CHARS = /^[a-z0-9.-]+$/;
const DIRECT_LABEL = /^[a-z0-9](?:[a-z0-9]|-1|--)*$/;

export type TelescopicLabel = { readonly label: string; readonly opaque: boolean };

export function encodeTelescopicLabel(foreignFqdn: string): TelescopicLabel {
  const fqdn = normalizeFqdn(foreignFqdn);
  if (FQDN_CHARS.test(fqdn)) {
    const label = fqdn.replace(/-/g, '-1').replace(/\./g, '--');
    if (label.length <= MAX_LABEL_LENGTH && DIRECT_LABEL.test(label)) return { label, opaque: false };
  }
  return { label: opaqueLabel(fqdn), opaque: true };
}

/** The FQDN a direct label encodes; null for an opaque or malformed label. */
export function decodeDirectLabel(label: string): string | null {
  const lower = label.toLowerCase();
  if (!DIRECT_LABEL.test(lower)) return null;
  let out = '';
  for (let i = 0; i < lower.length; i++) {
    const char = lower[i]!;
    if (char !== '-') {
      out += char;
      continue;
    }
    const next = lower[++i];
    out += next === '-' ? '.' : '-';
  }
  return out;
}

export function isOpaqueLabel(label: string): boolean {
  return label.toLowerCase().startsWith(OPAQUE_PREFIX);
}

function opaqueLabel(fqdn: string): string {
  const digest = createHash('sha256').update(fqdn).digest();
  return `${OPAQUE_PREFIX}${base32(digest).slice(0, 26)}`;
}

function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/**
 * The label of an authority under our SEPP domain (`<label>.<seppDomain>[:port]`), or null when
 * the host is not exactly one label under it.
 */
export function telescopicLabelOf(host: string, seppDomain: string): string | null {
  const name = normalizeFqdn(host);
  const suffix = `.${normalizeFqdn(seppDomain)}`;
  if (!name.endsWith(suffix)) return null;
  const label = name.slice(0, -suffix.length);
  return label.length > 0 && !label.includes('.') ? label : null;
}

/** How many opaque labels a table remembers by default (the least recently handed out go first). */
export const TELESCOPIC_TABLE_MAX_OPAQUE = 10_000;

/**
 * Label <-> foreign FQDN for one SEPP domain. Direct labels decode by themselves; opaque ones are
 * remembered when they are handed out (mapping API, or an encode by the SEPP itself), at most
 * `maxOpaque` of them: anyone who reaches the mapping API can ask for labels of new names, so
 * the least recently handed out is forgotten past that (the SEPP keeps them in its state store too).
 */
export class TelescopicMappingTable {
  private readonly opaque = new Map<string, string>();

  constructor(
    readonly seppDomain: string,
    private readonly maxOpaque = TELESCOPIC_TABLE_MAX_OPAQUE,
  ) {}

  /** The label for a foreign FQDN (remembered if opaque). */
  labelFor(foreignFqdn: string): string {
    const { label, opaque } = encodeTelescopicLabel(foreignFqdn);
    if (opaque) {
      // Map order is insertion order: handing a label out again makes it the newest.
      this.opaque.delete(label);
      this.opaque.set(label, normalizeFqdn(foreignFqdn));
      if (this.opaque.size > this.maxOpaque) this.opaque.delete(this.opaque.keys().next().value!);
    }
    return label;
  }

  /** How many opaque labels it holds. */
  get opaqueCount(): number {
    return this.opaque.size;
  }

  /** The foreign FQDN of a label, or null if unknown. */
  fqdnFor(label: string): string | null {
    const lower = label.toLowerCase();
    return isOpaqueLabel(lower) ? (this.opaque.get(lower) ?? null) : decodeDirectLabel(lower);
  }

  telescopicFqdn(foreignFqdn: string): string {
    return `${this.labelFor(foreignFqdn)}.${normalizeFqdn(this.seppDomain)}`;
  }
}
