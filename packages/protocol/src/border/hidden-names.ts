import { createHmac, randomBytes } from 'node:crypto';
import { normalizeFqdn } from '../identifiers/plmn';

/**
 * Hidden names for topology hiding (TS 33.501 5.9.3.2): a host of ours (an NF's FQDN, or an IP
 * address), with its port when it had one, becomes ONE label under our SEPP's FQDN,
 * `h-0<26 base32 characters>.<sepp fqdn>`, in the telescopic FQDN scheme of TS 33.501 13.1.1.1.
 *
 * Unlike the telescopic labels the SEPP hands out for foreign FQDNs (`sbi/telescopic.ts`, readable
 * or a plain SHA-256), a hidden label is an HMAC-SHA-256 of the name under a key only this SEPP
 * holds: it has the same length for every name, tells nothing about it, and cannot be checked
 * against guessed names by anyone without the key. It is therefore not reversible: the SEPP keeps
 * the table label -> name and recovers names from it. `-0` never occurs in a direct telescopic
 * label and `h` is not the opaque prefix `m`, so the three kinds of labels never collide.
 */
export const HIDDEN_LABEL_PREFIX = 'h-0';
const HIDDEN_LABEL = /^h-0[a-z2-7]{26}$/;

/**
 * The table of hidden names: the one port topology hiding uses to store and find them (in memory
 * here; a store shared by replicas implements the same two methods).
 */
export interface HiddenNames {
  /** The label hiding `name` (`host` or `host:port`, lower case), remembered for {@link reveal}. */
  hide(name: string): string;
  /** The name a label hides, or null when this SEPP never handed it out. */
  reveal(label: string): string | null;
}

export function isHiddenLabel(label: string): boolean {
  return HIDDEN_LABEL.test(label.toLowerCase());
}

/** Canonical form of what a label hides: lower-case host (IPv6 in brackets), `:port` when given. */
export function hiddenNameKey(host: string, port: number | null): string {
  const name = normalizeFqdn(host);
  const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  return port === null ? bracketed : `${bracketed}:${port}`;
}

/** In-memory {@link HiddenNames}, keyed by a random 256-bit secret (labels live as long as the process). */
export class HiddenNameTable implements HiddenNames {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly key: Uint8Array = randomBytes(32),
    /** Most names remembered; beyond it the table refuses new ones (our own NFs are finitely many). */
    private readonly capacity = 1_000_000,
  ) {
    if (key.length < 16) throw new RangeError('the hidden-name key must have at least 128 bits');
  }

  hide(name: string): string {
    const label = hiddenLabel(this.key, name);
    if (!this.names.has(label)) {
      if (this.names.size >= this.capacity) throw new RangeError(`the hidden-name table is full (${this.capacity} names)`);
      this.names.set(label, name);
    }
    return label;
  }

  reveal(label: string): string | null {
    return this.names.get(label.toLowerCase()) ?? null;
  }

  /**
   * Remembers the labels of `names` (keys as {@link hiddenNameKey} makes them) without handing
   * them out: with the key of another process (the other app of the same SEPP, a replica, this
   * one before a restart), the labels it handed out for these names are then revealed here too.
   * Names past the capacity are left out (returns how many are remembered in all).
   */
  prime(names: Iterable<string>): number {
    for (const name of names) {
      if (this.names.size >= this.capacity) break;
      this.names.set(hiddenLabel(this.key, name), name);
    }
    return this.names.size;
  }

  get size(): number {
    return this.names.size;
  }
}

/**
 * The names an apiRoot of ours may be hidden as: its host alone (an `fqdn` place) and with its
 * port (a URI's authority; an apiRoot without a port with the scheme's default, which a URI may
 * spell out).
 */
export function hiddenNameKeysOf(apiRoot: { readonly scheme: 'http' | 'https'; readonly host: string; readonly port: number | null }): string[] {
  return [hiddenNameKey(apiRoot.host, null), hiddenNameKey(apiRoot.host, apiRoot.port ?? (apiRoot.scheme === 'https' ? 443 : 80))];
}

/** `h-0` + the first 130 bits of HMAC-SHA-256(key, name) in base32 (RFC 4648 alphabet, lower case). */
export function hiddenLabel(key: Uint8Array, name: string): string {
  const digest = createHmac('sha256', key).update(name).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = HIDDEN_LABEL_PREFIX;
  for (const byte of digest) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < HIDDEN_LABEL_PREFIX.length + 26) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}
